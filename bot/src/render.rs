//! The screens: text and buttons for each step, in pt-BR. Button data is
//! short ("cc:42") and carries ids that the desk checks again on every tap.

use std::fmt::Write as _;

use balcao_domain::client::{Client, ClientSummary};
use balcao_domain::finance::{ReceivableDetail, Statement, StatementLine, format_date};
use balcao_domain::search::{SearchFilter, SearchPage};
use balcao_domain::subscription::Subscription;
use balcao_domain::ticket::{Ticket, TicketDetail, TicketStatus};

use crate::desk::{Keyboard, Screen, button};
use crate::text;
use balcao_domain::callback::{Callback, PeriodCode, WizardStep};

/// Telegram refuses messages past 4096 characters.
const MAX_TEXT: usize = 3900;

fn screen(text: String, keyboard: Keyboard) -> Screen {
    let text = if text.chars().count() > MAX_TEXT {
        let mut t: String = text.chars().take(MAX_TEXT).collect();
        t.push_str("\n…");
        t
    } else {
        text
    };
    Screen { text, keyboard }
}

/// Items per page of a list.
const PAGE: usize = 8;

/// The slice of `items` on `page` (clamped; `usize::MAX` is the last page),
/// the page shown and how many pages there are.
pub(crate) fn page_of<T>(items: &[T], page: usize, per: usize) -> (&[T], usize, usize) {
    let pages = items.len().div_ceil(per).max(1);
    let page = page.min(pages - 1);
    let end = ((page + 1) * per).min(items.len());
    (&items[(page * per).min(end)..end], page, pages)
}

/// ◀ ▶ between pages, with the page in the button's data.
pub(crate) fn nav_row(page: usize, pages: usize, data: impl Fn(usize) -> String) -> Option<Vec<crate::desk::Button>> {
    let mut row = Vec::new();
    if page > 0 {
        row.push(button(text::PREV, data(page - 1)));
    }
    if page + 1 < pages {
        row.push(button(text::NEXT, data(page + 1)));
    }
    (!row.is_empty()).then_some(row)
}

/// The main menu.
pub(crate) fn menu() -> Screen {
    screen(
        text::menu_title(),
        vec![
            vec![button(text::SEARCH, Callback::PickFilter)],
            vec![button("➕ Novo Cliente", Callback::NewClient)],
            vec![
                button("📋 Meus atendimentos", Callback::MyTickets(0)),
                button("🔧 Minhas O.S.", Callback::MyWorkOrders(0)),
            ],
        ],
    )
}

/// Just a way back to the menu.
pub(crate) fn menu_button() -> Keyboard {
    vec![vec![button(text::MENU, Callback::Menu)]]
}

/// Which field to search.
pub(crate) fn pick_filter() -> Screen {
    let b = |f: SearchFilter| button(f.label(), Callback::Filter(f));
    screen(
        text::PICK_FILTER.into(),
        vec![
            vec![b(SearchFilter::Name), b(SearchFilter::TradeName)],
            vec![b(SearchFilter::City), b(SearchFilter::Phone)],
            vec![button(text::BACK, Callback::Menu)],
        ],
    )
}

/// Asks for the term.
pub(crate) fn ask_term(filter: SearchFilter) -> Screen {
    screen(
        text::ask_term(filter.label()),
        vec![vec![button(text::BACK, Callback::PickFilter), button(text::CANCEL, Callback::Menu)]],
    )
}

fn summary_label(c: &ClientSummary) -> String {
    let place = if c.state.is_empty() { c.city.clone() } else { format!("{}/{}", c.city, c.state) };
    let trade = if c.trade_name.is_empty() { String::new() } else { format!(" ({})", c.trade_name) };
    let status = if c.status == balcao_domain::client::ClientStatus::Active {
        String::new()
    } else {
        format!(" - {}", c.status.label())
    };
    format!("{}{trade} - {place}{status}", c.name)
}

