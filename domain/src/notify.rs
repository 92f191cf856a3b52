//! Notifications: who must hear of what, through which channel, and how
//! delivery is retried. A notification is a row of the outbox, written in the
//! same transaction as the change that causes it and unique per (event,
//! recipient, channel), so a change is announced once and never lost.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, NotificationId, ResellerId, RoleGroupId, RoleId, StaffId, TicketId};

/// How a notification travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// A Telegram message from the bot.
    Telegram,
    /// An e-mail.
    Email,
}

impl Channel {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Telegram => "telegram",
            Channel::Email => "email",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        if s == "email" { Channel::Email } else { Channel::Telegram }
    }
}

/// Who hears of a notification: one staff member, a role's group chat, or a
/// client (by e-mail, at the address the row names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// A staff member, in their private chat with the bot or by e-mail.
    Staff(StaffId),
    /// A Telegram group where a role hears of its tickets.
    Group(RoleGroupId),
    /// A client, by e-mail.
    Client(ClientId),
}

impl Recipient {
    /// The staff member, when it is one.
    pub fn staff(self) -> Option<StaffId> {
        match self {
            Recipient::Staff(s) => Some(s),
            Recipient::Group(_) | Recipient::Client(_) => None,
        }
    }
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recipient::Staff(s) => write!(f, "usuário nº {s}"),
            Recipient::Group(g) => write!(f, "grupo nº {g}"),
            Recipient::Client(c) => write!(f, "cliente nº {c}"),
        }
    }
}

/// A Telegram group where a role hears of its tickets instead of each member
/// privately: for one reseller's tickets, or (no reseller) for the tickets of
/// every reseller that has no group of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGroup {
    /// Its id.
    pub id: RoleGroupId,
    /// The role.
    pub role: RoleId,
    /// The role's name.
    pub role_name: String,
    /// The reseller whose tickets it hears of; `None`: every reseller without a group of its own.
    pub reseller: Option<ResellerId>,
    /// The reseller's name.
    pub reseller_name: Option<String>,
    /// The Telegram chat id of the group (negative).
    pub chat_id: i64,
}

/// Held-up notices to one group become one digest from this many on.
pub const DIGEST_FROM: usize = 3;
/// At most this many tickets in one digest (Telegram caps a message at 4,096 characters).
pub const DIGEST_MAX: usize = 15;

/// What a notification announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A ticket was assigned to the recipient or to their role.
    TicketAssigned,
    /// A role's ticket the recipient was told of was taken by someone
    /// (Assumir): their message is edited to say who.
    TicketTaken,
    /// A work order (O.S.) was scheduled for the recipient, a technician.
    /// Not urgent: in quiet hours it waits for morning.
    WorkOrderScheduled,
    /// The client of a ticket assigned to the recipient (or their role) wrote again.
    ClientWrote,
    /// A staff member's answer, e-mailed to the client in the ticket's thread.
    ReplyToClient,
    /// The acknowledgement e-mailed to a client whose contact opened a ticket.
    ContactReceived,
    /// Someone else resolved or reopened the recipient's ticket (or their
    /// role's), or finished or gave back its O.S.
    TicketNews,
}

impl NotificationKind {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::TicketAssigned => "ticket_assigned",
            NotificationKind::TicketTaken => "ticket_taken",
            NotificationKind::WorkOrderScheduled => "work_order_scheduled",
            NotificationKind::ClientWrote => "client_wrote",
            NotificationKind::ReplyToClient => "reply_to_client",
            NotificationKind::ContactReceived => "contact_received",
            NotificationKind::TicketNews => "ticket_news",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "ticket_taken" => NotificationKind::TicketTaken,
            "work_order_scheduled" => NotificationKind::WorkOrderScheduled,
            "client_wrote" => NotificationKind::ClientWrote,
            "reply_to_client" => NotificationKind::ReplyToClient,
            "contact_received" => NotificationKind::ContactReceived,
            "ticket_news" => NotificationKind::TicketNews,
            _ => NotificationKind::TicketAssigned,
        }
    }
}

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// Delivered.
    Sent,
    /// Given up: a permanent failure, or too many attempts; `last_error` says why.
    Dead,
}

impl DeliveryStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Dead => "dead",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "sent" => DeliveryStatus::Sent,
            "dead" => DeliveryStatus::Dead,
            _ => DeliveryStatus::Pending,
        }
    }

    /// What staff read.
    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pendente",
            DeliveryStatus::Sent => "enviada",
            DeliveryStatus::Dead => "falhou",
        }
    }
}

/// One notification of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Its id.
    pub id: NotificationId,
    /// What caused it, e.g. "ticket:42:opened" or "work_order:7:scheduled";
    /// unique with recipient and channel.
    pub event: String,
    /// Who must hear of it.
    pub recipient: Recipient,
    /// The e-mail address of a client recipient, chosen when the row was written.
    pub address: Option<String>,
    /// How.
    pub channel: Channel,
    /// What it announces.
    pub kind: NotificationKind,
    /// The ticket it is about.
    pub ticket: Option<TicketId>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i64,
    /// The last failure, for people.
    pub last_error: String,
    /// The sent message's id at the channel ("chat:message" on Telegram).
    pub external_id: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

