//! What notifications say, in pt-BR: the Telegram message, and the e-mail's
//! subject, text and HTML bodies. Nothing about the client beyond what the
//! recipient may read on their screens: for a ticket the name, protocol, type
//! and problem; for an O.S., also the address of the visit. Never a document,
//! a phone or the client's e-mail.

use balcao_domain::finance::format_date;
use balcao_domain::ticket::{Ticket, TicketEvent, WorkOrder};

/// Whom a ticket notice speaks to.
#[derive(Debug, Clone)]
pub enum Audience {
    /// The assigned user.
    You,
    /// A member of the assigned role, named.
    Role(String),
    /// A member of the role, after a colleague took the ticket.
    Team,
}

impl Audience {
    fn to(&self) -> String {
        match self {
            Audience::You => "para você".to_owned(),
            Audience::Role(role) => format!("para o cargo {role}"),
            Audience::Team => "da sua equipe".to_owned(),
        }
    }
}

fn first_line(problem: &str, max: usize) -> String {
    problem.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").chars().take(max).collect()
}

/// A ticket assigned to the recipient or to their role, for Telegram.
pub fn ticket_assigned(t: &Ticket, audience: &Audience) -> String {
    format!(
        "📥 Novo atendimento {}\nProtocolo: {}\nCliente: {}\nTipo: {}\n{}",
        audience.to(),
        t.protocol,
        t.client_name,
        t.ticket_type.name,
        first_line(&t.problem, 160)
    )
}

/// What the others' notice says once someone took the ticket.
pub fn taken_by(name: &str) -> String {
    format!("✅ Assumido por {name}")
}

/// Ends a notice too long for Telegram, cut to fit.
pub const CUT: &str = "\n\n✂ Texto cortado: abra o atendimento para ler tudo.";
/// Button: open the ticket.
pub const VIEW: &str = "Ver atendimento";
/// Button: take a role's ticket.
pub const TAKE: &str = "🙋 Assumir";

/// Several tickets for a role's group at once (a burst, or what piled up
/// while Telegram was out of reach): one message, a few lines each.
pub fn digest(role: &str, items: &[(Ticket, Option<String>)]) -> String {
    let mut out = match items.len() {
        1 => format!("📥 1 novo atendimento para o cargo {role}\n"),
        n => format!("📥 {n} novos atendimentos para o cargo {role}\n"),
    };
    for (i, (t, taker)) in items.iter().enumerate() {
        out.push_str(&format!(
            "\n{}. {} · {} · {}\n   {}\n",
            i + 1,
            t.protocol,
            t.client_name,
            t.ticket_type.name,
            first_line(&t.problem, 80)
        ));
        if let Some(name) = taker {
            out.push_str(&format!("   {}\n", taken_by(name)));
        }
    }
    out
}

/// Button of a digest: take its `n`-th ticket.
pub fn take_numbered(n: usize, t: &Ticket) -> String {
    format!("🙋 Assumir {n} · {}", t.client_name.chars().take(24).collect::<String>())
}

/// The e-mail's subject: protocol, type and client, so that an inbox list says it all.
pub fn email_subject(t: &Ticket) -> String {
    format!("Novo atendimento {} – {} – {}", t.protocol, t.ticket_type.name, t.client_name)
}

/// The problem as an e-mail shows it: whole, up to a page.
fn problem_for_email(problem: &str) -> String {
    let trimmed = problem.trim();
    let mut out: String = trimmed.chars().take(2_000).collect();
    if out.len() < trimmed.len() {
        out.push('…');
    }
    out
}

const HOW_TO_ACT: &str = "Para atender, abra o balcão no Telegram: o atendimento está em /meus \
     (ou procure o cliente pelo nome).";
const SIGNATURE: &str = "Mensagem automática do balcão.";

/// What an e-mail says instead of how to act, when a colleague already took the ticket.
fn already_taken(name: &str) -> String {
    format!("Este atendimento já foi assumido por {name}.")
}

/// The e-mail's plain-text body; `taken_by` names who already took it, if anyone.
pub fn email_text(t: &Ticket, audience: &Audience, taken_by: Option<&str>) -> String {
    let act = taken_by.map_or_else(|| HOW_TO_ACT.to_owned(), already_taken);
    format!(
        "Novo atendimento {}.\n\nProtocolo: {}\nCliente: {}\nTipo: {}\nContato: {}\n\nProblema:\n{}\n\n{act}\n\n-- \n{SIGNATURE}\n",
        audience.to(),
        t.protocol,
        t.client_name,
        t.ticket_type.name,
        t.channel.name,
        problem_for_email(&t.problem)
    )
}

