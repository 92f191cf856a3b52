//! Intake: contacts that arrive by e-mail or by the provider's web form. Each
//! is stored as it came, under a key that makes a second delivery of the same
//! contact a duplicate, before the sender hears "ok"; turning it into a
//! ticket or a reply comes after, and its outcome is kept beside it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{DeliveryId, TicketId};

/// How a contact arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeChannel {
    /// A raw e-mail posted by a mail server or relay (`/webhooks/email/raw`).
    Email,
}

impl IntakeChannel {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            IntakeChannel::Email => "email",
        }
    }

    /// From the stored form.
    pub fn from_stored(_s: &str) -> Self {
        IntakeChannel::Email
    }

    /// What staff read.
    pub fn label(self) -> &'static str {
        match self {
            IntakeChannel::Email => "E-mail",
        }
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
            IntakeStatus::Failed => "failed",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "ticket" => IntakeStatus::Ticket,
            "reply" => IntakeStatus::Reply,
            "ignored" => IntakeStatus::Ignored,
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
    /// The role (cargo) a matched client's contact goes to ("Suporte N1").
    pub role: String,
    /// The ticket type (tipo de atendimento) it gets ("Outros").
    pub ticket_type: String,
    /// Whether the client gets an acknowledgement e-mail with the protocol.
    pub acknowledge: bool,
}

/// What a new ticket from an e-mail says the client reported: the subject,
/// then the new text.
pub fn problem_of(c: &Contact) -> String {
    let text = new_text(&c.text);
    let problem = match (c.subject.trim(), text.trim()) {
        ("", "") => "(e-mail sem assunto nem texto)".to_owned(),
        (subject, "") => subject.to_owned(),
        ("", text) => text.to_owned(),
        (subject, text) => format!("{subject}\n\n{text}"),
    };
    problem.chars().take(20_000).collect()
}

/// A stored e-mail as processing reads it: plain data taken from the MIME
/// message by the adapter that parsed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// The sender's address, lower case ("" when unreadable).
    pub from_address: String,
    /// The sender's name as they wrote it ("" when none).
    pub from_name: String,
    /// The subject.
    pub subject: String,
    /// The text: the plain part, else text taken from the HTML.
    pub text: String,
    /// Message-IDs this one answers (In-Reply-To and References), without brackets.
    pub references: Vec<String>,
    /// Headers that tell a message no program should answer, lower-cased names
    /// with their values: auto-submitted, precedence, x-autoreply,
    /// x-autorespond, and the content type.
    pub marks: Vec<(String, String)>,
}

/// Why no program should answer this e-mail nor open a ticket from it, if so:
/// automatic replies, bulk and list mail, delivery reports and bounces, and
/// mail without a usable sender.
pub fn automatic_reason(c: &Contact) -> Option<&'static str> {
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
