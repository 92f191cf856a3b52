//! Every sentence and button the bot shows, in pt-BR with the web module's
//! words. Handlers never spell text of their own.

/// Buttons.
pub const SEARCH: &str = "🔎 Buscar cliente";
/// Back to the previous screen.
pub const BACK: &str = "◀ Voltar";
/// Leave the current flow.
pub const CANCEL: &str = "✖ Cancelar";
/// Previous page.
pub const PREV: &str = "◀";
/// Next page.
pub const NEXT: &str = "▶";
/// Client card tabs.
pub const TAB_REGISTRATION: &str = "Cadastro";
/// Client card tabs.
pub const TAB_PLANS: &str = "Planos";
/// Client card tabs.
pub const TAB_FINANCE: &str = "Financeiro";
/// Client card tabs.
pub const TAB_TICKETS: &str = "Atendimentos";
/// Beside a value an import kept as it came, because it did not read.
pub const UNVERIFIED: &str = "não verificado";
/// Refresh.
pub const REFRESH: &str = "Atualizar";
/// Main menu.
pub const MENU: &str = "☰ Menu";
/// Finance quick periods.
pub const PERIOD_MONTH: &str = "Este mês";
/// Finance quick periods.
pub const PERIOD_QUARTER: &str = "Últimos 3 meses";
/// Finance quick periods.
pub const PERIOD_OPEN: &str = "Em aberto";
/// Finance quick periods.
pub const PERIOD_ALL: &str = "Tudo";
/// Finance typed period.
pub const PERIOD_TYPED: &str = "Desde / Até…";

/// Shown to anyone who is not a linked staff member: says nothing about clients.
pub const STRANGER: &str = "Olá! Este é o balcão de atendimento interno do provedor e é só para a equipe.\n\
Se você trabalha aqui, peça ao seu supervisor um código de convite e envie: /start CÓDIGO";
/// A wrong, used or expired invite code.
pub const BAD_INVITE: &str = "Código de convite inválido, já usado ou vencido. Peça um novo ao seu supervisor.";
/// The account is already linked to someone else.
pub const ALREADY_LINKED: &str = "Esta conta do Telegram já está ligada a outro usuário. Fale com o seu supervisor.";

/// Welcome after linking.
pub fn welcome(name: &str) -> String {
    format!("Bem-vindo(a), {name}! Sua conta está ligada ao balcão.\n\n{}", menu_title())
}

/// The main menu's title.
pub fn menu_title() -> String {
    "Balcão - o que você quer fazer?\n\nDica: digite um nome a qualquer momento para buscar clientes.".into()
}

/// Asks which field to search.
pub const PICK_FILTER: &str = "Buscar cliente por:";

/// Asks for the term.
pub fn ask_term(filter_label: &str) -> String {
    match filter_label {
        "Telefone" => "Digite o telefone (pelo menos 4 números), em qualquer formato:".into(),
        "Cidade" => "Digite a cidade (pelo menos 3 letras):".into(),
        other => format!("Digite o {} (pelo menos 3 letras):", other.to_lowercase()),
    }
}

/// No match.
pub fn nothing_found(filter_label: &str, term: &str) -> String {
    format!(
        "Nenhum cliente encontrado com {} \"{term}\".\n\nDigite outro termo ou volte ao menu.",
        filter_label.to_lowercase()
    )
}

/// Results header.
pub fn results_header(filter_label: &str, term: &str, total: usize, more: bool, page: usize, pages: usize) -> String {
    let count = if more {
        format!("mais de {total} clientes; digite um termo mais longo para refinar")
    } else if total == 1 {
        "1 cliente".into()
    } else {
        format!("{total} clientes")
    };
    format!("{filter_label} \"{term}\": {count} (página {page} de {pages}).\nEscolha o cliente:")
}

