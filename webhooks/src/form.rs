//! `POST /webhooks/form`: the provider's contact form. Either the site's
//! server posts the fields as JSON signed like `/webhooks/email/raw`
//! (`X-Balcao-Signature`), or a visitor's browser posts the form itself
//! (`application/x-www-form-urlencoded`): then the page must come from one of
//! `webhooks.form_origins`, the honeypot field must be empty, and posts are
//! counted per IP and per address. Fields: nome, email, telefone, cpf_cnpj,
//! assunto, mensagem; the site's JSON may add `id`, its submission's id. A
//! form never names the assignee: routing decides.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use balcao_domain::intake::{FormContact, IntakeChannel, NewDelivery, Stored, form_key};
use serde_json::json;

use crate::intake::{media_type, signature_matches};
use crate::{Service, error, text};

/// The path of the form door.
pub const FORM_PATH: &str = "/webhooks/form";

/// The browser form's rules.
#[derive(Debug, Clone)]
pub struct FormRules {
    /// Origins (scheme://host[:port]) whose pages may post the form; empty: browsers may not.
    pub origins: Vec<String>,
    /// The field robots fill and people never see; a post with it filled is refused.
    pub honeypot: String,
    /// Posts one IP may make per hour.
    pub per_ip_per_hour: u32,
    /// Posts one e-mail or phone may make per hour.
    pub per_address_per_hour: u32,
    /// Whether the client's IP is the last address of X-Forwarded-For (behind
    /// our own reverse proxy) instead of the connection's.
    pub trust_forwarded_for: bool,
}

impl Default for FormRules {
    fn default() -> Self {
        FormRules {
            origins: Vec::new(),
            honeypot: "website".to_owned(),
            per_ip_per_hour: 20,
            per_address_per_hour: 5,
            trust_forwarded_for: false,
        }
    }
}

/// Counts events per key in fixed windows (an hour for the form), in memory:
/// each instance counts its own posts.
#[derive(Debug)]
pub struct RateLimiter {
    window: Duration,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// Windows of an hour.
    pub fn hourly() -> Self {
        RateLimiter { window: Duration::from_secs(3600), counts: Mutex::default() }
    }

