//! E-mail delivery over SMTP with lettre: a pool of connections (one socket
//! manages ~23 messages a second, see STACK.md), the connection security
//! named by `smtp.url`, and the verdict of the relay told apart as temporary
//! (network, 4xx) or permanent (5xx).
//!
//! `smtp.url` reads:
//! - `smtps://user:pass@host:465`: TLS from the first byte;
//! - `smtp://user:pass@host:587`: STARTTLS, required;
//! - `smtp://host:587?tls=opportunistic`: STARTTLS when the relay offers it;
//! - `smtp://127.0.0.1:25?tls=none`: plain text, for a relay on the same machine or network.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// A mailbox as `smtp.from` names it: "Nome <endereço>" or a bare address.
pub type Sender = Mailbox;

/// What an e-mail says and to whom.
#[derive(Debug, Clone)]
pub struct Email {
    /// Recipient's name, shown beside the address.
    pub to_name: String,
    /// Recipient's address.
    pub to_address: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body (the same content).
    pub html: String,
    /// Left part of our Message-ID, stable across retries of one notification.
    pub message_key: String,
    /// Left part of the thread's root id (one per ticket), sent in
    /// In-Reply-To and References so that every notice of a ticket, and the
    /// replies to them, thread together.
    pub thread_key: String,
    /// The `Auto-Submitted` value of a message no person wrote
    /// ("auto-generated" for notices, "auto-replied" for acknowledgements);
    /// `None` for what a staff member wrote to a client.
    pub automatic: Option<&'static str>,
}

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailFailure {
    /// Worth trying again later: the relay is unreachable, timed out, or answered 4xx.
    Temporary(String),
    /// Will never go as it is: the relay answered 5xx, or the address is invalid.
    Permanent(String),
}

/// A pooled SMTP sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
    pool_size: u32,
    acknowledgement: Option<Arc<(String, String)>>,
}

impl std::fmt::Debug for Mailer {
    // The transport holds the relay's credentials: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.email.to_string())
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// Checks `smtp.url` and turns it into lettre's form; the error is pt-BR and never repeats the URL.
fn lettre_url(url: &str) -> Result<String, String> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut tls = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("tls", v)) => tls = Some(v),
            _ => rest.push(pair),
        }
    }
    if !rest.is_empty() {
        return Err("parâmetro desconhecido; use apenas ?tls=none ou ?tls=opportunistic".into());
    }
    if base.starts_with("smtps://") {
        if tls.is_some() {
            return Err("smtps:// já usa TLS; ?tls= vale só para smtp://".into());
        }
        return Ok(base.to_owned());
    }
    if !base.starts_with("smtp://") {
        return Err("deve começar com smtp:// ou smtps://".into());
    }
    match tls {
        None | Some("required") => Ok(format!("{base}?tls=required")),
        Some("opportunistic") => Ok(format!("{base}?tls=opportunistic")),
        Some("none") => Ok(base.to_owned()),
        Some(_) => Err("tls deve ser none, opportunistic ou required".into()),
    }
}

/// Checks `smtp.url` without connecting; the error never repeats the URL (it may hold a password).
pub fn check_url(url: &str) -> Result<(), String> {
    let url = lettre_url(url)?;
    AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
        .map(|_| ())
        .map_err(|_| "endereço inválido; exemplo: smtp://usuario:senha@smtp.exemplo.com.br:587".into())
}

