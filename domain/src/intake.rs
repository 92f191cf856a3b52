//! Intake: contacts that arrive by e-mail or by the provider's web form. Each
//! is stored as it came, under a key that makes a second delivery of the same
//! contact a duplicate, before the sender hears "ok"; turning it into a
//! ticket or a reply comes after, and its outcome is kept beside it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::document::Document;
use crate::ids::{DeliveryId, TicketId};
use crate::phone::Phone;
use crate::text::search_key;

/// How a contact arrived: the door it came through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeChannel {
    /// A raw e-mail posted by a mail server or relay (`/webhooks/email/raw`).
    #[default]
    Email,
    /// An e-mail Mailgun forwarded (`/webhooks/email/mailgun`).
    Mailgun,
    /// An e-mail Postmark forwarded (`/webhooks/email/postmark`).
    Postmark,
    /// An e-mail SendGrid's Inbound Parse forwarded (`/webhooks/email/sendgrid`).
    Sendgrid,
    /// The provider's web form (`/webhooks/form`).
    Form,
}

impl IntakeChannel {
    /// Every channel.
    pub const ALL: [IntakeChannel; 5] = [
        IntakeChannel::Email,
        IntakeChannel::Mailgun,
        IntakeChannel::Postmark,
        IntakeChannel::Sendgrid,
        IntakeChannel::Form,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            IntakeChannel::Email => "email",
            IntakeChannel::Mailgun => "mailgun",
            IntakeChannel::Postmark => "postmark",
            IntakeChannel::Sendgrid => "sendgrid",
            IntakeChannel::Form => "form",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        IntakeChannel::ALL.into_iter().find(|c| c.as_str() == s).unwrap_or(IntakeChannel::Email)
    }

    /// What staff read.
    pub fn label(self) -> &'static str {
        match self {
            IntakeChannel::Email => "E-mail",
            IntakeChannel::Mailgun => "E-mail (Mailgun)",
            IntakeChannel::Postmark => "E-mail (Postmark)",
            IntakeChannel::Sendgrid => "E-mail (SendGrid)",
            IntakeChannel::Form => "Formulário",
        }
    }

    /// Whether the stored payload is a raw e-mail (else the form's JSON).
    pub fn is_email(self) -> bool {
        self != IntakeChannel::Form
    }

    /// The tipo de contato a ticket from this channel gets.
    pub fn contact_type(self) -> &'static str {
        if self.is_email() { "E-mail" } else { "Formulário" }
    }
}

/// Where a stored contact stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeStatus {
    /// Stored, not yet turned into a ticket or a reply.
    Pending,
    /// Opened the ticket named.
    Ticket,
    /// Joined the ticket named as the client's reply.
    Reply,
    /// Set aside on purpose (an auto-reply, a bounce); the reason says why.
    Ignored,
    /// No client could be told from it (or several could); the reason says
    /// what was tried. It waits for a person to link it to a client.
    Unmatched,
    /// Could not be processed; the reason says why. `balcao intake retry` tries again.
    Failed,
}

impl IntakeStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            IntakeStatus::Pending => "pending",
            IntakeStatus::Ticket => "ticket",
            IntakeStatus::Reply => "reply",
            IntakeStatus::Ignored => "ignored",
            IntakeStatus::Unmatched => "unmatched",
            IntakeStatus::Failed => "failed",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "ticket" => IntakeStatus::Ticket,
            "reply" => IntakeStatus::Reply,
            "ignored" => IntakeStatus::Ignored,
            "unmatched" => IntakeStatus::Unmatched,
            "failed" => IntakeStatus::Failed,
            _ => IntakeStatus::Pending,
        }
    }

    /// What staff read.
    pub fn label(self) -> &'static str {
        match self {
            IntakeStatus::Pending => "aguardando",
            IntakeStatus::Ticket => "abriu atendimento",
            IntakeStatus::Reply => "resposta no atendimento",
            IntakeStatus::Ignored => "ignorado",
            IntakeStatus::Unmatched => "sem cliente",
            IntakeStatus::Failed => "falhou",
        }
    }
}

