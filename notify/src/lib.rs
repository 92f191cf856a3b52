//! The one path every notification takes: the dispatcher claims due rows of
//! the outbox, renders each for its channel, sends it, and records the
//! outcome. Temporary failures (network, Telegram 5xx, 429) are retried with
//! back-off and jitter (a 429 waits `retry_after` for that chat); permanent
//! ones (Telegram 400/403) go dead with the reason; a recipient who blocked
//! the bot (403) is marked unreachable. Telegram's limits are respected by
//! queueing: at most ~30 messages a second overall and one a second per chat.
//!
//! In quiet hours only urgent notifications go; the rest wait for morning.
//!
//! Not here: e-mail delivery (coming), and choosing recipients (the stores do
//! that when they write the outbox).

pub mod text;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use balcao_domain::notify::{MAX_ATTEMPTS, Notification, NotificationKind, backoff_seconds};
use balcao_domain::ports::{Directory, Outbox, Tickets};
use balcao_domain::staff::Actor;
use balcao_domain::ticket::Assignee;
use balcao_domain::{DomainError, DomainResult};
use chrono::Utc;
use teloxide::payloads::{EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};
use teloxide::{ApiError, RequestError};

/// What the dispatcher needs from the store.
pub trait NotifyStore: Outbox + Tickets + Directory {}

impl<T: Outbox + Tickets + Directory> NotifyStore for T {}

/// Telegram's published limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Messages a second across all chats.
    pub per_second: u32,
    /// Least time between two messages to one chat.
    pub per_chat: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_second: 30, per_chat: Duration::from_secs(1) }
    }
}

/// Queues sends so that Telegram's limits hold: a sliding second overall and
/// a gap per chat. It waits; it never refuses.
#[derive(Debug)]
struct Pacer {
    limits: Limits,
    recent: std::collections::VecDeque<Instant>,
    last_per_chat: HashMap<i64, Instant>,
}

impl Pacer {
    fn new(limits: Limits) -> Self {
        Pacer { limits, recent: Default::default(), last_per_chat: HashMap::new() }
    }

    /// How long to wait before sending to `chat` now.
    fn wait_for(&mut self, chat: i64, now: Instant) -> Duration {
        while self.recent.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            self.recent.pop_front();
        }
        let global = if self.recent.len() >= self.limits.per_second as usize {
            self.recent
                .front()
                .map_or(Duration::ZERO, |t| Duration::from_secs(1).saturating_sub(now.duration_since(*t)))
        } else {
            Duration::ZERO
        };
        let chat_wait = self
            .last_per_chat
            .get(&chat)
            .map_or(Duration::ZERO, |t| self.limits.per_chat.saturating_sub(now.duration_since(*t)));
        global.max(chat_wait)
    }

    fn sent(&mut self, chat: i64, at: Instant) {
        self.recent.push_back(at);
        self.last_per_chat.insert(chat, at);
    }
}

/// The dispatcher of the outbox.
pub struct Dispatcher {
    store: Arc<dyn NotifyStore>,
    bot: Bot,
    pacer: Pacer,
    quiet: Arc<dyn Fn(chrono::DateTime<Utc>) -> bool + Send + Sync>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").field("pacer", &self.pacer).finish_non_exhaustive()
    }
}

/// How one delivery ended.
enum Outcome {
    Sent(String),
    Retry { error: String, after: Duration, counts: bool },
    Dead(String),
    Unreachable(String),
}

fn jitter() -> f64 {
    let mut b = [0u8; 1];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(b[0]) / 255.0,
        Err(_) => 0.5,
    }
}

impl Dispatcher {
    /// A dispatcher sending through `bot`, within `limits`.
    pub fn new(store: Arc<dyn NotifyStore>, bot: Bot, limits: Limits) -> Self {
        Dispatcher { store, bot, pacer: Pacer::new(limits), quiet: Arc::new(|_| false) }
    }

    /// Holds non-urgent notifications while `quiet` says the provider's
    /// quiet hours are on; urgent ones (ticket assignments) still go.
    pub fn with_quiet_hours(mut self, quiet: Arc<dyn Fn(chrono::DateTime<Utc>) -> bool + Send + Sync>) -> Self {
        self.quiet = quiet;
        self
    }

