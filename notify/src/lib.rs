//! The one path every notification takes: the dispatcher claims due rows of
//! the outbox, renders each for its channel, sends it, and records the
//! outcome. Temporary failures (network, Telegram 5xx, 429, SMTP 4xx) are
//! retried with back-off and jitter (a 429 waits `retry_after` for that chat);
//! permanent ones (Telegram 400/403, SMTP 5xx) go dead with the reason; a
//! recipient who blocked the bot (403) is marked unreachable. Telegram's
//! limits are respected by queueing: at most ~30 messages a second overall
//! and one a second per chat. E-mails go side by side, as many at once as the
//! SMTP pool has connections.
//!
//! In quiet hours only urgent notifications go; the rest wait for morning.
//!
//! Not here: choosing recipients (the stores do that when they write the outbox).

pub mod mail;
pub mod text;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use balcao_domain::notify::{Channel, MAX_ATTEMPTS, Notification, NotificationKind, backoff_seconds};
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
    telegram: Option<(Bot, Pacer)>,
    mailer: Option<Arc<mail::Mailer>>,
    quiet: Arc<dyn Fn(chrono::DateTime<Utc>) -> bool + Send + Sync>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("telegram", &self.telegram.as_ref().map(|(_, pacer)| pacer))
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
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

/// A temporary failure: try again after the back-off for `attempts`.
fn backoff(error: String, attempts: i64) -> Outcome {
    Outcome::Retry { error, after: Duration::from_secs(backoff_seconds(attempts, jitter()) as u64), counts: true }
}

/// The store failed us: try again soon.
fn store_failed(e: &DomainError) -> Outcome {
    Outcome::Retry { error: format!("{e:?}"), after: Duration::from_secs(30), counts: true }
}

