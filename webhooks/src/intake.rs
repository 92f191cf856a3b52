//! Intake's doors: `POST /webhooks/email/raw` takes a raw e-mail
//! (`message/rfc822`) signed with `X-Balcao-Signature: sha256=<hex>`, the
//! HMAC-SHA256 of the exact body under `webhooks.secret` (or, during a
//! rotation, the previous secret). The e-mail is stored under its key before
//! any 2xx: 202 when stored now, 200 when it was already stored (a relay's
//! retry), 503 when the store does not answer (the relay tries again).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use balcao_domain::intake::{
    Contact, FormContact, IntakeChannel, IntakeSetup, IntakeStatus, NewDelivery, Stored, delivery_key, hex, hmac_sha256,
};
use balcao_domain::ports::Intake;
use balcao_domain::{DomainError, DomainResult};
use chrono::NaiveDate;
use mail_parser::MimeHeaders;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::form::{FormRules, RateLimiter};
use crate::providers::SeenTokens;
use crate::{LogThrottle, Service, error, text};

/// The path of the raw e-mail door.
pub const EMAIL_RAW_PATH: &str = "/webhooks/email/raw";

/// What intake's doors need: the accepted secrets (two during a rotation),
/// the inbox, whom to wake once a contact is stored, and each door's rules.
#[derive(Clone)]
pub struct IntakeDoors {
    /// Secrets a signature (or a provider's HTTP Basic password) may be made
    /// with; empty ones are never accepted.
    pub secrets: Vec<String>,
    /// Where contacts are stored.
    pub inbox: Arc<dyn Intake>,
    /// Refused calls, logged at most once a minute.
    pub refusals: Arc<LogThrottle>,
    /// Wakes the processor.
    pub wake: Arc<tokio::sync::Notify>,
    /// The browser form's rules.
    pub form: FormRules,
    /// Counts browser form posts per IP and per address.
    pub limiter: Arc<RateLimiter>,
    /// Mailgun's webhook signing keys (two during a rotation); none: the Mailgun door answers 404.
    pub mailgun_keys: Vec<String>,
    /// Mailgun tokens already used, refused when replayed.
    pub mailgun_tokens: Arc<SeenTokens>,
    /// Where the doors count what they store.
    pub metrics: Arc<crate::Metrics>,
}

impl IntakeDoors {
    /// Doors with these secrets and inbox, no browser origin, no Mailgun key.
    pub fn new(secrets: Vec<String>, inbox: Arc<dyn Intake>) -> Self {
        IntakeDoors {
            secrets,
            inbox,
            refusals: Arc::default(),
            wake: Arc::default(),
            form: FormRules::default(),
            limiter: Arc::new(RateLimiter::hourly()),
            mailgun_keys: Vec::new(),
            mailgun_tokens: Arc::default(),
            metrics: Arc::default(),
        }
    }

    /// Stores a contact before any 2xx and wakes the processor; the answer
    /// for the sender when it cannot be stored (503: try again).
    pub(crate) async fn keep(&self, new: &NewDelivery) -> Result<Stored, Response> {
        match self.inbox.store_delivery(new, chrono::Utc::now()).await {
            Ok(stored) => {
                self.metrics.stored(new.channel, matches!(stored, Stored::New(_)));
                if let Stored::New(id) = stored {
                    tracing::info!(delivery_id = %id, channel = new.channel.as_str(), "contact stored");
                    if new.rejected.is_none() {
                        self.wake.notify_one();
                    }
                }
                Ok(stored)
            }
            Err(e) => {
                tracing::error!(cause = ?e, channel = new.channel.as_str(), "a contact could not be stored; the sender will try again");
                Err(error(StatusCode::SERVICE_UNAVAILABLE, text::EMAIL_NOT_STORED))
            }
        }
    }

    /// Whether `given` is one of the secrets, compared in constant time.
    pub(crate) fn password_matches(&self, given: &[u8]) -> bool {
        self.secrets
            .iter()
            .filter(|s| !s.is_empty())
            .fold(false, |found, s| found | bool::from(s.as_bytes().ct_eq(given)))
    }

    /// Counts a refused call; logs at most once a minute.
    pub(crate) fn refused(&self, why: &'static str) {
        if let Some(refused) = self.refusals.count() {
            tracing::warn!(refused, why, "intake calls refused");
        }
    }
}

/// The usual answer to a stored contact: 202 when stored now, 200 when it was already.
pub(crate) fn stored_answer(stored: Stored) -> Response {
    match stored {
        Stored::New(id) => (StatusCode::ACCEPTED, Json(json!({ "status": "stored", "id": id.0 }))).into_response(),
        Stored::Duplicate(id) => (StatusCode::OK, Json(json!({ "status": "duplicate", "id": id.0 }))).into_response(),
    }
}

