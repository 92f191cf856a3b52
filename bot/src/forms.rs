//! The wizards: Novo Cliente, Adicionar Plano and Novo Atendimento, each
//! declared as a list of fields keyed by [`Key`]: what kind of answer it
//! takes, whether it is shown given the answers so far, and whether it may be
//! left empty. Answers are stored by key, already understood (an id, a date,
//! a window), and one function per wizard builds the use case's input from
//! them. A typed answer is checked with a reason in Portuguese and asked
//! again; a button's value is looked up among the options offered, never
//! trusted. A choice with one sensible answer is taken for the person and can
//! be changed from the summary. Every step has Voltar and Cancelar; nothing
//! is saved before the summary is confirmed.

use std::collections::BTreeMap;

use balcao_domain::callback::{Callback, WizardStep};
use balcao_domain::client::{
    Address, ClientKind, ClientStatus, NewClient, parse_email, parse_postal_code, parse_state,
};
use balcao_domain::document::Document;
use balcao_domain::finance::{format_date, parse_date};
use balcao_domain::phone::Phone;
use balcao_domain::staff::{Actor, Scope};
use balcao_domain::subscription::{BillingMethod, DueDay, PlanChoice, Salesperson, SubscriptionStatus};
use balcao_domain::ticket::{Assignee, NewTicket, NewWorkOrder, parse_time};
use balcao_domain::{
    ChannelId, ClientId, DeliveryId, DomainError, PlanId, ResellerId, RoleId, RoutingPointId, StaffId, SubscriptionId,
    TicketId, TicketTypeId,
};
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::desk::{Desk, Keyboard, Reply, Screen, button};
use crate::render;
use crate::text;

/// Which wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    /// Novo Cliente.
    NewClient,
    /// Adicionar Plano, for a client.
    AddPlan,
    /// Novo Atendimento, for a client.
    NewTicket,
    /// Pedir O.S., for a ticket.
    WorkOrder,
}

/// A field of a wizard. Stored by name in a paused wizard: adding a field
/// never shifts the answers of one in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Key {
    /// Pessoa física or jurídica.
    Kind,
    /// Nome or razão social.
    Name,
    /// Nome fantasia.
    TradeName,
    /// CPF or CNPJ.
    Document,
    /// Telefone.
    Phone,
    /// E-mail.
    Email,
    /// CEP.
    PostalCode,
    /// Logradouro.
    Street,
    /// Número.
    Number,
    /// Bairro.
    District,
    /// Cidade.
    City,
    /// UF.
    State,
    /// Revenda.
    Reseller,
    /// The plan of the catalog.
    Plan,
    /// Forma de cobrança.
    Billing,
    /// Dia de vencimento.
    DueDay,
    /// Vendedor.
    Salesperson,
    /// Ponto de roteamento of the new plan.
    PlanRoutingPoint,
    /// The client's plan the ticket is about.
    Subscription,
    /// Ponto de roteamento of the ticket.
    RoutingPoint,
    /// Nome da pessoa who called.
    ContactName,
    /// Problema.
    Problem,
    /// Tipo de contato.
    Channel,
    /// Tipo de atendimento.
    TicketType,
    /// Destino: a user or a role.
    Dest,
    /// Verificações.
    Checks,
    /// What becomes of the ticket: open, resolved now, or an O.S.
    Outcome,
    /// Solução.
    Resolution,
    /// The visit's date.
    OsDate,
    /// The visit's window.
    OsWindow,
    /// Técnico.
    OsTech,
    /// What the technician is to do.
    OsTask,
}

/// An answer as understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// Left empty ("Pular", "Nenhum", "Definir depois").
    Empty,
    /// Text, or one of a fixed set of words ("company", "os").
    Text(String),
    /// A record of the catalog or of the client, by id.
    Id(i64),
    /// A staff member.
    User(i64),
    /// A role.
    Role(i64),
    /// A date.
    Date(NaiveDate),
    /// A window of hours.
    Window(NaiveTime, NaiveTime),
}

/// An answer: the value, what the person saw, and whether it was taken for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The value.
    pub value: Value,
    /// What the summary shows.
    pub shown: String,
    /// Taken for the person (the only sensible answer): not asked, changeable from the summary.
    #[serde(default)]
    pub auto: bool,
}

impl Answer {
    fn new(value: Value, shown: impl Into<String>) -> Answer {
        Answer { value, shown: shown.into(), auto: false }
    }
}

/// A wizard in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    /// Which wizard.
    pub kind: FormKind,
    /// The client it is for (Adicionar Plano, Novo Atendimento).
    pub client: Option<ClientId>,
    /// Whom it is for, as every step shows it: "Maria Souza (cód. 1001)".
    #[serde(default)]
    pub about: Option<String>,
    /// The answers by field.
    pub answers: BTreeMap<Key, Answer>,
    /// The field being asked; `None`, the summary.
    pub at: Option<Key>,
    /// The page of the field's options shown, when they do not fit one screen.
    #[serde(default)]
    pub page: usize,
    /// The contact nobody matched this Novo Cliente is registered from: once
    /// saved, the contact is linked to the new client.
    #[serde(default)]
    pub contact: Option<DeliveryId>,
    /// A field changed from the summary: once answered, back to the summary.
    #[serde(default)]
    pub editing: bool,
    /// The ticket it is for (Pedir O.S.).
    #[serde(default)]
    pub ticket: Option<TicketId>,
}

/// Options of a field on one screen (8 rows of 2): Telegram refuses a
/// message with too many buttons, and a long list is hard to read anyway.
const OPTIONS_PER_PAGE: usize = 16;

/// A text check: the value, or why the input is refused.
type Check = fn(&str) -> Result<Answer, String>;