/// A contact to store, as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// What makes a second delivery of the same contact a duplicate: see [`delivery_key`].
    pub key: String,
    /// How it arrived.
    pub channel: IntakeChannel,
    /// The payload, byte for byte.
    pub raw: Vec<u8>,
    /// The sender's address, as far as it could be read ("" when not).
    pub sender: String,
    /// The subject, decoded ("" when none).
    pub subject: String,
    /// Set when the door already knows it cannot be processed (a provider's
    /// post without a readable message): stored as failed with this reason, so
    /// the provider stops retrying and a person sees it.
    pub rejected: Option<String>,
}

/// What storing a contact did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored now, under this id.
    New(DeliveryId),
    /// Already stored under this id: nothing changed.
    Duplicate(DeliveryId),
}

/// A stored contact and its outcome, as `balcao intake list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// How it arrived.
    pub channel: IntakeChannel,
    /// When it was stored.
    pub received_at: DateTime<Utc>,
    /// The sender's address.
    pub sender: String,
    /// The subject.
    pub subject: String,
    /// Where it stands.
    pub status: IntakeStatus,
    /// Why it was ignored or failed.
    pub reason: String,
    /// The ticket it opened or joined.
    pub ticket: Option<TicketId>,
    /// That ticket's protocol.
    pub protocol: Option<String>,
    /// Its size in bytes.
    pub size: i64,
}

/// The key of an e-mail: its Message-ID when it has one (a relay that
/// delivers it twice, or two relays, give the same), else a digest of the
/// bytes (the same bytes posted again).
pub fn delivery_key(message_id: Option<&str>, raw: &[u8]) -> String {
    match message_id.map(|m| m.trim().trim_start_matches('<').trim_end_matches('>').trim()) {
        Some(id) if !id.is_empty() => format!("message-id:{id}"),
        _ => format!("sha256:{}", hex(&Sha256::digest(raw))),
    }
}

/// The key of a form contact: the submission id the site gave, else a digest
/// of the checked form and the day, so a double click or a resent post is one
/// contact while the same words on another day are another.
pub fn form_key(submission: Option<&str>, form: &FormContact, day: chrono::NaiveDate) -> String {
    match submission.map(str::trim) {
        Some(id) if !id.is_empty() => format!("form:{id}"),
        _ => {
            let mut digest = Sha256::new().chain_update(day.to_string());
            for field in [&form.nome, &form.email, &form.telefone, &form.cpf_cnpj, &form.assunto, &form.mensagem] {
                digest.update([0]);
                digest.update(field.as_bytes());
            }
            format!("form:sha256:{}", hex(&digest.finalize()))
        }
    }
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1, 2 and 6 (a key longer than a block).
        let one = hmac_sha256(&[0x0b; 20], b"Hi There");
        assert_eq!(hex(&one), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        let two = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex(&two), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let six = hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(hex(&six), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }

    #[test]
    fn an_e_mail_is_known_by_its_message_id_else_by_its_bytes() {
        assert_eq!(delivery_key(Some("<abc@x.test>"), b"1"), "message-id:abc@x.test");
        assert_eq!(delivery_key(Some("abc@x.test"), b"2"), "message-id:abc@x.test");
        let a = delivery_key(None, b"corpo");
        assert!(a.starts_with("sha256:") && a.len() == 7 + 64);
        assert_eq!(a, delivery_key(Some("  "), b"corpo"));
        assert_ne!(a, delivery_key(None, b"corpo!"));
    }
}

/// How intake opens tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeSetup {
    /// The role (cargo) a matched client's contact goes to when no rule says otherwise ("Suporte N1").
    pub role: String,
    /// The ticket type (tipo de atendimento) it gets when no rule says otherwise ("Outros").
    pub ticket_type: String,
    /// Whether the client gets an acknowledgement e-mail with the protocol.
    pub acknowledge: bool,
    /// At most one acknowledgement per sender in this many minutes.
    pub ack_every_minutes: u32,
    /// At most this many new tickets per sender per hour; later contacts join their latest ticket.
    pub max_new_per_hour: u32,
    /// Routing rules, tried in order; the first that matches routes the contact.
    pub rules: Vec<Rule>,
    /// Receiving addresses that belong to one reseller (lower case, reseller's
    /// name): a contact sent there is matched only to that reseller's clients.
    pub mailboxes: Vec<(String, String)>,
}