/// Reads a stored contact as processing needs it: a form's JSON, or an e-mail.
pub fn read_contact(channel: IntakeChannel, raw: &[u8]) -> Option<Contact> {
    if channel.is_email() {
        return read_email(raw).map(|c| Contact { channel, ..c });
    }
    let form: FormContact = serde_json::from_slice(raw).ok()?;
    Some(form.checked().ok()?.contact())
}

/// Reads a raw e-mail into what processing needs: any charset mail-parser
/// knows, quoted-printable and base64, encoded headers, the text part first
/// (else text taken from the HTML), the addresses it was sent to, the
/// attachments' names and sizes. `None` when it has no headers at all.
pub fn read_email(raw: &[u8]) -> Option<Contact> {
    let message = mail_parser::MessageParser::default().parse(raw)?;
    if message.headers().is_empty() {
        return None;
    }
    let mut to: Vec<String> = [message.to(), message.cc()]
        .into_iter()
        .flatten()
        .flat_map(|list| list.iter().filter_map(|a| a.address()).map(|a| a.trim().to_lowercase()).collect::<Vec<_>>())
        .collect();
    for name in ["Delivered-To", "X-Original-To"] {
        if let Some(value) = message.header_raw(name) {
            to.push(value.trim().trim_start_matches('<').trim_end_matches('>').to_lowercase());
        }
    }
    to.dedup();
    let attachments = message
        .attachments()
        .map(|a| (a.attachment_name().unwrap_or("anexo").to_owned(), a.contents().len()))
        .collect();
    let from = message.from().and_then(|f| f.first());
    let ids = |v: &mail_parser::HeaderValue| -> Vec<String> {
        v.as_text_list().map(|l| l.iter().map(|s| s.trim().to_owned()).collect()).unwrap_or_default()
    };
    let mut references = ids(message.references());
    references.extend(ids(message.in_reply_to()));
    let mut marks = Vec::new();
    for name in ["Auto-Submitted", "Precedence", "X-Autoreply", "X-Autorespond"] {
        if let Some(value) = message.header_raw(name) {
            marks.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if let Some(ct) = message.content_type() {
        let subtype = ct.subtype().map(|s| format!("/{s}")).unwrap_or_default();
        let report = ct.attribute("report-type").map(|r| format!("; report-type={r}")).unwrap_or_default();
        marks.push(("content-type".to_owned(), format!("{}{subtype}{report}", ct.ctype()).to_ascii_lowercase()));
    }
    Some(Contact {
        from_address: from.and_then(|a| a.address()).map(|a| a.trim().to_lowercase()).unwrap_or_default(),
        from_name: from.and_then(|a| a.name()).map(|n| n.trim().to_owned()).unwrap_or_default(),
        to,
        subject: message.subject().unwrap_or_default().trim().to_owned(),
        text: message.body_text(0).map(|t| t.replace("\r\n", "\n")).unwrap_or_default(),
        references,
        marks,
        attachments,
        ..Contact::default()
    })
}

/// Processes the waiting contacts, oldest first, until none waits; how many
/// were processed. A contact the rules refuse, or that cannot be read, is set
/// aside as failed with the reason; one the store refuses stays waiting for
/// the next round while the others go on (the round then answers that error).
pub async fn process_pending(
    inbox: &dyn Intake,
    setup: &IntakeSetup,
    today: NaiveDate,
    metrics: &crate::Metrics,
) -> DomainResult<usize> {
    let mut done = 0;
    // Contacts the store refused this round: tried again next round, never
    // in the way of the others.
    let mut refused = std::collections::HashSet::new();
    let mut last_refusal = None;
    loop {
        let batch: Vec<_> = inbox
            .pending_deliveries(50 + refused.len() as i64)
            .await?
            .into_iter()
            .filter(|(id, _, _)| !refused.contains(id))
            .collect();
        if batch.is_empty() {
            return last_refusal.map_or(Ok(done), Err);
        }
        for (id, channel, raw) in batch {
            let Some(contact) = read_contact(channel, &raw) else {
                let why = if channel.is_email() { text::UNREADABLE_EMAIL } else { text::UNREADABLE_FORM };
                inbox.fail_delivery(id, why).await?;
                metrics.processed(IntakeStatus::Failed);
                continue;
            };
            match inbox.process_delivery(id, &contact, setup, today).await {
                Ok(d) => {
                    tracing::info!(delivery_id = %id, outcome = d.status.as_str(), "contact processed");
                    metrics.processed(d.status);
                }
                Err(e @ DomainError::Backend(_)) => {
                    tracing::error!(delivery_id = %id, cause = ?e, "intake: the store refused a contact; it stays waiting");
                    refused.insert(id);
                    last_refusal = Some(e);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(delivery_id = %id, reason = %e, "contact set aside as failed");
                    inbox.fail_delivery(id, &e.to_string()).await?;
                    metrics.processed(IntakeStatus::Failed);
                }
            }
            done += 1;
        }
    }
}

/// Processes waiting contacts whenever woken (a contact was stored) and every
/// `poll` (what a crash or another instance left), until `shutdown`.
pub async fn run_processor(
    inbox: Arc<dyn Intake>,
    setup: IntakeSetup,
    today: Arc<dyn Fn() -> NaiveDate + Send + Sync>,
    wake: Arc<tokio::sync::Notify>,
    poll: std::time::Duration,
    metrics: Arc<crate::Metrics>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    tokio::pin!(shutdown);
    loop {
        if let Err(e) = process_pending(&*inbox, &setup, today(), &metrics).await {
            tracing::error!(cause = ?e, "intake: waiting contacts could not be processed; trying again");
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Whether `given` ("sha256=<hex>") is the HMAC of `body` under one of
/// `secrets`, compared in constant time.
pub fn signature_matches(secrets: &[String], body: &[u8], given: &[u8]) -> bool {
    let Some(given) = given.strip_prefix(b"sha256=") else { return false };
    let given = given.to_ascii_lowercase();
    secrets.iter().filter(|s| !s.is_empty()).fold(false, |found, secret| {
        let expected = hex(&hmac_sha256(secret.as_bytes(), body));
        found | bool::from(expected.as_bytes().ct_eq(&given))
    })
}

/// The media type the request declares, lower case, without parameters.
pub(crate) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether the request says its body is a raw e-mail.
fn is_rfc822(headers: &HeaderMap) -> bool {
    media_type(headers) == "message/rfc822"
}

/// `POST /webhooks/email/raw`.
pub(crate) async fn email_raw(State(state): State<Service>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(doors) = state.intake else { return error(StatusCode::NOT_FOUND, text::NO_ROUTE) };
    let given = headers.get("x-balcao-signature").map(|v| v.as_bytes()).unwrap_or_default();
    if !signature_matches(&doors.secrets, &body, given) {
        doors.refused("wrong or missing signature");
        return error(StatusCode::UNAUTHORIZED, text::BAD_SIGNATURE);
    }
    if !is_rfc822(&headers) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, text::NOT_RFC822);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return error(StatusCode::BAD_REQUEST, text::EMPTY_EMAIL);
    }
    let Some(message) = mail_parser::MessageParser::default().parse(&body[..]) else {
        return error(StatusCode::BAD_REQUEST, text::NOT_AN_EMAIL);
    };
    if message.headers().is_empty() {
        return error(StatusCode::BAD_REQUEST, text::NOT_AN_EMAIL);
    }
    let sender = message
        .from()
        .and_then(|from| from.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .unwrap_or_default();
    let new = NewDelivery {
        key: delivery_key(message.message_id(), &body),
        channel: IntakeChannel::Email,
        raw: body.to_vec(),
        sender,
        subject: message.subject().unwrap_or_default().trim().to_owned(),
        rejected: None,
    };
    match doors.keep(&new).await {
        Ok(stored) => stored_answer(stored),
        Err(answer) => answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_the_hmac_of_the_body_under_either_secret() {
        let secrets = vec!["novo-segredo".to_owned(), "antigo-segredo".to_owned()];
        let sign = |secret: &str, body: &[u8]| format!("sha256={}", hex(&hmac_sha256(secret.as_bytes(), body)));
        assert!(signature_matches(
            &secrets,
            b"From: a@b\r\n\r\noi",
            sign("novo-segredo", b"From: a@b\r\n\r\noi").as_bytes()
        ));
        assert!(signature_matches(&secrets, b"x", sign("antigo-segredo", b"x").as_bytes()));
        assert!(signature_matches(
            &secrets,
            b"x",
            sign("antigo-segredo", b"x").to_uppercase().replace("SHA256", "sha256").as_bytes()
        ));
        assert!(!signature_matches(&secrets, b"x!", sign("novo-segredo", b"x").as_bytes()), "another body");
        assert!(!signature_matches(&secrets, b"x", sign("outro", b"x").as_bytes()));
        assert!(!signature_matches(&secrets, b"x", hex(&hmac_sha256(b"novo-segredo", b"x")).as_bytes()), "no prefix");
        assert!(!signature_matches(&["".to_owned()], b"x", sign("", b"x").as_bytes()), "an empty secret signs nothing");
    }
}