/// Ends a screen too long for Telegram, cut to fit.
pub const CUT: &str = "\n\n✂ Texto cortado: longo demais para o Telegram.";
/// A stale or forged button.
pub const STALE: &str = "Esta tela não vale mais. Use /menu para recomeçar.";
/// Something the user may not see, or that does not exist.
pub const NOT_FOUND: &str = "Não encontrado, ou fora do seu acesso.";
/// Why an update was set aside, for the operator's list of failed updates.
pub const FAILED_ERROR: &str = "erro ao tratar (a causa está no log)";
/// Idem, when the handler panicked.
pub const FAILED_PANIC: &str = "pânico ao tratar (o ponto está no log)";
/// Idem, when the service stopped in the middle.
pub const FAILED_CANCELLED: &str = "interrompido: o serviço parou no meio";
/// Idem, when workers died on it again and again.
pub fn failed_after(attempts: i64) -> String {
    format!("abandonado após {attempts} tentativas")
}
/// Idem, when the stored update could not be read.
pub const FAILED_UNREADABLE: &str = "atualização ilegível";
/// A failure of ours: what a person hears when their update could not be handled.
pub const FAILURE: &str = "Não consegui fazer isso agora. Tente de novo em instantes.";
/// Typed text that is not expected here.
pub const CANCELLED: &str = "Cancelado.";

/// Help.
pub const HELP: &str = "Comandos:\n\
/menu - menu principal\n\
/buscar - buscar cliente\n\
/meus - meus atendimentos\n\
/contatos - contatos sem cliente (e-mails e formulários a vincular)\n\
/cancelar - cancela o que estiver fazendo\n\
/ajuda - esta ajuda\n\n\
A qualquer momento, digite um nome para buscar clientes, ou um telefone, \
CPF/CNPJ ou protocolo para ir direto ao cliente ou ao atendimento.";

/// The Bot API command list, as Telegram shows it.
pub const COMMANDS: [(&str, &str); 6] = [
    ("menu", "Menu principal"),
    ("buscar", "Buscar cliente"),
    ("meus", "Meus atendimentos"),
    ("contatos", "Contatos sem cliente"),
    ("ajuda", "Ajuda"),
    ("cancelar", "Cancelar o que estiver fazendo"),
];

/// Financeiro's heading for the period shown.
pub fn finance_title(period: &str) -> String {
    format!("Financeiro - {period}")
}
/// The open debits, as the heading names them.
pub const PERIOD_OPEN_SHOWN: &str = "em aberto";
/// Every debit, as the heading names them.
pub const PERIOD_ALL_SHOWN: &str = "todo o período";
/// A Desde / Até period, as the heading names it.
pub fn period_between(from: &str, to: &str) -> String {
    format!("desde {from} até {to}")
}
/// A period with no debits.
pub const NO_DEBITS: &str = "Nenhum débito no período.";
/// A debit with nothing paid.
pub fn debit_open(amount: &str, balance: &str) -> String {
    format!("V. Lançado {amount} | Dt. Baixa - | Saldo {balance}")
}
/// A debit paid in full.
pub fn debit_paid(amount: &str, settled_on: &str, balance: &str) -> String {
    format!("V. Lançado {amount} | Dt. Baixa {settled_on} | Saldo {balance}")
}
/// A debit paid in part: its last baixa and what is left.
pub fn debit_part_paid(amount: &str, last_on: &str, last_amount: &str, rest: &str) -> String {
    format!("V. Lançado {amount} | Última baixa {last_on} {last_amount} | Resta {rest}")
}
/// Beside an overdue debit.
pub const OVERDUE_MARK: &str = " ⚠️ VENCIDO";
/// Which page of the debits, newest first.
pub fn finance_page(page: usize, pages: usize, debits: usize) -> String {
    format!("(página {page} de {pages}, {debits} débitos; ▶ mais antigos)")
}
/// Financeiro's totals.
pub fn finance_totals(amount: &str, balance: &str, overdue: &str) -> String {
    format!("Total lançado: {amount}\nSaldo: {balance}\nEm atraso: {overdue}")
}
/// A debit's button, while something is owed.
pub fn debit_button_open(due: &str, balance: &str) -> String {
    format!("{due} {balance}")
}
/// A paid debit's button.
pub fn debit_button_paid(due: &str) -> String {
    format!("{due} ✅ pago")
}
/// A debit's detail heading.
pub fn debit_title(id: i64) -> String {
    format!("Débito nº {id}")
}
/// Data Venc.
pub const DUE_DATE: &str = "Data Venc.";
/// V. Lançado.
pub const AMOUNT: &str = "V. Lançado";
/// Dt. Baixa.
pub const SETTLED_ON: &str = "Dt. Baixa";
/// The baixas of a debit.
pub const SETTLEMENTS: &str = "Baixas";
/// A debit with no baixa.
pub const NO_SETTLEMENTS: &str = "Baixas: nenhuma";
/// Saldo.
pub const BALANCE: &str = "Saldo";
/// How late a debit is.
pub fn days_late(days: i64) -> String {
    format!("Em atraso há {days} dias")
}
/// Multa.
pub const FINE: &str = "Multa";
/// Juros.
pub const INTEREST: &str = "Juros";
/// What the debit is worth on a day.
pub fn updated_value(on: &str, value: &str) -> String {
    format!("Valor atualizado em {on}: {value}")
}