impl IntakeSetup {
    /// A setup with the given default role and ticket type and no rules.
    pub fn new(role: &str, ticket_type: &str) -> Self {
        IntakeSetup {
            role: role.to_owned(),
            ticket_type: ticket_type.to_owned(),
            acknowledge: true,
            ack_every_minutes: 10,
            max_new_per_hour: 5,
            rules: Vec::new(),
            mailboxes: Vec::new(),
        }
    }

    /// The reseller (by name) the contact's receiving address belongs to, if configured.
    pub fn reseller_of(&self, c: &Contact) -> Option<&str> {
        self.mailboxes.iter().find(|(address, _)| c.to.iter().any(|t| t == address)).map(|(_, r)| r.as_str())
    }

    /// Where the contact goes: the first rule that matches, else the defaults.
    pub fn route(&self, c: &Contact) -> Route {
        for rule in &self.rules {
            if let Some(why) = rule.matches(c) {
                return Route {
                    assignee: rule.assignee.clone(),
                    ticket_type: rule.ticket_type.clone().unwrap_or_else(|| self.ticket_type.clone()),
                    rule: Some(rule.name.clone()),
                    why,
                };
            }
        }
        Route {
            assignee: RouteTo::Role(self.role.clone()),
            ticket_type: self.ticket_type.clone(),
            rule: None,
            why: if self.rules.is_empty() {
                "nenhuma regra configurada: vai para intake.default_role".to_owned()
            } else {
                "nenhuma regra se aplica: vai para intake.default_role".to_owned()
            },
        }
    }
}

/// Who a routed contact's ticket is assigned to, by name as the config says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteTo {
    /// A role (cargo): its members who serve the client's reseller hear of it.
    Role(String),
    /// One staff member, by name.
    User(String),
}

impl std::fmt::Display for RouteTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteTo::Role(name) => write!(f, "cargo \"{name}\""),
            RouteTo::User(name) => write!(f, "usuário \"{name}\""),
        }
    }
}

/// A routing rule: when every condition it names holds, the contact's ticket
/// gets this rule's type and assignee. A rule with no condition catches all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its name, for errors and for `balcao intake route`.
    pub name: String,
    /// The contact was sent to one of these addresses (lower case).
    pub to: Vec<String>,
    /// One of these words or phrases appears in the subject or the text (folded: accents and case ignored).
    pub words: Vec<String>,
    /// The form's assunto is one of these (folded).
    pub topics: Vec<String>,
    /// Who gets the ticket.
    pub assignee: RouteTo,
    /// The ticket's type; none: `intake.ticket_type`.
    pub ticket_type: Option<String>,
}

impl Rule {
    /// Why the rule matches `c`, if it does.
    pub fn matches(&self, c: &Contact) -> Option<String> {
        let mut why = Vec::new();
        if !self.to.is_empty() {
            let to = c.to.iter().find(|t| self.to.contains(t))?;
            why.push(format!("enviado para {to}"));
        }
        if !self.words.is_empty() {
            let haystack = format!(" {} ", search_key(&format!("{} {}", c.subject, new_text(&c.text))));
            let word = self.words.iter().find(|w| {
                let w = search_key(w);
                !w.is_empty() && haystack.contains(&format!(" {w} "))
            })?;
            why.push(format!("\"{word}\" aparece no assunto ou no texto"));
        }
        if !self.topics.is_empty() {
            let topic = search_key(&c.topic);
            let t = self.topics.iter().find(|t| search_key(t) == topic && !topic.is_empty())?;
            why.push(format!("assunto do formulário é \"{t}\""));
        }
        if why.is_empty() {
            why.push("regra sem condições: pega o que as anteriores não pegaram".to_owned());
        }
        Some(why.join("; "))
    }
}

