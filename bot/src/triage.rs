//! "Contatos sem cliente": the e-mails and form contacts intake could not
//! match to a client wait for a person of the triage role (`intake.triage_role`),
//! who reads each one, then links it to a client found by the usual search,
//! registers a Novo Cliente from it (its name, e-mail, phone and CPF/CNPJ
//! offered as answers), or discards it. Linking opens the ticket as intake
//! would have: routed by the rules and acknowledged to the sender. Every step
//! goes through the store as the person, so a reseller's staff reach only
//! what was sent to their reseller and link only to their own clients.

use std::sync::Arc;

use balcao_domain::callback::Callback;
use balcao_domain::document::Document;
use balcao_domain::intake::{Contact, Delivery, IntakeChannel, IntakeSetup, new_text, size_text};
use balcao_domain::phone::Phone;
use balcao_domain::staff::Actor;
use balcao_domain::{ClientId, DeliveryId, DomainError};

use crate::desk::{Desk, Halt, Keyboard, Screen, Tapped, button};
use crate::forms::{Answer, Form, FormKind, Key, Value};
use crate::render;
use crate::state::{ChatState, Step};
use crate::text;

/// Reads a stored contact's bytes as intake does.
pub type ReadContact = Arc<dyn Fn(IntakeChannel, &[u8]) -> Option<Contact> + Send + Sync>;

/// What triage needs besides the store.
#[derive(Clone)]
pub struct Triage {
    /// The cargo whose members see "Contatos sem cliente".
    pub role: String,
    /// Intake's routing, for the ticket a linked contact opens.
    pub setup: IntakeSetup,
    /// Reads a stored contact.
    pub read: ReadContact,
}

/// Contacts per page of the list.
const PER_PAGE: usize = 8;
/// The list reads at most this many.
const LISTED: i64 = 200;

impl Desk {
    /// Whether `actor` holds the triage role (and intake is on).
    pub(crate) async fn may_triage(&self, actor: &Actor) -> Result<bool, DomainError> {
        let Some(triage) = &self.triage else { return Ok(false) };
        let roles = self.store.roles().await?;
        Ok(roles.iter().any(|r| r.name == triage.role && actor.roles.contains(&r.id)))
    }

    /// The list, page `page`.
    pub(crate) async fn unmatched_list(&self, actor: &Actor, page: usize) -> Result<Screen, DomainError> {
        if !self.may_triage(actor).await? {
            return Ok(Screen { text: text::TRIAGE_NOT_YOURS.into(), keyboard: render::menu_button() });
        }
        let all = self.store.unmatched(actor, LISTED).await?;
        if all.is_empty() {
            return Ok(Screen { text: text::TRIAGE_EMPTY.into(), keyboard: render::menu_button() });
        }
        let pages = all.len().div_ceil(PER_PAGE);
        let page = page.min(pages - 1);
        let mut keyboard: Keyboard = all
            .iter()
            .skip(page * PER_PAGE)
            .take(PER_PAGE)
            .map(|d| vec![button(list_label(d), Callback::Contact(d.id))])
            .collect();
        keyboard.extend(render::nav_row(page, pages, |p| Callback::Unmatched(p).encode()));
        keyboard.push(render::menu_button().remove(0));
        let more = if all.len() as i64 >= LISTED { "+" } else { "" };
        Ok(Screen { text: text::triage_title(all.len(), more, page, pages), keyboard })
    }

