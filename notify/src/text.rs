//! What notifications say, in pt-BR.

use balcao_domain::ticket::Ticket;

/// A ticket assigned to the recipient or to their role.
pub fn ticket_assigned(t: &Ticket, for_role: Option<&str>) -> String {
    let to = match for_role {
        Some(role) => format!("para o cargo {role}"),
        None => "para você".to_owned(),
    };
    let problem: String = t.problem.lines().next().unwrap_or("").chars().take(160).collect();
    format!(
        "📥 Novo atendimento {to}\nProtocolo: {}\nCliente: {}\nTipo: {}\n{problem}",
        t.protocol, t.client_name, t.ticket_type.name
    )
}

/// Button: open the ticket.
pub const VIEW: &str = "Ver atendimento";
/// Button: take a role's ticket.
pub const TAKE: &str = "🙋 Assumir";