    /// Counts one event for `key` at `now`: `Err(wait)` when `max` were
    /// already counted in the current window (this one is not counted).
    pub fn hit(&self, key: &str, max: u32, now: Instant) -> Result<(), Duration> {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.len() > 50_000 {
            counts.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = counts.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= max {
            return Err(self.window.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The connection's peer, when the server recorded it.
pub(crate) struct Peer(Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}

/// The JSON the site's server posts: the form's fields and, optionally, the
/// submission's id; anything else in it is ignored.
fn form_from_json(body: &[u8]) -> Result<(FormContact, Option<String>), String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| text::FORM_NOT_OBJECT.to_owned())?;
    let object = value.as_object().ok_or_else(|| text::FORM_NOT_OBJECT.to_owned())?;
    let field = |name: &str| -> Result<String, String> {
        match object.get(name) {
            None | Some(serde_json::Value::Null) => Ok(String::new()),
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(serde_json::Value::Number(n)) if name == "id" || name == "telefone" => Ok(n.to_string()),
            Some(_) => Err(text::field_not_text(name)),
        }
    };
    let form = FormContact {
        nome: field("nome")?,
        email: field("email")?,
        telefone: field("telefone")?,
        cpf_cnpj: field("cpf_cnpj")?,
        assunto: field("assunto")?,
        mensagem: field("mensagem")?,
    };
    Ok((form, Some(field("id")?).filter(|id| !id.trim().is_empty())))
}

/// An answer in the shape its caller reads: a page for a browser that
/// navigated here, JSON otherwise; with the CORS header for an allowed origin.
struct Answer {
    html: bool,
    origin: Option<HeaderValue>,
}

impl Answer {
    fn send(&self, status: StatusCode, body: serde_json::Value) -> Response {
        let mut response = if self.html {
            let message = body.get("error").and_then(|e| e.as_str()).unwrap_or(text::FORM_THANKS);
            (status, Html(page(message))).into_response()
        } else {
            (status, Json(body)).into_response()
        };
        if let Some(origin) = &self.origin {
            response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            response.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
        }
        response
    }

    fn refuse(&self, status: StatusCode, message: &str) -> Response {
        self.send(status, json!({ "error": message }))
    }
}

/// A page that says one thing, for a visitor whose browser posted the form.
fn page(message: &str) -> String {
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(
        "<!doctype html><html lang=\"pt-BR\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>Contato</title></head>\
         <body><p>{escaped}</p><p><a href=\"javascript:history.back()\">Voltar</a></p></body></html>"
    )
}

/// The client's IP: the connection's, or the last hop X-Forwarded-For names
/// when our own proxy adds it.
fn client_ip(peer: &Peer, headers: &HeaderMap, trust_forwarded_for: bool) -> Option<IpAddr> {
    // Only the entry our proxy appended counts: what comes before it, the client wrote.
    if trust_forwarded_for
        && let Some(last) = headers.get_all("x-forwarded-for").iter().next_back()
        && let Some(ip) = last.to_str().ok().and_then(|v| v.rsplit(',').next()).and_then(|ip| ip.trim().parse().ok())
    {
        return Some(ip);
    }
    peer.0.map(|a| a.ip())
}

/// `POST /webhooks/form`.
pub(crate) async fn form(State(state): State<Service>, peer: Peer, headers: HeaderMap, body: Bytes) -> Response {
    let Some(doors) = state.intake else { return error(StatusCode::NOT_FOUND, text::NO_ROUTE) };
    let kind = media_type(&headers);
    let (form, submission, answer) = match kind.as_str() {
        "application/json" => {
            let answer = Answer { html: false, origin: None };
            let given = headers.get("x-balcao-signature").map(|v| v.as_bytes()).unwrap_or_default();
            if !signature_matches(&doors.secrets, &body, given) {
                doors.refused("form: wrong or missing signature");
                return answer.refuse(StatusCode::UNAUTHORIZED, text::BAD_SIGNATURE);
            }
            match form_from_json(&body) {
                Ok((form, id)) => (form, id, answer),
                Err(message) => return answer.refuse(StatusCode::BAD_REQUEST, &message),
            }
        }
        "application/x-www-form-urlencoded" => {
            let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).unwrap_or_default();
            let allowed = doors.form.origins.iter().any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin));
            let html =
                headers.get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
            let answer = Answer { html, origin: allowed.then(|| HeaderValue::from_str(origin).ok()).flatten() };
            if !allowed {
                doors.refused("form: origin not allowed");
                return answer.refuse(StatusCode::FORBIDDEN, text::FORM_ORIGIN);
            }
            let now = Instant::now();
            if let Some(ip) = client_ip(&peer, &headers, doors.form.trust_forwarded_for)
                && let Err(wait) = doors.limiter.hit(&format!("ip:{ip}"), doors.form.per_ip_per_hour, now)
            {
                return too_many(&answer, wait);
            }
            let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
                return answer.refuse(StatusCode::BAD_REQUEST, text::FORM_UNREADABLE);
            };
            let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
            if !doors.form.honeypot.is_empty() && !get(&doors.form.honeypot).trim().is_empty() {
                doors.refused("form: honeypot filled");
                return answer.refuse(StatusCode::UNPROCESSABLE_ENTITY, text::FORM_HONEYPOT);
            }
            let form = FormContact {
                nome: get("nome"),
                email: get("email"),
                telefone: get("telefone"),
                cpf_cnpj: get("cpf_cnpj"),
                assunto: get("assunto"),
                mensagem: get("mensagem"),
            };
            (form, None, answer)
        }
        _ => return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, text::FORM_TYPE),
    };
    let form = match form.checked() {
        Ok(form) => form,
        Err(message) => return answer.refuse(StatusCode::UNPROCESSABLE_ENTITY, &message),
    };
    if kind != "application/json"
        && let Err(wait) =
            doors.limiter.hit(&format!("from:{}", form.sender()), doors.form.per_address_per_hour, Instant::now())
    {
        return too_many(&answer, wait);
    }
    let new = NewDelivery {
        key: form_key(submission.as_deref(), &form, chrono::Utc::now().date_naive()),
        channel: IntakeChannel::Form,
        raw: serde_json::to_vec(&form).unwrap_or_default(),
        sender: form.sender(),
        subject: form.contact().subject,
        rejected: None,
    };
    match doors.keep(&new).await {
        Ok(Stored::New(id)) => answer.send(StatusCode::ACCEPTED, json!({ "status": "stored", "id": id.0 })),
        Ok(Stored::Duplicate(id)) => answer.send(StatusCode::OK, json!({ "status": "duplicate", "id": id.0 })),
        Err(unavailable) => {
            if answer.html {
                answer.refuse(StatusCode::SERVICE_UNAVAILABLE, text::EMAIL_NOT_STORED)
            } else {
                unavailable
            }
        }
    }
}

fn too_many(answer: &Answer, wait: Duration) -> Response {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    let mut response = answer.refuse(StatusCode::TOO_MANY_REQUESTS, &text::too_many(minutes));
    if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_may_post_max_times_a_window_then_waits_for_the_next() {
        let limiter = RateLimiter::hourly();
        let start = Instant::now();
        assert!((0..3).all(|_| limiter.hit("ip:1", 3, start).is_ok()));
        let wait = limiter.hit("ip:1", 3, start + Duration::from_secs(600)).expect_err("the fourth waits");
        assert_eq!(wait, Duration::from_secs(3000));
        assert!(limiter.hit("ip:2", 3, start).is_ok(), "other keys count apart");
        assert!(limiter.hit("ip:1", 3, start + Duration::from_secs(3600)).is_ok(), "a new window");
    }

    #[test]
    fn the_sites_json_gives_the_fields_and_an_optional_id() {
        let (form, id) =
            form_from_json(br#"{"nome":"Ana","email":"a@b.test","mensagem":"oi","id":77,"cargo":"Financeiro"}"#)
                .unwrap();
        assert_eq!((form.nome.as_str(), form.mensagem.as_str(), id.as_deref()), ("Ana", "oi", Some("77")));
        assert_eq!(form_from_json(br#"{"mensagem":["oi"]}"#).unwrap_err(), "mensagem: deve ser texto");
        assert!(form_from_json(b"[1]").is_err());
    }
}
