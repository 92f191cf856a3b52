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
