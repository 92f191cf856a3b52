//! Thin adapters from the mail providers' inbound webhooks into the same inbox
//! as `/webhooks/email/raw`: each checks the provider's credentials, takes the
//! raw message it forwards (or, when the provider was set up to send parsed
//! fields, writes one from them) and stores it under the same key.
//!
//! - `POST /webhooks/email/mailgun` (and `…/mailgun/mime`, the address that
//!   makes Mailgun send `body-mime`): Mailgun's signature, HMAC-SHA256 of
//!   timestamp and token under the webhook signing key; a timestamp more than
//!   five minutes from now, or a token already used, is refused. A message
//!   that can never be read is answered 406, which stops Mailgun's retries.
//! - `POST /webhooks/email/postmark`: Postmark's inbound JSON (`RawEmail` when
//!   "include raw content" is on), HTTP Basic with `webhooks.secret` as the password.
//! - `POST /webhooks/email/sendgrid`: SendGrid's Inbound Parse (`email`, the raw
//!   message, when "POST the raw, full MIME message" is on), HTTP Basic likewise.
//!
//! Postmark and SendGrid stop retrying on a 2xx: a post they will never make
//! readable is recorded as failed (`balcao intake list --failed`) and answered 200.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use balcao_domain::intake::{IntakeChannel, NewDelivery, delivery_key, hex, hmac_sha256};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::intake::{IntakeDoors, media_type, stored_answer};
use crate::{Service, error, text};

/// Mailgun's door.
pub const MAILGUN_PATH: &str = "/webhooks/email/mailgun";
/// Mailgun's door, by the address that makes it send the raw message.
pub const MAILGUN_MIME_PATH: &str = "/webhooks/email/mailgun/mime";
/// Postmark's door.
pub const POSTMARK_PATH: &str = "/webhooks/email/postmark";
/// SendGrid's door.
pub const SENDGRID_PATH: &str = "/webhooks/email/sendgrid";

/// How far Mailgun's timestamp may be from now.
const MAILGUN_FRESH: Duration = Duration::from_secs(300);

/// Mailgun tokens used lately: a signed post is good once.
#[derive(Debug, Default)]
pub struct SeenTokens(Mutex<Seen>);

/// The tokens and when the old ones were last swept out.
#[derive(Debug, Default)]
struct Seen {
    tokens: HashMap<String, Instant>,
    swept: Option<Instant>,
}

impl SeenTokens {
    /// Whether `token` was used within the freshness window.
    fn used(&self, token: &str, now: Instant) -> bool {
        let seen = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.tokens.get(token).is_some_and(|at| now.duration_since(*at) < MAILGUN_FRESH * 2)
    }

    /// Remembers `token` as used; about once a minute forgets those too old
    /// to be accepted anyway (not on every post: that would scan them all each time).
    fn remember(&self, token: &str, now: Instant) {
        let mut seen = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.swept.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(60)) {
            seen.tokens.retain(|_, at| now.duration_since(*at) < MAILGUN_FRESH * 2);
            seen.swept = Some(now);
        }
        seen.tokens.insert(token.to_owned(), now);
    }
}

/// One field of a provider's post.
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

/// The fields of a multipart or URL-encoded post; `None` when it cannot be read.
async fn parts(headers: &HeaderMap, body: Bytes) -> Option<Vec<Part>> {
    match media_type(headers).as_str() {
        "multipart/form-data" => {
            let request = Request::builder()
                .header(header::CONTENT_TYPE, headers.get(header::CONTENT_TYPE)?.clone())
                .body(Body::from(body))
                .ok()?;
            let mut multipart = Multipart::from_request(request, &()).await.ok()?;
            let mut out = Vec::new();
            while let Some(field) = multipart.next_field().await.ok()? {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(str::to_owned);
                let data = field.bytes().await.ok()?;
                out.push(Part { name, file_name, content_type, data });
            }
            Some(out)
        }
        "application/x-www-form-urlencoded" => {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).ok()?;
            Some(
                pairs
                    .into_iter()
                    .map(|(name, value)| Part { name, file_name: None, content_type: None, data: value.into() })
                    .collect(),
            )
        }
        _ => None,
    }
}

fn field<'a>(parts: &'a [Part], name: &str) -> Option<&'a [u8]> {
    parts.iter().find(|p| p.name == name && p.file_name.is_none()).map(|p| &p.data[..]).filter(|d| !d.is_empty())
}

fn field_text(parts: &[Part], name: &str) -> String {
    field(parts, name).map(|d| String::from_utf8_lossy(d).into_owned()).unwrap_or_default()
}

/// A message written from a provider's parsed fields.
#[derive(Default)]
struct Compose {
    headers: Vec<(String, String)>,
    text: String,
    html: String,
    files: Vec<(String, String, Vec<u8>)>,
}