/// Asks for a typed period.
pub const ASK_PERIOD: &str = "Digite o período como \"Desde Até\", por exemplo: 01/09/2026 30/11/2026";

/// "Meus atendimentos" is not here yet.
pub const MY_TICKETS_EMPTY: &str = "Nenhum atendimento aberto para você ou o seu cargo.";

/// A reason from the rules, as a sentence: its first letter capitalized.
pub fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Answer to Assumir tapped in a role's group.
pub const TAKEN_FROM_GROUP: &str = "Você assumiu o atendimento. Ele está na sua conversa com o bot.";
/// Answer to "Ver atendimento" tapped in a role's group.
pub const SENT_PRIVATELY: &str = "Enviei o atendimento na sua conversa com o bot.";
/// A group button for a ticket the person may not see.
pub const GROUP_NOT_YOURS: &str = "Você não tem acesso a este atendimento.";
/// A group button that no longer means anything.
pub const GROUP_STALE: &str = "Este botão não vale mais.";

/// Answer to /grupo in a group: its id, and how to send a role's tickets there.
pub fn group_id(chat_id: i64) -> String {
    format!(
        "O id deste grupo é {chat_id}.\nPara que os atendimentos de um cargo venham para cá, rode no servidor:\n\
         balcao roles group \"Suporte N1\" {chat_id}\n(acrescente --reseller \"Nome da revenda\" para só os de uma revenda)."
    )
}

/// Button on a ticket that came by e-mail or form: answer the client.
pub const REPLY_BUTTON: &str = "✉ Responder ao cliente";
/// What the answer prompt asks.
pub const REPLY_PROMPT: &str = "Digite a resposta ao cliente. Ela vai por e-mail, assinada com o nome do provedor; \
     você confirma antes do envio.";
/// An answer too short to send.
pub const REPLY_TOO_SHORT: &str = "Escreva a resposta ao cliente.";
/// Button on a ticket that came by e-mail or form: its conversation with the client.
pub const MESSAGES_BUTTON: &str = "💬 Mensagens";
/// Button: send the answer shown.
pub const REPLY_SEND: &str = "✉ Enviar";
/// Button: type the answer again.
pub const REPLY_REWRITE: &str = "✏ Reescrever";
/// Said once the answer is queued.
pub const REPLY_SENT: &str = "Resposta registrada no atendimento; o e-mail segue ao cliente em instantes.";

/// The answer shown back before it goes.
pub fn confirm_reply(draft: &str) -> String {
    format!("Enviar esta resposta ao cliente por e-mail?\n\n{draft}")
}