/// How a field is answered.
#[derive(Clone, Copy)]
enum Ask {
    /// A button.
    Choice,
    /// Typed text.
    Typed(Check),
    /// A button, or typed text.
    Either(Check),
}

/// Whether a field is shown, given the answers so far.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    Yes,
    No,
    /// It depends on an answer not given yet: counted in the steps, so that
    /// the total only ever shrinks.
    Maybe,
}

/// A field of a wizard, as declared.
struct Spec {
    key: Key,
    ask: Ask,
    optional: bool,
    show_if: fn(&Form, &Actor) -> Shown,
}

const fn field(key: Key, ask: Ask) -> Spec {
    Spec { key, ask, optional: false, show_if: always }
}

const fn optional(key: Key, ask: Ask) -> Spec {
    Spec { key, ask, optional: true, show_if: always }
}

const fn when(spec: Spec, show_if: fn(&Form, &Actor) -> Shown) -> Spec {
    Spec { show_if, ..spec }
}

fn always(_: &Form, _: &Actor) -> Shown {
    Shown::Yes
}

/// Shown when `key`'s answer is the word `word`.
fn answered(form: &Form, key: Key, yes: impl Fn(&Value) -> bool) -> Shown {
    match form.answers.get(&key) {
        None => Shown::Maybe,
        Some(a) if yes(&a.value) => Shown::Yes,
        Some(_) => Shown::No,
    }
}

fn is_word(word: &'static str) -> impl Fn(&Value) -> bool {
    move |v| matches!(v, Value::Text(t) if t == word)
}

fn is_company(f: &Form, _: &Actor) -> Shown {
    answered(f, Key::Kind, is_word("company"))
}
fn has_street(f: &Form, _: &Actor) -> Shown {
    answered(f, Key::Street, |v| *v != Value::Empty)
}
fn provider_wide(_: &Form, a: &Actor) -> Shown {
    if matches!(a.scope, Scope::Provider) { Shown::Yes } else { Shown::No }
}
fn resolved_now(f: &Form, _: &Actor) -> Shown {
    answered(f, Key::Outcome, is_word("resolved"))
}
fn wants_os(f: &Form, _: &Actor) -> Shown {
    answered(f, Key::Outcome, is_word("os"))
}

/// Novo Cliente: an address is whole (logradouro, número, bairro) or skipped.
const NEW_CLIENT: &[Spec] = &[
    field(Key::Kind, Ask::Choice),
    field(Key::Name, Ask::Typed(name_check)),
    when(optional(Key::TradeName, Ask::Typed(name_check)), is_company),
    field(Key::Document, Ask::Typed(document_check)),
    field(Key::Phone, Ask::Typed(phone_check)),
    optional(Key::Email, Ask::Typed(email_check)),
    field(Key::PostalCode, Ask::Typed(postal_check)),
    optional(Key::Street, Ask::Typed(short_text)),
    when(field(Key::Number, Ask::Typed(number_check)), has_street),
    when(field(Key::District, Ask::Typed(short_text)), has_street),
    field(Key::City, Ask::Typed(short_text)),
    field(Key::State, Ask::Typed(state_check)),
    when(field(Key::Reseller, Ask::Choice), provider_wide),
];

/// Adicionar Plano.
const ADD_PLAN: &[Spec] = &[
    field(Key::Plan, Ask::Choice),
    field(Key::Billing, Ask::Choice),
    field(Key::DueDay, Ask::Either(due_day_check)),
    field(Key::Salesperson, Ask::Either(salesperson_check)),
    field(Key::PlanRoutingPoint, Ask::Choice),
];

/// Pedir O.S. on a ticket that has none going (a reopened one, say).
const WORK_ORDER: &[Spec] = &[
    field(Key::OsDate, Ask::Typed(date_check)),
    field(Key::OsWindow, Ask::Either(window_check)),
    field(Key::OsTech, Ask::Choice),
    field(Key::OsTask, Ask::Typed(long_text)),
];

/// Novo Atendimento.
const NEW_TICKET: &[Spec] = &[
    field(Key::Subscription, Ask::Choice),
    field(Key::RoutingPoint, Ask::Choice),
    field(Key::ContactName, Ask::Either(name_check)),
    field(Key::Problem, Ask::Typed(long_text)),
    field(Key::Channel, Ask::Choice),
    field(Key::TicketType, Ask::Choice),
    field(Key::Dest, Ask::Choice),
    optional(Key::Checks, Ask::Typed(short_text)),
    field(Key::Outcome, Ask::Choice),
    when(field(Key::Resolution, Ask::Typed(long_text)), resolved_now),
    when(field(Key::OsDate, Ask::Typed(date_check)), wants_os),
    when(field(Key::OsWindow, Ask::Either(window_check)), wants_os),
    when(field(Key::OsTech, Ask::Choice), wants_os),
    when(field(Key::OsTask, Ask::Typed(long_text)), wants_os),
];

fn typed(value: String) -> Answer {
    Answer::new(Value::Text(value.clone()), value)
}

fn non_empty(s: &str, min: usize, what: &str) -> Result<Answer, String> {
    let t = s.trim();
    if t.chars().count() < min {
        Err(text::too_short(what, min))
    } else if t.chars().count() > 500 {
        Err(text::too_long(what))
    } else {
        Ok(typed(t.to_owned()))
    }
}