/// A page of results: one button per client, ◀ ▶ between pages.
pub(crate) fn results(filter: SearchFilter, typed: &str, page: &SearchPage) -> Screen {
    let mut keyboard: Keyboard =
        page.items.iter().map(|c| vec![button(summary_label(c), Callback::Registration(c.id))]).collect();
    let mut nav = Vec::new();
    if page.page > 0 {
        nav.push(button(text::PREV, Callback::SearchPage(page.page - 1)));
    }
    if page.page + 1 < page.pages() {
        nav.push(button(text::NEXT, Callback::SearchPage(page.page + 1)));
    }
    if !nav.is_empty() {
        keyboard.push(nav);
    }
    keyboard.push(vec![button("🔎 Nova busca", Callback::PickFilter), button(text::MENU, Callback::Menu)]);
    screen(
        text::results_header(filter.label(), typed, page.total, page.more_than_total, page.page + 1, page.pages()),
        keyboard,
    )
}

fn tabs(c: &Client) -> Keyboard {
    let id = c.id;
    vec![
        vec![button(text::TAB_REGISTRATION, Callback::Registration(id)), button(text::TAB_PLANS, Callback::Plans(id))],
        vec![
            button(text::TAB_FINANCE, Callback::Finance(id, PeriodCode::Open, None)),
            button(text::TAB_TICKETS, Callback::ClientTickets(id, 0)),
        ],
        vec![button("📝 Novo Atendimento", Callback::NewTicket(id))],
        vec![button(text::BACK, Callback::BackToResults), button(text::MENU, Callback::Menu)],
    ]
}

fn title(c: &Client) -> String {
    format!("👤 {} - {} (cód. {})", c.name, c.reseller_name, c.code)
}

/// Cadastro.
pub(crate) fn registration(c: &Client, show_documents: bool) -> Screen {
    let mut t = format!("{}\n\nCadastro\n", title(c));
    let mut line = |label: &str, value: &str| {
        if !value.is_empty() {
            let _ = writeln!(t, "{label}: {value}");
        }
    };
    line("Tipo", c.kind.label());
    line("Nome Fantasia", &c.trade_name);
    let doc = c.document.as_ref().map(|d| if show_documents { d.formatted() } else { d.masked() }).unwrap_or_default();
    line("CPF/CNPJ", &doc);
    line("RG/IE", &c.rg_ie);
    let born = if c.kind == balcao_domain::client::ClientKind::Company { "Fundação" } else { "Nascimento" };
    line(born, &c.birth_date.map(format_date).unwrap_or_default());
    line("Endereço", &c.address.one_line());
    line("Telefones", &c.phones.iter().map(|p| p.formatted()).collect::<Vec<_>>().join(", "));
    line("E-mails", &c.emails.join(", "));
    line("Situação", c.status.label());
    line("Observações", &c.notes);
    for u in &c.unverified {
        line(&format!("{} ({})", u.field.label(), text::UNVERIFIED), &u.shown(show_documents));
    }
    screen(t, tabs(c))
}

/// Planos.
pub(crate) fn plans(c: &Client, subscriptions: &[Subscription]) -> Screen {
    let mut t = format!("{}\n\nPlanos\n", title(c));
    if subscriptions.is_empty() {
        t.push_str("Nenhum plano.\n");
    }
    for s in subscriptions {
        let _ = writeln!(
            t,
            "\n• {} - {}/mês ({})\n  {} - vencimento dia {}{}{}",
            s.plan_name,
            s.price,
            s.status.label(),
            s.billing_method.label(),
            s.due_day.get(),
            s.salesperson.as_deref().map(|v| format!("\n  Vendedor: {v}")).unwrap_or_default(),
            s.routing_point.as_ref().map(|r| format!("\n  Ponto de roteamento: {}", r.name)).unwrap_or_default(),
        );
    }
    let mut keyboard = vec![vec![button("➕ Adicionar Plano", Callback::AddPlan(c.id))]];
    keyboard.extend(tabs(c));
    screen(t, keyboard)
}