/// Where a contact goes and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Who gets the ticket.
    pub assignee: RouteTo,
    /// The ticket's type.
    pub ticket_type: String,
    /// The rule that matched; none: the defaults.
    pub rule: Option<String>,
    /// Why, in words.
    pub why: String,
}

/// What a new ticket from a contact says the client reported: the subject,
/// then the new text (an e-mail's quoted history and signature cut).
pub fn problem_of(c: &Contact) -> String {
    let text = if c.channel.is_email() { new_text(&c.text) } else { c.text.trim().to_owned() };
    let problem = match (c.subject.trim(), text.trim()) {
        ("", "") => "(e-mail sem assunto nem texto)".to_owned(),
        (subject, "") => subject.to_owned(),
        ("", text) => text.to_owned(),
        (subject, text) => format!("{subject}\n\n{text}"),
    };
    let mut problem: String = problem.chars().take(20_000).collect();
    if !c.attachments.is_empty() {
        let list: Vec<String> =
            c.attachments.iter().map(|(name, size)| format!("{name} ({})", size_text(*size))).collect();
        problem.push_str(&format!("\n\nAnexos: {}", list.join(", ")));
    }
    problem
}

/// A size as people read it: "812 bytes", "14 KB", "2,3 MB".
pub fn size_text(bytes: usize) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1_048_576 => format!("{} KB", bytes.div_ceil(1024)),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0).replace('.', ","),
    }
}

/// The protocol numbers ("20261205-0003") written in `text`, in order.
pub fn protocols_in(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .map(|t| t.trim_matches('-'))
        .filter(|t| {
            t.split_once('-').is_some_and(|(day, seq)| {
                day.len() == 8
                    && (4..=6).contains(&seq.len())
                    && day.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit())
            })
        })
        .map(str::to_owned)
        .collect()
}

/// A stored contact as processing reads it: plain data taken from the MIME
/// message or the form by the adapter that read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// The door it came through.
    pub channel: IntakeChannel,
    /// The sender's address, lower case ("" when unreadable or not given).
    pub from_address: String,
    /// The sender's name as they wrote it ("" when none).
    pub from_name: String,
    /// The addresses it was sent to (To, Cc, Delivered-To), lower case.
    pub to: Vec<String>,
    /// The sender's phone, national digits ("" when not given).
    pub phone: String,
    /// The CPF or CNPJ the sender gave, digits ("" when none).
    pub document: String,
    /// The form's assunto ("" for e-mail).
    pub topic: String,
    /// The subject.
    pub subject: String,
    /// The text: the plain part, else text taken from the HTML; the form's mensagem.
    pub text: String,
    /// Message-IDs this one answers (In-Reply-To and References), without brackets.
    pub references: Vec<String>,
    /// Headers that tell a message no program should answer, lower-cased names
    /// with their values: auto-submitted, precedence, x-autoreply,
    /// x-autorespond, and the content type.
    pub marks: Vec<(String, String)>,
    /// Attachments: file name and size in bytes.
    pub attachments: Vec<(String, usize)>,
}

impl Contact {
    /// The CPF or CNPJ that identifies the sender: the one they gave, else the
    /// first with valid check digits found in the subject or the new text.
    pub fn document(&self) -> Option<Document> {
        if let Ok(d) = Document::parse(&self.document) {
            return Some(d);
        }
        documents_in(&format!("{}\n{}", self.subject, new_text(&self.text))).into_iter().next()
    }
}

