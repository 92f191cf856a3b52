//! The wizards: Novo Cliente, Adicionar Plano and Novo Atendimento, as forms
//! of fields asked one at a time. Each field is typed (checked with a reason
//! in Portuguese and asked again) or chosen from buttons (whose value is
//! checked against the options offered, never trusted). Every step has
//! Voltar and Cancelar; nothing is saved before the summary is confirmed.

use std::collections::BTreeMap;

use balcao_domain::client::{
    Address, ClientKind, ClientStatus, NewClient, parse_email, parse_postal_code, parse_state,
};
use balcao_domain::document::Document;
use balcao_domain::finance::parse_date;
use balcao_domain::phone::Phone;
use balcao_domain::staff::{Actor, Scope};
use balcao_domain::subscription::{BillingMethod, DueDay, PlanChoice};
use balcao_domain::ticket::{Assignee, NewTicket, NewWorkOrder, parse_time};
use balcao_domain::{
    ChannelId, ClientId, DomainError, PlanId, ResellerId, RoleId, RoutingPointId, StaffId, SubscriptionId, TicketTypeId,
};
use serde::{Deserialize, Serialize};

use balcao_domain::callback::{Callback, WizardStep};

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
}

/// A wizard in progress: what was answered so far and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    /// Which wizard.
    pub kind: FormKind,
    /// The client it is for (Adicionar Plano, Novo Atendimento).
    pub client: Option<ClientId>,
    /// Answers by field key: the value and what the person saw.
    pub values: BTreeMap<String, (String, String)>,
    /// The field being asked; past the last one, the summary.
    pub at: usize,
    /// The page of the field's options shown, when they do not fit one screen.
    #[serde(default)]
    pub page: usize,
    /// The contact nobody matched this Novo Cliente is registered from: once
    /// saved, the contact is linked to the new client.
    #[serde(default)]
    pub contact: Option<balcao_domain::DeliveryId>,
}

/// Options of a field on one screen (8 rows of 2): Telegram refuses a
/// message with too many buttons, and a long list is hard to read anyway.
const OPTIONS_PER_PAGE: usize = 16;

/// A text check: the stored value, or why the input is refused.
type Check = fn(&str) -> Result<String, String>;

/// How a field is answered.
pub(crate) struct Field {
    key: &'static str,
    label: &'static str,
    prompt: String,
    options: Vec<(String, String)>,
    typed: Option<Check>,
    optional: bool,
}

fn text_field(key: &'static str, label: &'static str, prompt: impl Into<String>, check: Check) -> Field {
    Field { key, label, prompt: prompt.into(), options: Vec::new(), typed: Some(check), optional: false }
}

fn choice(key: &'static str, label: &'static str, prompt: impl Into<String>, options: Vec<(String, String)>) -> Field {
    Field { key, label, prompt: prompt.into(), options, typed: None, optional: false }
}

fn non_empty(min: usize, what: &'static str) -> impl Fn(&str) -> Result<String, String> {
    move |s: &str| {
        let t = s.trim();
        if t.chars().count() < min {
            Err(format!("{what} precisa de pelo menos {min} caracteres."))
        } else if t.chars().count() > 500 {
            Err(format!("{what} longo demais (máximo 500 caracteres)."))
        } else {
            Ok(t.to_owned())
        }
    }
}

fn name_check(s: &str) -> Result<String, String> {
    non_empty(2, "O nome")(s)
}
fn short_text(s: &str) -> Result<String, String> {
    non_empty(2, "O texto")(s)
}
fn long_text(s: &str) -> Result<String, String> {
    non_empty(3, "A descrição")(s)
}
fn document_check(s: &str) -> Result<String, String> {
    Document::parse(s).map(|d| d.digits().to_owned()).map_err(|e| format!("{e}."))
}
fn phone_check(s: &str) -> Result<String, String> {
    Phone::parse(s).map(|p| p.digits().to_owned()).map_err(|e| format!("{e}."))
}
fn email_check(s: &str) -> Result<String, String> {
    parse_email(s).map_err(|e| format!("{e}."))
}
fn postal_check(s: &str) -> Result<String, String> {
    parse_postal_code(s).map_err(|e| format!("{e}."))
}
fn state_check(s: &str) -> Result<String, String> {
    parse_state(s).map_err(|e| format!("{e}."))
}
fn due_day_check(s: &str) -> Result<String, String> {
    DueDay::parse(s).map(|d| d.get().to_string()).map_err(|e| format!("{e}."))
}
fn date_check(s: &str) -> Result<String, String> {
    parse_date(s).map(|d| d.to_string()).map_err(|e| format!("{e}."))
}
fn window_check(s: &str) -> Result<String, String> {
    let lowered = s.to_lowercase().replace("às", "-").replace(" as ", "-").replace(" a ", "-");
    let (a, b) = lowered.split_once('-').ok_or_else(|| "Use o formato 08:00-12:00.".to_owned())?;
    let (a, b) = (parse_time(a).map_err(|e| format!("{e}."))?, parse_time(b).map_err(|e| format!("{e}."))?);
    if b <= a {
        return Err("O fim da janela deve ser depois do início.".into());
    }
    Ok(format!("{}-{}", a.format("%H:%M"), b.format("%H:%M")))
}