/// Financeiro for a period, newest debits first: lines, totals, period
/// choices, and a button per line to its detail.
pub(crate) fn finance(c: &Client, s: &Statement, period_code: PeriodCode, page: usize) -> Screen {
    const LINES: usize = 10;
    let id = c.id;
    let period = match (s.period.from, s.period.to, s.period.open_only) {
        (_, _, true) => text::PERIOD_OPEN_SHOWN.to_owned(),
        (Some(f), Some(t), _) => text::period_between(&format_date(f), &format_date(t)),
        _ => text::PERIOD_ALL_SHOWN.to_owned(),
    };
    let mut t = format!("{}\n\n{}\n", title(c), text::finance_title(&period));
    if s.lines.is_empty() {
        let _ = writeln!(t, "\n{}", text::NO_DEBITS);
    }
    let newest_first: Vec<&StatementLine> = s.lines.iter().rev().collect();
    let (shown, page, pages) = page_of(&newest_first, page, LINES);
    for l in shown {
        let r = &l.receivable;
        let _ = writeln!(t, "\n{} - {}", format_date(r.due_date), r.description);
        let state = match (r.settled_on, r.last_paid) {
            (Some(on), _) => text::debit_paid(&r.amount.to_string(), &format_date(on), &l.balance.to_string()),
            (None, Some((on, paid))) if l.balance.cents() > 0 => text::debit_part_paid(
                &r.amount.to_string(),
                &format_date(on),
                &paid.to_string(),
                &l.balance.to_string(),
            ),
            _ => text::debit_open(&r.amount.to_string(), &l.balance.to_string()),
        };
        let mark = if l.overdue { text::OVERDUE_MARK } else { "" };
        let _ = writeln!(t, "{state}{mark}");
    }
    if pages > 1 {
        let _ = writeln!(t, "\n{}", text::finance_page(page + 1, pages, s.lines.len()));
    }
    let _ = writeln!(
        t,
        "\n{}",
        text::finance_totals(&s.total_amount.to_string(), &s.total_balance.to_string(), &s.total_overdue.to_string())
    );
    let pick = |label: &str, code: PeriodCode| {
        let label = if code == period_code { format!("• {label}") } else { label.to_owned() };
        button(label, Callback::Finance(id, code, None))
    };
    let mut keyboard: Keyboard = vec![
        vec![pick(text::PERIOD_MONTH, PeriodCode::Month), pick(text::PERIOD_QUARTER, PeriodCode::Quarter)],
        vec![pick(text::PERIOD_OPEN, PeriodCode::Open), pick(text::PERIOD_ALL, PeriodCode::All)],
        vec![
            button(text::PERIOD_TYPED, Callback::AskPeriod(id)),
            button(text::REFRESH, Callback::Finance(id, period_code, Some(page))),
        ],
    ];
    for pair in shown.chunks(2) {
        keyboard.push(
            pair.iter()
                .map(|l| {
                    let due = format_date(l.receivable.due_date);
                    let label = if l.balance.cents() > 0 {
                        text::debit_button_open(&due, &l.balance.to_string())
                    } else {
                        text::debit_button_paid(&due)
                    };
                    button(label, Callback::Receivable(l.receivable.id, period_code, page))
                })
                .collect(),
        );
    }
    keyboard.extend(nav_row(page, pages, |p| Callback::Finance(id, period_code, Some(p)).encode()));
    keyboard.extend(tabs(c));
    screen(t, keyboard)
}

/// Asks for a typed Desde / Até.
pub(crate) fn ask_period(c: &Client) -> Screen {
    screen(
        format!("{}\n\n{}", title(c), text::ASK_PERIOD),
        vec![vec![button(text::BACK, Callback::Finance(c.id, PeriodCode::Open, None))]],
    )
}