fn name_check(s: &str) -> Result<Answer, String> {
    non_empty(s, 2, "O nome")
}
fn short_text(s: &str) -> Result<Answer, String> {
    non_empty(s, 2, "O texto")
}
fn long_text(s: &str) -> Result<Answer, String> {
    non_empty(s, 3, "A descrição")
}
fn number_check(s: &str) -> Result<Answer, String> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 20 { Err(text::BAD_NUMBER.into()) } else { Ok(typed(t.to_owned())) }
}
fn document_check(s: &str) -> Result<Answer, String> {
    Document::parse(s).map(|d| Answer::new(Value::Text(d.digits().to_owned()), d.formatted())).map_err(reason)
}
fn phone_check(s: &str) -> Result<Answer, String> {
    Phone::parse(s).map(|p| Answer::new(Value::Text(p.digits().to_owned()), p.formatted())).map_err(reason)
}
fn email_check(s: &str) -> Result<Answer, String> {
    parse_email(s).map(typed).map_err(reason)
}
fn postal_check(s: &str) -> Result<Answer, String> {
    parse_postal_code(s).map(typed).map_err(reason)
}
fn state_check(s: &str) -> Result<Answer, String> {
    parse_state(s).map(typed).map_err(reason)
}
fn due_day_check(s: &str) -> Result<Answer, String> {
    DueDay::parse(s).map(|d| Answer::new(Value::Id(i64::from(d.get())), d.get().to_string())).map_err(reason)
}
fn salesperson_check(s: &str) -> Result<Answer, String> {
    let t = s.trim();
    if t.chars().count() < 2 || t.chars().count() > 120 {
        return Err(text::BAD_SALESPERSON.into());
    }
    Ok(typed(t.to_owned()))
}
fn date_check(s: &str) -> Result<Answer, String> {
    parse_date(s).map(|d| Answer::new(Value::Date(d), format_date(d))).map_err(reason)
}
fn window_check(s: &str) -> Result<Answer, String> {
    let lowered = s.to_lowercase().replace("às", "-").replace(" as ", "-").replace(" a ", "-");
    let (a, b) = lowered.split_once('-').ok_or_else(|| text::WINDOW_FORMAT.to_owned())?;
    let (a, b) = (parse_time(a).map_err(reason)?, parse_time(b).map_err(reason)?);
    if b <= a {
        return Err(text::WINDOW_BACKWARDS.into());
    }
    Ok(window(a, b))
}
fn window(a: NaiveTime, b: NaiveTime) -> Answer {
    Answer::new(Value::Window(a, b), text::window(&a.format("%H:%M").to_string(), &b.format("%H:%M").to_string()))
}
fn reason(e: DomainError) -> String {
    format!("{e}.")
}

/// A button of a field: its label, the answer it gives.
struct Choice {
    label: String,
    answer: Answer,
}

fn choice(label: impl Into<String>, value: Value) -> Choice {
    let label = label.into();
    Choice { answer: Answer::new(value, label.clone()), label }
}

fn choice_shown(label: impl Into<String>, value: Value, shown: impl Into<String>) -> Choice {
    Choice { label: label.into(), answer: Answer::new(value, shown) }
}

impl FormKind {
    fn specs(self) -> &'static [Spec] {
        match self {
            FormKind::NewClient => NEW_CLIENT,
            FormKind::AddPlan => ADD_PLAN,
            FormKind::NewTicket => NEW_TICKET,
            FormKind::WorkOrder => WORK_ORDER,
        }
    }
}

impl Form {
    /// A wizard's first state, before any field.
    pub(crate) fn new(kind: FormKind, client: Option<ClientId>, about: Option<String>) -> Form {
        let answers = BTreeMap::new();
        Form { kind, client, about, answers, at: None, page: 0, contact: None, editing: false, ticket: None }
    }

    pub(crate) fn title(&self) -> &'static str {
        text::form_title(self.kind)
    }

    fn value(&self, key: Key) -> Option<&Value> {
        self.answers.get(&key).map(|a| &a.value)
    }

    fn text(&self, key: Key) -> String {
        match self.value(key) {
            Some(Value::Text(t)) => t.clone(),
            _ => String::new(),
        }
    }

    fn id(&self, key: Key) -> Option<i64> {
        match self.value(key) {
            Some(Value::Id(id)) => Some(*id),
            _ => None,
        }
    }

    fn index(&self, key: Key) -> Option<usize> {
        self.kind.specs().iter().position(|s| s.key == key)
    }

    fn shown(&self, spec: &Spec, actor: &Actor) -> bool {
        (spec.show_if)(self, actor) != Shown::No
    }

    /// The fields asked (shown and not taken for the person): the step counter's.
    fn asked(&self, actor: &Actor) -> impl Iterator<Item = &'static Spec> {
        self.kind
            .specs()
            .iter()
            .filter(move |s| self.shown(s, actor) && !self.answers.get(&s.key).is_some_and(|a| a.auto))
    }

    /// The field being asked, as declared.
    fn spec(&self) -> Option<&'static Spec> {
        self.at.and_then(|k| self.kind.specs().iter().find(|s| s.key == k))
    }

    /// Records an answer to the field asked; what was taken for the person
    /// after it is taken again, as it may depend on this answer.
    fn answer(&mut self, key: Key, answer: Answer) {
        let from = self.index(key).unwrap_or(0);
        for later in &self.kind.specs()[from + 1..] {
            if self.answers.get(&later.key).is_some_and(|a| a.auto) {
                self.answers.remove(&later.key);
            }
        }
        self.answers.insert(key, answer);
    }
}

impl Desk {
    /// Starts a wizard and shows its first field.
    pub(crate) async fn start_form(
        &self,
        actor: &Actor,
        kind: FormKind,
        client: Option<ClientId>,
    ) -> Result<(Form, Screen), DomainError> {
        let about = match client {
            // The client must be in scope before anything is asked about it.
            Some(c) => Some(text::form_about(&self.store.client(actor, c).await?)),
            None => None,
        };
        let mut form = Form::new(kind, client, about);
        self.advance(actor, &mut form).await?;
        let screen = self.form_screen(actor, &form, None).await?;
        Ok((form, screen))
    }