    /// One contact, read in full, with what can be done with it.
    async fn unmatched_screen(&self, actor: &Actor, id: DeliveryId) -> Result<Screen, DomainError> {
        let (delivery, contact) = self.unmatched_contact(actor, id).await?;
        let received = (self.local)(delivery.received_at).format("%d/%m/%Y %H:%M");
        let mut t = format!("📥 Contato nº {} - sem cliente\n\n", id.0);
        t.push_str(&format!("Recebido em {received} ({})\n", delivery.channel.label()));
        let name = contact.from_name.trim();
        match (name.is_empty(), contact.from_address.is_empty()) {
            (false, false) => t.push_str(&format!("De: {name} <{}>\n", contact.from_address)),
            (true, false) => t.push_str(&format!("De: {}\n", contact.from_address)),
            (false, true) => t.push_str(&format!("De: {name}\n")),
            (true, true) => {}
        }
        if !contact.phone.is_empty() {
            t.push_str(&format!("Telefone: {}\n", Phone::from_stored(&contact.phone).formatted()));
        }
        if let Some(doc) = contact.document() {
            let shown = if actor.sees_documents { doc.formatted() } else { doc.masked() };
            t.push_str(&format!("CPF/CNPJ informado: {shown}\n"));
        }
        t.push_str(&format!(
            "Assunto: {}\n",
            if contact.subject.is_empty() { "(sem assunto)" } else { &contact.subject }
        ));
        // The reason without what the command line would do about it.
        let why = delivery.reason.split(';').next().unwrap_or_default().trim();
        t.push_str(&format!("Por que está aqui: {why}\n\n"));
        let body = new_text(&contact.text);
        let excerpt: String = body.chars().take(1500).collect();
        t.push_str(&excerpt);
        if excerpt.len() < body.len() {
            t.push_str(" […]");
        }
        if !contact.attachments.is_empty() {
            let files: Vec<String> =
                contact.attachments.iter().map(|(n, size)| format!("{n} ({})", size_text(*size))).collect();
            t.push_str(&format!("\n\nAnexos: {}", files.join(", ")));
        }
        let keyboard = vec![
            vec![button("🔗 Vincular a um cliente", Callback::LinkSearch(id))],
            vec![button("➕ Novo Cliente com estes dados", Callback::NewClientFromContact(id))],
            vec![button("🗑 Descartar", Callback::Discard(id))],
            vec![button(text::BACK, Callback::Unmatched(0)), button(text::MENU, Callback::Menu)],
        ];
        Ok(Screen { text: t, keyboard })
    }

    /// A contact `actor` may triage, read.
    async fn unmatched_contact(&self, actor: &Actor, id: DeliveryId) -> Result<(Delivery, Contact), DomainError> {
        let triage = self.triage.as_ref().ok_or(DomainError::NotFound("tela"))?;
        if !self.may_triage(actor).await? {
            return Err(DomainError::NotFound("contato"));
        }
        let (delivery, channel, raw) = self.store.unmatched_one(actor, id).await?;
        let contact = (triage.read)(channel, &raw).ok_or(DomainError::NotFound("contato"))?;
        Ok((delivery, contact))
    }

    /// Links contact `id` to `client`: the ticket's screen, and the notice.
    pub(crate) async fn link_contact(
        &self,
        actor: &Actor,
        id: DeliveryId,
        client: ClientId,
    ) -> Result<(String, Screen), DomainError> {
        let (_, contact) = self.unmatched_contact(actor, id).await?;
        let triage = self.triage.as_ref().ok_or(DomainError::NotFound("tela"))?;
        let linked = self.store.link_delivery(actor, id, client, &contact, &triage.setup, (self.today)()).await?;
        let ticket = linked.ticket.ok_or_else(|| DomainError::Backend("contato vinculado sem atendimento".into()))?;
        let notice = text::linked(linked.protocol.as_deref().unwrap_or(""));
        Ok((notice, self.ticket_screen(actor, ticket).await?))
    }

    /// The client card's extra row while a contact waits to be linked.
    pub(crate) fn link_row(state: &ChatState, client: ClientId) -> Option<Vec<crate::desk::Button>> {
        state.linking.map(|d| {
            vec![button(format!("🔗 Vincular o contato nº {} a este cliente", d.0), Callback::LinkConfirm(d, client))]
        })
    }

