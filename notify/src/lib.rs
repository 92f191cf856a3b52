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

use balcao_domain::callback::Callback;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use balcao_domain::notify::{
    Channel, DIGEST_FROM, DIGEST_MAX, MAX_ATTEMPTS, Notification, NotificationKind, Recipient, RoleGroup,
    backoff_seconds, history_entry_of_event, work_order_of_event,
};
use balcao_domain::ports::{Directory, Outbox, Tickets};
use balcao_domain::staff::Actor;
use balcao_domain::text::{TELEGRAM_MAX_UTF16, fit_utf16};
use balcao_domain::ticket::{Assignee, Ticket, TicketEvent};
use balcao_domain::{DomainError, DomainResult, RoleGroupId};
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
    /// Least time between two messages to one group (Telegram allows 20 a minute).
    pub per_group: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_second: 30, per_chat: Duration::from_secs(1), per_group: Duration::from_secs(3) }
    }
}

/// Queues sends so that Telegram's limits hold: a sliding second overall and
/// a gap per chat, longer for groups. It waits; it never refuses.
#[derive(Debug)]
struct Pacer {
    limits: Limits,
    recent: std::collections::VecDeque<Instant>,
    last_per_chat: HashMap<i64, Instant>,
    /// Chats Telegram asked us to leave alone (429) until then.
    held: HashMap<i64, Instant>,
}

/// A wait longer than this is not slept through (it would hold every other
/// chat's messages back): the notice goes back to the queue until then.
const LONGEST_INLINE_WAIT: Duration = Duration::from_secs(1);

impl Pacer {
    fn new(limits: Limits) -> Self {
        Pacer { limits, recent: Default::default(), last_per_chat: HashMap::new(), held: HashMap::new() }
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
        // Telegram's group chats have negative ids.
        let gap = if chat < 0 { self.limits.per_group } else { self.limits.per_chat };
        let chat_wait =
            self.last_per_chat.get(&chat).map_or(Duration::ZERO, |t| gap.saturating_sub(now.duration_since(*t)));
        let held = self.held.get(&chat).map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        global.max(chat_wait).max(held)
    }

    /// Telegram answered 429 for `chat`: nothing goes there for `wait`.
    fn hold(&mut self, chat: i64, wait: Duration, now: Instant) {
        self.held.insert(chat, now + wait);
    }