impl Form {
    fn value(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(v, _)| v.as_str())
    }

    fn id<T>(&self, key: &str, wrap: fn(i64) -> T) -> Option<T> {
        self.value(key).and_then(|v| v.parse().ok()).map(wrap)
    }

    pub(crate) fn title(&self) -> &'static str {
        match self.kind {
            FormKind::NewClient => "Novo Cliente",
            FormKind::AddPlan => "Adicionar Plano",
            FormKind::NewTicket => "Novo Atendimento",
        }
    }

    /// How many fields the form has (some may be skipped).
    fn len(&self) -> usize {
        match self.kind {
            FormKind::NewClient => 12,
            FormKind::AddPlan => 4,
            FormKind::NewTicket => 16,
        }
    }

    /// Whether field `i` is skipped given the answers so far.
    fn skipped(&self, i: usize, actor: &Actor) -> bool {
        let is = |k: &str, v: &str| self.value(k) == Some(v);
        match (self.kind, i) {
            (FormKind::NewClient, 2) => !is("kind", "company"),
            (FormKind::NewClient, 11) => matches!(actor.scope, Scope::Reseller(_)),
            (FormKind::NewTicket, 10) => !is("resolved", "yes"),
            (FormKind::NewTicket, 12..=15) => !is("want_os", "yes"),
            _ => false,
        }
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
        if let Some(c) = client {
            // The client must be in scope before anything is asked about it.
            self.store.client(actor, c).await?;
        }
        let mut form = Form { kind, client, values: BTreeMap::new(), at: 0, page: 0, contact: None };
        form.at = self.next_field(actor, &form, 0);
        let screen = self.form_screen(actor, &form, None).await?;
        Ok((form, screen))
    }

    fn next_field(&self, actor: &Actor, form: &Form, from: usize) -> usize {
        (from..form.len()).find(|i| !form.skipped(*i, actor)).unwrap_or(form.len())
    }

    fn previous_field(&self, actor: &Actor, form: &Form) -> Option<usize> {
        (0..form.at.min(form.len())).rev().find(|i| !form.skipped(*i, actor))
    }

    /// The field `form.at`, with its options loaded.
    async fn field(&self, actor: &Actor, form: &Form) -> Result<Field, DomainError> {
        let client = form.client.unwrap_or(ClientId(0));
        Ok(match (form.kind, form.at) {
            (FormKind::NewClient, 0) => choice(
                "kind",
                "Tipo",
                "É pessoa física ou jurídica?",
                vec![("Pessoa física".into(), "person".into()), ("Pessoa jurídica".into(), "company".into())],
            ),
            (FormKind::NewClient, 1) => {
                text_field("name", "Nome", "Digite o nome completo (ou a razão social):", name_check)
            }
            (FormKind::NewClient, 2) => Field {
                optional: true,
                ..text_field("trade_name", "Nome Fantasia", "Digite o nome fantasia:", name_check)
            },
            (FormKind::NewClient, 3) => {
                let which = if form.value("kind") == Some("company") { "CNPJ" } else { "CPF" };
                text_field("document", "CPF/CNPJ", format!("Digite o {which}:"), document_check)
            }
            (FormKind::NewClient, 4) => text_field("phone", "Telefone", "Digite o telefone com DDD:", phone_check),
            (FormKind::NewClient, 5) => {
                Field { optional: true, ..text_field("email", "E-mail", "Digite o e-mail:", email_check) }
            }
            (FormKind::NewClient, 6) => text_field("postal_code", "CEP", "Digite o CEP:", postal_check),
            (FormKind::NewClient, 7) => Field {
                optional: true,
                ..text_field("street", "Endereço", "Digite a rua e o número (ex.: Rua das Flores, 12):", short_text)
            },
            (FormKind::NewClient, 8) => text_field("district", "Bairro", "Digite o bairro:", short_text),
            (FormKind::NewClient, 9) => text_field("city", "Cidade", "Digite a cidade:", short_text),
            (FormKind::NewClient, 10) => text_field("state", "UF", "Digite a UF (ex.: SP):", state_check),
            (FormKind::NewClient, 11) => choice(
                "reseller",
                "Revenda",
                "De qual revenda é o cliente?",
                self.store.resellers().await?.into_iter().map(|r| (r.name, r.id.0.to_string())).collect(),
            ),
            (FormKind::AddPlan, 0) => choice(
                "plan",
                "Plano",
                "Escolha o plano:",
                self.store
                    .plans()
                    .await?
                    .into_iter()
                    .filter(|p| p.active)
                    .map(|p| (format!("{} - {}", p.name, p.price), p.id.0.to_string()))
                    .collect(),
            ),
            (FormKind::AddPlan, 1) => choice(
                "billing",
                "Forma de Cobrança",
                "Forma de Cobrança:",
                BillingMethod::ALL.iter().map(|m| (m.label().to_owned(), m.as_str().to_owned())).collect(),
            ),
            (FormKind::AddPlan, 2) => Field {
                typed: Some(due_day_check),
                ..choice(
                    "due_day",
                    "Dia de vencimento",
                    "Dia de vencimento (escolha ou digite de 1 a 31):",
                    [5, 10, 15, 20, 25].iter().map(|d| (format!("Dia {d}"), d.to_string())).collect(),
                )
            },
            (FormKind::AddPlan, 3) => {
                let c = self.store.client(actor, client).await?;
                let mut options = vec![("Nenhum".to_owned(), "none".to_owned())];
                options.extend(
                    self.store
                        .assignable_staff(actor, c.reseller_id)
                        .await?
                        .into_iter()
                        .map(|s| (s.name, s.id.0.to_string())),
                );
                choice("salesperson", "Vendedor", "Quem é o Vendedor?", options)
            }
            (FormKind::NewTicket, 0) => {
                let mut options: Vec<(String, String)> = self
                    .store
                    .subscriptions(actor, client)
                    .await?
                    .into_iter()
                    .map(|s| (format!("{} ({})", s.plan_name, s.status.label()), s.id.0.to_string()))
                    .collect();
                options.push(("Sem plano específico".into(), "none".into()));
                choice("subscription", "Plano", "Dados do Atendimento\n\nQual plano?", options)
            }
            (FormKind::NewTicket, 1) => {
                let preset = match form.id("subscription", SubscriptionId) {
                    Some(s) => self
                        .store
                        .subscriptions(actor, client)
                        .await?
                        .into_iter()
                        .find(|x| x.id == s)
                        .and_then(|x| x.routing_point),
                    None => None,
                };
                let mut options = Vec::new();
                if let Some(rp) = &preset {
                    options.push((format!("Manter: {}", rp.name), rp.id.0.to_string()));
                }
                for rp in self.store.routing_points().await? {
                    if preset.as_ref().is_none_or(|p| p.id != rp.id) {
                        options.push((rp.name, rp.id.0.to_string()));
                    }
                }
                options.push(("Nenhum".into(), "none".into()));
                choice("routing_point", "Ponto de Roteamento", "Ponto de Roteamento:", options)
            }
            (FormKind::NewTicket, 2) => {
                text_field("contact_name", "Nome da Pessoa", "Nome da Pessoa que entrou em contato:", name_check)
            }
            (FormKind::NewTicket, 3) => text_field("problem", "Problema", "Problema descrito pelo cliente:", long_text),
            (FormKind::NewTicket, 4) => choice(
                "channel",
                "Tipo de Contato",
                "Primeiro Contato\n\nTipo de Contato:",
                self.store.channels().await?.into_iter().map(|c| (c.name, c.id.0.to_string())).collect(),
            ),
            (FormKind::NewTicket, 5) => choice(
                "ticket_type",
                "Tipo de Atendimento",
                "Tipo de Atendimento:",
                self.store.ticket_types().await?.into_iter().map(|t| (t.name, t.id.0.to_string())).collect(),
            ),
            (FormKind::NewTicket, 6) => choice(
                "dest_kind",
                "Destino",
                "Destino:",
                vec![("Usuário".into(), "user".into()), ("Cargo".into(), "role".into())],
            ),
            (FormKind::NewTicket, 7) => {
                let options = if form.value("dest_kind") == Some("user") {
                    let c = self.store.client(actor, client).await?;
                    self.store
                        .assignable_staff(actor, c.reseller_id)
                        .await?
                        .into_iter()
                        .map(|s| (s.name, format!("u{}", s.id.0)))
                        .collect()
                } else {
                    self.store.roles().await?.into_iter().map(|r| (r.name, format!("r{}", r.id.0))).collect()
                };
                choice("dest", "Para", "Para quem?", options)
            }
            (FormKind::NewTicket, 8) => Field {
                optional: true,
                ..text_field("checks", "Verificações", "Verificações feitas com o cliente:", short_text)
            },
            (FormKind::NewTicket, 9) => choice(
                "resolved",
                "Atendimento Resolvido",
                "Atendimento Resolvido já neste contato?",
                vec![("Sim, resolvido".into(), "yes".into()), ("Não".into(), "no".into())],
            ),
            (FormKind::NewTicket, 10) => text_field("resolution", "Solução", "Como foi resolvido?", long_text),
            (FormKind::NewTicket, 11) => choice(
                "want_os",
                "Pedir O.S.",
                "Pedir O.S. (visita técnica)?",
                vec![("Pedir O.S.".into(), "yes".into()), ("Não".into(), "no".into())],
            ),
            (FormKind::NewTicket, 12) => {
                text_field("os_date", "Data da O.S.", "Data da visita (dd/mm/aaaa):", date_check)
            }
            (FormKind::NewTicket, 13) => Field {
                typed: Some(window_check),
                ..choice(
                    "os_window",
                    "Janela",
                    "Janela de horário (escolha ou digite, ex.: 09:00-11:00):",
                    vec![
                        ("08:00 às 12:00".into(), "08:00-12:00".into()),
                        ("13:00 às 18:00".into(), "13:00-18:00".into()),
                        ("08:00 às 18:00".into(), "08:00-18:00".into()),
                    ],
                )
            },
            (FormKind::NewTicket, 14) => {
                let c = self.store.client(actor, client).await?;
                let mut options: Vec<(String, String)> = self
                    .store
                    .assignable_staff(actor, c.reseller_id)
                    .await?
                    .into_iter()
                    .filter(|s| s.roles.iter().any(|r| r.name == "Técnico de campo"))
                    .map(|s| (s.name, s.id.0.to_string()))
                    .collect();
                options.push(("Definir depois".into(), "none".into()));
                choice("os_tech", "Técnico", "Técnico:", options)
            }
            (FormKind::NewTicket, 15) => text_field("os_task", "O que fazer", "O que o técnico deve fazer?", long_text),
            _ => return Err(DomainError::NotFound("tela")),
        })
    }

    /// The screen of the current field, or the summary past the last one.
    pub(crate) async fn form_screen(
        &self,
        actor: &Actor,
        form: &Form,
        problem: Option<&str>,
    ) -> Result<Screen, DomainError> {
        let step = (0..=form.at.min(form.len())).filter(|i| !form.skipped(*i, actor)).count();
        let total = (0..form.len()).filter(|i| !form.skipped(*i, actor)).count();
        let nav = vec![
            button(text::BACK, Callback::Wizard(WizardStep::Back)),
            button(text::CANCEL, Callback::Wizard(WizardStep::Cancel)),
        ];
        let lead = problem.map(|p| format!("{}\n\n", text::sentence(p))).unwrap_or_default();
        if form.at >= form.len() {
            let mut t = format!("{lead}{} - confira e confirme:\n", form.title());
            for i in 0..form.len() {
                if form.skipped(i, actor) {
                    continue;
                }
                let mut probe = form.clone();
                probe.at = i;
                let field = self.field(actor, &probe).await?;
                let shown = form.values.get(field.key).map(|(_, l)| l.as_str()).unwrap_or("-");
                t.push_str(&format!("\n{}: {shown}", field.label));
            }
            return Ok(Screen {
                text: t,
                keyboard: vec![vec![button("✔ Confirmar", Callback::Wizard(WizardStep::Confirm))], nav],
            });
        }
        let field = self.field(actor, form).await?;
        let (shown, page, pages) = render::page_of(&field.options, form.page, OPTIONS_PER_PAGE);
        let first = page * OPTIONS_PER_PAGE;
        let mut keyboard: Keyboard = shown
            .chunks(2)
            .enumerate()
            .map(|(row, pair)| {
                pair.iter()
                    .enumerate()
                    .map(|(i, (label, _))| {
                        button(label.clone(), Callback::Wizard(WizardStep::Option(first + row * 2 + i)))
                    })
                    .collect()
            })
            .collect();
        keyboard.extend(render::nav_row(page, pages, |p| Callback::Wizard(WizardStep::Page(p)).encode()));
        // A typed answer given before (or brought from a contact) may be kept as it is.
        if field.typed.is_some()
            && let Some((_, shown)) = form.values.get(field.key)
        {
            keyboard.insert(0, vec![button(format!("✔ Usar: {shown}"), Callback::Wizard(WizardStep::Keep))]);
        }
        if field.optional {
            keyboard.push(vec![button("Pular", Callback::Wizard(WizardStep::Skip))]);
        }
        keyboard.push(nav);
        let mut prompt = field.prompt;
        if pages > 1 {
            prompt.push_str(&format!("\n(página {} de {})", page + 1, pages));
        }
        Ok(Screen { text: format!("{lead}{} - passo {step} de {total}\n\n{prompt}", form.title()), keyboard })
    }

    /// Typed text while a form is open.
    pub(crate) async fn form_text(
        &self,
        actor: &Actor,
        form: &mut Form,
        typed: &str,
    ) -> Result<FormOutcome, DomainError> {
        form.page = 0;
        if form.at >= form.len() {
            return Ok(FormOutcome::Screen(
                self.form_screen(actor, form, Some("Use os botões para confirmar ou voltar.")).await?,
            ));
        }
        let field = self.field(actor, form).await?;
        let Some(check) = field.typed else {
            return Ok(FormOutcome::Screen(
                self.form_screen(actor, form, Some("Escolha uma das opções abaixo.")).await?,
            ));
        };
        match check(typed) {
            Ok(value) => {
                if field.key == "document" {
                    let doc = Document::from_stored(&value).ok_or_else(|| DomainError::invalid("documento"))?;
                    let wants_company = form.value("kind") == Some("company");
                    if doc.is_company() != wants_company {
                        let why = if wants_company { "Pessoa jurídica usa CNPJ." } else { "Pessoa física usa CPF." };
                        return Ok(FormOutcome::Screen(self.form_screen(actor, form, Some(why)).await?));
                    }
                    if let Some(existing) = self.store.client_by_document(actor, &doc).await? {
                        return Ok(FormOutcome::Screen(render::duplicate(&existing)));
                    }
                    // Whoever typed it sees it whole in the summary: it is their own input.
                    form.values.insert(field.key.into(), (value, doc.formatted()));
                } else {
                    if field.key == "os_date"
                        && chrono::NaiveDate::parse_from_str(&value, "%Y-%m-%d").is_ok_and(|d| d < (self.today)())
                    {
                        return Ok(FormOutcome::Screen(
                            self.form_screen(actor, form, Some(text::VISIT_IN_PAST)).await?,
                        ));
                    }
                    let shown = shown_as(field.key, &value, typed);
                    form.values.insert(field.key.into(), (value, shown));
                }
                form.at = self.next_field(actor, form, form.at + 1);
                Ok(FormOutcome::Screen(self.form_screen(actor, form, None).await?))
            }
            Err(reason) => Ok(FormOutcome::Screen(self.form_screen(actor, form, Some(&reason)).await?)),
        }
    }

    /// A button while a form is open.
    pub(crate) async fn form_tap(
        &self,
        actor: &Actor,
        form: &mut Form,
        step: WizardStep,
    ) -> Result<FormOutcome, DomainError> {
        if let WizardStep::Page(page) = step {
            form.page = page;
            return Ok(FormOutcome::Screen(self.form_screen(actor, form, None).await?));
        }
        // Any other step leaves the options' pages behind.
        form.page = 0;
        match step {
            WizardStep::Cancel => Ok(FormOutcome::Cancelled),
            WizardStep::Back => match self.previous_field(actor, form) {
                Some(i) => {
                    form.at = i;
                    Ok(FormOutcome::Screen(self.form_screen(actor, form, None).await?))
                }
                None => Ok(FormOutcome::Cancelled),
            },
            WizardStep::Skip => {
                let field = self.field(actor, form).await?;
                if !field.optional {
                    return Err(DomainError::NotFound("tela"));
                }
                form.values.remove(field.key);
                form.at = self.next_field(actor, form, form.at + 1);
                Ok(FormOutcome::Screen(self.form_screen(actor, form, None).await?))
            }
            WizardStep::Confirm if form.at >= form.len() => self.commit(actor, form).await,
            WizardStep::Confirm => Err(DomainError::NotFound("tela")),
            WizardStep::Keep => {
                if form.at >= form.len() {
                    return Err(DomainError::NotFound("tela"));
                }
                let field = self.field(actor, form).await?;
                let kept = form.values.get(field.key).map(|(v, _)| v.clone());
                let shown = form.values.get(field.key).map(|(_, s)| s.clone());
                match (field.typed, kept) {
                    // Checked again, as if typed: a CPF must still fit the kind, and be new.
                    (Some(_), Some(value)) => {
                        let outcome = self.form_text(actor, form, &value).await?;
                        // Kept as it was shown: a document brought from a contact stays masked
                        // for a role that may not see documents.
                        if let (Some(shown), Some(entry)) = (shown, form.values.get_mut(field.key)) {
                            entry.1 = shown;
                        }
                        Ok(outcome)
                    }
                    _ => Err(DomainError::NotFound("tela")),
                }
            }
            WizardStep::Page(_) => Err(DomainError::NotFound("tela")),
            WizardStep::Option(index) => {
                if form.at >= form.len() {
                    return Err(DomainError::NotFound("tela"));
                }
                let field = self.field(actor, form).await?;
                let (label, value) = field.options.get(index).cloned().ok_or(DomainError::NotFound("tela"))?;
                form.values.insert(field.key.into(), (value, label));
                form.at = self.next_field(actor, form, form.at + 1);
                Ok(FormOutcome::Screen(self.form_screen(actor, form, None).await?))
            }
        }
    }

    /// Saves what the confirmed form describes, in one step of the store.
    async fn commit(&self, actor: &Actor, form: &Form) -> Result<FormOutcome, DomainError> {
        let v = |k: &str| form.value(k).unwrap_or("").to_owned();
        let result = match form.kind {
            FormKind::NewClient => {
                let reseller = match actor.scope {
                    Scope::Reseller(r) => r,
                    Scope::Provider => form.id("reseller", ResellerId).ok_or(DomainError::NotFound("tela"))?,
                };
                let (street, number) = match v("street").rsplit_once(',') {
                    Some((s, n)) => (s.trim().to_owned(), n.trim().to_owned()),
                    None => (v("street"), String::new()),
                };
                let new = NewClient {
                    code: String::new(),
                    reseller_id: reseller,
                    kind: if v("kind") == "company" { ClientKind::Company } else { ClientKind::Person },
                    name: v("name"),
                    trade_name: if v("kind") == "company" { v("trade_name") } else { String::new() },
                    document: Document::from_stored(&v("document")),
                    rg_ie: String::new(),
                    birth_date: None,
                    address: Address {
                        street,
                        number,
                        complement: String::new(),
                        district: v("district"),
                        city: v("city"),
                        state: v("state"),
                        postal_code: v("postal_code"),
                    },
                    phones: vec![Phone::from_stored(&v("phone"))],
                    emails: form.value("email").map(|e| vec![e.to_owned()]).unwrap_or_default(),
                    notes: String::new(),
                    status: ClientStatus::Active,
                    unverified: Vec::new(),
                };
                match self.store.create_client(actor, &new).await {
                    Ok(c) => match form.contact {
                        // Registered from a contact: the contact becomes the new client's ticket.
                        Some(contact) => match self.link_contact(actor, contact, c.id).await {
                            Ok((notice, screen)) => Ok(Screen {
                                text: format!("{}\n{notice}\n\n{}", text::CLIENT_SAVED, screen.text),
                                ..screen
                            }),
                            Err(DomainError::NotFound(_) | DomainError::Conflict(_)) => {
                                let card = render::registration(&c, actor.sees_documents);
                                Ok(Screen { text: format!("{}\n\n{}", text::LINK_LOST, card.text), ..card })
                            }
                            Err(e) => Err(e),
                        },
                        None => Ok(render::registration(&c, actor.sees_documents)),
                    },
                    Err(e) => Err(e),
                }
            }
            FormKind::AddPlan => {
                let client = form.client.ok_or(DomainError::NotFound("tela"))?;
                let choice = PlanChoice {
                    plan: form.id("plan", PlanId).ok_or(DomainError::NotFound("tela"))?,
                    billing_method: BillingMethod::parse(&v("billing")).map_err(|_| DomainError::NotFound("tela"))?,
                    due_day: DueDay::parse(&v("due_day")).map_err(|_| DomainError::NotFound("tela"))?,
                    salesperson: form.id("salesperson", StaffId),
                    routing_point: None,
                };
                match self.store.add_subscription(actor, client, &choice).await {
                    Ok(_) => {
                        let c = self.store.client(actor, client).await?;
                        let tab = render::plans(&c, &self.store.subscriptions(actor, client).await?);
                        Ok(Screen { text: format!("{}\n\n{}", text::PLAN_ADDED, tab.text), ..tab })
                    }
                    Err(e) => Err(e),
                }
            }
            FormKind::NewTicket => {
                let client = form.client.ok_or(DomainError::NotFound("tela"))?;
                let dest = v("dest");
                let assignee = match (dest.get(..1), dest.get(1..).and_then(|n| n.parse::<i64>().ok())) {
                    (Some("u"), Some(id)) => Assignee::User(StaffId(id)),
                    (Some("r"), Some(id)) => Assignee::Role(RoleId(id)),
                    _ => return Err(DomainError::NotFound("tela")),
                };
                let work_order = if v("want_os") == "yes" {
                    let (start, end) =
                        v("os_window").split_once('-').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap_or_default();
                    Some(NewWorkOrder {
                        date: parse_date(&v("os_date")).map_err(|_| DomainError::NotFound("tela"))?,
                        window_start: parse_time(&start)?,
                        window_end: parse_time(&end)?,
                        technician: form.id("os_tech", StaffId),
                        address: String::new(),
                        task: v("os_task"),
                    })
                } else {
                    None
                };
                let new = NewTicket {
                    client_id: client,
                    subscription_id: form.id("subscription", SubscriptionId),
                    routing_point_id: form.id("routing_point", RoutingPointId),
                    contact_name: v("contact_name"),
                    problem: v("problem"),
                    channel_id: form.id("channel", ChannelId).ok_or(DomainError::NotFound("tela"))?,
                    ticket_type_id: form.id("ticket_type", TicketTypeId).ok_or(DomainError::NotFound("tela"))?,
                    assignee,
                    checks: v("checks"),
                    resolution: (v("resolved") == "yes").then(|| v("resolution")),
                    work_order,
                };
                match self.store.open_ticket(actor, &new, (self.today)()).await {
                    Ok(ticket) => {
                        let detail = self.in_local_time(self.store.ticket(actor, ticket.id).await?);
                        let who = self.assignee_name(&detail.ticket.assignee).await?;
                        let extra = self.ticket_extra(actor, &detail.ticket).await?;
                        return Ok(FormOutcome::Done(render::ticket_opened(&detail, &who, &extra), Vec::new()));
                    }
                    Err(e) => Err(e),
                }
            }
        };
        match result {
            Ok(screen) => Ok(FormOutcome::Done(screen, Vec::new())),
            Err(DomainError::Invalid(reason)) | Err(DomainError::Conflict(reason)) => {
                Ok(FormOutcome::Screen(self.form_screen(actor, form, Some(&reason)).await?))
            }
            Err(e) => Err(e),
        }
    }
}

/// How a typed answer reads in the summary: the value as it was understood
/// (UF and CEP normalized, the phone formatted, the date in full), else as typed.
fn shown_as(key: &str, value: &str, typed: &str) -> String {
    match key {
        "state" | "postal_code" | "email" | "due_day" => value.to_owned(),
        "phone" => Phone::from_stored(value).formatted(),
        "os_date" => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|_| typed.trim().to_owned()),
        "os_window" => value.replacen('-', " às ", 1),
        _ => typed.trim().to_owned(),
    }
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
        assert_eq!(window_check("09:00 às 11:00").unwrap(), "09:00-11:00");
        assert_eq!(window_check("9h-11h").unwrap(), "09:00-11:00");
        assert_eq!(window_check("14:00 as 16:30").unwrap(), "14:00-16:30");
        assert!(window_check("11:00-09:00").unwrap_err().contains("depois do início"));
        assert!(window_check("de manhã").is_err());
    }
}
