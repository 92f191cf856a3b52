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
use balcao_domain::intake::{IntakeChannel, NewDelivery, Stored, delivery_key, hex, hmac_sha256};
use balcao_domain::ports::Intake;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::{LogThrottle, Service, error, text};

/// The path of the raw e-mail door.
pub const EMAIL_RAW_PATH: &str = "/webhooks/email/raw";

/// What intake's doors need: the accepted secrets (two during a rotation)
/// and the inbox.
#[derive(Clone)]
pub struct IntakeDoors {
    /// Secrets a signature may be made with; empty ones are never accepted.
    pub secrets: Vec<String>,
    /// Where contacts are stored.
    pub inbox: Arc<dyn Intake>,
    /// Refused calls, logged at most once a minute.
    pub refusals: Arc<LogThrottle>,
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

/// Whether the request says its body is a raw e-mail.
fn is_rfc822(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("message/rfc822"))
}

/// `POST /webhooks/email/raw`.
pub(crate) async fn email_raw(State(state): State<Service>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(doors) = state.intake else { return error(StatusCode::NOT_FOUND, text::NO_ROUTE) };
    let given = headers.get("x-balcao-signature").map(|v| v.as_bytes()).unwrap_or_default();
    if !signature_matches(&doors.secrets, &body, given) {
        if let Some(refused) = doors.refusals.count() {
            tracing::warn!(refused, "intake calls refused: wrong or missing signature");
        }
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
    };
    match doors.inbox.store_delivery(&new, chrono::Utc::now()).await {
        Ok(Stored::New(id)) => {
            tracing::info!(delivery_id = %id, "e-mail stored");
            (StatusCode::ACCEPTED, Json(json!({ "status": "stored", "id": id.0 }))).into_response()
        }
        Ok(Stored::Duplicate(id)) => {
            (StatusCode::OK, Json(json!({ "status": "duplicate", "id": id.0 }))).into_response()
        }
        Err(e) => {
            tracing::error!(cause = ?e, "an e-mail could not be stored; the sender will try again");
            error(StatusCode::SERVICE_UNAVAILABLE, text::EMAIL_NOT_STORED)
        }
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