/// Asked for a note on a ticket.
pub const ASK_NOTE: &str = "Digite a anotação:";
/// Asked when resolving a ticket.
pub const ASK_RESOLUTION: &str = "Como o atendimento foi resolvido?";
/// Asked when reopening a ticket.
pub const ASK_REOPENING: &str = "Por que reabrir o atendimento?";
/// Asked when finishing a work order.
pub const ASK_OUTCOME: &str = "O que foi feito na visita?";
/// Asked when giving a work order back.
pub const ASK_GIVE_BACK: &str = "Por que devolver a O.S.?";
/// Said once a note is saved.
pub const NOTE_SAVED: &str = "Anotação registrada.";
/// Said once a ticket is resolved.
pub const RESOLVED: &str = "Atendimento resolvido.";
/// Said once a ticket is reopened.
pub const REOPENED: &str = "Atendimento reaberto.";
/// Said once a ticket is taken.
pub const TAKEN: &str = "Você assumiu o atendimento.";
/// Said once a work order is started.
pub const WORK_ORDER_STARTED: &str = "O.S. iniciada.";
/// Said once a work order is finished.
pub const WORK_ORDER_DONE: &str = "O.S. concluída.";
/// Said once a work order is given back.
pub const WORK_ORDER_GIVEN_BACK: &str = "O.S. devolvida.";

/// Said once a ticket's situation changed.
pub fn status_set(label: &str) -> String {
    format!("Situação: {label}")
}

/// Said once a ticket is forwarded.
pub fn forwarded(to: &str) -> String {
    format!("Encaminhado para {to}")
}

/// Said once a work order is sent to a technician.
pub fn work_order_for(id: i64, technician: &str) -> String {
    format!("O.S. {id} para {technician}")
}

/// A visit date before today.
pub const VISIT_IN_PAST: &str = "A data da visita já passou: escolha hoje ou uma data futura.";
/// Said over the Planos tab once a plan is added.
pub const PLAN_ADDED: &str = "✅ Plano adicionado.";

/// Text typed at the period prompt that is not a period.
pub const NOT_A_PERIOD: &str = "Isso não é um período.";

/// A protocol number typed that names no ticket the person may see.
pub fn no_protocol(protocol: &str) -> String {
    format!("Nenhum atendimento com o protocolo {protocol} no seu acesso.")
}

/// Menu button: the contacts no client matched.
pub const TRIAGE_BUTTON: &str = "📥 Contatos sem cliente";
/// For someone outside the triage role.
pub const TRIAGE_NOT_YOURS: &str =
    "Os contatos sem cliente ficam com o cargo de triagem do provedor; peça acesso ao administrador.";
/// Nothing waits.
pub const TRIAGE_EMPTY: &str = "Nenhum contato sem cliente esperando. 👍";
/// Said after a discard.
pub const DISCARDED: &str = "Contato descartado.";
/// A client saved from a contact.
pub const CLIENT_SAVED: &str = "Cliente cadastrado.";
/// The contact was dealt with by someone else while the client was registered.
pub const LINK_LOST: &str = "Cliente cadastrado. O contato já tinha sido tratado por outra pessoa e não foi vinculado.";

/// The list's title.
pub fn triage_title(count: usize, more: &str, page: usize, pages: usize) -> String {
    let pages = if pages > 1 { format!(" (página {} de {pages})", page + 1) } else { String::new() };
    format!(
        "📥 Contatos sem cliente: {count}{more}{pages}\n\nE-mails e formulários que não encontraram o cliente. \
         Abra um para vincular a um cliente, cadastrar um Novo Cliente ou descartar."
    )
}

/// Above the search, while a contact waits to be linked.
pub fn linking(contact: i64) -> String {
    format!("Procure o cliente do contato nº {contact}; na ficha dele, toque em 🔗 Vincular.")
}

/// Before linking.
pub fn confirm_link(contact: i64, client: &str, code: &str) -> String {
    format!(
        "Vincular o contato nº {contact} ao cliente {client} (código {code})?\n\n\
         Abre um atendimento para o cliente, encaminhado pelas regras, e o remetente recebe o protocolo."
    )
}