impl Compose {
    fn header(&mut self, name: &str, value: &str) {
        let value = value.replace(['\r', '\n'], " ");
        if !value.trim().is_empty() && !self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            self.headers.push((name.to_owned(), value.trim().to_owned()));
        }
    }

    /// The message, in RFC 5322 form with UTF-8 parts.
    fn raw(&self) -> Vec<u8> {
        let mut out = String::new();
        for (name, value) in &self.headers {
            let skip = ["content-type", "content-transfer-encoding", "mime-version", "content-length"];
            if !skip.iter().any(|s| name.eq_ignore_ascii_case(s)) {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str("MIME-Version: 1.0\r\n");
        let text_part = |ctype: &str, body: &str| {
            format!(
                "Content-Type: {ctype}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                wrap(&STANDARD.encode(body))
            )
        };
        if self.files.is_empty() && self.html.is_empty() {
            out.push_str(&text_part("text/plain", &self.text));
            return out.into_bytes();
        }
        let boundary = format!("=_balcao_{}", &hex(&Sha256::digest(out.as_bytes()))[..24]);
        out.push_str(&format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"));
        if !self.text.is_empty() || self.html.is_empty() {
            out.push_str(&format!("--{boundary}\r\n{}", text_part("text/plain", &self.text)));
        }
        if !self.html.is_empty() {
            out.push_str(&format!("--{boundary}\r\n{}", text_part("text/html", &self.html)));
        }
        for (name, ctype, data) in &self.files {
            let name = name.replace(['"', '\r', '\n'], "_");
            out.push_str(&format!(
                "--{boundary}\r\nContent-Type: {ctype}\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                wrap(&STANDARD.encode(data))
            ));
        }
        out.push_str(&format!("--{boundary}--\r\n"));
        out.into_bytes()
    }
}

/// Base64 in lines of 76.
fn wrap(encoded: &str) -> String {
    encoded.as_bytes().chunks(76).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\r\n")
}

/// The delivery to store for a raw message from a provider; `None` when it
/// is no readable e-mail.
fn delivery(channel: IntakeChannel, raw: Vec<u8>) -> Option<NewDelivery> {
    let message = mail_parser::MessageParser::default().parse(&raw[..])?;
    if message.headers().is_empty() || message.from().is_none() {
        return None;
    }
    let sender = message
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .unwrap_or_default();
    Some(NewDelivery {
        key: delivery_key(message.message_id(), &raw),
        channel,
        sender,
        subject: message.subject().unwrap_or_default().trim().to_owned(),
        raw,
        rejected: None,
    })
}

/// A post that will never be readable, stored as failed so a person sees it.
fn rejection(channel: IntakeChannel, body: &[u8], reason: &str) -> NewDelivery {
    NewDelivery {
        key: format!("rejected:{}:sha256:{}", channel.as_str(), hex(&Sha256::digest(body))),
        channel,
        raw: body.to_vec(),
        sender: String::new(),
        subject: String::new(),
        rejected: Some(reason.to_owned()),
    }
}

/// Stores the message a provider posted, or, when it holds none that can be
/// read, the rejection, answered `refusal` so that the provider stops retrying;
/// 503 when the store does not answer.
async fn take(
    doors: &IntakeDoors,
    channel: IntakeChannel,
    raw: Option<Vec<u8>>,
    body: &[u8],
    refusal: StatusCode,
) -> Response {
    match raw.and_then(|raw| delivery(channel, raw)) {
        Some(new) => match doors.keep(&new).await {
            Ok(stored) => stored_answer(stored),
            Err(unavailable) => unavailable,
        },
        None => reject(doors, rejection(channel, body, text::PROVIDER_NO_MESSAGE), refusal).await,
    }
}

/// Stores a rejection and answers `status` (so the provider stops), or 503.
async fn reject(doors: &IntakeDoors, new: NewDelivery, status: StatusCode) -> Response {
    let reason = new.rejected.clone().unwrap_or_default();
    match doors.keep(&new).await {
        Ok(_) => {
            let mut response = (status, Json(json!({ "status": "rejected", "error": reason }))).into_response();
            response.extensions_mut().insert(crate::metrics::Refusal("unreadable_message"));
            response
        }
        Err(unavailable) => unavailable,
    }
}

/// Whether the request's HTTP Basic password is one of the secrets.
fn basic_matches(doors: &IntakeDoors, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .unwrap_or_default();
    let password = given.iter().position(|b| *b == b':').map_or(&[][..], |i| &given[i + 1..]);
    doors.password_matches(password)
}

fn unauthorized_basic() -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, text::BAD_BASIC);
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"balcao\""));
    response
}