/// Escapes text for HTML.
fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>\n"),
            c => out.push(c),
        }
    }
    out
}

/// The e-mail's HTML body: the same content, laid out as a small table.
pub fn email_html(t: &Ticket, audience: &Audience, taken_by: Option<&str>) -> String {
    let act = taken_by.map_or_else(|| HOW_TO_ACT.to_owned(), already_taken);
    let row = |label: &str, value: &str| format!("<tr><th align=\"left\">{label}</th><td>{}</td></tr>\n", html(value));
    format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n\
         <p><strong>Novo atendimento {to}.</strong></p>\n<table cellpadding=\"4\">\n{protocol}{client}{kind}{contact}</table>\n\
         <p><strong>Problema:</strong><br>\n{problem}</p>\n<p>{how}</p>\n<p style=\"color:#666\">{signature}</p>\n</body></html>\n",
        title = html(&email_subject(t)),
        to = html(&audience.to()),
        protocol = row("Protocolo", &t.protocol),
        client = row("Cliente", &t.client_name),
        kind = row("Tipo", &t.ticket_type.name),
        contact = row("Contato", &t.channel.name),
        problem = html(&problem_for_email(&t.problem)),
        how = html(&act),
        signature = html(SIGNATURE),
    )
}

/// Button: open the work order.
pub const VIEW_WORK_ORDER: &str = "Ver O.S.";

fn when(wo: &WorkOrder) -> String {
    format!("{}, das {} às {}", format_date(wo.date), wo.window_start.format("%H:%M"), wo.window_end.format("%H:%M"))
}

/// A work order scheduled for the recipient, for Telegram: when, where, what.
pub fn work_order_scheduled(t: &Ticket, wo: &WorkOrder) -> String {
    format!(
        "🛠 Nova O.S. para você\nProtocolo: {}\nCliente: {}\nQuando: {}\nOnde: {}\nTarefa: {}",
        t.protocol,
        t.client_name,
        when(wo),
        wo.address,
        first_line(&wo.task, 200)
    )
}

/// The work order e-mail's subject.
pub fn work_order_subject(t: &Ticket, wo: &WorkOrder) -> String {
    format!("Nova O.S. {} – {} – {}", format_date(wo.date), t.client_name, t.protocol)
}

/// The work order e-mail's plain-text body.
pub fn work_order_text(t: &Ticket, wo: &WorkOrder) -> String {
    format!(
        "Nova O.S. para você.\n\nProtocolo: {}\nCliente: {}\nQuando: {}\nOnde: {}\n\nTarefa:\n{}\n\n\
         No balcão, no Telegram, a O.S. está em /menu > Minhas O.S.\n\n-- \n{SIGNATURE}\n",
        t.protocol,
        t.client_name,
        when(wo),
        wo.address,
        problem_for_email(&wo.task)
    )
}

/// The work order e-mail's HTML body.
pub fn work_order_html(t: &Ticket, wo: &WorkOrder) -> String {
    let row = |label: &str, value: &str| format!("<tr><th align=\"left\">{label}</th><td>{}</td></tr>\n", html(value));
    format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n\
         <p><strong>Nova O.S. para você.</strong></p>\n<table cellpadding=\"4\">\n{protocol}{client}{when}{place}</table>\n\
         <p><strong>Tarefa:</strong><br>\n{task}</p>\n<p style=\"color:#666\">{signature}</p>\n</body></html>\n",
        title = html(&work_order_subject(t, wo)),
        protocol = row("Protocolo", &t.protocol),
        client = row("Cliente", &t.client_name),
        when = row("Quando", &when(wo)),
        place = row("Onde", &wo.address),
        task = html(&problem_for_email(&wo.task)),
        signature = html(SIGNATURE),
    )
}

/// The client of the recipient's ticket wrote again, for Telegram.
pub fn client_wrote(t: &Ticket, message: &str) -> String {
    format!(
        "📨 {} respondeu no atendimento {}\nTipo: {}\n\n{}",
        t.client_name,
        t.protocol,
        t.ticket_type.name,
        problem_for_email(message)
    )
}