/// Before discarding.
pub fn confirm_discard(contact: i64) -> String {
    format!("Descartar o contato nº {contact}? Ele fica registrado como descartado por você e não abre atendimento.")
}

/// After linking.
pub fn linked(protocol: &str) -> String {
    format!("Contato vinculado: atendimento {protocol} aberto.")
}

// The wizards.

use crate::forms::{FormKind, Key};

/// A wizard's name.
pub fn form_title(kind: FormKind) -> &'static str {
    match kind {
        FormKind::NewClient => "Novo Cliente",
        FormKind::AddPlan => "Adicionar Plano",
        FormKind::NewTicket => "Novo Atendimento",
        FormKind::WorkOrder => "Pedir O.S.",
    }
}

/// Whom Pedir O.S. is for.
pub fn form_about_ticket(protocol: &str, client: &str) -> String {
    format!("{client} - atendimento {protocol}")
}

/// Said over the ticket once its O.S. is asked for.
pub const WORK_ORDER_REQUESTED: &str = "✅ O.S. pedida.";
/// Button on an open ticket with no O.S. going.
pub const REQUEST_WORK_ORDER: &str = "🔧 Pedir O.S.";

/// Whom a wizard is for, as every step shows it.
pub fn form_about(c: &balcao_domain::client::Client) -> String {
    format!("{} (cód. {})", c.name, c.code)
}

/// The line under a step's title naming the client.
pub fn form_for(about: &str) -> String {
    format!("\nCliente: {about}")
}

/// The step counter.
pub fn step(n: usize, total: usize) -> String {
    format!("passo {n} de {total}")
}

/// Instead of the counter, while a field is changed from the summary.
pub const CHANGING: &str = "alterando";

/// The summary's title.
pub fn summary_title(title: &str) -> String {
    format!("{title} - confira e confirme:")
}

/// A field's name in the summary.
pub fn label(key: Key) -> &'static str {
    match key {
        Key::Kind => "Tipo",
        Key::Name => "Nome",
        Key::TradeName => "Nome Fantasia",
        Key::Document => "CPF/CNPJ",
        Key::Phone => "Telefone",
        Key::Email => "E-mail",
        Key::PostalCode => "CEP",
        Key::Street => "Logradouro",
        Key::Number => "Número",
        Key::District => "Bairro",
        Key::City => "Cidade",
        Key::State => "UF",
        Key::Reseller => "Revenda",
        Key::Plan => "Plano",
        Key::Billing => "Forma de Cobrança",
        Key::DueDay => "Dia de vencimento",
        Key::Salesperson => "Vendedor",
        Key::PlanRoutingPoint | Key::RoutingPoint => "Ponto de Roteamento",
        Key::Subscription => "Plano",
        Key::ContactName => "Nome da Pessoa",
        Key::Problem => "Problema",
        Key::Channel => "Tipo de Contato",
        Key::TicketType => "Tipo de Atendimento",
        Key::Dest => "Para",
        Key::Checks => "Verificações",
        Key::Outcome => "Situação",
        Key::Resolution => "Solução",
        Key::OsDate => "Data da O.S.",
        Key::OsWindow => "Janela",
        Key::OsTech => "Técnico",
        Key::OsTask => "O que fazer",
    }
}