    /// Waits for `chat`'s turn when it is near; when it is far (a group's
    /// 3 s, a 429), answers how long, so the caller requeues instead.
    async fn turn(&mut self, chat: i64) -> Result<(), Duration> {
        let wait = self.wait_for(chat, Instant::now());
        if wait > LONGEST_INLINE_WAIT {
            return Err(wait);
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
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
#[derive(Clone)]
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

/// The chat's turn is far (a group's pace, a 429): back to the queue until
/// then, without counting an attempt.
fn not_yet(n: &Notification, wait: Duration) -> Outcome {
    // The last real failure stays on record; a wait for our turn is not one.
    let error = if n.last_error.is_empty() { "aguardando a vez deste chat no Telegram" } else { &n.last_error };
    Outcome::Retry { error: error.to_owned(), after: wait, counts: false }
}

/// The store failed us: try again soon.
fn store_failed(e: &DomainError) -> Outcome {
    Outcome::Retry { error: format!("{e:?}"), after: Duration::from_secs(30), counts: true }
}

/// How long a claim holds its rows.
const LEASE_SECONDS: i64 = 120;

/// Claimed rows not started in time go back to the queue.
async fn give_back(store: &dyn NotifyStore, ids: &[balcao_domain::NotificationId]) {
    if ids.is_empty() {
        return;
    }
    tracing::info!(count = ids.len(), "notifications given back to the queue: their claim is running out");
    if let Err(e) = store.release(ids).await {
        tracing::error!(cause = ?e, "could not give notifications back; their claim will expire");
    }
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
            if let Some(staff) = n.recipient.staff() {
                let _ = store.mark_unreachable(staff).await;
            }
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
    let ticket = store.ticket(&Actor::admin(), id).await?.ticket;
    let (audience, taken_by) = match ticket.assignee {
        Assignee::Role(r) => {
            let role = store.roles().await?.into_iter().find(|x| x.id == r).map(|x| x.name);
            (role.map_or(text::Audience::Team, text::Audience::Role), None)
        }
        Assignee::User(u) if Some(u) == n.recipient.staff() && n.kind == NotificationKind::TicketAssigned => {
            (text::Audience::You, None)
        }
        Assignee::User(u) => (text::Audience::Team, Some(store.staff_member(u).await?.name)),
    };
    Ok(Notice { ticket, audience, taken_by })
}

/// The ticket and the work order a work-order notice is about, as they are now.
async fn work_order_notice(
    store: &dyn NotifyStore,
    n: &Notification,
) -> DomainResult<(balcao_domain::ticket::Ticket, balcao_domain::ticket::WorkOrder)> {
    let id = n.ticket.ok_or(DomainError::NotFound("atendimento"))?;
    let wanted = work_order_of_event(&n.event).ok_or(DomainError::NotFound("O.S."))?;
    let detail = store.ticket(&Actor::admin(), id).await?;
    let wo = detail.work_orders.into_iter().find(|w| w.id == wanted).ok_or(DomainError::NotFound("O.S."))?;
    // Given to someone else, or already under way, since: the news is stale.
    if wo.technician != n.recipient.staff() || wo.status != balcao_domain::ticket::WorkOrderStatus::Scheduled {
        return Err(DomainError::NotFound("O.S. agendada para este técnico"));
    }
    Ok((detail.ticket, wo))
}

/// The ticket a notice about a history entry speaks of, with that entry's
/// text (what the client wrote, what staff answered).
async fn entry_notice(store: &dyn NotifyStore, n: &Notification) -> DomainResult<(Ticket, String)> {
    news_notice(store, n).await.map(|(t, e)| (t, e.detail))
}

/// The ticket and the history entry a notice of news is about.
async fn news_notice(store: &dyn NotifyStore, n: &Notification) -> DomainResult<(Ticket, TicketEvent)> {
    let id = n.ticket.ok_or(DomainError::NotFound("atendimento"))?;
    let wanted = history_entry_of_event(&n.event).ok_or(DomainError::NotFound("registro do atendimento"))?;
    let detail = store.ticket(&Actor::admin(), id).await?;
    let entry = detail.history.into_iter().find(|e| e.id == wanted).ok_or(DomainError::NotFound("registro"))?;
    Ok((detail.ticket, entry))
}

/// An e-mail's content, before its addressee.
struct Rendered {
    subject: String,
    text: String,
    html: String,
    ticket: Ticket,
}

/// What an e-mail notification says, as of now.
async fn render_email(store: &dyn NotifyStore, mailer: &mail::Mailer, n: &Notification) -> DomainResult<Rendered> {
    let rendered = |ticket: Ticket, subject, text, html| Rendered { subject, text, html, ticket };
    Ok(match n.kind {
        NotificationKind::WorkOrderScheduled => {
            let (t, wo) = work_order_notice(store, n).await?;
            let (subject, body, html) =
                (text::work_order_subject(&t, &wo), text::work_order_text(&t, &wo), text::work_order_html(&t, &wo));
            rendered(t, subject, body, html)
        }
        NotificationKind::TicketAssigned | NotificationKind::TicketTaken => {
            let notice = notice(store, n).await?;
            let t = notice.ticket;
            let taken_by = notice.taken_by.as_deref();
            let (subject, body, html) = (
                text::email_subject(&t),
                text::email_text(&t, &notice.audience, taken_by),
                text::email_html(&t, &notice.audience, taken_by),
            );
            rendered(t, subject, body, html)
        }
        NotificationKind::ClientWrote => {
            let (t, message) = entry_notice(store, n).await?;
            let (subject, body, html) = (
                text::client_wrote_subject(&t),
                text::client_wrote_text(&t, &message),
                text::client_wrote_html(&t, &message),
            );
            rendered(t, subject, body, html)
        }
        NotificationKind::ReplyToClient => {
            let (t, answer) = entry_notice(store, n).await?;
            let provider = mailer.signature();
            let (subject, body, html) = (
                text::reply_subject(&t),
                text::reply_text(&t, &answer, &provider),
                text::reply_html(&t, &answer, &provider),
            );
            rendered(t, subject, body, html)
        }
        NotificationKind::TicketNews => {
            let (t, e) = news_notice(store, n).await?;
            let (subject, body, html) =
                (text::ticket_news_subject(&t, &e), text::ticket_news_text(&t, &e), text::ticket_news_html(&t, &e));
            rendered(t, subject, body, html)
        }
        NotificationKind::ContactReceived => {
            let id = n.ticket.ok_or(DomainError::NotFound("atendimento"))?;
            let t = store.ticket(&Actor::admin(), id).await?.ticket;
            let provider = mailer.signature();
            let (subject, body, html) = match mailer.acknowledgement() {
                Some((subject, body)) => text::provider_acknowledgement(&t, &provider, subject, body),
                None => {
                    (text::received_subject(&t), text::received_text(&t, &provider), text::received_html(&t, &provider))
                }
            };
            rendered(t, subject, body, html)
        }
    })
}

/// Delivers one e-mail notification.
async fn deliver_email(store: &dyn NotifyStore, mailer: &mail::Mailer, n: &Notification) -> Outcome {
    let staff_name = match n.recipient {
        Recipient::Staff(recipient) => {
            let staff = match store.staff_member(recipient).await {
                Ok(s) => s,
                Err(DomainError::NotFound(_)) => return Outcome::Dead("destinatário não existe".into()),
                Err(e) => return store_failed(&e),
            };
            let Some(address) = staff.email.filter(|e| staff.active && !e.trim().is_empty()) else {
                return Outcome::Dead("destinatário sem e-mail ou desativado".into());
            };
            Some((staff.name, address))
        }
        Recipient::Client(_) => None,
        Recipient::Group(_) => return Outcome::Dead("e-mail vai a pessoas e clientes, não a grupos".into()),
    };
    let r = match render_email(store, mailer, n).await {
        Ok(r) => r,
        Err(e @ DomainError::NotFound(_)) => return Outcome::Dead(format!("não enviada: {e}")),
        Err(e) => return store_failed(&e),
    };
    let (to_name, to_address, automatic) = match staff_name {
        Some((name, address)) => (name, address, Some("auto-generated")),
        None => {
            let Some(address) = n.address.clone() else {
                return Outcome::Dead("cliente sem endereço de e-mail".into());
            };
            let automatic = (n.kind == NotificationKind::ContactReceived).then_some("auto-replied");
            (r.ticket.contact_name.clone(), address, automatic)
        }
    };
    let ticket = r.ticket.id;
    let email = mail::Email {
        to_name,
        to_address,
        subject: r.subject,
        text: r.text,
        html: r.html,
        message_key: format!("balcao.n{}.t{}", n.id.0, ticket.0),
        thread_key: format!("balcao.t{}", ticket.0),
        automatic,
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
        let batch = self.store.claim_due(now, LEASE_SECONDS, 50, (self.quiet)(now)).await?;
        // Nothing is started once half the lease is gone, and nothing still
        // runs when it ends: another instance may claim these rows then, and
        // must not find one in flight.
        let claimed = Instant::now();
        let deadline = claimed + Duration::from_secs(LEASE_SECONDS as u64 / 2);
        let must_end = tokio::time::Instant::from_std(claimed + Duration::from_secs(LEASE_SECONDS as u64 - 15));
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
            let mut late = Vec::new();
            for n in emails {
                let Ok(slot) = slots.clone().acquire_owned().await else { break };
                if Instant::now() > deadline {
                    late.push(n.id);
                    continue;
                }
                let (store, mailer) = (store.clone(), mailer.clone());
                running.spawn(async move {
                    let outcome = tokio::time::timeout_at(must_end, deliver_email(&*store, &mailer, &n))
                        .await
                        .unwrap_or_else(|_| backoff("servidor de e-mail não respondeu a tempo".into(), n.attempts));
                    record(&*store, &n, outcome).await;
                    drop(slot);
                });
            }
            while running.join_next().await.is_some() {}
            give_back(&*store, &late).await;
        };
        let telegram_work = async {
            let mut queue: std::collections::VecDeque<Notification> = telegrams.into();
            while let Some(n) = queue.pop_front() {
                if Instant::now() > deadline {
                    let late: Vec<_> = std::iter::once(n.id).chain(queue.iter().map(|m| m.id)).collect();
                    give_back(&*self.store, &late).await;
                    break;
                }
                if !matches!(n.recipient, Recipient::Group(_)) || n.kind != NotificationKind::TicketAssigned {
                    let outcome = self.deliver_telegram_in_time(&n, must_end).await;
                    record(&*self.store, &n, outcome).await;
                    continue;
                }
                let Recipient::Group(group) = n.recipient else { continue };
                // Every notice waiting for this group: the batch's and those held by back-off.
                let (mut burst, rest): (Vec<_>, Vec<_>) = std::iter::once(n).chain(queue.drain(..)).partition(|m| {
                    m.recipient == Recipient::Group(group) && m.kind == NotificationKind::TicketAssigned
                });
                queue = rest.into();
                match self.store.claim_group_backlog(group, Utc::now(), LEASE_SECONDS, 100).await {
                    Ok(more) => burst.extend(more),
                    Err(e) => tracing::error!(cause = ?e, "could not claim a group's waiting notices"),
                }
                burst.sort_by_key(|m| m.id);
                burst.dedup_by_key(|m| m.id);
                if burst.len() >= DIGEST_FROM {
                    for part in burst.chunks(DIGEST_MAX) {
                        self.deliver_digest(group, part, must_end).await;
                    }
                } else {
                    for m in &burst {
                        let outcome = self.deliver_telegram_in_time(m, must_end).await;
                        record(&*self.store, m, outcome).await;
                    }
                }
            }
        };
        tokio::join!(email_work, telegram_work);
        Ok(n)
    }

    /// [`Self::deliver_telegram`], given up as a temporary failure at `must_end`.
    async fn deliver_telegram_in_time(&mut self, n: &Notification, must_end: tokio::time::Instant) -> Outcome {
        tokio::time::timeout_at(must_end, self.deliver_telegram(n))
            .await
            .unwrap_or_else(|_| backoff("Telegram não respondeu a tempo".into(), n.attempts))
    }

    async fn deliver_telegram(&mut self, n: &Notification) -> Outcome {
        let store = &*self.store;
        let Some((bot, pacer)) = self.telegram.as_mut() else {
            return Outcome::Dead("Telegram não configurado (telegram.token)".into());
        };
        let (chat, group) = match chat_of(store, n.recipient).await {
            Ok(found) => found,
            Err(outcome) => return outcome,
        };
        let rendered = match n.kind {
            NotificationKind::WorkOrderScheduled => {
                work_order_notice(store, n).await.map(|(t, wo)| telegram_work_order(&t, &wo))
            }
            NotificationKind::TicketAssigned | NotificationKind::TicketTaken => {
                notice(store, n).await.map(|notice| telegram_message(&notice))
            }
            NotificationKind::ClientWrote => entry_notice(store, n).await.map(|(t, message)| {
                let view = InlineKeyboardButton::callback(text::VIEW, Callback::Ticket(t.id).encode());
                (text::client_wrote(&t, &message), InlineKeyboardMarkup::new(vec![vec![view]]))
            }),
            NotificationKind::TicketNews => news_notice(store, n).await.map(|(t, e)| {
                let view = InlineKeyboardButton::callback(text::VIEW, Callback::Ticket(t.id).encode());
                (text::ticket_news(&t, &e), InlineKeyboardMarkup::new(vec![vec![view]]))
            }),
            NotificationKind::ReplyToClient | NotificationKind::ContactReceived => {
                return Outcome::Dead("mensagens ao cliente vão só por e-mail".into());
            }
        };
        let (mut text, mut keyboard) = match rendered {
            Ok(r) => r,
            Err(e @ DomainError::NotFound(_)) => return Outcome::Dead(format!("não enviada: {e}")),
            Err(e) => return store_failed(&e),
        };
        // Assumir edits the message the person or group got; nothing to edit when it never went out.
        let edit = if n.kind == NotificationKind::TicketTaken {
            let ticket = n.ticket.unwrap_or(balcao_domain::TicketId(0));
            let external = match store.delivered_assignment(ticket, n.recipient).await {
                Ok(Some(external)) => external,
                Ok(None) => return Outcome::Sent("nada a editar".into()),
                Err(e) => return store_failed(&e),
            };
            let Some(message) = external.split_once(':').and_then(|(_, m)| m.parse::<i32>().ok()) else {
                return Outcome::Dead("mensagem original ilegível".into());
            };
            // A digest is edited whole: each of its tickets as it stands now.
            if let Some(group) = &group {
                match store.tickets_in_message(&external).await {
                    Ok(tickets) if tickets.len() > 1 => match digest_message(store, group, &tickets).await {
                        Ok(digest) => (text, keyboard) = digest,
                        Err(e) => return store_failed(&e),
                    },
                    Ok(_) => {}
                    Err(e) => return store_failed(&e),
                }
            }
            Some(message)
        } else {
            None
        };
        if let Err(wait) = pacer.turn(chat).await {
            return not_yet(n, wait);
        }
        let text = fit_utf16(&text, TELEGRAM_MAX_UTF16, text::CUT).into_owned();
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
        let outcome = telegram_outcome(sent, chat, n.attempts);
        if let Outcome::Retry { counts: false, after, .. } = &outcome {
            pacer.hold(chat, *after, Instant::now());
        }
        outcome
    }

    /// One message to a group for several tickets, recorded as sent (or
    /// failed) for each of their notices.
    async fn deliver_digest(&mut self, group: RoleGroupId, rows: &[Notification], must_end: tokio::time::Instant) {
        let store = &*self.store;
        let Some((bot, pacer)) = self.telegram.as_mut() else {
            for n in rows {
                record(store, n, Outcome::Dead("Telegram não configurado (telegram.token)".into())).await;
            }
            return;
        };
        let role_group = match store.role_group(group).await {
            Ok(g) => g,
            Err(e) => {
                for n in rows {
                    let outcome = match &e {
                        DomainError::NotFound(_) => Outcome::Dead("grupo não existe".into()),
                        e => store_failed(e),
                    };
                    record(store, n, outcome).await;
                }
                return;
            }
        };
        let tickets: Vec<_> = rows.iter().filter_map(|n| n.ticket).collect();
        let (text, keyboard) = match digest_message(store, &role_group, &tickets).await {
            Ok(message) => message,
            Err(e) => {
                for n in rows {
                    record(store, n, store_failed(&e)).await;
                }
                return;
            }
        };
        let chat = role_group.chat_id;
        if let Err(wait) = pacer.turn(chat).await {
            for n in rows {
                record(store, n, not_yet(n, wait)).await;
            }
            return;
        }
        let attempts = rows.iter().map(|n| n.attempts).max().unwrap_or(0);
        let text = fit_utf16(&text, TELEGRAM_MAX_UTF16, text::CUT).into_owned();
        let sending = bot.send_message(ChatId(chat), text).reply_markup(keyboard).send();
        let outcome = match tokio::time::timeout_at(must_end, sending).await {
            Ok(sent) => telegram_outcome(sent.map(|m| m.id.0), chat, attempts),
            Err(_) => backoff("Telegram não respondeu a tempo".into(), attempts),
        };
        pacer.sent(chat, Instant::now());
        if let Outcome::Retry { counts: false, after, .. } = &outcome {
            pacer.hold(chat, *after, Instant::now());
        }
        for n in rows {
            record(store, n, outcome.clone()).await;
        }
    }
}

/// Where a notice goes on Telegram: the member's private chat, or the group's
/// chat (with the group); an outcome when it cannot go.
async fn chat_of(store: &dyn NotifyStore, recipient: Recipient) -> Result<(i64, Option<RoleGroup>), Outcome> {
    match recipient {
        Recipient::Staff(id) => {
            let staff = match store.staff_member(id).await {
                Ok(s) => s,
                Err(DomainError::NotFound(_)) => return Err(Outcome::Dead("destinatário não existe".into())),
                Err(e) => return Err(store_failed(&e)),
            };
            match staff.telegram_id.filter(|_| staff.active) {
                Some(chat) => Ok((chat, None)),
                None => Err(Outcome::Dead("destinatário sem Telegram ligado ou desativado".into())),
            }
        }
        Recipient::Group(id) => match store.role_group(id).await {
            Ok(g) => Ok((g.chat_id, Some(g))),
            Err(DomainError::NotFound(_)) => Err(Outcome::Dead("grupo não existe".into())),
            Err(e) => Err(store_failed(&e)),
        },
        Recipient::Client(_) => Err(Outcome::Dead("mensagens ao cliente vão só por e-mail".into())),
    }
}

/// A digest of `tickets` for `group`: each as it stands now, with an Assumir
/// button for those nobody took yet.
async fn digest_message(
    store: &dyn NotifyStore,
    group: &RoleGroup,
    tickets: &[balcao_domain::TicketId],
) -> DomainResult<(String, InlineKeyboardMarkup)> {
    let mut items = Vec::with_capacity(tickets.len());
    for id in tickets {
        let ticket = match store.ticket(&Actor::admin(), *id).await {
            Ok(detail) => detail.ticket,
            Err(DomainError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        let taken_by = match ticket.assignee {
            Assignee::User(u) => Some(store.staff_member(u).await?.name),
            Assignee::Role(_) => None,
        };
        items.push((ticket, taken_by));
    }
    let buttons = items
        .iter()
        .enumerate()
        .filter(|(_, (_, taken))| taken.is_none())
        .map(|(i, (t, _))| {
            vec![InlineKeyboardButton::callback(text::take_numbered(i + 1, t), Callback::Take(t.id).encode())]
        })
        .collect::<Vec<_>>();
    Ok((text::digest(&group.role_name, &items), InlineKeyboardMarkup::new(buttons)))
}

/// What Telegram's answer to a send or edit means for the notice.
fn telegram_outcome(sent: Result<i32, RequestError>, chat: i64, attempts: i64) -> Outcome {
    match sent {
        Ok(message) => Outcome::Sent(format!("{chat}:{message}")),
        Err(RequestError::Api(ApiError::MessageNotModified)) => Outcome::Sent("sem alteração".into()),
        Err(RequestError::RetryAfter(wait)) => {
            // That chat only: this row waits, the others go on.
            Outcome::Retry { error: "Telegram pediu para esperar (429)".into(), after: wait.duration(), counts: false }
        }
        Err(RequestError::Api(ApiError::BotBlocked | ApiError::UserDeactivated)) => {
            Outcome::Unreachable("o usuário bloqueou o bot (403)".into())
        }
        Err(RequestError::Api(ApiError::BotKicked | ApiError::BotKickedFromSupergroup)) => {
            Outcome::Dead("o bot foi removido do grupo (403)".into())
        }
        Err(RequestError::Api(ApiError::Unknown(description)))
            if description.contains("Internal Server Error")
                || description.contains("Bad Gateway")
                || description.contains("Too Many") =>
        {
            backoff(format!("Telegram: {description}"), attempts)
        }
        Err(RequestError::Api(e)) => Outcome::Dead(format!("Telegram recusou: {e}")),
        Err(e) => backoff(format!("falha de rede: {e}"), attempts),
    }
}

/// The Telegram message of a work order scheduled for the recipient.
fn telegram_work_order(
    t: &balcao_domain::ticket::Ticket,
    wo: &balcao_domain::ticket::WorkOrder,
) -> (String, InlineKeyboardMarkup) {
    let view = InlineKeyboardButton::callback(text::VIEW_WORK_ORDER, Callback::WorkOrder(wo.id).encode());
    (text::work_order_scheduled(t, wo), InlineKeyboardMarkup::new(vec![vec![view]]))
}

/// The Telegram message of a notice, with its buttons.
fn telegram_message(notice: &Notice) -> (String, InlineKeyboardMarkup) {
    let t = &notice.ticket;
    let line = text::ticket_assigned(t, &notice.audience);
    let view = InlineKeyboardButton::callback(text::VIEW, Callback::Ticket(t.id).encode());
    match &notice.taken_by {
        Some(name) => (format!("{line}\n\n{}", text::taken_by(name)), InlineKeyboardMarkup::new(vec![vec![view]])),
        None if matches!(t.assignee, Assignee::Role(_)) => (
            line,
            InlineKeyboardMarkup::new(vec![vec![
                view,
                InlineKeyboardButton::callback(text::TAKE, Callback::Take(t.id).encode()),
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

    #[test]
    fn a_group_waits_three_seconds_and_a_429_holds_its_chat() {
        let mut p = Pacer::new(Limits::default());
        let t0 = Instant::now();
        p.sent(-100, t0);
        assert_eq!(p.wait_for(-100, t0 + Duration::from_secs(1)), Duration::from_secs(2), "20 a minute in a group");
        p.hold(7, Duration::from_secs(5), t0);
        assert_eq!(p.wait_for(7, t0 + Duration::from_secs(1)), Duration::from_secs(4));
        assert_eq!(p.wait_for(8, t0 + Duration::from_secs(1)), Duration::ZERO, "only that chat");
        assert_eq!(p.wait_for(7, t0 + Duration::from_secs(6)), Duration::ZERO);
    }
}