    /// Starts Pedir O.S. for a ticket the actor may see.
    pub(crate) async fn start_work_order_form(
        &self,
        actor: &Actor,
        ticket: TicketId,
    ) -> Result<(Form, Screen), DomainError> {
        let t = self.store.ticket(actor, ticket).await?.ticket;
        let about = text::form_about_ticket(&t.protocol, &t.client_name);
        let form = Form { ticket: Some(ticket), ..Form::new(FormKind::WorkOrder, Some(t.client_id), Some(about)) };
        self.start_prefilled(actor, form).await
    }

    /// Starts a wizard whose fields hold answers already (a contact's), at its first field.
    pub(crate) async fn start_prefilled(&self, actor: &Actor, mut form: Form) -> Result<(Form, Screen), DomainError> {
        form.at = None;
        self.advance(actor, &mut form).await?;
        let screen = self.form_screen(actor, &form, None).await?;
        Ok((form, screen))
    }

    /// Moves to the next field to ask, taking for the person what has one
    /// sensible answer; past the last one, the summary. Changing a field from
    /// the summary goes back to it once every field shown has its answer.
    async fn advance(&self, actor: &Actor, form: &mut Form) -> Result<(), DomainError> {
        let specs = form.kind.specs();
        let start = match (form.editing, form.at.and_then(|k| form.index(k))) {
            (false, Some(i)) => i + 1,
            _ => 0,
        };
        form.page = 0;
        for spec in &specs[start..] {
            if !form.shown(spec, actor) {
                continue;
            }
            match form.answers.get(&spec.key) {
                Some(a) if a.auto || form.editing => continue,
                Some(_) => {}
                None => {
                    if let Some(taken) = self.preset(actor, form, spec.key).await? {
                        form.answers.insert(spec.key, Answer { auto: true, ..taken });
                        continue;
                    }
                }
            }
            form.at = Some(spec.key);
            return Ok(());
        }
        form.at = None;
        form.editing = false;
        Ok(())
    }

    /// The answer taken for the person when there is only one sensible one.
    async fn preset(&self, actor: &Actor, form: &Form, key: Key) -> Result<Option<Answer>, DomainError> {
        let client = form.client.unwrap_or(ClientId(0));
        Ok(match key {
            // A client with one active plan (or none at all): that plan.
            Key::Subscription => {
                let subs = self.store.subscriptions(actor, client).await?;
                let active: Vec<_> = subs.iter().filter(|s| s.status == SubscriptionStatus::Active).collect();
                match (subs.len(), active.as_slice()) {
                    (0, _) => Some(Answer::new(Value::Empty, text::NO_SPECIFIC_PLAN)),
                    (_, [only]) => Some(Answer::new(Value::Id(only.id.0), text::subscription_label(only, None))),
                    _ => None,
                }
            }
            // The ticket's ponto is its plan's own.
            Key::RoutingPoint => match form.id(Key::Subscription) {
                Some(s) => self
                    .store
                    .subscriptions(actor, client)
                    .await?
                    .into_iter()
                    .find(|x| x.id.0 == s)
                    .and_then(|x| x.routing_point)
                    .map(|rp| Answer::new(Value::Id(rp.id.0), rp.name)),
                None => None,
            },
            // Typed by a staff member in this chat: a Telegram contact.
            Key::Channel => self
                .store
                .channels()
                .await?
                .into_iter()
                .find(|c| c.name == text::TELEGRAM_CHANNEL)
                .map(|c| Answer::new(Value::Id(c.id.0), c.name)),
            Key::Reseller => match self.store.resellers().await?.as_slice() {
                [only] => Some(Answer::new(Value::Id(only.id.0), only.name.clone())),
                _ => None,
            },
            _ => None,
        })
    }