/// What a field asks; `company`, whether Novo Cliente is for a pessoa jurídica.
pub fn question(key: Key, company: bool) -> &'static str {
    match key {
        Key::Kind => "É pessoa física ou jurídica?",
        Key::Name => "Digite o nome completo (ou a razão social):",
        Key::TradeName => "Digite o nome fantasia:",
        Key::Document if company => "Digite o CNPJ:",
        Key::Document => "Digite o CPF:",
        Key::Phone => "Digite o telefone com DDD:",
        Key::Email => "Digite o e-mail:",
        Key::PostalCode => "Digite o CEP:",
        Key::Street => "Digite o logradouro (rua, avenida…), ou toque em Pular se não houver endereço:",
        Key::Number => "Digite o número (ou S/N):",
        Key::District => "Digite o bairro:",
        Key::City => "Digite a cidade:",
        Key::State => "Digite a UF (ex.: SP):",
        Key::Reseller => "De qual revenda é o cliente?",
        Key::Plan => "Escolha o plano:",
        Key::Billing => "Forma de Cobrança:",
        Key::DueDay => "Dia de vencimento (escolha ou digite de 1 a 31):",
        Key::Salesperson => "Quem é o Vendedor? Escolha, ou digite o nome (pessoa ou canal de venda):",
        Key::PlanRoutingPoint | Key::RoutingPoint => "Ponto de Roteamento:",
        Key::Subscription => "Dados do Atendimento\n\nQual plano?",
        Key::ContactName => "Nome da Pessoa que entrou em contato (toque se foi o próprio cliente, ou digite):",
        Key::Problem => "Problema descrito pelo cliente:",
        Key::Channel => "Primeiro Contato\n\nTipo de Contato:",
        Key::TicketType => "Tipo de Atendimento:",
        Key::Dest => "Para quem vai o atendimento? (um cargo ou um usuário)",
        Key::Checks => "Verificações feitas com o cliente:",
        Key::Outcome => "Como fica o atendimento?",
        Key::Resolution => "Como foi resolvido?",
        Key::OsDate => "Data da visita (dd/mm/aaaa):",
        Key::OsWindow => "Janela de horário (escolha ou digite, ex.: 09:00-11:00):",
        Key::OsTech => "Técnico:",
        Key::OsTask => "O que o técnico deve fazer?",
    }
}

/// Novo Cliente's kinds.
pub const PERSON: &str = "Pessoa física";
/// Novo Cliente's kinds.
pub const COMPANY: &str = "Pessoa jurídica";
/// A ticket not about one plan.
pub const NO_SPECIFIC_PLAN: &str = "Sem plano específico";
/// The contact channel of a ticket typed in the bot.
pub const TELEGRAM_CHANNEL: &str = "Telegram";
/// No salesperson.
pub const NOBODY: &str = "Nenhum";
/// No routing point.
pub const NONE: &str = "Nenhum";
/// An O.S. whose technician is chosen later.
pub const LATER: &str = "Definir depois";
/// Leave an optional field empty.
pub const SKIP: &str = "Pular";
/// Save what the summary shows.
pub const CONFIRM: &str = "✔ Confirmar";
/// Save what the summary shows, despite its warning.
pub const CONFIRM_ANYWAY: &str = "✔ Confirmar mesmo assim";
/// The ticket's outcome: stays open.
pub const OUTCOME_OPEN: &str = "Fica em aberto";
/// As the summary shows it.
pub const OUTCOME_OPEN_SHOWN: &str = "Aberto";
/// The ticket's outcome: resolved during the contact.
pub const OUTCOME_RESOLVED: &str = "Resolvido neste contato";
/// As the summary shows it.
pub const OUTCOME_RESOLVED_SHOWN: &str = "Resolvido neste contato";
/// The ticket's outcome: a visit.
pub const OUTCOME_OS: &str = "Pedir O.S. (visita técnica)";
/// As the summary shows it.
pub const OUTCOME_OS_SHOWN: &str = "Aberto, com O.S. pedida";
/// Typed text at the summary.
pub const USE_BUTTONS_TO_CONFIRM: &str = "Use os botões para confirmar ou voltar.";
/// Typed text where a button is expected.
pub const PICK_AN_OPTION: &str = "Escolha uma das opções abaixo.";
/// A CPF typed for a company.
pub const COMPANY_USES_CNPJ: &str = "Pessoa jurídica usa CNPJ.";
/// A CNPJ typed for a person.
pub const PERSON_USES_CPF: &str = "Pessoa física usa CPF.";
/// A house number too long.
pub const BAD_NUMBER: &str = "Digite o número (até 20 caracteres), ou S/N.";
/// A salesperson's name too short or long.
pub const BAD_SALESPERSON: &str = "O nome do vendedor deve ter de 2 a 120 caracteres.";
/// A window typed without a dash.
pub const WINDOW_FORMAT: &str = "Use o formato 08:00-12:00.";
/// A window that ends before it starts.
pub const WINDOW_BACKWARDS: &str = "O fim da janela deve ser depois do início.";