/// One debit in full: its baixas (how and by whom), its saldo, and what it
/// is worth today. Voltar returns to the period and page it was opened from.
pub(crate) fn receivable(d: &ReceivableDetail, period: PeriodCode, page: usize) -> Screen {
    let r = &d.receivable;
    let mut t = format!("{}\n{}\n\n", text::debit_title(r.id.0), r.description);
    let _ = writeln!(t, "{}: {}", text::DUE_DATE, format_date(r.due_date));
    let _ = writeln!(t, "{}: {}", text::AMOUNT, r.amount);
    let _ = writeln!(t, "{}: {}", text::SETTLED_ON, r.settled_on.map(format_date).unwrap_or_else(|| "-".into()));
    if d.settlements.is_empty() {
        let _ = writeln!(t, "{}", text::NO_SETTLEMENTS);
    } else {
        let _ = writeln!(t, "{}:", text::SETTLEMENTS);
        for s in &d.settlements {
            let _ = writeln!(t, "  {} {} - {}", format_date(s.paid_on), s.amount, s.how_and_who());
        }
    }
    let _ = writeln!(t, "{}: {}", text::BALANCE, d.balance);
    if d.charges.days_late > 0 {
        let _ = writeln!(t, "\n{}", text::days_late(d.charges.days_late));
        let _ = writeln!(t, "{}: {}", text::FINE, d.charges.fine);
        let _ = writeln!(t, "{}: {}", text::INTEREST, d.charges.interest);
    }
    let _ = writeln!(t, "\n{}", text::updated_value(&format_date(d.as_of), &d.charges.updated.to_string()));
    screen(t, vec![vec![button(text::BACK, Callback::Finance(r.client_id, period, Some(page)))]])
}

fn ticket_label(t: &Ticket) -> String {
    format!("{} - {} - {}", t.protocol, t.ticket_type.name, t.status.label())
}