/// The CPFs and CNPJs with valid check digits written in `text`, in order,
/// punctuated or not ("123.456.789-09", "12345678909", "12.345.678/0001-95").
pub fn documents_in(text: &str) -> Vec<Document> {
    let mut found = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '/'))) {
        let token = token.trim_matches(|c: char| !c.is_ascii_digit());
        let n = token.chars().filter(char::is_ascii_digit).count();
        if (n == 11 || n == 14)
            && let Ok(d) = Document::parse(token)
            && !found.contains(&d)
        {
            found.push(d);
        }
    }
    found
}

/// A contact sent by the provider's web form: the fields the site sends. A
/// form names no assignee: routing decides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormContact {
    /// The sender's name.
    #[serde(default)]
    pub nome: String,
    /// Their e-mail.
    #[serde(default)]
    pub email: String,
    /// Their phone.
    #[serde(default)]
    pub telefone: String,
    /// Their CPF or CNPJ (optional).
    #[serde(default)]
    pub cpf_cnpj: String,
    /// The subject they chose (optional).
    #[serde(default)]
    pub assunto: String,
    /// What they wrote.
    #[serde(default)]
    pub mensagem: String,
}

/// The subject of a form contact that chose none.
pub const FORM_SUBJECT: &str = "Contato pelo site";

impl FormContact {
    /// The form as stored: trimmed, e-mail in lower case, phone and document
    /// as digits; `Err` names the field that cannot be used and why.
    pub fn checked(&self) -> Result<FormContact, String> {
        let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let form = FormContact {
            nome: one_line(&self.nome),
            email: self.email.trim().to_lowercase(),
            telefone: self.telefone.trim().to_owned(),
            cpf_cnpj: self.cpf_cnpj.trim().to_owned(),
            assunto: one_line(&self.assunto),
            mensagem: self.mensagem.replace("\r\n", "\n").trim().to_owned(),
        };
        for (field, value, max) in
            [("nome", &form.nome, 120), ("assunto", &form.assunto, 200), ("mensagem", &form.mensagem, 20_000)]
        {
            if value.chars().count() > max {
                return Err(format!("{field}: use até {max} caracteres"));
            }
        }
        if form.mensagem.is_empty() {
            return Err("mensagem: escreva a mensagem".to_owned());
        }
        if form.email.is_empty() && form.telefone.is_empty() {
            return Err("email ou telefone: informe ao menos um, para o retorno".to_owned());
        }
        if !form.email.is_empty() && !plausible_email(&form.email) {
            return Err("email: endereço inválido".to_owned());
        }
        let telefone = match form.telefone.as_str() {
            "" => String::new(),
            t => Phone::parse(t).map_err(|e| format!("telefone: {e}"))?.digits().to_owned(),
        };
        let cpf_cnpj = match form.cpf_cnpj.as_str() {
            "" => String::new(),
            d => Document::parse(d).map_err(|e| format!("cpf_cnpj: {e}"))?.digits().to_owned(),
        };
        Ok(FormContact { telefone, cpf_cnpj, ..form })
    }

    /// The contact processing reads (from a checked form).
    pub fn contact(&self) -> Contact {
        Contact {
            channel: IntakeChannel::Form,
            from_address: self.email.clone(),
            from_name: self.nome.clone(),
            phone: self.telefone.clone(),
            document: self.cpf_cnpj.clone(),
            topic: self.assunto.clone(),
            subject: if self.assunto.is_empty() { FORM_SUBJECT.to_owned() } else { self.assunto.clone() },
            text: self.mensagem.clone(),
            ..Contact::default()
        }
    }

    /// Who sent it, as `balcao intake list` shows: the e-mail, else the phone.
    pub fn sender(&self) -> String {
        if self.email.is_empty() { self.telefone.clone() } else { self.email.clone() }
    }
}

/// Whether `s` looks like an e-mail address: one `@`, something before it, a
/// dotted domain after it, no spaces.
pub fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && s.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
}