    /// The buttons of a field.
    async fn options(&self, actor: &Actor, form: &Form, key: Key) -> Result<Vec<Choice>, DomainError> {
        let client = form.client.unwrap_or(ClientId(0));
        let word = |label: &str, w: &str| choice(label, Value::Text(w.to_owned()));
        Ok(match key {
            Key::Kind => vec![word(text::PERSON, "person"), word(text::COMPANY, "company")],
            Key::Reseller => {
                self.store.resellers().await?.into_iter().map(|r| choice(r.name, Value::Id(r.id.0))).collect()
            }
            Key::Plan => self
                .store
                .plans()
                .await?
                .into_iter()
                .filter(|p| p.active)
                .map(|p| choice(format!("{} - {}", p.name, p.price), Value::Id(p.id.0)))
                .collect(),
            Key::Billing => BillingMethod::ALL.iter().map(|m| word(m.label(), m.as_str())).collect(),
            Key::DueDay => [5i64, 10, 15, 20, 25]
                .iter()
                .map(|d| choice_shown(text::due_day(*d), Value::Id(*d), d.to_string()))
                .collect(),
            Key::Salesperson => {
                let c = self.store.client(actor, client).await?;
                let mut options = vec![choice_shown(text::NOBODY, Value::Empty, "-")];
                for s in self.store.assignable_staff(actor, c.reseller_id).await? {
                    options.push(choice(s.name, Value::User(s.id.0)));
                }
                for name in self.store.salespeople(actor, c.reseller_id).await? {
                    options.push(choice(name.clone(), Value::Text(name)));
                }
                options
            }
            Key::PlanRoutingPoint | Key::RoutingPoint => {
                let mut options: Vec<Choice> = self
                    .store
                    .routing_points()
                    .await?
                    .into_iter()
                    .map(|rp| choice(rp.name, Value::Id(rp.id.0)))
                    .collect();
                options.push(choice_shown(text::NONE, Value::Empty, "-"));
                options
            }
            Key::Subscription => {
                let subs = self.store.subscriptions(actor, client).await?;
                let labels: Vec<String> = subs
                    .iter()
                    .map(|s| {
                        // Two of the same plan are told apart by their ponto and when they began.
                        let twin = subs.iter().filter(|o| o.plan_name == s.plan_name).count() > 1;
                        text::subscription_label(s, twin.then(|| (self.local)(s.created_at).date()))
                    })
                    .collect();
                let mut options: Vec<Choice> = subs
                    .iter()
                    .zip(&labels)
                    .map(|(s, label)| {
                        // Still alike (same ponto, same day): their numbers.
                        let alike = labels.iter().filter(|l| *l == label).count() > 1;
                        let label = if alike { text::numbered(label, s.id.0) } else { label.clone() };
                        choice(label, Value::Id(s.id.0))
                    })
                    .collect();
                options.push(choice(text::NO_SPECIFIC_PLAN, Value::Empty));
                options
            }
            // The person who called is often the client: one tap.
            Key::ContactName => {
                let c = self.store.client(actor, client).await?;
                vec![Choice { answer: typed(c.name.clone()), label: c.name }]
            }
            Key::Channel => {
                self.store.channels().await?.into_iter().map(|c| choice(c.name, Value::Id(c.id.0))).collect()
            }
            Key::TicketType => {
                self.store.ticket_types().await?.into_iter().map(|t| choice(t.name, Value::Id(t.id.0))).collect()
            }
            Key::Dest => {
                let c = self.store.client(actor, client).await?;
                let mut options: Vec<Choice> = self
                    .store
                    .roles()
                    .await?
                    .into_iter()
                    .map(|r| choice_shown(text::role_option(&r.name), Value::Role(r.id.0), text::role_option(&r.name)))
                    .collect();
                for s in self.store.assignable_staff(actor, c.reseller_id).await? {
                    options.push(choice(s.name, Value::User(s.id.0)));
                }
                options
            }
            Key::Outcome => vec![
                choice_shown(text::OUTCOME_OPEN, Value::Text("open".into()), text::OUTCOME_OPEN_SHOWN),
                choice_shown(text::OUTCOME_RESOLVED, Value::Text("resolved".into()), text::OUTCOME_RESOLVED_SHOWN),
                choice_shown(text::OUTCOME_OS, Value::Text("os".into()), text::OUTCOME_OS_SHOWN),
            ],
            Key::OsWindow => [("08:00", "12:00"), ("13:00", "18:00"), ("08:00", "18:00")]
                .iter()
                .filter_map(|(a, b)| Some((parse_time(a).ok()?, parse_time(b).ok()?)))
                .map(|(a, b)| {
                    let w = window(a, b);
                    Choice { label: w.shown.clone(), answer: w }
                })
                .collect(),
            Key::OsTech => {
                let c = self.store.client(actor, client).await?;
                let mut options: Vec<Choice> = self
                    .store
                    .assignable_staff(actor, c.reseller_id)
                    .await?
                    .into_iter()
                    .filter(|s| s.roles.iter().any(|r| r.name == balcao_domain::staff::TECHNICIAN_ROLE))
                    .map(|s| choice(s.name, Value::User(s.id.0)))
                    .collect();
                options.push(choice(text::LATER, Value::Empty));
                options
            }
            _ => Vec::new(),
        })
    }

    /// The screen of the current field, or the summary.
    pub(crate) async fn form_screen(
        &self,
        actor: &Actor,
        form: &Form,
        problem: Option<&str>,
    ) -> Result<Screen, DomainError> {
        let nav = vec![
            button(text::BACK, Callback::Wizard(WizardStep::Back)),
            button(text::CANCEL, Callback::Wizard(WizardStep::Cancel)),
        ];
        let lead = problem.map(|p| format!("{}\n\n", text::sentence(p))).unwrap_or_default();
        let about = form.about.as_deref().map(text::form_for).unwrap_or_default();
        let Some(spec) = form.spec() else {
            return self.summary(actor, form, &lead, &about, nav).await;
        };
        let options = self.options(actor, form, spec.key).await?;
        let labels: Vec<&str> = options.iter().map(|c| c.label.as_str()).collect();
        let (shown, page, pages) = render::page_of(&labels, form.page, OPTIONS_PER_PAGE);
        let first = page * OPTIONS_PER_PAGE;
        let mut keyboard: Keyboard = shown
            .chunks(2)
            .enumerate()
            .map(|(row, pair)| {
                pair.iter()
                    .enumerate()
                    .map(|(i, label)| button(*label, Callback::Wizard(WizardStep::Option(first + row * 2 + i))))
                    .collect()
            })
            .collect();
        keyboard.extend(render::nav_row(page, pages, |p| Callback::Wizard(WizardStep::Page(p)).encode()));
        // An answer given before (or brought from a contact) may be kept as it is.
        if let Some(before) = form.answers.get(&spec.key) {
            keyboard.insert(0, vec![button(text::keep(&before.shown), Callback::Wizard(WizardStep::Keep))]);
        }
        if spec.optional {
            keyboard.push(vec![button(text::SKIP, Callback::Wizard(WizardStep::Skip))]);
        }
        keyboard.push(nav);
        let question = text::question(spec.key, form.value(Key::Kind) == Some(&Value::Text("company".into())));
        let mut prompt = question.to_owned();
        if pages > 1 {
            prompt.push_str(&text::options_page(page + 1, pages));
        }
        let step = if form.editing {
            text::CHANGING.to_owned()
        } else {
            let asked: Vec<Key> = form.asked(actor).map(|s| s.key).collect();
            let n = asked.iter().position(|k| *k == spec.key).map_or(asked.len(), |i| i + 1);
            text::step(n, asked.len())
        };
        Ok(Screen { text: format!("{lead}{} - {step}{about}\n\n{prompt}", form.title()), keyboard })
    }