/// What someone else did to a ticket, by the kind of its history entry.
fn news_title(kind: &str) -> &'static str {
    match kind {
        "resolved" => "resolveu o",
        "reopened" => "reabriu o",
        "work_order_done" => "concluiu a O.S. do",
        "work_order_returned" => "devolveu a O.S. do",
        _ => "mexeu no",
    }
}

/// The Telegram notice of news on the recipient's ticket: who did what, and the words they wrote.
pub fn ticket_news(t: &Ticket, e: &TicketEvent) -> String {
    format!(
        "🔔 {} {} atendimento {}\nCliente: {}\n\n{}",
        e.actor_name,
        news_title(&e.kind),
        t.protocol,
        t.client_name,
        e.detail.trim()
    )
}

/// The subject of the e-mail of news on the recipient's ticket.
pub fn ticket_news_subject(t: &Ticket, e: &TicketEvent) -> String {
    format!("{} {} atendimento {} – {}", e.actor_name, news_title(&e.kind), t.protocol, t.client_name)
}

/// Its plain-text body.
pub fn ticket_news_text(t: &Ticket, e: &TicketEvent) -> String {
    format!(
        "{}.\n\n{}\n\n{HOW_TO_ACT}

-- \n{SIGNATURE}\n",
        ticket_news_subject(t, e),
        e.detail.trim()
    )
}

/// Its HTML body.
pub fn ticket_news_html(t: &Ticket, e: &TicketEvent) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n\
         <p><strong>{title}.</strong></p>\n<p>{detail}</p>\n<p>{how}</p>\n\
         <p style=\"color:#666\">{signature}</p>\n</body></html>\n",
        title = html(&ticket_news_subject(t, e)),
        detail = html(e.detail.trim()),
        how = html(HOW_TO_ACT),
        signature = html(SIGNATURE),
    )
}

/// The subject of the e-mail telling staff the client wrote again.
pub fn client_wrote_subject(t: &Ticket) -> String {
    format!("Resposta do cliente no atendimento {} – {}", t.protocol, t.client_name)
}

/// Its plain-text body.
pub fn client_wrote_text(t: &Ticket, message: &str) -> String {
    format!(
        "{} respondeu no atendimento {}.\n\nMensagem:\n{}\n\n{HOW_TO_ACT}\n\n-- \n{SIGNATURE}\n",
        t.client_name,
        t.protocol,
        problem_for_email(message)
    )
}

/// Its HTML body.
pub fn client_wrote_html(t: &Ticket, message: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n\
         <p><strong>{client} respondeu no atendimento {protocol}.</strong></p>\n<p>{message}</p>\n<p>{how}</p>\n\
         <p style=\"color:#666\">{signature}</p>\n</body></html>\n",
        title = html(&client_wrote_subject(t)),
        client = html(&t.client_name),
        protocol = html(&t.protocol),
        message = html(&problem_for_email(message)),
        how = html(HOW_TO_ACT),
        signature = html(SIGNATURE),
    )
}

/// The subject of a staff member's answer to the client: the protocol in
/// brackets, so a reply that loses its headers still names its ticket.
pub fn reply_subject(t: &Ticket) -> String {
    format!("[{}] Resposta ao seu atendimento", t.protocol)
}

/// Its plain-text body: the answer, signed with the provider's name (never
/// with a staff member's address).
pub fn reply_text(t: &Ticket, answer: &str, provider: &str) -> String {
    format!(
        "{}\n\n-- \n{provider}\nProtocolo do atendimento: {}\nPara continuar, responda a este e-mail.\n",
        answer.trim(),
        t.protocol
    )
}

/// Its HTML body.
pub fn reply_html(t: &Ticket, answer: &str, provider: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n\
         <p>{answer}</p>\n<p style=\"color:#666\">{provider}<br>\nProtocolo do atendimento: {protocol}<br>\n\
         Para continuar, responda a este e-mail.</p>\n</body></html>\n",
        title = html(&reply_subject(t)),
        answer = html(answer.trim()),
        provider = html(provider),
        protocol = html(&t.protocol),
    )
}

/// The subject of the acknowledgement a client gets when their contact opens a ticket.
pub fn received_subject(t: &Ticket) -> String {
    format!("[{}] Recebemos sua mensagem", t.protocol)
}

