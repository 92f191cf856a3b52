//! What a button under one of the bot's messages sends back when tapped: one
//! type for every button the bot and the notifications draw, written to and
//! read from Telegram's `callback_data` (at most 64 bytes) in one place. What
//! comes back from a device is never trusted: [`Callback::parse`] refuses
//! anything it did not write, and the desk checks every id against the
//! person's scope like typed input.

use chrono::NaiveDate;

use crate::search::SearchFilter;
use crate::{ClientId, DeliveryId, ReceivableId, RoleId, StaffId, TicketId, WorkOrderId};

/// Telegram's limit on a button's data, in bytes.
pub const MAX_BYTES: usize = 64;

/// A button's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callback {
    /// The main menu.
    Menu,
    /// Continue the wizard left half-way.
    Resume,
    /// Start Novo Cliente.
    NewClient,
    /// Choose the field to search.
    PickFilter,
    /// Search this field (the term is typed next).
    Filter(SearchFilter),
    /// A page of the results shown.
    SearchPage(usize),
    /// Back to the last results.
    BackToResults,
    /// Meus atendimentos, a page.
    MyTickets(usize),
    /// Minhas O.S., a page.
    MyWorkOrders(usize),
    /// A client's Cadastro.
    Registration(ClientId),
    /// A client's Planos.
    Plans(ClientId),
    /// A client's Atendimentos, a page.
    ClientTickets(ClientId, usize),
    /// Ask for a typed "Desde Até" period of a client's Financeiro.
    AskPeriod(ClientId),
    /// A client's Financeiro over a period; a page, or the latest.
    Finance(ClientId, PeriodCode, Option<usize>),
    /// One debit in full, opened from a Financeiro period and page (its
    /// Voltar returns there).
    Receivable(ReceivableId, PeriodCode, usize),
    /// Start Adicionar Plano for a client.
    AddPlan(ClientId),
    /// Start Novo Atendimento for a client.
    NewTicket(ClientId),
    /// A ticket.
    Ticket(TicketId),
    /// A ticket's conversation with the client, a page.
    Messages(TicketId, usize),
    /// Write a note on a ticket.
    Note(TicketId),
    /// Resolve a ticket (the resolution is typed next).
    Resolve(TicketId),
    /// Reopen a resolved ticket.
    Reopen(TicketId),
    /// Write an answer to the client.
    Reply(TicketId),
    /// Send the answer drafted.
    SendReply(TicketId),
    /// Choose a ticket's situation.
    PickStatus(TicketId),
    /// Set a ticket's situation: 0 aberto, 1 em andamento, 2 aguardando cliente.
    SetStatus(TicketId, u8),
    /// Choose whom to forward a ticket to, a page.
    Forward(TicketId, usize),
    /// Forward a ticket to a staff member.
    ForwardToUser(TicketId, StaffId),
    /// Forward a ticket to a role.
    ForwardToRole(TicketId, RoleId),
    /// Take a ticket assigned to one's role.
    Take(TicketId),
    /// A work order.
    WorkOrder(WorkOrderId),
    /// The ticket of a work order, whose Voltar returns to the work order.
    WorkOrderTicket(WorkOrderId),
    /// Ask for a new work order on a ticket (a wizard).
    RequestWorkOrder(TicketId),
    /// Start a work order.
    StartWorkOrder(WorkOrderId),
    /// Finish a work order (the outcome is typed next).
    FinishWorkOrder(WorkOrderId),
    /// Give a work order back (the reason is typed next).
    GiveBack(WorkOrderId),
    /// Choose a work order's technician, a page.
    PickTechnician(WorkOrderId, usize),
    /// Send a work order to a technician.
    AssignTechnician(WorkOrderId, StaffId),
    /// A step of the wizard on screen.
    Wizard(WizardStep),
    /// The contacts without a client, a page.
    Unmatched(usize),
    /// One contact without a client.
    Contact(DeliveryId),
    /// Look for the client to link a contact to.
    LinkSearch(DeliveryId),
    /// Ask before linking a contact to a client.
    LinkConfirm(DeliveryId, ClientId),
    /// Link a contact to a client.
    Link(DeliveryId, ClientId),
    /// Register a Novo Cliente from a contact.
    NewClientFromContact(DeliveryId),
    /// Ask before discarding a contact.
    Discard(DeliveryId),
    /// Discard a contact.
    DiscardConfirmed(DeliveryId),
}