/// One line of the outbox's numbers, for `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxStat {
    /// The channel.
    pub channel: Channel,
    /// The status.
    pub status: DeliveryStatus,
    /// How many notifications.
    pub count: i64,
    /// How many of them needed more than one attempt.
    pub retried: i64,
}

/// Hours in the provider's zone when non-urgent notifications wait for
/// morning, e.g. 22:00 to 07:00 (a window may cross midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// When quiet begins.
    pub start: chrono::NaiveTime,
    /// When it ends.
    pub end: chrono::NaiveTime,
}

impl QuietHours {
    /// Reads "22:00-07:00".
    pub fn parse(s: &str) -> Result<Self, crate::DomainError> {
        let bad = || crate::DomainError::invalid(format!("horário de silêncio inválido \"{s}\": use 22:00-07:00"));
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let start = crate::ticket::parse_time(a).map_err(|_| bad())?;
        let end = crate::ticket::parse_time(b).map_err(|_| bad())?;
        if start == end {
            return Err(bad());
        }
        Ok(QuietHours { start, end })
    }

    /// Whether `local` (a time of day in the provider's zone) is quiet.
    pub fn contains(&self, local: chrono::NaiveTime) -> bool {
        if self.start < self.end {
            self.start <= local && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }
}

/// The work order a notification's event names ("work_order:7:scheduled").
pub fn work_order_of_event(event: &str) -> Option<crate::ids::WorkOrderId> {
    let rest = event.strip_prefix("work_order:")?;
    rest.split(':').next()?.parse().ok().map(crate::ids::WorkOrderId)
}

/// The history entry a notification's event names: "ticket:42:replied:77" → 77,
/// and a work order's change, "work_order:7:assigned:31" → 31.
pub fn history_entry_of_event(event: &str) -> Option<i64> {
    let mut parts = event.strip_prefix("ticket:").or_else(|| event.strip_prefix("work_order:"))?.split(':');
    let (_ticket, _kind, entry) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    entry.parse().ok()
}

/// Attempts after which a temporary failure becomes permanent.
pub const MAX_ATTEMPTS: i64 = 10;

/// How long to wait before attempt `attempts + 1` after a temporary failure:
/// 10 s doubling up to an hour, spread by `jitter` (0.0 to 1.0) over ±25 % so
/// that many failures at once do not retry at once.
pub fn backoff_seconds(attempts: i64, jitter: f64) -> i64 {
    let base = 10i64.saturating_mul(1i64 << attempts.clamp(0, 20)).min(3_600);
    let spread = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
    ((base as f64) * spread).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_may_cross_midnight() {
        let t = |s: &str| crate::ticket::parse_time(s).unwrap();
        let night = QuietHours::parse("22:00-07:00").unwrap();
        assert!(night.contains(t("23:30")) && night.contains(t("02:00")) && night.contains(t("06:59")));
        assert!(!night.contains(t("07:00")) && !night.contains(t("12:00")) && !night.contains(t("21:59")));
        let lunch = QuietHours::parse("12:00-13:30").unwrap();
        assert!(lunch.contains(t("12:45")) && !lunch.contains(t("13:30")));
        assert!(QuietHours::parse("22:00").is_err() && QuietHours::parse("10:00-10:00").is_err());
    }

    #[test]
    fn a_work_order_event_names_its_work_order() {
        assert_eq!(work_order_of_event("work_order:7:scheduled"), Some(crate::ids::WorkOrderId(7)));
        assert_eq!(work_order_of_event("ticket:7:opened"), None);
        assert_eq!(work_order_of_event("work_order:x:scheduled"), None);
    }

    #[test]
    fn a_ticket_event_names_its_history_entry() {
        assert_eq!(history_entry_of_event("ticket:42:replied:77"), Some(77));
        assert_eq!(history_entry_of_event("ticket:42:opened"), None);
        assert_eq!(history_entry_of_event("work_order:7:assigned:3"), Some(3));
        assert_eq!(history_entry_of_event("work_order:7:scheduled"), None);
        assert_eq!(history_entry_of_event("ticket:42:replied:x"), None);
    }

    #[test]
    fn backoff_doubles_and_is_capped_at_an_hour() {
        assert_eq!(backoff_seconds(0, 0.5), 10);
        assert_eq!(backoff_seconds(1, 0.5), 20);
        assert_eq!(backoff_seconds(3, 0.5), 80);
        assert_eq!(backoff_seconds(30, 0.5), 3_600);
        assert_eq!(backoff_seconds(0, 0.0), 8);
        assert_eq!(backoff_seconds(0, 1.0), 13);
    }
}
