//! What the CLI prints for people: pt-BR, with the web module's words. JSON
//! output is the domain types serialized; this is only the human form.

use std::fmt::Write as _;

use balcao_domain::client::Client;
use balcao_domain::finance::{ReceivableDetail, Statement, format_date};
use balcao_domain::ports::FailedUpdate;
use balcao_domain::search::SearchPage;
use balcao_domain::subscription::Subscription;
use balcao_domain::ticket::Ticket;

fn cut(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        format!("{s}{}", " ".repeat(width - n))
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A page of search results as a table.
pub fn search_page(page: &SearchPage) -> String {
    let mut out = String::new();
    if page.total == 0 {
        return "Nenhum cliente encontrado.\n".into();
    }
    let _ = writeln!(
        out,
        "{} {} {} {} Situação",
        cut("Código", 8),
        cut("Nome", 34),
        cut("Nome Fantasia", 22),
        cut("Cidade/UF", 26)
    );
    for c in &page.items {
        let city = if c.state.is_empty() { c.city.clone() } else { format!("{}/{}", c.city, c.state) };
        let _ = writeln!(
            out,
            "{} {} {} {} {}",
            cut(&c.code, 8),
            cut(&c.name, 34),
            cut(&c.trade_name, 22),
            cut(&city, 26),
            c.status.label()
        );
    }
    let total = if page.more_than_total {
        format!("mais de {} clientes encontrados; refine a busca", page.total)
    } else if page.total == 1 {
        "1 cliente encontrado".into()
    } else {
        format!("{} clientes encontrados", page.total)
    };
    let _ = writeln!(out, "\n{total} (página {} de {})", page.page + 1, page.pages());
    out
}

/// The client's Cadastro and Planos.
pub fn client_card(c: &Client, subscriptions: &[Subscription], show_documents: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Cliente {} - {}", c.code, c.name);
    let _ = writeln!(out, "\nCadastro");
    let line = |out: &mut String, label: &str, value: &str| {
        if !value.is_empty() {
            let _ = writeln!(out, "  {}{value}", cut(&format!("{label}:"), 16));
        }
    };
    line(&mut out, "Revenda", &c.reseller_name);
    line(&mut out, "Tipo", c.kind.label());
    line(&mut out, "Nome Fantasia", &c.trade_name);
    let doc = c.document.as_ref().map(|d| if show_documents { d.formatted() } else { d.masked() }).unwrap_or_default();
    line(&mut out, "CPF/CNPJ", &doc);
    line(&mut out, "RG/IE", &c.rg_ie);
    line(&mut out, "Nascimento", &c.birth_date.map(format_date).unwrap_or_default());
    line(&mut out, "Endereço", &c.address.one_line());
    line(&mut out, "Telefones", &c.phones.iter().map(|p| p.formatted()).collect::<Vec<_>>().join(", "));
    line(&mut out, "E-mails", &c.emails.join(", "));
    line(&mut out, "Situação", c.status.label());
    line(&mut out, "Observações", &c.notes);
    for u in &c.unverified {
        let _ = writeln!(out, "  {} (não verificado): {}", u.field.label(), u.shown(show_documents));
    }
    let _ = writeln!(out, "\nPlanos");
    if subscriptions.is_empty() {
        let _ = writeln!(out, "  Nenhum plano.");
    }
    for s in subscriptions {
        let _ = writeln!(
            out,
            "  {} - {}/mês - {} - vence dia {} - {}{}{}",
            s.plan_name,
            s.price,
            s.billing_method.label(),
            s.due_day.get(),
            s.status.label(),
            s.salesperson.as_deref().map(|v| format!(" - Vendedor: {v}")).unwrap_or_default(),
            s.routing_point.as_ref().map(|r| format!(" - Ponto: {}", r.name)).unwrap_or_default(),
        );
    }
    out
}

/// The Financeiro table with totals.
pub fn statement(s: &Statement) -> String {
    let mut out = String::new();
    let period = match (s.period.from, s.period.to) {
        (Some(f), Some(t)) => format!("Desde {} Até {}", format_date(f), format_date(t)),
        (Some(f), None) => format!("Desde {}", format_date(f)),
        (None, Some(t)) => format!("Até {}", format_date(t)),
        (None, None) => "Todo o período".into(),
    };
    let only = if s.period.open_only { " (só em aberto)" } else { "" };
    let _ = writeln!(out, "Financeiro - {period}{only}\n");
    if s.lines.is_empty() {
        let _ = writeln!(out, "Nenhum débito no período.");
        return out;
    }
    let _ = writeln!(
        out,
        "{} {} {} {:>14} {} {:>14}",
        cut("Nº", 7),
        cut("Data Venc.", 10),
        cut("Histórico", 40),
        "V.Lançado",
        cut("Dt. Baixa", 10),
        "Saldo"
    );
    for l in &s.lines {
        let r = &l.receivable;
        let _ = writeln!(
            out,
            "{} {} {} {:>14} {} {:>14}{}",
            cut(&r.id.to_string(), 7),
            format_date(r.due_date),
            cut(&r.description, 40),
            r.amount.to_string(),
            cut(&r.settled_on.map(format_date).unwrap_or_default(), 10),
            l.balance.to_string(),
            if l.overdue { "  VENCIDO" } else { "" }
        );
    }
    let _ = writeln!(
        out,
        "\nTotal lançado: {}   Pago: {}   Saldo: {}   Em atraso: {}",
        s.total_amount, s.total_paid, s.total_balance, s.total_overdue
    );
    out
}

/// One debit in full.
pub fn receivable_detail(d: &ReceivableDetail) -> String {
    let mut out = String::new();
    let r = &d.receivable;
    let _ = writeln!(out, "Débito {} - {}", r.id, r.description);
    let _ = writeln!(out, "  Data Venc.:  {}", format_date(r.due_date));
    let _ = writeln!(out, "  V.Lançado:   {}", r.amount);
    let _ = writeln!(out, "  Dt. Baixa:   {}", r.settled_on.map(format_date).unwrap_or_else(|| "-".into()));
    let _ = writeln!(out, "  Baixas:");
    if d.settlements.is_empty() {
        let _ = writeln!(out, "    nenhuma");
    }
    for s in &d.settlements {
        let _ = writeln!(out, "    {} {} - {}", format_date(s.paid_on), s.amount, s.how_and_who());
    }
    let _ = writeln!(out, "  Saldo:       {}", d.balance);
    if d.charges.days_late > 0 {
        let _ = writeln!(out, "  Dias em atraso: {}", d.charges.days_late);
        let _ = writeln!(out, "  Multa:       {}", d.charges.fine);
        let _ = writeln!(out, "  Juros:       {}", d.charges.interest);
    }
    let _ = writeln!(out, "  Valor atualizado em {}: {}", format_date(d.as_of), d.charges.updated);
    out
}

/// A ticket line for lists.
pub fn ticket_line(t: &Ticket) -> String {
    format!(
        "{} - {} - {} - {}",
        t.protocol,
        t.ticket_type.name,
        t.status.label(),
        t.problem.lines().next().unwrap_or("")
    )
}

/// Intake's stored contacts, one per line, in the provider's zone: when,
/// channel, sender, subject and what became of each.
pub fn deliveries(list: &[balcao_domain::intake::Delivery], tz: chrono_tz::Tz, failed_only: bool) -> String {
    use balcao_domain::intake::IntakeStatus;
    if list.is_empty() {
        return if failed_only {
            "Nenhum contato falhou nem ficou sem cliente.\n"
        } else {
            "Nenhum contato recebido.\n"
        }
        .to_owned();
    }
    let mut out = String::new();
    for d in list {
        let outcome = match (d.status, &d.protocol) {
            (IntakeStatus::Ticket | IntakeStatus::Reply, Some(p)) if !d.reason.is_empty() => {
                format!("{} {p} ({})", d.status.label(), d.reason)
            }
            (IntakeStatus::Ticket | IntakeStatus::Reply, Some(p)) => format!("{} {p}", d.status.label()),
            (IntakeStatus::Ignored | IntakeStatus::Unmatched | IntakeStatus::Failed, _) if !d.reason.is_empty() => {
                format!("{}: {}", d.status.label(), d.reason)
            }
            (status, _) => status.label().to_owned(),
        };
        let subject = if d.subject.is_empty() { "(sem assunto)" } else { d.subject.as_str() };
        let sender = if d.sender.is_empty() { "(remetente ilegível)" } else { d.sender.as_str() };
        let _ = writeln!(
            out,
            "nº {} - {} - {} - {sender} - \"{subject}\" - {outcome}",
            d.id,
            d.received_at.with_timezone(&tz).format("%d/%m/%Y %H:%M:%S"),
            d.channel.label(),
        );
    }
    out
}

/// The Telegram updates set aside as failed, newest first, in the provider's zone.
pub fn failed_updates(list: &[FailedUpdate], tz: chrono_tz::Tz) -> String {
    if list.is_empty() {
        return "Nenhuma atualização do Telegram falhou.\n".to_owned();
    }
    let mut out = String::new();
    for u in list {
        let _ = writeln!(
            out,
            "atualização {} - recebida {} - deixada de lado {} - {} tentativa(s) - {}",
            u.update_id,
            u.received_at.with_timezone(&tz).format("%d/%m/%Y %H:%M:%S"),
            u.failed_at.with_timezone(&tz).format("%d/%m/%Y %H:%M:%S"),
            u.attempts,
            u.reason
        );
    }
    out
}

/// Where a contact would go and why, for `balcao intake route`.
pub fn route(c: &balcao_domain::intake::Contact, setup: &balcao_domain::intake::IntakeSetup) -> String {
    use balcao_domain::intake::{automatic_reason, our_ticket, protocols_in};
    let mut out = String::new();
    let from = if c.from_address.is_empty() { c.phone.as_str() } else { c.from_address.as_str() };
    let _ = writeln!(out, "De: {}", if from.is_empty() { "(remetente ilegível)" } else { from });
    let _ = writeln!(out, "Assunto: {}", if c.subject.is_empty() { "(sem assunto)" } else { c.subject.as_str() });
    if !c.to.is_empty() {
        let _ = writeln!(out, "Para: {}", c.to.join(", "));
    }
    if let Some(reason) = automatic_reason(c) {
        let _ = writeln!(out, "Não abre atendimento nem recebe resposta: {reason}.");
        return out;
    }
    if let Some(ticket) = our_ticket(&c.references) {
        let _ = writeln!(out, "Resposta a um e-mail nosso: junta-se ao atendimento nº {ticket}.");
        return out;
    }
    if let Some(protocol) = protocols_in(&c.subject).first() {
        let _ = writeln!(
            out,
            "O assunto cita o protocolo {protocol}: junta-se a ele se for um atendimento do cliente que escreveu."
        );
    }
    match setup.reseller_of(c) {
        Some(reseller) => {
            let _ = writeln!(out, "Cliente procurado só na revenda {reseller} (intake.mailboxes).");
        }
        None => {
            let _ = writeln!(out, "Cliente procurado em todas as revendas, por e-mail, telefone e CPF/CNPJ.");
        }
    }
    let route = setup.route(c);
    let rule = route.rule.as_deref().map_or_else(|| "nenhuma".to_owned(), |r| format!("\"{r}\""));
    let _ = writeln!(out, "Regra: {rule} ({})", route.why);
    let _ = writeln!(out, "Vai para: {}", route.assignee);
    let _ = writeln!(out, "Tipo de atendimento: {}", route.ticket_type);
    out
}