/// A period of the Financeiro screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodCode {
    /// This month.
    Month,
    /// The last three months.
    Quarter,
    /// Everything open.
    Open,
    /// Everything.
    All,
    /// Typed dates, inclusive.
    Between(NaiveDate, NaiveDate),
}

impl PeriodCode {
    fn encode(self) -> String {
        match self {
            PeriodCode::Month => "m".into(),
            PeriodCode::Quarter => "3".into(),
            PeriodCode::Open => "o".into(),
            PeriodCode::All => "a".into(),
            PeriodCode::Between(from, to) => format!("d{}-{}", from.format("%Y%m%d"), to.format("%Y%m%d")),
        }
    }

    fn parse(s: &str) -> Option<PeriodCode> {
        Some(match s {
            "m" => PeriodCode::Month,
            "3" => PeriodCode::Quarter,
            "o" => PeriodCode::Open,
            "a" => PeriodCode::All,
            _ => {
                let (from, to) = s.strip_prefix('d')?.split_once('-')?;
                let day = |d: &str| NaiveDate::parse_from_str(d, "%Y%m%d").ok().filter(|_| d.len() == 8);
                PeriodCode::Between(day(from)?, day(to)?)
            }
        })
    }
}

/// A button of the wizard on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WizardStep {
    /// The previous field.
    Back,
    /// Leave the wizard.
    Cancel,
    /// Leave an optional field empty.
    Skip,
    /// Save what the summary shows.
    Confirm,
    /// Keep the answer given before.
    Keep,
    /// The field's option at this index.
    Option(usize),
    /// A page of the field's options.
    Page(usize),
    /// Change, from the summary, the field at this position of the wizard.
    Edit(usize),
}

impl From<Callback> for String {
    fn from(callback: Callback) -> String {
        callback.encode()
    }
}

impl Callback {
    /// The data the button carries.
    pub fn encode(&self) -> String {
        use Callback::*;
        match *self {
            Menu => "menu".into(),
            Resume => "rs".into(),
            NewClient => "nc".into(),
            PickFilter => "sfp".into(),
            Filter(f) => format!("sf:{}", f.as_str()),
            SearchPage(p) => format!("sp:{p}"),
            BackToResults => "back".into(),
            MyTickets(p) => format!("my:{p}"),
            MyWorkOrders(p) => format!("wo:{p}"),
            Registration(c) => format!("cc:{}", c.0),
            Plans(c) => format!("cp:{}", c.0),
            ClientTickets(c, p) => format!("ct:{}:{p}", c.0),
            AskPeriod(c) => format!("cfd:{}", c.0),
            Finance(c, period, None) => format!("cf:{}:{}", c.0, period.encode()),
            Finance(c, period, Some(p)) => format!("cf:{}:{}:{p}", c.0, period.encode()),
            Receivable(r, period, p) => format!("cr:{}:{}:{p}", r.0, period.encode()),
            AddPlan(c) => format!("ap:{}", c.0),
            NewTicket(c) => format!("nt:{}", c.0),
            Ticket(t) => format!("tk:{}", t.0),
            Messages(t, p) => format!("tm:{}:{p}", t.0),
            Note(t) => format!("tn:{}", t.0),
            Resolve(t) => format!("tv:{}", t.0),
            Reopen(t) => format!("to:{}", t.0),
            Reply(t) => format!("tc:{}", t.0),
            SendReply(t) => format!("tcs:{}", t.0),
            PickStatus(t) => format!("ts:{}", t.0),
            SetStatus(t, s) => format!("tss:{}:{s}", t.0),
            Forward(t, p) => format!("tr:{}:{p}", t.0),
            ForwardToUser(t, s) => format!("tru:{}:{}", t.0, s.0),
            ForwardToRole(t, r) => format!("trr:{}:{}", t.0, r.0),
            Take(t) => format!("tt:{}", t.0),
            WorkOrder(w) => format!("wod:{}", w.0),
            WorkOrderTicket(w) => format!("wot:{}", w.0),
            RequestWorkOrder(t) => format!("tos:{}", t.0),
            StartWorkOrder(w) => format!("wos:{}", w.0),
            FinishWorkOrder(w) => format!("wof:{}", w.0),
            GiveBack(w) => format!("wob:{}", w.0),
            PickTechnician(w, p) => format!("wt:{}:{p}", w.0),
            AssignTechnician(w, s) => format!("wta:{}:{}", w.0, s.0),
            Wizard(step) => match step {
                WizardStep::Back => "fw:back".into(),
                WizardStep::Cancel => "fw:cancel".into(),
                WizardStep::Skip => "fw:skip".into(),
                WizardStep::Confirm => "fw:ok".into(),
                WizardStep::Keep => "fw:keep".into(),
                WizardStep::Option(i) => format!("fw:v:{i}"),
                WizardStep::Page(p) => format!("fw:p:{p}"),
                WizardStep::Edit(i) => format!("fw:e:{i}"),
            },
            Unmatched(p) => format!("ux:{p}"),
            Contact(d) => format!("uv:{}", d.0),
            LinkSearch(d) => format!("ul:{}", d.0),
            LinkConfirm(d, c) => format!("uk:{}:{}", d.0, c.0),
            Link(d, c) => format!("uy:{}:{}", d.0, c.0),
            NewClientFromContact(d) => format!("un:{}", d.0),
            Discard(d) => format!("ud:{}", d.0),
            DiscardConfirmed(d) => format!("udy:{}", d.0),
        }
    }