    /// Claims and delivers until `shutdown` resolves; wakes every `poll`.
    pub async fn run(mut self, poll: Duration, shutdown: impl Future<Output = ()> + Send + 'static) {
        // A flag rather than a select on each batch: a busy dispatcher still
        // stops between two notifications, never in the middle of one.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let wake = Arc::new(tokio::sync::Notify::new());
        {
            let (stop, wake) = (stop.clone(), wake.clone());
            tokio::spawn(async move {
                shutdown.await;
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
                wake.notify_one();
            });
        }
        tracing::info!("notification dispatcher running");
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            let delivered = match self.drain_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(cause = ?e, "could not claim notifications");
                    0
                }
            };
            if delivered == 0 {
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(poll) => {}
                }
            }
        }
    }

    /// Claims one batch of due notifications and delivers them; returns how many were claimed.
    pub async fn drain_once(&mut self) -> DomainResult<usize> {
        let now = Utc::now();
        let batch = self.store.claim_due(now, 120, 50, (self.quiet)(now)).await?;
        let n = batch.len();
        for notification in batch {
            let id = notification.id;
            let recipient = notification.recipient;
            let outcome = self.deliver(&notification).await;
            let recorded = match outcome {
                Outcome::Sent(external) => self.store.mark_sent(id, &external, Utc::now()).await,
                Outcome::Retry { error, after, counts } => {
                    if counts && notification.attempts + 1 >= MAX_ATTEMPTS {
                        self.store
                            .mark_dead(id, &format!("{error} (após {} tentativas)", notification.attempts + 1))
                            .await
                    } else {
                        let next = Utc::now() + chrono::Duration::from_std(after).unwrap_or_default();
                        self.store.mark_retry(id, &error, next, counts).await
                    }
                }
                Outcome::Dead(reason) => self.store.mark_dead(id, &reason).await,
                Outcome::Unreachable(reason) => {
                    let _ = self.store.mark_unreachable(recipient).await;
                    self.store.mark_dead(id, &reason).await
                }
            };
            if let Err(e) = recorded {
                tracing::error!(notification_id = %id, cause = ?e, "could not record a notification's outcome");
            }
        }
        Ok(n)
    }

    async fn deliver(&mut self, n: &Notification) -> Outcome {
        let staff = match self.store.staff_member(n.recipient).await {
            Ok(s) => s,
            Err(DomainError::NotFound(_)) => return Outcome::Dead("destinatário não existe".into()),
            Err(e) => return Outcome::Retry { error: format!("{e:?}"), after: Duration::from_secs(30), counts: true },
        };
        let Some(chat) = staff.telegram_id.filter(|_| staff.active) else {
            return Outcome::Dead("destinatário sem Telegram ligado ou desativado".into());
        };
        let (text, keyboard) = match self.render(n).await {
            Ok(r) => r,
            Err(DomainError::NotFound(_)) => return Outcome::Dead("atendimento não existe mais".into()),
            Err(e) => return Outcome::Retry { error: format!("{e:?}"), after: Duration::from_secs(30), counts: true },
        };
        // Assumir edits the message the person got; nothing to edit when it never went out.
        let edit = if n.kind == NotificationKind::TicketTaken {
            let ticket = n.ticket.unwrap_or(balcao_domain::TicketId(0));
            match self.store.delivered_assignment(ticket, n.recipient).await {
                Ok(Some(external)) => match external.split_once(':').and_then(|(_, m)| m.parse::<i32>().ok()) {
                    Some(message) => Some(message),
                    None => return Outcome::Dead("mensagem original ilegível".into()),
                },
                Ok(None) => return Outcome::Sent("nada a editar".into()),
                Err(e) => {
                    return Outcome::Retry { error: format!("{e:?}"), after: Duration::from_secs(30), counts: true };
                }
            }
        } else {
            None
        };
        let wait = self.pacer.wait_for(chat, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let sent = match edit {
            Some(message) => self
                .bot
                .edit_message_text(ChatId(chat), MessageId(message), text)
                .reply_markup(keyboard)
                .send()
                .await
                .map(|m| m.id.0),
            None => self.bot.send_message(ChatId(chat), text).reply_markup(keyboard).send().await.map(|m| m.id.0),
        };
        self.pacer.sent(chat, Instant::now());
        match sent {
            Ok(message) => Outcome::Sent(format!("{chat}:{message}")),
            Err(RequestError::Api(ApiError::MessageNotModified)) => Outcome::Sent("sem alteração".into()),
            Err(RequestError::RetryAfter(wait)) => {
                // That chat only: this row waits, the others go on.
                Outcome::Retry {
                    error: "Telegram pediu para esperar (429)".into(),
                    after: wait.duration(),
                    counts: false,
                }
            }
            Err(RequestError::Api(ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::BotKicked)) => {
                Outcome::Unreachable("o usuário bloqueou o bot (403)".into())
            }
            Err(RequestError::Api(ApiError::Unknown(description)))
                if description.contains("Internal Server Error")
                    || description.contains("Bad Gateway")
                    || description.contains("Too Many") =>
            {
                let after = Duration::from_secs(backoff_seconds(n.attempts, jitter()) as u64);
                Outcome::Retry { error: format!("Telegram: {description}"), after, counts: true }
            }
            Err(RequestError::Api(e)) => Outcome::Dead(format!("Telegram recusou: {e}")),
            Err(e) => {
                let after = Duration::from_secs(backoff_seconds(n.attempts, jitter()) as u64);
                Outcome::Retry { error: format!("falha de rede: {e}"), after, counts: true }
            }
        }
    }

    /// The message as of now: a notice rendered when it is sent says who
    /// took the ticket if someone already did.
    async fn render(&self, n: &Notification) -> DomainResult<(String, InlineKeyboardMarkup)> {
        let ticket = n.ticket.ok_or(DomainError::NotFound("atendimento"))?;
        let detail = self.store.ticket(&Actor::system(), ticket).await?;
        let t = &detail.ticket;
        let view = InlineKeyboardButton::callback(text::VIEW, format!("tk:{}", t.id.0));
        let (line, taken_by) = match t.assignee {
            Assignee::Role(r) => {
                let role = self.store.roles().await?.into_iter().find(|x| x.id == r).map(|x| x.name);
                (text::ticket_assigned(t, role.as_deref().map_or(text::Audience::Team, text::Audience::Role)), None)
            }
            Assignee::User(u) if u == n.recipient && n.kind == NotificationKind::TicketAssigned => {
                (text::ticket_assigned(t, text::Audience::You), None)
            }
            Assignee::User(u) => {
                let name = self.store.staff_member(u).await?.name;
                (text::ticket_assigned(t, text::Audience::Team), Some(name))
            }
        };
        Ok(match taken_by {
            Some(name) => (format!("{line}\n\n{}", text::taken_by(&name)), InlineKeyboardMarkup::new(vec![vec![view]])),
            None if matches!(t.assignee, Assignee::Role(_)) => (
                line,
                InlineKeyboardMarkup::new(vec![vec![
                    view,
                    InlineKeyboardButton::callback(text::TAKE, format!("tt:{}", t.id.0)),
                ]]),
            ),
            None => (line, InlineKeyboardMarkup::new(vec![vec![view]])),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacer_spaces_one_chat_by_a_second_and_all_by_thirty_a_second() {
        let mut p = Pacer::new(Limits::default());
        let t0 = Instant::now();
        assert_eq!(p.wait_for(1, t0), Duration::ZERO);
        p.sent(1, t0);
        assert_eq!(p.wait_for(1, t0), Duration::from_secs(1));
        assert_eq!(p.wait_for(2, t0), Duration::ZERO);
        for chat in 2..31 {
            p.sent(chat, t0);
        }
        assert_eq!(p.wait_for(99, t0), Duration::from_secs(1), "thirty in this second already");
        assert_eq!(p.wait_for(99, t0 + Duration::from_millis(1_000)), Duration::ZERO);
    }
}