/// Atendimentos of a client, a page at a time.
pub(crate) fn tickets(c: &Client, list: &[Ticket], page: usize) -> Screen {
    let mut t = format!("{}\n\nAtendimentos\n", title(c));
    if list.is_empty() {
        t.push_str("\nNenhum atendimento.\n");
    }
    let (shown, page, pages) = page_of(list, page, PAGE);
    let mut keyboard: Keyboard = Vec::new();
    for ticket in shown {
        let _ = writeln!(t, "\n{}\n{}", ticket_label(ticket), first_line(&ticket.problem));
        keyboard.push(vec![button(ticket_label(ticket), Callback::Ticket(ticket.id))]);
    }
    if pages > 1 {
        let _ = writeln!(t, "\n(página {} de {}, {} atendimentos)", page + 1, pages, list.len());
    }
    keyboard.extend(nav_row(page, pages, |p| Callback::ClientTickets(c.id, p).encode()));
    keyboard.extend(tabs(c));
    screen(t, keyboard)
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(119).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// One ticket with its history; `extra`, what the ticket names by id (its
/// Plano, its Ponto de Roteamento), as label and value.
pub(crate) fn ticket(d: &TicketDetail, assignee: &str, extra: &[(&str, String)]) -> Screen {
    let tk = &d.ticket;
    let mut t = format!("Atendimento {}\nCliente: {}\n\n", tk.protocol, tk.client_name);
    for (label, value) in extra {
        let _ = writeln!(t, "{label}: {value}");
    }
    let _ = writeln!(t, "Tipo de Atendimento: {}", tk.ticket_type.name);
    let _ = writeln!(t, "Tipo de Contato: {}", tk.channel.name);
    let _ = writeln!(t, "Situação: {}", tk.status.label());
    let _ = writeln!(t, "Destino: {assignee}");
    let _ = writeln!(t, "Nome da Pessoa: {}", tk.contact_name);
    let _ = writeln!(t, "Problema: {}", tk.problem);
    if !tk.checks.is_empty() {
        let _ = writeln!(t, "Verificações: {}", tk.checks);
    }
    if tk.status == TicketStatus::Resolved && !tk.resolution.is_empty() {
        let _ = writeln!(t, "Solução: {}", tk.resolution);
    }
    for wo in &d.work_orders {
        let _ = writeln!(
            t,
            "\nO.S. {} - {} das {} às {} - {}\n{}\nEndereço: {}",
            wo.id,
            format_date(wo.date),
            wo.window_start.format("%H:%M"),
            wo.window_end.format("%H:%M"),
            wo.status.label(),
            wo.task,
            wo.address
        );
    }
    t.push_str("\nHistórico\n");
    // The newest matter most: a long history shows its last entries.
    let skipped = d.history.len().saturating_sub(15);
    if skipped > 0 {
        let _ = writeln!(t, "({skipped} registros anteriores)");
    }
    for e in &d.history[skipped..] {
        let _ = writeln!(t, "{} - {}: {}", e.at.format("%d/%m/%Y %H:%M"), e.actor_name, first_line(&e.detail));
    }
    screen(
        t,
        vec![vec![button(text::BACK, Callback::ClientTickets(tk.client_id, 0)), button(text::MENU, Callback::Menu)]],
    )
}

/// Meus atendimentos, a page at a time.
pub(crate) fn my_tickets(list: &[Ticket], page: usize) -> Screen {
    if list.is_empty() {
        return screen(text::MY_TICKETS_EMPTY.into(), vec![vec![button(text::MENU, Callback::Menu)]]);
    }
    let (shown, page, pages) = page_of(list, page, PAGE);
    let mut t = format!("Meus atendimentos ({} abertos)\n", list.len());
    let mut keyboard: Keyboard = Vec::new();
    for ticket in shown {
        let _ = writeln!(t, "\n{} - {}\n{}", ticket_label(ticket), ticket.client_name, first_line(&ticket.problem));
        keyboard
            .push(vec![button(format!("{} - {}", ticket.protocol, ticket.client_name), Callback::Ticket(ticket.id))]);
    }
    if pages > 1 {
        let _ = writeln!(t, "\n(página {} de {})", page + 1, pages);
    }
    keyboard.extend(nav_row(page, pages, |p| Callback::MyTickets(p).encode()));
    keyboard.push(vec![button(text::MENU, Callback::Menu)]);
    screen(t, keyboard)
}

/// The client already registered with the document typed in Novo Cliente.
pub(crate) fn duplicate(existing: &ClientSummary) -> Screen {
    screen(
        format!(
            "Já existe um cliente com este CPF/CNPJ:\n{} (cód. {}) - {}\n\nAbra o cadastro existente ou digite outro documento.",
            existing.name,
            existing.code,
            summary_label(existing)
        ),
        vec![
            vec![button("Abrir cliente existente", Callback::Registration(existing.id))],
            vec![
                button(text::BACK, Callback::Wizard(WizardStep::Back)),
                button(text::CANCEL, Callback::Wizard(WizardStep::Cancel)),
            ],
        ],
    )
}

/// A ticket with the actions of Manutenção do Atendimento.
pub(crate) fn ticket_with_actions(
    d: &TicketDetail,
    assignee: &str,
    extra: &[(&str, String)],
    actor: &balcao_domain::staff::Actor,
) -> Screen {
    let mut s = ticket(d, assignee, extra);
    let t = d.ticket.id;
    let mut rows: Keyboard = Vec::new();
    if d.ticket.status == TicketStatus::Resolved {
        rows.push(vec![button("📝 Anotar", Callback::Note(t)), button("↺ Reabrir", Callback::Reopen(t))]);
    } else {
        if let balcao_domain::ticket::Assignee::Role(role) = d.ticket.assignee
            && actor.roles.contains(&role)
        {
            rows.push(vec![button("🙋 Assumir", Callback::Take(t))]);
        }
        rows.push(vec![button("📝 Anotar", Callback::Note(t)), button("Situação", Callback::PickStatus(t))]);
        rows.push(vec![
            button("Encaminhar", Callback::Forward(t, 0)),
            button("✅ Atendimento Resolvido", Callback::Resolve(t)),
        ]);
        if d.ticket.contact_email.is_some() {
            rows.push(vec![
                button(crate::text::REPLY_BUTTON, Callback::Reply(t)),
                button(crate::text::MESSAGES_BUTTON, Callback::Messages(t, 0)),
            ]);
        }
        for wo in d.work_orders.iter().filter(|w| w.status == balcao_domain::ticket::WorkOrderStatus::Scheduled) {
            let label = if wo.technician.is_some() { "Trocar técnico" } else { "Definir técnico" };
            rows.push(vec![button(format!("🔧 {label} da O.S. {}", wo.id), Callback::PickTechnician(wo.id, 0))]);
        }
        // A reopened ticket (or one that never had a visit) can ask for one.
        let going = d.work_orders.iter().any(|w| {
            matches!(
                w.status,
                balcao_domain::ticket::WorkOrderStatus::Scheduled | balcao_domain::ticket::WorkOrderStatus::InProgress
            )
        });
        if !going {
            rows.push(vec![button(text::REQUEST_WORK_ORDER, Callback::RequestWorkOrder(t))]);
        }
    }
    rows.extend(s.keyboard);
    s.keyboard = rows;
    s
}

/// Messages of a ticket shown on one page.
const MESSAGES_PER_PAGE: usize = 3;
/// Characters of one message shown.
const MESSAGE_CHARS: usize = 1200;

/// The conversation with the client of a ticket that came by e-mail or form:
/// what the client wrote and what was answered, in full, newest first, a few a
/// page. `opened_at` is the ticket's opening on the provider's clock (the
/// history's times already are).
pub(crate) fn messages(d: &TicketDetail, opened_at: chrono::NaiveDateTime, page: usize) -> Screen {
    let tk = &d.ticket;
    let mut all: Vec<(chrono::NaiveDateTime, String, &str)> =
        vec![(opened_at, format!("{} (cliente)", tk.contact_name), tk.problem.as_str())];
    for e in &d.history {
        match e.kind.as_str() {
            "client_wrote" => all.push((e.at.naive_utc(), format!("{} (cliente)", tk.contact_name), &e.detail)),
            "replied" => all.push((e.at.naive_utc(), format!("{} (resposta)", e.actor_name), &e.detail)),
            _ => {}
        }
    }
    all.reverse();
    let (shown, page, pages) = page_of(&all, page, MESSAGES_PER_PAGE);
    let mut t = format!("✉ Mensagens do atendimento {} - {} no total", tk.protocol, all.len());
    if pages > 1 {
        let _ = write!(t, " (página {} de {pages})", page + 1);
    }
    t.push('\n');
    for (at, who, text) in shown {
        let mut body: String = text.chars().take(MESSAGE_CHARS).collect();
        if body.len() < text.len() {
            body.push_str(" […]");
        }
        let _ = write!(t, "\n{} - {who}:\n{body}\n", at.format("%d/%m/%Y %H:%M"));
    }
    let mut keyboard: Keyboard = Vec::new();
    keyboard.extend(nav_row(page, pages, |p| Callback::Messages(tk.id, p).encode()));
    keyboard.push(vec![button(text::BACK, Callback::Ticket(tk.id)), button(text::MENU, Callback::Menu)]);
    screen(t, keyboard)
}

/// An answer to the client, shown back before it goes.
pub(crate) fn confirm_reply(t: balcao_domain::TicketId, draft: &str) -> Screen {
    Screen {
        text: crate::text::confirm_reply(draft),
        keyboard: vec![
            vec![
                button(crate::text::REPLY_SEND, Callback::SendReply(t)),
                button(crate::text::REPLY_REWRITE, Callback::Reply(t)),
            ],
            vec![button(crate::text::CANCEL, Callback::Ticket(t))],
        ],
    }
}

/// The statuses a ticket can be put in by hand.
pub(crate) fn pick_status(t: balcao_domain::TicketId) -> Screen {
    screen(
        "Nova situação do atendimento:".into(),
        vec![
            vec![button(TicketStatus::Open.label(), Callback::SetStatus(t, 0))],
            vec![button(TicketStatus::InProgress.label(), Callback::SetStatus(t, 1))],
            vec![button(TicketStatus::WaitingClient.label(), Callback::SetStatus(t, 2))],
            vec![button(text::BACK, Callback::Ticket(t))],
        ],
    )
}

/// Whom to pass a ticket to: a user or a role.
pub(crate) fn pick_assignee(
    t: balcao_domain::TicketId,
    staff: &[balcao_domain::staff::Staff],
    roles: &[balcao_domain::staff::Role],
    page: usize,
) -> Screen {
    let mut keyboard: Keyboard = roles
        .chunks(2)
        .map(|pair| {
            pair.iter().map(|r| button(format!("Cargo {}", r.name), Callback::ForwardToRole(t, r.id))).collect()
        })
        .collect();
    // Users a page at a time: a big reseller's staff would not fit one message's buttons.
    let (shown, page, pages) = page_of(staff, page, 2 * PAGE);
    keyboard.extend(
        shown
            .chunks(2)
            .map(|pair| pair.iter().map(|s| button(s.name.clone(), Callback::ForwardToUser(t, s.id))).collect()),
    );
    keyboard.extend(nav_row(page, pages, |p| Callback::Forward(t, p).encode()));
    keyboard.push(vec![button(text::BACK, Callback::Ticket(t))]);
    let mut t = "Encaminhar para (Destino: Cargo ou Usuário):".to_owned();
    if pages > 1 {
        let _ = write!(t, "\n(usuários: página {} de {})", page + 1, pages);
    }
    screen(t, keyboard)
}

/// Which technician to give a work order to, a page at a time.
pub(crate) fn pick_technician(
    wo: &balcao_domain::ticket::WorkOrder,
    technicians: &[balcao_domain::staff::Staff],
    page: usize,
) -> Screen {
    let back = vec![button(text::BACK, Callback::Ticket(wo.ticket_id))];
    if technicians.is_empty() {
        return screen(format!("O.S. {}: nenhum técnico de campo atende esta revenda.", wo.id), vec![back]);
    }
    let (shown, page, pages) = page_of(technicians, page, PAGE);
    let mut t = format!(
        "O.S. {} - {} das {} às {}\nPara qual técnico?",
        wo.id,
        format_date(wo.date),
        wo.window_start.format("%H:%M"),
        wo.window_end.format("%H:%M")
    );
    if pages > 1 {
        let _ = write!(t, "\n(página {} de {})", page + 1, pages);
    }
    let mut keyboard: Keyboard = shown
        .iter()
        .map(|s| {
            let mark = if wo.technician == Some(s.id) { "✓ " } else { "" };
            vec![button(format!("{mark}{}", s.name), Callback::AssignTechnician(wo.id, s.id))]
        })
        .collect();
    keyboard.extend(nav_row(page, pages, |p| Callback::PickTechnician(wo.id, p).encode()));
    keyboard.push(back);
    screen(t, keyboard)
}

/// Minhas O.S., a page at a time: where, when, for whom and why.
pub(crate) fn my_work_orders(list: &[balcao_domain::ticket::WorkOrder], page: usize) -> Screen {
    if list.is_empty() {
        return screen(text::MY_WORK_ORDERS_EMPTY.into(), vec![vec![button(text::MENU, Callback::Menu)]]);
    }
    let (shown, page, pages) = page_of(list, page, PAGE);
    let mut t = text::my_work_orders_title(list.len());
    let mut keyboard: Keyboard = Vec::new();
    for wo in shown {
        let when =
            format!("{} {}-{}", format_date(wo.date), wo.window_start.format("%H:%M"), wo.window_end.format("%H:%M"));
        let _ = writeln!(t, "\nO.S. {} - {when} - {}\n{}", wo.id, wo.status.label(), wo.client_name);
        let _ = writeln!(t, "{}", first_line(&wo.address));
        if let Some(phone) = wo.phones.first() {
            let _ = writeln!(t, "{}: {} - {}", text::CONTACT, wo.contact_name, phone.international());
        }
        let _ = writeln!(t, "{}: {}", text::PROBLEM, first_line(&wo.problem));
        keyboard
            .push(vec![button(format!("O.S. {} - {when} - {}", wo.id, wo.client_name), Callback::WorkOrder(wo.id))]);
    }
    if pages > 1 {
        let _ = writeln!(t, "\n(página {} de {})", page + 1, pages);
    }
    keyboard.extend(nav_row(page, pages, |p| Callback::MyWorkOrders(p).encode()));
    keyboard.push(vec![button(text::MENU, Callback::Menu)]);
    screen(t, keyboard)
}

/// One work order, with what the technician needs on the way and can do there.
pub(crate) fn work_order(wo: &balcao_domain::ticket::WorkOrder) -> Screen {
    use balcao_domain::ticket::WorkOrderStatus;
    let mut t = format!(
        "O.S. {} - {}\n{} das {} às {}\n\n{}: {}\n",
        wo.id,
        wo.status.label(),
        format_date(wo.date),
        wo.window_start.format("%H:%M"),
        wo.window_end.format("%H:%M"),
        text::CLIENT,
        wo.client_name,
    );
    let _ = writeln!(t, "{}: {}", text::CONTACT, wo.contact_name);
    // In the international form Telegram makes each number a tap to call.
    for phone in &wo.phones {
        let _ = writeln!(t, "{}: {}", text::PHONE, phone.international());
    }
    let _ = writeln!(t, "{}: {}", text::ADDRESS, wo.address);
    if let Some(plan) = &wo.plan {
        let _ = writeln!(t, "{}: {plan}", text::PLAN);
    }
    let _ = writeln!(t, "{}: {}", text::PROBLEM, wo.problem);
    let _ = writeln!(t, "{}: {}", text::TASK, wo.task);
    if !wo.outcome.is_empty() {
        let _ = writeln!(t, "{}: {}", text::OUTCOME, wo.outcome);
    }
    let mut keyboard: Keyboard = Vec::new();
    match wo.status {
        WorkOrderStatus::Scheduled => {
            keyboard.push(vec![
                button(text::START, Callback::StartWorkOrder(wo.id)),
                button(text::GIVE_BACK, Callback::GiveBack(wo.id)),
            ]);
        }
        WorkOrderStatus::InProgress => {
            keyboard.push(vec![
                button(text::FINISH, Callback::FinishWorkOrder(wo.id)),
                button(text::GIVE_BACK, Callback::GiveBack(wo.id)),
            ]);
        }
        _ => {}
    }
    keyboard.push(vec![
        button(text::VIEW_TICKET, Callback::WorkOrderTicket(wo.id)),
        button(text::BACK, Callback::MyWorkOrders(0)),
    ]);
    screen(t, keyboard)
}

#[cfg(test)]
mod tests {
    use balcao_domain::client::{Address, Client, ClientKind, ClientStatus, Unverified, UnverifiedField};
    use balcao_domain::{ClientId, ResellerId};

    use super::*;

    fn client(unverified: Vec<Unverified>) -> Client {
        Client {
            id: ClientId(1),
            code: "2001".into(),
            reseller_id: ResellerId(1),
            reseller_name: "Litoral Net".into(),
            kind: ClientKind::Person,
            name: "Maria Souza".into(),
            trade_name: String::new(),
            document: None,
            rg_ie: String::new(),
            birth_date: None,
            address: Address::default(),
            phones: Vec::new(),
            emails: Vec::new(),
            notes: String::new(),
            status: ClientStatus::Active,
            unverified,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn registration_shows_values_kept_aside_as_not_verified() {
        let c = client(vec![
            Unverified { field: UnverifiedField::Phone, raw: "98765-4321".into() },
            Unverified { field: UnverifiedField::Document, raw: "529.982.247-24".into() },
        ]);
        let hidden = registration(&c, false).text;
        assert!(hidden.contains("Telefone (não verificado): 98765-4321"), "{hidden}");
        assert!(hidden.contains("CPF/CNPJ (não verificado): ***.***.***-24"), "{hidden}");
        let whole = registration(&c, true).text;
        assert!(whole.contains("CPF/CNPJ (não verificado): 529.982.247-24"), "{whole}");
        assert!(!registration(&client(Vec::new()), true).text.contains("não verificado"));
    }
}