    /// Triage's buttons.
    pub(crate) async fn triage_tap(&self, actor: &Actor, state: &mut ChatState, callback: Callback) -> Tapped {
        let (notice, screen) = match callback {
            Callback::Unmatched(page) => (None, self.unmatched_list(actor, page).await?),
            Callback::Contact(id) => (None, self.unmatched_screen(actor, id).await?),
            Callback::LinkSearch(id) => {
                self.unmatched_contact(actor, id).await?;
                state.linking = Some(id);
                state.step = Step::Idle;
                let pick = render::pick_filter();
                (None, Screen { text: format!("{}\n\n{}", text::linking(id.0), pick.text), ..pick })
            }
            Callback::LinkConfirm(id, client) => {
                self.unmatched_contact(actor, id).await?;
                let c = self.store.client(actor, client).await?;
                let keyboard = vec![
                    vec![button("✔ Vincular", Callback::Link(id, client))],
                    vec![button(text::BACK, Callback::Registration(client))],
                ];
                (None, Screen { text: text::confirm_link(id.0, &c.name, &c.code), keyboard })
            }
            Callback::Link(id, client) => {
                let (notice, screen) = self.link_contact(actor, id, client).await?;
                state.linking = None;
                (Some(notice), screen)
            }
            Callback::NewClientFromContact(id) => {
                let (_, c) = self.unmatched_contact(actor, id).await?;
                let form = Form {
                    answers: prefilled(&c, actor),
                    contact: Some(id),
                    ..Form::new(FormKind::NewClient, None, None)
                };
                let (form, screen) = self.start_prefilled(actor, form).await?;
                state.linking = None;
                state.step = Step::Form(form);
                (None, screen)
            }
            Callback::Discard(id) => {
                self.unmatched_contact(actor, id).await?;
                let keyboard = vec![
                    vec![button("🗑 Sim, descartar", Callback::DiscardConfirmed(id))],
                    vec![button(text::BACK, Callback::Contact(id))],
                ];
                (None, Screen { text: text::confirm_discard(id.0), keyboard })
            }
            Callback::DiscardConfirmed(id) => {
                if !self.may_triage(actor).await? {
                    return Err(DomainError::NotFound("contato").into());
                }
                self.store.discard_delivery(actor, id).await?;
                if state.linking == Some(id) {
                    state.linking = None;
                }
                (Some(text::DISCARDED.into()), self.unmatched_list(actor, 0).await?)
            }
            // The desk sends only the buttons above here.
            _ => return Err(Halt::Stale),
        };
        Ok((notice, screen, Vec::new()))
    }
}

/// The answers a Novo Cliente from a contact starts with: what the contact
/// gave, each offered on its step to keep or retype.
fn prefilled(c: &Contact, actor: &Actor) -> std::collections::BTreeMap<Key, Answer> {
    let mut values = std::collections::BTreeMap::new();
    let text = |t: &str, shown: String| Answer { value: Value::Text(t.to_owned()), shown, auto: false };
    let name = c.from_name.trim();
    if name.chars().count() >= 2 {
        values.insert(Key::Name, text(name, name.to_owned()));
    }
    if !c.phone.is_empty() {
        values.insert(Key::Phone, text(&c.phone, Phone::from_stored(&c.phone).formatted()));
    }
    if !c.from_address.is_empty() {
        values.insert(Key::Email, text(&c.from_address, c.from_address.clone()));
    }
    if let Some(doc) = c.document().and_then(|d| Document::from_stored(d.digits())) {
        let shown = if actor.sees_documents { doc.formatted() } else { doc.masked() };
        values.insert(Key::Document, text(doc.digits(), shown));
    }
    values
}

/// A contact in the list: number, who, subject.
fn list_label(d: &Delivery) -> String {
    let subject: String = d.subject.chars().take(28).collect();
    let sender: String = d.sender.chars().take(26).collect();
    format!("nº {} · {} · {}", d.id.0, sender, if subject.is_empty() { "(sem assunto)".into() } else { subject })
}