    async fn summary(
        &self,
        actor: &Actor,
        form: &Form,
        lead: &str,
        about: &str,
        nav: Vec<crate::desk::Button>,
    ) -> Result<Screen, DomainError> {
        let mut t = format!("{lead}{}{about}\n", text::summary_title(form.title()));
        let mut keyboard: Keyboard = Vec::new();
        for (i, spec) in form.kind.specs().iter().enumerate() {
            if !form.shown(spec, actor) {
                continue;
            }
            let answer = form.answers.get(&spec.key);
            t.push_str(&format!("\n{}: {}", text::label(spec.key), answer.map_or("-", |a| a.shown.as_str())));
            // What was taken for the person can be changed here, on request.
            if answer.is_some_and(|a| a.auto) {
                keyboard.push(vec![button(text::change(text::label(spec.key)), Callback::Wizard(WizardStep::Edit(i)))]);
            }
        }
        let mut confirm = text::CONFIRM;
        if let Some(warning) = self.summary_warning(actor, form).await? {
            t.push_str(&format!("\n\n{warning}"));
            confirm = text::CONFIRM_ANYWAY;
        }
        keyboard.insert(0, vec![button(confirm, Callback::Wizard(WizardStep::Confirm))]);
        keyboard.push(nav);
        Ok(Screen { text: t, keyboard })
    }

    /// What the person should know before confirming: the client has this plan active already.
    async fn summary_warning(&self, actor: &Actor, form: &Form) -> Result<Option<String>, DomainError> {
        if form.kind != FormKind::AddPlan {
            return Ok(None);
        }
        let (Some(client), Some(plan)) = (form.client, form.id(Key::Plan)) else { return Ok(None) };
        let subs = self.store.subscriptions(actor, client).await?;
        Ok(subs
            .iter()
            .find(|s| s.plan_id.0 == plan && s.status == SubscriptionStatus::Active)
            .map(|s| text::same_plan_active(&s.plan_name, &format_date((self.local)(s.created_at).date()))))
    }

    /// Typed text while a form is open.
    pub(crate) async fn form_text(
        &self,
        actor: &Actor,
        form: &mut Form,
        typed: &str,
    ) -> Result<FormOutcome, DomainError> {
        form.page = 0;
        let Some(spec) = form.spec() else {
            return self.again(actor, form, text::USE_BUTTONS_TO_CONFIRM).await;
        };
        let check = match spec.ask {
            Ask::Typed(check) | Ask::Either(check) => check,
            Ask::Choice => return self.again(actor, form, text::PICK_AN_OPTION).await,
        };
        let mut answer = match check(typed) {
            Ok(answer) => answer,
            Err(reason) => return self.again(actor, form, &reason).await,
        };
        match spec.key {
            Key::Document => {
                let doc = Document::from_stored(&form_text_of(&answer)).ok_or_else(missing)?;
                let wants_company = form.value(Key::Kind) == Some(&Value::Text("company".into()));
                if doc.is_company() != wants_company {
                    let why = if wants_company { text::COMPANY_USES_CNPJ } else { text::PERSON_USES_CPF };
                    return self.again(actor, form, why).await;
                }
                if let Some(existing) = self.store.client_by_document(actor, &doc).await? {
                    return Ok(FormOutcome::Screen(render::duplicate(&existing)));
                }
            }
            Key::OsDate if matches!(answer.value, Value::Date(d) if d < (self.today)()) => {
                return self.again(actor, form, text::VISIT_IN_PAST).await;
            }
            Key::Salesperson => {
                // A name typed that is a staff member's is that staff member.
                let same = self
                    .options(actor, form, Key::Salesperson)
                    .await?
                    .into_iter()
                    .find(|c| c.label.to_lowercase() == answer.shown.to_lowercase());
                if let Some(c) = same {
                    answer = c.answer;
                }
            }
            _ => {}
        }
        form.answer(spec.key, answer);
        self.next(actor, form).await
    }

    async fn again(&self, actor: &Actor, form: &Form, why: &str) -> Result<FormOutcome, DomainError> {
        Ok(FormOutcome::Screen(self.form_screen(actor, form, Some(why)).await?))
    }

    async fn next(&self, actor: &Actor, form: &mut Form) -> Result<FormOutcome, DomainError> {
        self.advance(actor, form).await?;
        Ok(FormOutcome::Screen(self.form_screen(actor, form, None).await?))
    }