/// Why no program should answer this e-mail nor open a ticket from it, if so:
/// automatic replies, bulk and list mail, delivery reports and bounces, and
/// mail without a usable sender.
pub fn automatic_reason(c: &Contact) -> Option<&'static str> {
    if !c.channel.is_email() {
        return None;
    }
    let local = c.from_address.split('@').next().unwrap_or("");
    if c.from_address.is_empty() || !c.from_address.contains('@') {
        return Some("remetente vazio ou ilegível");
    }
    if local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster") {
        return Some("aviso de entrega (MAILER-DAEMON/postmaster)");
    }
    for (name, value) in &c.marks {
        let value = value.trim().to_ascii_lowercase();
        match name.as_str() {
            "auto-submitted" if !value.is_empty() && value != "no" => {
                return Some("resposta automática (Auto-Submitted)");
            }
            "precedence" if matches!(value.as_str(), "bulk" | "junk" | "list") => {
                return Some("mensagem em massa ou de lista (Precedence)");
            }
            "x-autoreply" | "x-autorespond" => return Some("resposta automática (X-Autoreply)"),
            "content-type" if value.starts_with("multipart/report") => {
                return Some("relatório de entrega (delivery-status)");
            }
            _ => {}
        }
    }
    None
}

/// The ticket one of our own Message-IDs names: `balcao.t{ticket}@…` (a
/// thread's root) or `balcao.n{notification}.t{ticket}@…` (one notice).
pub fn our_ticket(references: &[String]) -> Option<TicketId> {
    references.iter().rev().find_map(|id| {
        let local = id.trim().trim_start_matches('<').split('@').next()?;
        let rest = local.strip_prefix("balcao.")?;
        let ticket = rest.rsplit('.').next()?.strip_prefix('t')?;
        ticket.parse().ok().map(TicketId)
    })
}