/// Records how a delivery ended.
async fn record(store: &dyn NotifyStore, n: &Notification, outcome: Outcome) {
    let id = n.id;
    let recorded = match outcome {
        Outcome::Sent(external) => store.mark_sent(id, &external, Utc::now()).await,
        Outcome::Retry { error, after, counts } => {
            if counts && n.attempts + 1 >= MAX_ATTEMPTS {
                store.mark_dead(id, &format!("{error} (após {} tentativas)", n.attempts + 1)).await
            } else {
                let next = Utc::now() + chrono::Duration::from_std(after).unwrap_or_default();
                store.mark_retry(id, &error, next, counts).await
            }
        }
        Outcome::Dead(reason) => store.mark_dead(id, &reason).await,
        Outcome::Unreachable(reason) => {
            let _ = store.mark_unreachable(n.recipient).await;
            store.mark_dead(id, &reason).await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(notification_id = %id, cause = ?e, "could not record a notification's outcome");
    }
}

/// A ticket notice as of now: the ticket, whom it speaks to, and who took it
/// if a colleague already did (a notice rendered late says so).
struct Notice {
    ticket: balcao_domain::ticket::Ticket,
    audience: text::Audience,
    taken_by: Option<String>,
}

async fn notice(store: &dyn NotifyStore, n: &Notification) -> DomainResult<Notice> {
    let id = n.ticket.ok_or(DomainError::NotFound("atendimento"))?;
    let ticket = store.ticket(&Actor::system(), id).await?.ticket;
    let (audience, taken_by) = match ticket.assignee {
        Assignee::Role(r) => {
            let role = store.roles().await?.into_iter().find(|x| x.id == r).map(|x| x.name);
            (role.map_or(text::Audience::Team, text::Audience::Role), None)
        }
        Assignee::User(u) if u == n.recipient && n.kind == NotificationKind::TicketAssigned => {
            (text::Audience::You, None)
        }
        Assignee::User(u) => (text::Audience::Team, Some(store.staff_member(u).await?.name)),
    };
    Ok(Notice { ticket, audience, taken_by })
}

/// Delivers one e-mail notification.
async fn deliver_email(store: &dyn NotifyStore, mailer: &mail::Mailer, n: &Notification) -> Outcome {
    let staff = match store.staff_member(n.recipient).await {
        Ok(s) => s,
        Err(DomainError::NotFound(_)) => return Outcome::Dead("destinatário não existe".into()),
        Err(e) => return store_failed(&e),
    };
    let Some(address) = staff.email.filter(|e| staff.active && !e.trim().is_empty()) else {
        return Outcome::Dead("destinatário sem e-mail ou desativado".into());
    };
    let notice = match notice(store, n).await {
        Ok(notice) => notice,
        Err(DomainError::NotFound(_)) => return Outcome::Dead("atendimento não existe mais".into()),
        Err(e) => return store_failed(&e),
    };
    let t = &notice.ticket;
    let email = mail::Email {
        to_name: staff.name,
        to_address: address,
        subject: text::email_subject(t),
        text: text::email_text(t, &notice.audience),
        html: text::email_html(t, &notice.audience),
        message_key: format!("balcao.n{}.t{}", n.id.0, t.id.0),
        thread_key: format!("balcao.t{}", t.id.0),
    };
    match mailer.send(&email).await {
        Ok(()) => Outcome::Sent(mailer.message_id(&email.message_key)),
        Err(mail::MailFailure::Temporary(e)) => backoff(e, n.attempts),
        Err(mail::MailFailure::Permanent(e)) => Outcome::Dead(e),
    }
}

impl Dispatcher {
    /// A dispatcher over `store` with no channel yet: add Telegram, e-mail or both.
    /// A notification for a channel left out goes dead saying so.
    pub fn new(store: Arc<dyn NotifyStore>) -> Self {
        Dispatcher { store, telegram: None, mailer: None, quiet: Arc::new(|_| false) }
    }

    /// Sends Telegram notifications through `bot`, within `limits`.
    pub fn with_telegram(mut self, bot: Bot, limits: Limits) -> Self {
        self.telegram = Some((bot, Pacer::new(limits)));
        self
    }

    /// Sends e-mail notifications through `mailer`, as many at once as its pool holds.
    pub fn with_mailer(mut self, mailer: mail::Mailer) -> Self {
        self.mailer = Some(Arc::new(mailer));
        self
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

    /// Claims one batch of due notifications and delivers them; returns how
    /// many were claimed. Telegram messages go one after the other, paced;
    /// e-mails go at the same time, up to the SMTP pool's size.
    pub async fn drain_once(&mut self) -> DomainResult<usize> {
        let now = Utc::now();
        let batch = self.store.claim_due(now, 120, 50, (self.quiet)(now)).await?;
        let n = batch.len();
        let (emails, telegrams): (Vec<_>, Vec<_>) = batch.into_iter().partition(|n| n.channel == Channel::Email);
        let store = self.store.clone();
        let mailer = self.mailer.clone();
        let email_work = async move {
            let Some(mailer) = mailer else {
                for n in &emails {
                    record(&*store, n, Outcome::Dead("e-mail não configurado (smtp.url)".into())).await;
                }
                return;
            };
            let slots = Arc::new(tokio::sync::Semaphore::new(mailer.pool_size() as usize));
            let mut running = tokio::task::JoinSet::new();
            for n in emails {
                let Ok(slot) = slots.clone().acquire_owned().await else { break };
                let (store, mailer) = (store.clone(), mailer.clone());
                running.spawn(async move {
                    let outcome = deliver_email(&*store, &mailer, &n).await;
                    record(&*store, &n, outcome).await;
                    drop(slot);
                });
            }
            while running.join_next().await.is_some() {}
        };
        let telegram_work = async {
            for n in &telegrams {
                let outcome = self.deliver_telegram(n).await;
                record(&*self.store, n, outcome).await;
            }
        };
        tokio::join!(email_work, telegram_work);
        Ok(n)
    }

    async fn deliver_telegram(&mut self, n: &Notification) -> Outcome {
        let store = &*self.store;
        let Some((bot, pacer)) = self.telegram.as_mut() else {
            return Outcome::Dead("Telegram não configurado (telegram.token)".into());
        };
        let staff = match store.staff_member(n.recipient).await {
            Ok(s) => s,
            Err(DomainError::NotFound(_)) => return Outcome::Dead("destinatário não existe".into()),
            Err(e) => return store_failed(&e),
        };
        let Some(chat) = staff.telegram_id.filter(|_| staff.active) else {
            return Outcome::Dead("destinatário sem Telegram ligado ou desativado".into());
        };
        let (text, keyboard) = match notice(store, n).await {
            Ok(notice) => telegram_message(&notice),
            Err(DomainError::NotFound(_)) => return Outcome::Dead("atendimento não existe mais".into()),
            Err(e) => return store_failed(&e),
        };
        // Assumir edits the message the person got; nothing to edit when it never went out.
        let edit = if n.kind == NotificationKind::TicketTaken {
            let ticket = n.ticket.unwrap_or(balcao_domain::TicketId(0));
            match store.delivered_assignment(ticket, n.recipient).await {
                Ok(Some(external)) => match external.split_once(':').and_then(|(_, m)| m.parse::<i32>().ok()) {
                    Some(message) => Some(message),
                    None => return Outcome::Dead("mensagem original ilegível".into()),
                },
                Ok(None) => return Outcome::Sent("nada a editar".into()),
                Err(e) => return store_failed(&e),
            }
        } else {
            None
        };
        let wait = pacer.wait_for(chat, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let sent = match edit {
            Some(message) => bot
                .edit_message_text(ChatId(chat), MessageId(message), text)
                .reply_markup(keyboard)
                .send()
                .await
                .map(|m| m.id.0),
            None => bot.send_message(ChatId(chat), text).reply_markup(keyboard).send().await.map(|m| m.id.0),
        };
        pacer.sent(chat, Instant::now());
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
                backoff(format!("Telegram: {description}"), n.attempts)
            }
            Err(RequestError::Api(e)) => Outcome::Dead(format!("Telegram recusou: {e}")),
            Err(e) => backoff(format!("falha de rede: {e}"), n.attempts),
        }
    }
}

/// The Telegram message of a notice, with its buttons.
fn telegram_message(notice: &Notice) -> (String, InlineKeyboardMarkup) {
    let t = &notice.ticket;
    let line = text::ticket_assigned(t, &notice.audience);
    let view = InlineKeyboardButton::callback(text::VIEW, format!("tk:{}", t.id.0));
    match &notice.taken_by {
        Some(name) => (format!("{line}\n\n{}", text::taken_by(name)), InlineKeyboardMarkup::new(vec![vec![view]])),
        None if matches!(t.assignee, Assignee::Role(_)) => (
            line,
            InlineKeyboardMarkup::new(vec![vec![
                view,
                InlineKeyboardButton::callback(text::TAKE, format!("tt:{}", t.id.0)),
            ]]),
        ),
        None => (line, InlineKeyboardMarkup::new(vec![vec![view]])),
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