/// Whether Mailgun's signature over `timestamp` and `token` matches one of the keys.
pub fn mailgun_signature_matches(keys: &[String], timestamp: &str, token: &str, signature: &str) -> bool {
    let signed = format!("{timestamp}{token}");
    let given = signature.trim().to_ascii_lowercase();
    keys.iter().filter(|k| !k.is_empty()).fold(false, |found, key| {
        let expected = hex(&hmac_sha256(key.as_bytes(), signed.as_bytes()));
        found | bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
    })
}

/// `POST /webhooks/email/mailgun` and `…/mailgun/mime`.
pub(crate) async fn mailgun(State(state): State<Service>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(doors) = state.intake.filter(|d| !d.mailgun_keys.is_empty()) else {
        return error(StatusCode::NOT_FOUND, text::NO_ROUTE);
    };
    let kind = media_type(&headers);
    if kind != "multipart/form-data" && kind != "application/x-www-form-urlencoded" {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, text::PROVIDER_UNREADABLE);
    }
    let Some(parts) = parts(&headers, body.clone()).await else {
        return error(StatusCode::BAD_REQUEST, text::PROVIDER_UNREADABLE);
    };
    let (timestamp, token) = (field_text(&parts, "timestamp"), field_text(&parts, "token"));
    if !mailgun_signature_matches(&doors.mailgun_keys, &timestamp, &token, &field_text(&parts, "signature")) {
        doors.refused("mailgun: wrong or missing signature");
        return error(StatusCode::UNAUTHORIZED, text::MAILGUN_SIGNATURE);
    }
    let now = chrono::Utc::now().timestamp();
    if timestamp.trim().parse::<i64>().map_or(true, |t| t.abs_diff(now) > MAILGUN_FRESH.as_secs()) {
        doors.refused("mailgun: stale timestamp");
        return error(StatusCode::UNAUTHORIZED, text::MAILGUN_STALE);
    }
    let instant = Instant::now();
    if doors.mailgun_tokens.used(&token, instant) {
        doors.refused("mailgun: replayed token");
        return error(StatusCode::UNAUTHORIZED, text::MAILGUN_REPLAY);
    }
    let raw = match field(&parts, "body-mime") {
        Some(mime) => mime.to_vec(),
        None => mailgun_compose(&parts).raw(),
    };
    let answer = take(&doors, IntakeChannel::Mailgun, Some(raw), &body, StatusCode::NOT_ACCEPTABLE).await;
    if answer.status() != StatusCode::SERVICE_UNAVAILABLE {
        doors.mailgun_tokens.remember(&token, instant);
    }
    answer
}

/// A message from Mailgun's parsed fields (`message-headers`, `body-plain`,
/// `body-html`, attachments).
fn mailgun_compose(parts: &[Part]) -> Compose {
    let mut c = Compose::default();
    let headers: Vec<(String, String)> = field(parts, "message-headers")
        .and_then(|h| serde_json::from_slice::<Vec<(String, String)>>(h).ok())
        .unwrap_or_default();
    for (name, value) in &headers {
        c.header(name, value);
    }
    for (name, key) in [("From", "from"), ("To", "recipient"), ("Subject", "subject"), ("Message-ID", "Message-Id")] {
        c.header(name, &field_text(parts, key));
    }
    c.text = field_text(parts, "body-plain");
    c.html = field_text(parts, "body-html");
    c.files = files(parts);
    c
}

fn files(parts: &[Part]) -> Vec<(String, String, Vec<u8>)> {
    parts
        .iter()
        .filter_map(|p| {
            let name = p.file_name.clone()?;
            let ctype = p.content_type.clone().unwrap_or_else(|| "application/octet-stream".to_owned());
            Some((name, ctype, p.data.to_vec()))
        })
        .collect()
}

/// `POST /webhooks/email/postmark`.
pub(crate) async fn postmark(State(state): State<Service>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(doors) = state.intake else { return error(StatusCode::NOT_FOUND, text::NO_ROUTE) };
    if !basic_matches(&doors, &headers) {
        doors.refused("postmark: wrong or missing credentials");
        return unauthorized_basic();
    }
    if media_type(&headers) != "application/json" {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, text::FORM_TYPE);
    }
    let raw = serde_json::from_slice::<Value>(&body).ok().filter(Value::is_object).map(|v| {
        match v.get("RawEmail").and_then(Value::as_str).filter(|r| !r.trim().is_empty()) {
            Some(raw) => raw.as_bytes().to_vec(),
            None => postmark_compose(&v).raw(),
        }
    });
    take(&doors, IntakeChannel::Postmark, raw, &body, StatusCode::OK).await
}