    /// A button while a form is open. `NotFound` means the button is not of this screen.
    pub(crate) async fn form_tap(
        &self,
        actor: &Actor,
        form: &mut Form,
        step: WizardStep,
    ) -> Result<FormOutcome, DomainError> {
        const STALE: DomainError = DomainError::NotFound("tela");
        if let WizardStep::Page(page) = step {
            form.spec().ok_or(STALE)?;
            form.page = page;
            return Ok(FormOutcome::Screen(self.form_screen(actor, form, None).await?));
        }
        // Any other step leaves the options' pages behind.
        form.page = 0;
        match step {
            WizardStep::Cancel => Ok(FormOutcome::Cancelled),
            WizardStep::Back => {
                form.editing = false;
                let until = form.at.and_then(|k| form.index(k)).unwrap_or(form.kind.specs().len());
                let before = form.kind.specs()[..until]
                    .iter()
                    .rev()
                    .find(|s| form.shown(s, actor) && !form.answers.get(&s.key).is_some_and(|a| a.auto));
                match before {
                    Some(spec) => {
                        form.at = Some(spec.key);
                        Ok(FormOutcome::Screen(self.form_screen(actor, form, None).await?))
                    }
                    None => Ok(FormOutcome::Cancelled),
                }
            }
            WizardStep::Skip => {
                let spec = form.spec().filter(|s| s.optional).ok_or(STALE)?;
                form.answer(spec.key, Answer::new(Value::Empty, "-"));
                self.next(actor, form).await
            }
            WizardStep::Confirm if form.at.is_none() => self.commit(actor, form).await,
            WizardStep::Confirm => Err(STALE),
            WizardStep::Edit(i) => {
                let spec =
                    form.kind.specs().get(i).filter(|s| form.at.is_none() && form.shown(s, actor)).ok_or(STALE)?;
                form.at = Some(spec.key);
                form.editing = true;
                Ok(FormOutcome::Screen(self.form_screen(actor, form, None).await?))
            }
            WizardStep::Keep => {
                let spec = form.spec().ok_or(STALE)?;
                let kept = form.answers.get(&spec.key).cloned().ok_or(STALE)?;
                match (spec.ask, &kept.value) {
                    // Typed before: checked again, as if typed now (a CPF must still fit the
                    // kind and be new); kept as it was shown, so a document brought from a
                    // contact stays masked for a role that may not see documents.
                    (Ask::Typed(_) | Ask::Either(_), Value::Text(raw)) => {
                        let outcome = self.form_text(actor, form, &raw.clone()).await?;
                        if let Some(entry) = form.answers.get_mut(&spec.key)
                            && entry.value == kept.value
                        {
                            entry.shown = kept.shown;
                        }
                        Ok(outcome)
                    }
                    _ => {
                        form.answer(spec.key, Answer { auto: false, ..kept });
                        self.next(actor, form).await
                    }
                }
            }
            WizardStep::Option(index) => {
                let spec = form.spec().ok_or(STALE)?;
                let picked = self.options(actor, form, spec.key).await?.into_iter().nth(index).ok_or(STALE)?;
                form.answer(spec.key, picked.answer);
                self.next(actor, form).await
            }
            WizardStep::Page(_) => Err(STALE),
        }
    }