/// Text shorter than a field needs.
pub fn too_short(what: &str, min: usize) -> String {
    format!("{what} precisa de pelo menos {min} caracteres.")
}

/// Text longer than a field takes.
pub fn too_long(what: &str) -> String {
    format!("{what} longo demais (máximo 500 caracteres).")
}

/// A window of hours.
pub fn window(from: &str, to: &str) -> String {
    format!("{from} às {to}")
}

/// A due day's button.
pub fn due_day(day: i64) -> String {
    format!("Dia {day}")
}

/// A role as a destination.
pub fn role_option(name: &str) -> String {
    format!("Cargo {name}")
}

/// A client's plan as an option: two of the same plan are told apart by their start.
pub fn subscription_label(s: &balcao_domain::subscription::Subscription, since: Option<chrono::NaiveDate>) -> String {
    let point = s.routing_point.as_ref().map(|p| format!(" - {}", p.name)).unwrap_or_default();
    let since = since.map(|d| format!(" - desde {}", d.format("%d/%m/%Y"))).unwrap_or_default();
    format!("{} ({}){point}{since}", s.plan_name, s.status.label())
}

/// An option told apart from its twin by its number.
pub fn numbered(label: &str, id: i64) -> String {
    format!("{label} - nº {id}")
}

/// Keep the answer given before.
pub fn keep(shown: &str) -> String {
    format!("✔ Usar: {shown}")
}

/// Change, from the summary, what was taken for the person.
pub fn change(label: &str) -> String {
    format!("✏ Alterar {label}")
}

/// Which page of a field's options.
pub fn options_page(page: usize, pages: usize) -> String {
    format!("\n(página {page} de {pages})")
}

/// Adicionar Plano of a plan the client has active already.
pub fn same_plan_active(plan: &str, since: &str) -> String {
    format!("⚠ Este cliente já tem o plano {plan} ativo (desde {since}). Confirme só se for mesmo um segundo plano.")
}

/// Over the ticket just opened.
pub fn ticket_opened(protocol: &str) -> String {
    format!("✅ Atendimento aberto. Protocolo: {protocol}")
}

/// A wizard stored by an older version of the bot, which this one cannot continue.
pub const FORM_DROPPED: &str = "O formulário que você tinha começado é de uma versão anterior do balcão e não pôde \
     ser retomado. Comece de novo pelo menu; nada dele foi salvo.";

// The technician's screens.

/// Nothing for the technician.
pub const MY_WORK_ORDERS_EMPTY: &str = "Nenhuma O.S. para você hoje ou nos próximos dias.";

/// Minhas O.S.'s title.
pub fn my_work_orders_title(count: usize) -> String {
    format!("Minhas O.S. ({count})\n")
}

/// Labels of the O.S. screen.
pub const CLIENT: &str = "Cliente";
/// Labels of the O.S. screen.
pub const CONTACT: &str = "Contato";
/// Labels of the O.S. screen.
pub const PHONE: &str = "Telefone";
/// Labels of the O.S. screen.
pub const ADDRESS: &str = "Endereço";
/// Labels of the O.S. screen.
pub const PLAN: &str = "Plano";
/// Labels of the O.S. screen.
pub const PROBLEM: &str = "Problema";
/// Labels of the O.S. screen.
pub const TASK: &str = "O que fazer";
/// Labels of the O.S. screen.
pub const OUTCOME: &str = "Resultado";
/// The technician starts the visit.
pub const START: &str = "▶ Iniciar";
/// The technician gives the O.S. back.
pub const GIVE_BACK: &str = "↩ Devolver";
/// The technician finishes the visit.
pub const FINISH: &str = "✔ Concluir";
/// Opens the ticket of an O.S.
pub const VIEW_TICKET: &str = "Ver atendimento";