impl Mailer {
    /// A sender through the relay at `url`, as `from`, keeping up to
    /// `pool_size` connections open. Connects lazily, at the first message.
    pub fn new(url: &str, from: &str, pool_size: u32) -> Result<Mailer, String> {
        check_url(url)?;
        let from: Mailbox = from.parse().map_err(|_| format!("remetente inválido \"{from}\""))?;
        let domain = from.email.domain().to_owned();
        let pool_size = pool_size.max(1);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(url)?)
            .map_err(|_| "endereço do servidor SMTP inválido".to_owned())?
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(PoolConfig::new().max_size(pool_size).idle_timeout(Duration::from_secs(60)))
            .build();
        Ok(Mailer { transport, from, domain, pool_size, acknowledgement: None })
    }

    /// How many messages may be on their way at once.
    pub fn pool_size(&self) -> u32 {
        self.pool_size
    }

    /// The acknowledgement's subject and text as the provider wrote them
    /// (`{protocolo}`, `{nome}` and `{provedor}` filled in when sent); empty: ours.
    pub fn with_acknowledgement(mut self, subject: &str, text: &str) -> Self {
        self.acknowledgement = (!subject.trim().is_empty() || !text.trim().is_empty())
            .then(|| Arc::new((subject.trim().to_owned(), text.trim().to_owned())));
        self
    }

    /// The provider's acknowledgement, when configured.
    pub fn acknowledgement(&self) -> Option<&(String, String)> {
        self.acknowledgement.as_deref()
    }

    /// The name e-mails to clients are signed with: the display name of
    /// `smtp.from` ("Fibra Boa Internet <suporte@fibraboa.com.br>"), else its domain.
    pub fn signature(&self) -> String {
        self.from.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| self.domain.clone())
    }

    /// Our Message-ID for a key, e.g. `<n42.t7@exemplo.com.br>`.
    pub fn message_id(&self, key: &str) -> String {
        format!("<{key}@{}>", self.domain)
    }

    /// The message as it goes on the wire.
    pub fn build(&self, email: &Email) -> Result<Message, MailFailure> {
        let address = email
            .to_address
            .parse()
            .map_err(|_| MailFailure::Permanent("endereço de e-mail do destinatário inválido".into()))?;
        let to = Mailbox::new(Some(email.to_name.clone()), address);
        let thread = self.message_id(&email.thread_key);
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(self.message_id(&email.message_key)))
            .in_reply_to(thread.clone())
            .references(thread);
        if let Some(kind) = email.automatic {
            message = message
                .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), kind.to_owned()))
                // Asks Exchange and the like not to answer with out-of-office notes.
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
                    "All".to_owned(),
                ));
        }
        message
            .multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))
            .map_err(|e| MailFailure::Permanent(format!("mensagem inválida: {e}")))
    }

    /// Sends one message; tells a temporary failure from a permanent one.
    pub async fn send(&self, email: &Email) -> Result<(), MailFailure> {
        let message = self.build(email)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            let code = e.status().map(|c| c.to_string());
            let what = match &code {
                Some(code) => format!("servidor de e-mail respondeu {code}"),
                None if e.is_timeout() => "servidor de e-mail não respondeu a tempo".to_owned(),
                None if e.is_tls() => "falha no TLS com o servidor de e-mail".to_owned(),
                None => "servidor de e-mail inacessível".to_owned(),
            };
            if e.is_permanent() { MailFailure::Permanent(what) } else { MailFailure::Temporary(what) }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_connection_security_and_starttls_is_required_by_default() {
        assert_eq!(lettre_url("smtp://h:587").unwrap(), "smtp://h:587?tls=required");
        assert_eq!(lettre_url("smtp://h:25?tls=none").unwrap(), "smtp://h:25");
        assert_eq!(lettre_url("smtp://h?tls=opportunistic").unwrap(), "smtp://h?tls=opportunistic");
        assert_eq!(lettre_url("smtps://u:p@h:465").unwrap(), "smtps://u:p@h:465");
        assert!(lettre_url("smtps://h?tls=none").is_err());
        assert!(lettre_url("smtp://h?tls=talvez").is_err());
        assert!(lettre_url("smtp://h?porta=2").is_err());
        assert!(lettre_url("http://h").is_err());
        assert!(check_url("smtp://:25?tls=none").is_err());
        let err = check_url("smtp://fulano:senha123@?tls=none").unwrap_err();
        assert!(!err.contains("senha123"), "{err}");
    }

    #[tokio::test]
    async fn a_message_carries_our_ids_and_says_it_is_automatic() {
        let mailer = Mailer::new("smtp://127.0.0.1:25?tls=none", "balcão <balcao@provedor.com.br>", 2).unwrap();
        let email = Email {
            to_name: "Carla Plantão".into(),
            to_address: "carla@provedor.com.br".into(),
            subject: "Novo atendimento".into(),
            text: "Protocolo: 1".into(),
            html: "<p>Protocolo: 1</p>".into(),
            message_key: "n1.t7".into(),
            thread_key: "t7".into(),
            automatic: Some("auto-generated"),
        };
        let wire = String::from_utf8(mailer.build(&email).unwrap().formatted()).unwrap();
        assert!(wire.contains("Message-ID: <n1.t7@provedor.com.br>"), "{wire}");
        assert!(wire.contains("In-Reply-To: <t7@provedor.com.br>"), "{wire}");
        assert!(wire.contains("References: <t7@provedor.com.br>"), "{wire}");
        assert!(wire.contains("Auto-Submitted: auto-generated"), "{wire}");
        assert!(wire.contains("text/plain") && wire.contains("text/html"), "{wire}");
        let by_a_person = Email { automatic: None, ..email.clone() };
        let wire = String::from_utf8(mailer.build(&by_a_person).unwrap().formatted()).unwrap();
        assert!(!wire.contains("Auto-Submitted") && !wire.contains("X-Auto-Response-Suppress"), "{wire}");
        let bad = Email { to_address: "não é endereço".into(), ..email };
        assert!(matches!(mailer.build(&bad), Err(MailFailure::Permanent(_))));
    }
}