/// A message from Postmark's parsed JSON.
fn postmark_compose(v: &Value) -> Compose {
    let s = |key: &str| v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut c = Compose::default();
    let from = match (
        v.pointer("/FromFull/Email").and_then(Value::as_str),
        v.pointer("/FromFull/Name").and_then(Value::as_str),
    ) {
        (Some(email), Some(name)) if !name.is_empty() => format!("\"{}\" <{email}>", name.replace('"', "'")),
        (Some(email), _) => email.to_owned(),
        _ => s("From"),
    };
    c.header("From", &from);
    for (name, key) in [("To", "To"), ("Cc", "Cc"), ("Subject", "Subject"), ("Date", "Date")] {
        c.header(name, &s(key));
    }
    for h in v.get("Headers").and_then(Value::as_array).into_iter().flatten() {
        if let (Some(name), Some(value)) =
            (h.get("Name").and_then(Value::as_str), h.get("Value").and_then(Value::as_str))
        {
            c.header(name, value);
        }
    }
    c.text = s("TextBody");
    c.html = s("HtmlBody");
    for a in v.get("Attachments").and_then(Value::as_array).into_iter().flatten() {
        let name = a.get("Name").and_then(Value::as_str).unwrap_or("anexo").to_owned();
        let ctype = a.get("ContentType").and_then(Value::as_str).unwrap_or("application/octet-stream").to_owned();
        let data = a.get("Content").and_then(Value::as_str).and_then(|b| STANDARD.decode(b).ok()).unwrap_or_default();
        c.files.push((name, ctype, data));
    }
    c
}

/// `POST /webhooks/email/sendgrid`.
pub(crate) async fn sendgrid(State(state): State<Service>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(doors) = state.intake else { return error(StatusCode::NOT_FOUND, text::NO_ROUTE) };
    if !basic_matches(&doors, &headers) {
        doors.refused("sendgrid: wrong or missing credentials");
        return unauthorized_basic();
    }
    if media_type(&headers) != "multipart/form-data" {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, text::PROVIDER_UNREADABLE);
    }
    let raw = parts(&headers, body.clone()).await.map(|parts| match field(&parts, "email") {
        Some(raw) => raw.to_vec(),
        None => {
            // Parsed mode: the raw header block, the text, the HTML and the files.
            let mut c = Compose::default();
            let block = field_text(&parts, "headers");
            if let Some(message) = mail_parser::MessageParser::default().parse_headers(block.as_bytes()) {
                for h in message.headers() {
                    if let Some(value) = message.header_raw(h.name()) {
                        c.header(h.name(), value);
                    }
                }
            }
            c.header("From", &field_text(&parts, "from"));
            c.header("To", &field_text(&parts, "to"));
            c.header("Subject", &field_text(&parts, "subject"));
            c.text = field_text(&parts, "text");
            c.html = field_text(&parts, "html");
            c.files = files(&parts);
            c.raw()
        }
    });
    take(&doors, IntakeChannel::Sendgrid, raw, &body, StatusCode::OK).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailguns_signature_is_the_hmac_of_timestamp_and_token() {
        let keys = vec!["key-antiga".to_owned(), "key-nova".to_owned()];
        let sign = |key: &str| hex(&hmac_sha256(key.as_bytes(), b"1733400000abc123"));
        assert!(mailgun_signature_matches(&keys, "1733400000", "abc123", &sign("key-nova")));
        assert!(mailgun_signature_matches(&keys, "1733400000", "abc123", &sign("key-antiga")));
        assert!(!mailgun_signature_matches(&keys, "1733400001", "abc123", &sign("key-nova")));
        assert!(!mailgun_signature_matches(&keys, "1733400000", "abc123", &sign("outra")));
        assert!(!mailgun_signature_matches(&[String::new()], "1", "2", &hex(&hmac_sha256(b"", b"12"))));
    }

    #[test]
    fn a_composed_message_reads_back_with_its_parts() {
        let mut c = Compose::default();
        c.header("From", "Ana <ana@cliente.test>");
        c.header("Subject", "Sem sinal – ação");
        c.header("Message-ID", "<x1@cliente.test>");
        c.header("Content-Type", "text/html");
        c.text = "Olá, está sem sinal.".to_owned();
        c.files = vec![("foto.jpg".to_owned(), "image/jpeg".to_owned(), vec![0xff, 0xd8, 0, 1])];
        let raw = c.raw();
        let m = mail_parser::MessageParser::default().parse(&raw[..]).unwrap();
        assert_eq!(m.subject(), Some("Sem sinal – ação"));
        assert_eq!(m.message_id(), Some("x1@cliente.test"));
        assert_eq!(m.body_text(0).as_deref(), Some("Olá, está sem sinal."));
        let a = m.attachments().next().unwrap();
        use mail_parser::MimeHeaders;
        assert_eq!((a.attachment_name(), a.contents()), (Some("foto.jpg"), &[0xff, 0xd8, 0, 1][..]));
    }
}