    /// What `data` means; `None` for anything [`Callback::encode`] does not
    /// write (an old version's button, or a forged one).
    pub fn parse(data: &str) -> Option<Callback> {
        use Callback::*;
        let mut parts = data.split(':');
        let verb = parts.next()?;
        let args: Vec<&str> = parts.collect();
        let id = |i: usize| args.get(i).and_then(|s| s.parse::<i64>().ok());
        let page = |i: usize| match args.get(i) {
            None => Some(0),
            Some(s) => s.parse::<usize>().ok(),
        };
        let arity = |n: usize| args.len() == n;
        let one = |wrap: fn(i64) -> Callback| if arity(1) { id(0).map(wrap) } else { None };
        let two = |wrap: fn(i64, i64) -> Callback| if arity(2) { Some(wrap(id(0)?, id(1)?)) } else { None };
        let paged = |wrap: fn(i64, usize) -> Callback| {
            if args.len() == 1 || args.len() == 2 { Some(wrap(id(0)?, page(1)?)) } else { None }
        };
        let list = |wrap: fn(usize) -> Callback| if args.len() <= 1 { page(0).map(wrap) } else { None };
        let parsed = match verb {
            "menu" if arity(0) => Menu,
            "rs" if arity(0) => Resume,
            "nc" if arity(0) => NewClient,
            "sfp" if arity(0) => PickFilter,
            "back" if arity(0) => BackToResults,
            "sf" if arity(1) => Filter(SearchFilter::ALL.into_iter().find(|f| f.as_str() == args[0])?),
            "sp" if arity(1) => SearchPage(args[0].parse().ok()?),
            "my" => list(MyTickets)?,
            "wo" => list(MyWorkOrders)?,
            "ux" => list(Unmatched)?,
            "cc" => one(|c| Registration(ClientId(c)))?,
            "cp" => one(|c| Plans(ClientId(c)))?,
            "cfd" => one(|c| AskPeriod(ClientId(c)))?,
            "ct" => paged(|c, p| ClientTickets(ClientId(c), p))?,
            "cf" if args.len() == 2 || args.len() == 3 => {
                let pg = if args.len() == 3 { Some(args[2].parse().ok()?) } else { None };
                Finance(ClientId(id(0)?), PeriodCode::parse(args[1])?, pg)
            }
            // "cr:id" is the older version's button: back to the open debits.
            "cr" if arity(1) => Receivable(ReceivableId(id(0)?), PeriodCode::Open, 0),
            "cr" if arity(3) => Receivable(ReceivableId(id(0)?), PeriodCode::parse(args[1])?, args[2].parse().ok()?),
            "ap" => one(|c| AddPlan(ClientId(c)))?,
            "nt" => one(|c| NewTicket(ClientId(c)))?,
            "tk" => one(|t| Ticket(TicketId(t)))?,
            "tm" => paged(|t, p| Messages(TicketId(t), p))?,
            "tn" => one(|t| Note(TicketId(t)))?,
            "tv" => one(|t| Resolve(TicketId(t)))?,
            "to" => one(|t| Reopen(TicketId(t)))?,
            "tc" => one(|t| Reply(TicketId(t)))?,
            "tcs" => one(|t| SendReply(TicketId(t)))?,
            "ts" => one(|t| PickStatus(TicketId(t)))?,
            "tss" if arity(2) => SetStatus(TicketId(id(0)?), args[1].parse().ok().filter(|s: &u8| *s <= 2)?),
            "tr" => paged(|t, p| Forward(TicketId(t), p))?,
            "tru" => two(|t, s| ForwardToUser(TicketId(t), StaffId(s)))?,
            "trr" => two(|t, r| ForwardToRole(TicketId(t), RoleId(r)))?,
            "tt" => one(|t| Take(TicketId(t)))?,
            "wod" => one(|w| WorkOrder(WorkOrderId(w)))?,
            "wot" => one(|w| WorkOrderTicket(WorkOrderId(w)))?,
            "tos" => one(|t| RequestWorkOrder(TicketId(t)))?,
            "wos" => one(|w| StartWorkOrder(WorkOrderId(w)))?,
            "wof" => one(|w| FinishWorkOrder(WorkOrderId(w)))?,
            "wob" => one(|w| GiveBack(WorkOrderId(w)))?,
            "wt" => paged(|w, p| PickTechnician(WorkOrderId(w), p))?,
            "wta" => two(|w, s| AssignTechnician(WorkOrderId(w), StaffId(s)))?,
            "fw" => Wizard(match (args.first().copied(), args.get(1)) {
                (Some("back"), None) => WizardStep::Back,
                (Some("cancel"), None) => WizardStep::Cancel,
                (Some("skip"), None) => WizardStep::Skip,
                (Some("ok"), None) => WizardStep::Confirm,
                (Some("keep"), None) => WizardStep::Keep,
                (Some("v"), Some(i)) if args.len() == 2 => WizardStep::Option(i.parse().ok()?),
                (Some("p"), Some(p)) if args.len() == 2 => WizardStep::Page(p.parse().ok()?),
                (Some("e"), Some(i)) if args.len() == 2 => WizardStep::Edit(i.parse().ok()?),
                _ => return None,
            }),
            "uv" => one(|d| Contact(DeliveryId(d)))?,
            "ul" => one(|d| LinkSearch(DeliveryId(d)))?,
            "uk" => two(|d, c| LinkConfirm(DeliveryId(d), ClientId(c)))?,
            "uy" => two(|d, c| Link(DeliveryId(d), ClientId(c)))?,
            "un" => one(|d| NewClientFromContact(DeliveryId(d)))?,
            "ud" => one(|d| Discard(DeliveryId(d)))?,
            "udy" => one(|d| DiscardConfirmed(DeliveryId(d)))?,
            _ => return None,
        };
        Some(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn period() -> impl Strategy<Value = PeriodCode> {
        let day = (1990i32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
        prop_oneof![
            Just(PeriodCode::Month),
            Just(PeriodCode::Quarter),
            Just(PeriodCode::Open),
            Just(PeriodCode::All),
            (day.clone(), day).prop_map(|(a, b)| PeriodCode::Between(a, b)),
        ]
    }

    fn wizard() -> impl Strategy<Value = WizardStep> {
        prop_oneof![
            Just(WizardStep::Back),
            Just(WizardStep::Cancel),
            Just(WizardStep::Skip),
            Just(WizardStep::Confirm),
            Just(WizardStep::Keep),
            any::<usize>().prop_map(WizardStep::Option),
            any::<usize>().prop_map(WizardStep::Page),
            any::<usize>().prop_map(WizardStep::Edit),
        ]
    }

    /// Every button, with any ids (positive: ids are row ids) and any pages.
    fn callback() -> impl Strategy<Value = Callback> {
        use Callback::*;
        let id = 1i64..=i64::MAX;
        let p = any::<usize>();
        let filter = prop::sample::select(SearchFilter::ALL.to_vec());
        prop_oneof![
            prop_oneof![
                Just(Menu),
                Just(Resume),
                Just(NewClient),
                Just(PickFilter),
                Just(BackToResults),
                filter.prop_map(Filter),
                p.prop_map(SearchPage),
                p.prop_map(MyTickets),
                p.prop_map(MyWorkOrders),
                p.prop_map(Unmatched),
            ],
            prop_oneof![
                id.clone().prop_map(|c| Registration(ClientId(c))),
                id.clone().prop_map(|c| Plans(ClientId(c))),
                (id.clone(), p).prop_map(|(c, p)| ClientTickets(ClientId(c), p)),
                id.clone().prop_map(|c| AskPeriod(ClientId(c))),
                (id.clone(), period(), prop::option::of(p)).prop_map(|(c, per, pg)| Finance(ClientId(c), per, pg)),
                (id.clone(), period(), p).prop_map(|(r, per, pg)| Receivable(ReceivableId(r), per, pg)),
                id.clone().prop_map(|c| AddPlan(ClientId(c))),
                id.clone().prop_map(|c| NewTicket(ClientId(c))),
            ],
            prop_oneof![
                id.clone().prop_map(|t| Ticket(TicketId(t))),
                (id.clone(), p).prop_map(|(t, p)| Messages(TicketId(t), p)),
                id.clone().prop_map(|t| Note(TicketId(t))),
                id.clone().prop_map(|t| Resolve(TicketId(t))),
                id.clone().prop_map(|t| Reopen(TicketId(t))),
                id.clone().prop_map(|t| Reply(TicketId(t))),
                id.clone().prop_map(|t| SendReply(TicketId(t))),
                id.clone().prop_map(|t| PickStatus(TicketId(t))),
                (id.clone(), 0u8..=2).prop_map(|(t, s)| SetStatus(TicketId(t), s)),
                (id.clone(), p).prop_map(|(t, p)| Forward(TicketId(t), p)),
                (id.clone(), id.clone()).prop_map(|(t, s)| ForwardToUser(TicketId(t), StaffId(s))),
                (id.clone(), id.clone()).prop_map(|(t, r)| ForwardToRole(TicketId(t), RoleId(r))),
                id.clone().prop_map(|t| Take(TicketId(t))),
            ],
            prop_oneof![
                id.clone().prop_map(|w| WorkOrder(WorkOrderId(w))),
                id.clone().prop_map(|w| WorkOrderTicket(WorkOrderId(w))),
                id.clone().prop_map(|t| RequestWorkOrder(TicketId(t))),
                id.clone().prop_map(|w| StartWorkOrder(WorkOrderId(w))),
                id.clone().prop_map(|w| FinishWorkOrder(WorkOrderId(w))),
                id.clone().prop_map(|w| GiveBack(WorkOrderId(w))),
                (id.clone(), p).prop_map(|(w, p)| PickTechnician(WorkOrderId(w), p)),
                (id.clone(), id.clone()).prop_map(|(w, s)| AssignTechnician(WorkOrderId(w), StaffId(s))),
                wizard().prop_map(Wizard),
            ],
            prop_oneof![
                id.clone().prop_map(|d| Contact(DeliveryId(d))),
                id.clone().prop_map(|d| LinkSearch(DeliveryId(d))),
                (id.clone(), id.clone()).prop_map(|(d, c)| LinkConfirm(DeliveryId(d), ClientId(c))),
                (id.clone(), id.clone()).prop_map(|(d, c)| Link(DeliveryId(d), ClientId(c))),
                id.clone().prop_map(|d| NewClientFromContact(DeliveryId(d))),
                id.clone().prop_map(|d| Discard(DeliveryId(d))),
                id.prop_map(|d| DiscardConfirmed(DeliveryId(d))),
            ],
        ]
    }

    proptest! {
        #[test]
        fn every_button_reads_back_as_written_within_telegram_s_64_bytes(cb in callback()) {
            let data = cb.encode();
            prop_assert!(data.len() <= MAX_BYTES, "{} bytes: {data}", data.len());
            prop_assert_eq!(Callback::parse(&data), Some(cb));
        }

        #[test]
        fn anything_else_is_refused_or_read_as_what_it_encodes(data in "[a-z]{0,4}(:[-0-9a-z]{0,22}){0,3}") {
            if let Some(cb) = Callback::parse(&data) {
                // Read back only when it is a button's exact data (or its short form without a page).
                prop_assert_eq!(Callback::parse(&cb.encode()), Some(cb));
            }
        }
    }

    #[test]
    fn buttons_of_older_screens_and_forgeries() {
        // The menu's list buttons carried no page; they still open the first one.
        assert_eq!(Callback::parse("my"), Some(Callback::MyTickets(0)));
        assert_eq!(Callback::parse("wo"), Some(Callback::MyWorkOrders(0)));
        assert_eq!(Callback::parse("ct:5"), Some(Callback::ClientTickets(ClientId(5), 0)));
        // A debit's button named no period: its Voltar goes to the open debits.
        assert_eq!(Callback::parse("cr:7"), Some(Callback::Receivable(ReceivableId(7), PeriodCode::Open, 0)));
        for forged in [
            "",
            "tk",
            "tk:",
            "tk:x",
            "tk:1:2",
            "tss:1:3",
            "cf:1:z",
            "cf:1:d20261301-20261231",
            "cr:7:a",
            "cr:7:q:0",
            "fw:v",
            "zz:1",
        ] {
            assert_eq!(Callback::parse(forged), None, "{forged}");
        }
    }
}
