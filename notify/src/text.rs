//! What notifications say, in pt-BR.

use balcao_domain::ticket::Ticket;

/// Whom a ticket notice speaks to.
#[derive(Debug, Clone, Copy)]
pub enum Audience<'a> {
    /// The assigned user.
    You,
    /// A member of the assigned role.
    Role(&'a str),
    /// A member of the role, after a colleague took the ticket.
    Team,
}

/// A ticket assigned to the recipient or to their role.
pub fn ticket_assigned(t: &Ticket, audience: Audience<'_>) -> String {
    let to = match audience {
        Audience::You => "para você".to_owned(),
        Audience::Role(role) => format!("para o cargo {role}"),
        Audience::Team => "da sua equipe".to_owned(),
    };
    let problem: String = t.problem.lines().next().unwrap_or("").chars().take(160).collect();
    format!(
        "📥 Novo atendimento {to}\nProtocolo: {}\nCliente: {}\nTipo: {}\n{problem}",
        t.protocol, t.client_name, t.ticket_type.name
    )
}

/// What the others' notice says once someone took the ticket.
pub fn taken_by(name: &str) -> String {
    format!("✅ Assumido por {name}")
}

/// Button: open the ticket.
pub const VIEW: &str = "Ver atendimento";
/// Button: take a role's ticket.
pub const TAKE: &str = "🙋 Assumir";