/// Its plain-text body.
pub fn received_text(t: &Ticket, provider: &str) -> String {
    format!(
        "Olá, {}.\n\nRecebemos sua mensagem e abrimos o atendimento {}. Nossa equipe vai responder por este e-mail.\n\
         Se quiser acrescentar algo, responda a esta mensagem.\n\n-- \n{provider}\n",
        t.contact_name, t.protocol
    )
}

/// Its HTML body.
pub fn received_html(t: &Ticket, provider: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n\
         <p>Olá, {name}.</p>\n<p>Recebemos sua mensagem e abrimos o atendimento <strong>{protocol}</strong>. \
         Nossa equipe vai responder por este e-mail.<br>\nSe quiser acrescentar algo, responda a esta mensagem.</p>\n\
         <p style=\"color:#666\">{provider}</p>\n</body></html>\n",
        title = html(&received_subject(t)),
        name = html(&t.contact_name),
        protocol = html(&t.protocol),
        provider = html(provider),
    )
}

/// The placeholders an acknowledgement written by the provider may use.
pub const ACK_PLACEHOLDERS: [&str; 3] = ["{protocolo}", "{nome}", "{provedor}"];

/// The acknowledgement as the provider wrote it (`intake.ack_subject`,
/// `intake.ack_text`), placeholders filled; either left empty is ours.
pub fn provider_acknowledgement(t: &Ticket, provider: &str, subject: &str, body: &str) -> (String, String, String) {
    let fill = |s: &str| {
        s.replace("{protocolo}", &t.protocol).replace("{nome}", &t.contact_name).replace("{provedor}", provider)
    };
    let subject = if subject.is_empty() { received_subject(t) } else { fill(subject) };
    let text = if body.is_empty() { received_text(t, provider) } else { format!("{}\n", fill(body)) };
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n<p>{}</p>\n</body></html>\n",
        html(&subject),
        html(text.trim_end()),
    );
    (subject, text, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_s_acknowledgement_is_filled_in_and_escaped_in_html() {
        use balcao_domain::ticket::{Assignee, Named, TicketStatus};
        use balcao_domain::{ChannelId, ClientId, ResellerId, RoleId, TicketId, TicketTypeId};
        let t = Ticket {
            id: TicketId(7),
            protocol: "20261205-0007".into(),
            reseller_id: ResellerId(1),
            client_id: ClientId(2),
            client_name: "Ana".into(),
            subscription_id: None,
            routing_point_id: None,
            contact_name: "Ana <Souza>".into(),
            contact_email: None,
            problem: "x".into(),
            channel: Named { id: ChannelId(1), name: "E-mail".into() },
            ticket_type: Named { id: TicketTypeId(1), name: "Outros".into() },
            assignee: Assignee::Role(RoleId(1)),
            checks: String::new(),
            status: TicketStatus::Open,
            resolved_on_first_contact: false,
            resolution: String::new(),
            opened_by: None,
            created_at: chrono::Utc::now(),
            resolved_at: None,
        };
        let (subject, text, page) = provider_acknowledgement(
            &t,
            "Fibra Boa",
            "Protocolo {protocolo}",
            "Olá, {nome}!\nProtocolo {protocolo}.\n{provedor}",
        );
        assert_eq!(subject, "Protocolo 20261205-0007");
        assert_eq!(text, "Olá, Ana <Souza>!\nProtocolo 20261205-0007.\nFibra Boa\n");
        assert!(page.contains("Olá, Ana &lt;Souza&gt;!<br>\nProtocolo 20261205-0007.<br>\nFibra Boa</p>"), "{page}");
        let (subject, text, _) = provider_acknowledgement(&t, "Fibra Boa", "", "Seu protocolo: {protocolo}");
        assert_eq!(
            (subject.as_str(), text.as_str()),
            ("[20261205-0007] Recebemos sua mensagem", "Seu protocolo: 20261205-0007\n")
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(html("<b>\"A&B\"</b>\n"), "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;<br>\n");
    }

    #[test]
    fn a_long_problem_is_cut_on_a_character_boundary() {
        let long = "ã".repeat(3_000);
        let cut = problem_for_email(&long);
        assert_eq!(cut.chars().count(), 2_001);
        assert!(cut.ends_with('…'));
        assert_eq!(first_line("\n\n  Sem sinal  \nmais", 5), "Sem s");
    }
}