/// The new text of an e-mail: what comes before the quoted history (a line
/// "Em … escreveu:" or "On … wrote:", an "Original Message" rule or
/// Outlook's line of underscores, a block of "> " lines) and before the signature ("-- ", "Enviado do meu …"),
/// trimmed. When cutting would leave nothing, the whole text.
pub fn new_text(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let lower = t.to_lowercase();
        let quote_intro = (lower.starts_with("em ") && lower.ends_with("escreveu:"))
            || (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || lower.starts_with("-----original message")
            || lower.starts_with("-----mensagem original")
            || (t.len() >= 10 && t.chars().all(|c| c == '_'));
        let signature =
            line == "-- " || t == "--" || lower.starts_with("enviado do meu") || lower.starts_with("sent from my");
        if quote_intro || signature || t.starts_with('>') {
            break;
        }
        kept.push(line);
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    let cut = kept.join("\n").trim().to_owned();
    if cut.is_empty() { text.trim().to_owned() } else { cut }
}

#[cfg(test)]
mod contact_tests {
    use super::*;

    fn from(address: &str) -> Contact {
        Contact { from_address: address.into(), ..Contact::default() }
    }

    #[test]
    fn mail_no_program_should_answer_is_told_apart() {
        assert_eq!(automatic_reason(&from("ana@cliente.test")), None);
        assert!(automatic_reason(&from("")).is_some());
        assert!(automatic_reason(&from("MAILER-DAEMON@mx.test")).is_some());
        assert!(automatic_reason(&from("postmaster@mx.test")).is_some());
        for (name, value, automatic) in [
            ("auto-submitted", "auto-replied", true),
            ("auto-submitted", "no", false),
            ("precedence", "bulk", true),
            ("precedence", "List", true),
            ("precedence", "first-class", false),
            ("x-autoreply", "yes", true),
            ("x-autorespond", "", true),
            ("content-type", "multipart/report; report-type=delivery-status", true),
            ("content-type", "multipart/alternative", false),
        ] {
            let c = Contact { marks: vec![(name.into(), value.into())], ..from("ana@cliente.test") };
            assert_eq!(automatic_reason(&c).is_some(), automatic, "{name}: {value}");
        }
    }

    #[test]
    fn a_form_is_checked_field_by_field() {
        let ok = FormContact {
            nome: "  Ana   Souza ".into(),
            email: " Ana@Cliente.Test ".into(),
            telefone: "(11) 98765-4321".into(),
            cpf_cnpj: "529.982.247-25".into(),
            assunto: "".into(),
            mensagem: "Sem sinal\r\ndesde ontem.".into(),
        };
        let checked = ok.checked().expect("a good form");
        assert_eq!(checked.nome, "Ana Souza");
        assert_eq!(checked.email, "ana@cliente.test");
        assert_eq!(checked.telefone, "11987654321");
        assert_eq!(checked.cpf_cnpj, "52998224725");
        let contact = checked.contact();
        assert_eq!((contact.subject.as_str(), contact.text.as_str()), (FORM_SUBJECT, "Sem sinal\ndesde ontem."));
        assert_eq!(automatic_reason(&contact), None);
        for (broken, field) in [
            (FormContact { mensagem: "  ".into(), ..ok.clone() }, "mensagem"),
            (FormContact { email: "".into(), telefone: "".into(), ..ok.clone() }, "email ou telefone"),
            (FormContact { email: "ana@".into(), ..ok.clone() }, "email"),
            (FormContact { telefone: "1234".into(), ..ok.clone() }, "telefone"),
            (FormContact { cpf_cnpj: "529.982.247-26".into(), ..ok.clone() }, "cpf_cnpj"),
            (FormContact { nome: "x".repeat(121), ..ok.clone() }, "nome"),
        ] {
            let err = broken.checked().expect_err(field);
            assert!(err.starts_with(field), "{err}");
        }
        let phone_only = FormContact { email: "".into(), ..ok.clone() }.checked().unwrap();
        assert_eq!(phone_only.sender(), "11987654321");
    }

    #[test]
    fn a_form_contact_is_one_contact_per_submission_or_per_day() {
        let form = FormContact { email: "a@b.test".into(), mensagem: "oi".into(), ..FormContact::default() };
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(form_key(Some("abc-1"), &form, day), "form:abc-1");
        assert_eq!(form_key(None, &form, day), form_key(Some(" "), &form, day));
        assert_ne!(form_key(None, &form, day), form_key(None, &form, day.succ_opt().unwrap()));
        let other = FormContact { mensagem: "oi!".into(), ..form.clone() };
        assert_ne!(form_key(None, &form, day), form_key(None, &other, day));
    }

    #[test]
    fn documents_are_found_in_text_only_with_valid_check_digits() {
        let found = documents_in(
            "Meu CPF é 529.982.247-25, o da empresa 11.222.333/0001-81; errado: 529.982.247-26 e 12345678901.",
        );
        let digits: Vec<&str> = found.iter().map(Document::digits).collect();
        assert_eq!(digits, ["52998224725", "11222333000181"]);
        assert!(documents_in("fatura 2026-12-05, valor 129.90").is_empty());
        let c = Contact { subject: "CPF 52998224725".into(), ..from("a@b.test") };
        assert_eq!(c.document().map(|d| d.digits().to_owned()).as_deref(), Some("52998224725"));
    }

    #[test]
    fn the_first_rule_that_matches_routes_the_contact() {
        let rule = |name: &str, to: &[&str], words: &[&str], topics: &[&str], role: &str| Rule {
            name: name.into(),
            to: to.iter().map(|s| (*s).to_owned()).collect(),
            words: words.iter().map(|s| (*s).to_owned()).collect(),
            topics: topics.iter().map(|s| (*s).to_owned()).collect(),
            assignee: RouteTo::Role(role.into()),
            ticket_type: None,
        };
        let mut setup = IntakeSetup::new("Suporte N1", "Outros");
        let nothing = from("ana@cliente.test");
        assert_eq!(setup.route(&nothing).assignee, RouteTo::Role("Suporte N1".into()));
        assert!(setup.route(&nothing).why.contains("nenhuma regra configurada"));
        setup.rules = vec![
            rule("financeiro", &["financeiro@provedor.test"], &[], &[], "Financeiro"),
            rule("boletos", &[], &["segunda via", "boleto"], &[], "Financeiro"),
            rule("site-comercial", &[], &[], &["Planos e preços"], "Comercial"),
            rule("resto", &[], &[], &[], "Suporte N2"),
        ];
        let to_finance = Contact { to: vec!["financeiro@provedor.test".into()], ..nothing.clone() };
        let routed = setup.route(&to_finance);
        assert_eq!(
            (routed.rule.as_deref(), routed.why.as_str()),
            (Some("financeiro"), "enviado para financeiro@provedor.test")
        );
        let words = Contact { subject: "Preciso da 2ª SEGUNDA-VIA".into(), ..nothing.clone() };
        assert_eq!(setup.route(&words).rule.as_deref(), Some("boletos"));
        let part_of_a_word = Contact { text: "boletoso".into(), ..nothing.clone() };
        assert_eq!(setup.route(&part_of_a_word).rule.as_deref(), Some("resto"), "whole words only");
        let form = Contact { channel: IntakeChannel::Form, topic: "planos e precos".into(), ..nothing.clone() };
        assert_eq!(setup.route(&form).assignee, RouteTo::Role("Comercial".into()));
        assert_eq!(setup.route(&nothing).rule.as_deref(), Some("resto"));
        setup.mailboxes = vec![("contato@revenda.test".into(), "Revenda Sul".into())];
        assert_eq!(
            setup.reseller_of(&Contact { to: vec!["contato@revenda.test".into()], ..nothing.clone() }),
            Some("Revenda Sul")
        );
        assert_eq!(setup.reseller_of(&nothing), None);
    }

    #[test]
    fn protocols_and_attachments_are_read_as_people_write_them() {
        assert_eq!(protocols_in("Re: Protocolo 20261205-0003 (ainda sem sinal)"), ["20261205-0003"]);
        assert!(protocols_in("ligue 11-98765-4321 ou 2026-12-05").is_empty());
        let c = Contact {
            subject: "Fotos".into(),
            text: "Seguem.".into(),
            attachments: vec![("roteador.jpg".into(), 2_400_000), ("log.txt".into(), 300)],
            ..from("a@b.test")
        };
        assert_eq!(problem_of(&c), "Fotos\n\nSeguem.\n\nAnexos: roteador.jpg (2,3 MB), log.txt (300 bytes)");
        assert_eq!(size_text(14 * 1024 - 5), "14 KB");
    }

    #[test]
    fn our_message_ids_name_their_ticket() {
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(our_ticket(&ids(&["balcao.t42@provedor.test"])), Some(TicketId(42)));
        assert_eq!(our_ticket(&ids(&["outro@x", "<balcao.n7.t9@provedor.test>"])), Some(TicketId(9)));
        assert_eq!(our_ticket(&ids(&["CAF1@mail.gmail.com", "balcao.tx@p"])), None);
        assert_eq!(our_ticket(&[]), None);
    }

    #[test]
    fn the_new_text_leaves_quotes_and_signatures_out() {
        let gmail = "Ainda sem sinal hoje.\n\nEm qua., 3 de dez. de 2026 às 10:00, Suporte <s@p.test> escreveu:\n> Reinicie o roteador.";
        assert_eq!(new_text(gmail), "Ainda sem sinal hoje.");
        let outlook = "Obrigado!\r\n\r\n-----Original Message-----\r\nFrom: Suporte\r\n";
        assert_eq!(new_text(outlook), "Obrigado!");
        assert_eq!(new_text("Pode vir amanhã.\n\n________________________________\nDe: Suporte"), "Pode vir amanhã.");
        assert_eq!(new_text("Voltou a cair.\n-- \nJoão\nTel 12 3456-7890"), "Voltou a cair.");
        assert_eq!(new_text("Está lento.\n\nEnviado do meu iPhone"), "Está lento.");
        assert_eq!(
            new_text("On Wed, Dec 3, 2026 Ana wrote:\n> oi"),
            "On Wed, Dec 3, 2026 Ana wrote:\n> oi",
            "nothing new: kept whole"
        );
    }
}