    /// Saves what the confirmed form describes, in one step of the store.
    async fn commit(&self, actor: &Actor, form: &Form) -> Result<FormOutcome, DomainError> {
        let result = match form.kind {
            FormKind::NewClient => self.save_client(actor, form).await,
            FormKind::AddPlan => {
                let client = form.client.ok_or(DomainError::NotFound("tela"))?;
                match self.store.add_subscription(actor, client, &plan_choice(form)?).await {
                    Ok(_) => {
                        let c = self.store.client(actor, client).await?;
                        let tab = render::plans(&c, &self.store.subscriptions(actor, client).await?);
                        Ok(Screen { text: format!("{}\n\n{}", text::PLAN_ADDED, tab.text), ..tab })
                    }
                    Err(e) => Err(e),
                }
            }
            FormKind::WorkOrder => {
                let ticket = form.ticket.ok_or_else(missing)?;
                match self.store.request_work_order(actor, ticket, &new_work_order(form)?).await {
                    Ok(_) => {
                        let screen = self.ticket_screen(actor, ticket).await?;
                        Ok(Screen { text: format!("{}\n\n{}", text::WORK_ORDER_REQUESTED, screen.text), ..screen })
                    }
                    Err(e) => Err(e),
                }
            }
            FormKind::NewTicket => match self.store.open_ticket(actor, &new_ticket(form)?, (self.today)()).await {
                // The ticket itself, with its actions: an O.S. left without a technician offers one here.
                Ok(ticket) => {
                    let screen = self.ticket_screen(actor, ticket.id).await?;
                    let opened = text::ticket_opened(&ticket.protocol);
                    Ok(Screen { text: format!("{opened}\n\n{}", screen.text), ..screen })
                }
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(screen) => Ok(FormOutcome::Done(screen, Vec::new())),
            Err(DomainError::Invalid(reason)) | Err(DomainError::Conflict(reason)) => {
                Ok(FormOutcome::Screen(self.form_screen(actor, form, Some(&reason)).await?))
            }
            Err(e) => Err(e),
        }
    }

    async fn save_client(&self, actor: &Actor, form: &Form) -> Result<Screen, DomainError> {
        let new = new_client(form, actor)?;
        let c = self.store.create_client(actor, &new).await?;
        let Some(contact) = form.contact else {
            return Ok(render::registration(&c, actor.sees_documents));
        };
        // Registered from a contact: the contact becomes the new client's ticket.
        match self.link_contact(actor, contact, c.id).await {
            Ok((notice, screen)) => {
                Ok(Screen { text: format!("{}\n{notice}\n\n{}", text::CLIENT_SAVED, screen.text), ..screen })
            }
            Err(DomainError::NotFound(_) | DomainError::Conflict(_)) => {
                let card = render::registration(&c, actor.sees_documents);
                Ok(Screen { text: format!("{}\n\n{}", text::LINK_LOST, card.text), ..card })
            }
            Err(e) => Err(e),
        }
    }
}

/// The raw text of a typed answer.
fn form_text_of(answer: &Answer) -> String {
    match &answer.value {
        Value::Text(t) => t.clone(),
        _ => String::new(),
    }
}

/// A form's answers that do not add up (a field missing): the screen is not
/// the one the person is on.
fn missing() -> DomainError {
    DomainError::NotFound("tela")
}

/// Novo Cliente's input, from its answers.
fn new_client(form: &Form, actor: &Actor) -> Result<NewClient, DomainError> {
    let reseller = match actor.scope {
        Scope::Reseller(r) => r,
        Scope::Provider => ResellerId(form.id(Key::Reseller).ok_or_else(missing)?),
    };
    let company = form.text(Key::Kind) == "company";
    let whole_address = form.shown(&NEW_CLIENT[form.index(Key::Number).unwrap_or(0)], actor);
    let part = |k: Key| if whole_address { form.text(k) } else { String::new() };
    Ok(NewClient {
        code: String::new(),
        reseller_id: reseller,
        kind: if company { ClientKind::Company } else { ClientKind::Person },
        name: form.text(Key::Name),
        trade_name: if company { form.text(Key::TradeName) } else { String::new() },
        document: Document::from_stored(&form.text(Key::Document)),
        rg_ie: String::new(),
        birth_date: None,
        address: Address {
            street: form.text(Key::Street),
            number: part(Key::Number),
            complement: String::new(),
            district: part(Key::District),
            city: form.text(Key::City),
            state: form.text(Key::State),
            postal_code: form.text(Key::PostalCode),
        },
        phones: vec![Phone::from_stored(&form.text(Key::Phone))],
        emails: Some(form.text(Key::Email)).filter(|e| !e.is_empty()).into_iter().collect(),
        notes: String::new(),
        status: ClientStatus::Active,
        unverified: Vec::new(),
    })
}

/// Adicionar Plano's input, from its answers.
fn plan_choice(form: &Form) -> Result<PlanChoice, DomainError> {
    Ok(PlanChoice {
        plan: PlanId(form.id(Key::Plan).ok_or_else(missing)?),
        billing_method: BillingMethod::parse(&form.text(Key::Billing)).map_err(|_| missing())?,
        due_day: DueDay::parse(&form.id(Key::DueDay).ok_or_else(missing)?.to_string()).map_err(|_| missing())?,
        salesperson: match form.value(Key::Salesperson) {
            Some(Value::User(id)) => Some(Salesperson::Staff(StaffId(*id))),
            Some(Value::Text(name)) => Some(Salesperson::Name(name.clone())),
            _ => None,
        },
        routing_point: form.id(Key::PlanRoutingPoint).map(RoutingPointId),
    })
}

/// The O.S. asked in Novo Atendimento or in Pedir O.S., from the answers.
fn new_work_order(form: &Form) -> Result<NewWorkOrder, DomainError> {
    let (Some(Value::Date(date)), Some(Value::Window(start, end))) =
        (form.value(Key::OsDate), form.value(Key::OsWindow))
    else {
        return Err(missing());
    };
    Ok(NewWorkOrder {
        date: *date,
        window_start: *start,
        window_end: *end,
        technician: match form.value(Key::OsTech) {
            Some(Value::User(id)) => Some(StaffId(*id)),
            _ => None,
        },
        address: String::new(),
        task: form.text(Key::OsTask),
    })
}

/// Novo Atendimento's input, from its answers.
fn new_ticket(form: &Form) -> Result<NewTicket, DomainError> {
    let assignee = match form.value(Key::Dest) {
        Some(Value::User(id)) => Assignee::User(StaffId(*id)),
        Some(Value::Role(id)) => Assignee::Role(RoleId(*id)),
        _ => return Err(missing()),
    };
    let outcome = form.text(Key::Outcome);
    let work_order = if outcome == "os" { Some(new_work_order(form)?) } else { None };
    Ok(NewTicket {
        client_id: form.client.ok_or_else(missing)?,
        subscription_id: form.id(Key::Subscription).map(SubscriptionId),
        routing_point_id: form.id(Key::RoutingPoint).map(RoutingPointId),
        contact_name: form.text(Key::ContactName),
        problem: form.text(Key::Problem),
        channel_id: ChannelId(form.id(Key::Channel).ok_or_else(missing)?),
        ticket_type_id: TicketTypeId(form.id(Key::TicketType).ok_or_else(missing)?),
        assignee,
        checks: form.text(Key::Checks),
        resolution: (outcome == "resolved").then(|| form.text(Key::Resolution)),
        work_order,
    })
}

/// What a form step leads to.
pub(crate) enum FormOutcome {
    /// The form goes on with this screen.
    Screen(Screen),
    /// Saved: the result screen, and messages for other people.
    Done(Screen, Vec<Reply>),
    /// The person left the form.
    Cancelled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_read_as_the_buttons_show_it() {
        let w = |s: &str| window_check(s).map(|a| a.value);
        let t = |s: &str| parse_time(s).unwrap();
        assert_eq!(w("09:00 às 11:00").unwrap(), Value::Window(t("09:00"), t("11:00")));
        assert_eq!(w("9h-11h").unwrap(), Value::Window(t("09:00"), t("11:00")));
        assert_eq!(w("14:00 as 16:30").unwrap(), Value::Window(t("14:00"), t("16:30")));
        assert!(w("11:00-09:00").unwrap_err().contains("depois do início"));
        assert!(w("de manhã").is_err());
    }

    #[test]
    fn every_field_of_every_wizard_is_declared_once_and_conditions_look_back() {
        for kind in [FormKind::NewClient, FormKind::AddPlan, FormKind::NewTicket, FormKind::WorkOrder] {
            let keys: Vec<Key> = kind.specs().iter().map(|s| s.key).collect();
            let mut unique = keys.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), keys.len(), "{kind:?}");
            for key in keys {
                assert!(!text::label(key).is_empty() && !text::question(key, false).is_empty(), "{key:?}");
            }
        }
    }

    #[test]
    fn the_step_total_only_shrinks_as_answers_come() {
        let actor = Actor::admin();
        let mut form = Form::new(FormKind::NewTicket, Some(ClientId(1)), None);
        let before = form.asked(&actor).count();
        form.answers.insert(Key::Outcome, Answer::new(Value::Text("open".into()), "Em aberto"));
        let after = form.asked(&actor).count();
        assert!(after < before, "{before} → {after}");
        form.answers.insert(Key::Outcome, Answer::new(Value::Text("os".into()), "Pedir O.S."));
        assert_eq!(form.asked(&actor).count(), before - 1, "the resolution is not asked with an O.S.");
    }
}
