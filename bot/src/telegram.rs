//! The teloxide adapter: polls Telegram (long polling), or handles the
//! updates our webhook route stored (webhook mode); turns each update
//! into a desk [`Input`], and carries the desk's replies back, retrying what
//! Telegram asks to retry (429 with `retry_after`, 5xx, network) so a person's
//! input is never dropped and the bot never crashes on Telegram's errors.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use balcao_domain::ports::{ClaimedUpdate, UpdateInbox};
use balcao_domain::text::{TELEGRAM_MAX_UTF16, fit_utf16};

use teloxide::dispatching::UpdateFilterExt;
use teloxide::payloads::{AnswerCallbackQuerySetters, EditMessageTextSetters, SendMessageSetters, SetWebhookSetters};
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, UpdateKind};
use teloxide::{ApiError, RequestError};

use crate::desk::{Desk, Event, Failure, Input, Keyboard, Reply, failure_replies};
use crate::text;

/// A bot client for `token` talking to the Bot API at `api_url`.
pub fn bot(token: &str, api_url: &str) -> Result<Bot, String> {
    let url = api_url.parse().map_err(|e| format!("telegram.api_url inválida: {e}"))?;
    Ok(Bot::new(token).set_api_url(url))
}

/// Registers the commands Telegram shows in its menu, in pt-BR.
pub async fn register_commands(bot: &Bot) -> Result<(), RequestError> {
    let commands: Vec<BotCommand> = text::COMMANDS.iter().map(|(c, d)| BotCommand::new(*c, *d)).collect();
    retrying(|| bot.set_my_commands(commands.clone()).send()).await.map(|_| ())
}

/// Polls Telegram and answers every update until `shutdown` resolves.
pub async fn run_polling(bot: Bot, desk: Desk, shutdown: impl Future<Output = ()> + Send + 'static) {
    if let Err(e) = register_commands(&bot).await {
        tracing::warn!(error = %e, "could not register the bot's commands with Telegram");
    }
    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback));
    let mut dispatcher =
        Dispatcher::builder(bot, handler).dependencies(dptree::deps![desk]).default_handler(|_| async {}).build();
    let token = dispatcher.shutdown_token();
    tokio::spawn(async move {
        shutdown.await;
        // The dispatcher may not have started yet: try until it takes the request.
        loop {
            match token.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    tracing::info!("Telegram bot polling for updates");
    dispatcher.dispatch().await;
}

/// The desk's input for a text message in a private chat; other messages
/// (groups, photos, stickers) are not for the desk.
fn message_input(msg: &Message) -> Option<(ChatId, Input)> {
    let (from, text) = (msg.from.as_ref()?, msg.text()?);
    if !msg.chat.is_private() {
        // In a group the bot only answers /grupo (or /grupo@bot), with the group's id.
        let command = text.split_whitespace().next().unwrap_or("");
        if command == "/grupo" || command.starts_with("/grupo@") {
            let event = Event::GroupCommand { group_chat_id: msg.chat.id.0 };
            return Some((msg.chat.id, Input { user_id: from.id.0 as i64, chat_id: msg.chat.id.0, event }));
        }
        return None;
    }
    Some((
        msg.chat.id,
        Input { user_id: from.id.0 as i64, chat_id: msg.chat.id.0, event: Event::Text(text.to_owned()) },
    ))
}

/// The desk's input for a button tap on one of the bot's messages.
fn callback_input(q: &CallbackQuery) -> Option<(ChatId, Input)> {
    let message = q.message.as_ref()?;
    let chat = message.chat().id;
    let data = q.data.clone().unwrap_or_default();
    if !message.chat().is_private() {
        // A role group's notice: whatever it shows goes to the person's private chat.
        let user = q.from.id.0 as i64;
        let event = Event::GroupTap { callback_id: q.id.to_string(), data };
        return Some((ChatId(user), Input { user_id: user, chat_id: user, event }));
    }
    Some((
        chat,
        Input {
            user_id: q.from.id.0 as i64,
            chat_id: chat.0,
            event: Event::Tap { callback_id: q.id.to_string(), message_id: message.id().0, data },
        },
    ))
}

async fn on_message(bot: Bot, desk: Desk, msg: Message) -> ResponseResult<()> {
    if let Some((chat, input)) = message_input(&msg) {
        isolated(async move { deliver(&bot, &desk, chat, desk.handle(input).await).await }).await;
    }
    Ok(())
}

async fn on_callback(bot: Bot, desk: Desk, q: CallbackQuery) -> ResponseResult<()> {
    isolated(async move {
        match callback_input(&q) {
            Some((chat, input)) => deliver(&bot, &desk, chat, desk.handle(input).await).await,
            None => {
                let _ = retrying(|| bot.answer_callback_query(q.id.clone()).send()).await;
            }
        }
    })
    .await;
    Ok(())
}

/// Runs `work` in a task of its own, so that a panic while carrying replies
/// ends only that update, never the poller's worker for everyone (the panic
/// hook logs it). The desk already isolates the handling itself.
async fn isolated(work: impl Future<Output = ()> + Send + 'static) {
    let _ = tokio::spawn(work).await;
}

/// How long a worker holds the stored updates it claimed, renewed while it handles one.
const LEASE_SECONDS: i64 = 60;

/// How long a stopping worker waits for the update in hand.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Claims of one update after which it is set aside as failed: workers that
/// died on it again and again (a crash, a kill) will not be fed it forever.
pub const MAX_UPDATE_ATTEMPTS: i64 = 5;

/// Webhook mode: registers the webhook with Telegram, then handles the
/// updates our HTTP route stored, oldest first, until `shutdown` resolves.
/// An update is marked handled only after its replies went out (or failed
/// for good), so a crash in between handles it again after the lease; one
/// that fails (an error, a panic, or too many claims) is set aside as failed
/// and its sender is told. `owner` names this instance: at start it takes
/// back at once the claims it held before a restart.
#[expect(clippy::too_many_arguments, reason = "the worker's wiring, called once from the composition root")]
pub async fn run_webhook(
    bot: Bot,
    desk: Desk,
    inbox: Arc<dyn UpdateInbox>,
    wake: Arc<tokio::sync::Notify>,
    url: String,
    secret: String,
    owner: String,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    match inbox.release_update_claims(&owner).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(updates = n, "took back the updates this instance held before it restarted"),
        Err(e) => tracing::error!(cause = ?e, "could not take back this instance's earlier claims"),
    }
    if let Err(e) = register_commands(&bot).await {
        tracing::warn!(error = %e, "could not register the bot's commands with Telegram");
    }
    match url.parse() {
        Ok(parsed) => {
            let set = retrying(|| {
                bot.set_webhook(Clone::clone(&parsed))
                    .secret_token(secret.clone())
                    .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
                    .send()
            })
            .await;
            if let Err(e) = set {
                tracing::error!(error = %e, "could not register the webhook with Telegram");
            }
        }
        Err(e) => tracing::error!(error = %e, "telegram.webhook_url is not a URL"),
    }
    tracing::info!("Telegram bot handling updates from the webhook");
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let mut idle_stop = stop.clone();
    'claiming: loop {
        let batch = match inbox.claim_updates(&owner, chrono::Utc::now(), LEASE_SECONDS, 50).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(cause = ?e, "could not claim stored Telegram updates");
                Vec::new()
            }
        };
        if batch.is_empty() {
            tokio::select! {
                _ = idle_stop.wait_for(|s| *s) => break,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
            continue;
        }
        let ids: Vec<i64> = batch.iter().map(|u| u.update_id).collect();
        for (at, claimed) in batch.into_iter().enumerate() {
            if *stop.borrow() {
                // What is left of the batch stays claimed by this instance,
                // which takes it back when it starts again.
                break 'claiming;
            }
            let update_id = claimed.update_id;
            // While one is handled (a 429 may make us wait long), the claims of
            // it and of the rest of the batch are renewed, so no other instance
            // takes them meanwhile.
            let handling = {
                let (bot, desk, inbox) = (bot.clone(), desk.clone(), inbox.clone());
                tokio::spawn(async move { handle_stored(&bot, &desk, inbox.as_ref(), &claimed).await })
            };
            tokio::pin!(handling);
            let mut renew = tokio::time::interval(Duration::from_secs(LEASE_SECONDS as u64 / 3));
            renew.tick().await;
            // A stop waits a little for the update in hand (its replies may
            // be waiting out a Telegram outage), then leaves it claimed.
            let mut stopping = stop.clone();
            let grace = async move {
                let _ = stopping.wait_for(|s| *s).await;
                tokio::time::sleep(STOP_GRACE).await;
            };
            tokio::pin!(grace);
            let outcome = loop {
                tokio::select! {
                    outcome = &mut handling => break match outcome {
                        Ok(outcome) => outcome,
                        // Even carrying the replies panicked: the update is not tried again.
                        Err(_) => Outcome::Failed(Failure::Panic.describe().to_owned()),
                    },
                    () = &mut grace => {
                        handling.abort();
                        break Outcome::Interrupted;
                    }
                    _ = renew.tick() => {
                        for id in &ids[at..] {
                            if let Err(e) = inbox.extend_claim(*id, chrono::Utc::now(), LEASE_SECONDS).await {
                                tracing::error!(update_id = id, cause = ?e, "could not renew a Telegram update's claim");
                            }
                        }
                    }
                }
            };
            let recorded = match &outcome {
                Outcome::Done => inbox.finish_update(update_id, chrono::Utc::now()).await,
                Outcome::Failed(reason) => {
                    tracing::warn!(update_id, reason = %reason, "Telegram update set aside as failed");
                    inbox.fail_update(update_id, chrono::Utc::now(), reason).await
                }
                // Stopped half-way as the service stops: it stays claimed by
                // this instance, which takes it back when it starts again.
                Outcome::Interrupted => Ok(()),
            };
            if let Err(e) = recorded {
                tracing::error!(update_id, cause = ?e, "could not mark a Telegram update handled");
            }
        }
    }
}

/// How handling a stored update ended.
enum Outcome {
    /// Handled (or nothing to handle): marked done.
    Done,
    /// Set aside, with the reason an operator reads.
    Failed(String),
    /// Stopped by the service stopping: handled again after the restart.
    Interrupted,
}

/// Counts the attempt, handles one stored update and carries its replies.
async fn handle_stored(bot: &Bot, desk: &Desk, inbox: &dyn UpdateInbox, claimed: &ClaimedUpdate) -> Outcome {
    let update: Update = match serde_json::from_str(&claimed.payload) {
        Ok(u) => u,
        Err(e) => {
            // Only where it broke: serde's message may quote what people typed.
            tracing::warn!(
                update_id = claimed.update_id,
                line = e.line(),
                column = e.column(),
                "stored Telegram update is not readable"
            );
            return Outcome::Failed(text::FAILED_UNREADABLE.to_owned());
        }
    };
    let input = match &update.kind {
        UpdateKind::Message(msg) => message_input(msg),
        UpdateKind::CallbackQuery(q) => match callback_input(q) {
            Some(input) => Some(input),
            None => {
                let _ = retrying(|| bot.answer_callback_query(q.id.clone()).send()).await;
                None
            }
        },
        _ => None,
    };
    let Some((chat, input)) = input else { return Outcome::Done };
    // Counted as it starts, not as it is claimed: a batch claimed by a worker
    // that died counts only the update it was handling.
    let attempts = match inbox.start_update(claimed.update_id).await {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(update_id = claimed.update_id, cause = ?e, "could not count a Telegram update's attempt");
            claimed.attempts + 1
        }
    };
    if attempts > MAX_UPDATE_ATTEMPTS {
        // Workers died on this one before: it is not handled again, but its
        // sender hears that it was not done.
        deliver(bot, desk, chat, failure_replies(&input.event)).await;
        return Outcome::Failed(text::failed_after(attempts - 1));
    }
    let handled = desk.handle_reporting(input).await;
    deliver(bot, desk, chat, handled.replies).await;
    match handled.failure {
        None => Outcome::Done,
        Some(Failure::Cancelled) => Outcome::Interrupted,
        Some(f) => Outcome::Failed(f.describe().to_owned()),
    }
}

fn markup(keyboard: &Keyboard) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(keyboard.iter().map(|row| {
        row.iter().map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone())).collect::<Vec<_>>()
    }))
}

/// Sends a screen as a new message, which becomes the chat's current screen.
async fn send_screen(bot: &Bot, desk: &Desk, chat: ChatId, text: &str, keyboard: &Keyboard) -> Result<(), String> {
    let text = fit_utf16(text, TELEGRAM_MAX_UTF16, text::CUT);
    let sent = retrying(|| {
        let mut req = bot.send_message(chat, text.clone().into_owned());
        if !keyboard.is_empty() {
            req = req.reply_markup(markup(keyboard));
        }
        req.send()
    })
    .await;
    match sent {
        Ok(message) => desk.screen_sent(chat.0, message.id.0).await.map_err(|e| format!("{e:?}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Carries the replies in order; a reply Telegram refuses for good is logged
/// and the rest still go.
async fn deliver(bot: &Bot, desk: &Desk, chat: ChatId, replies: Vec<Reply>) {
    for reply in replies {
        let outcome = match &reply {
            Reply::Send { text, keyboard } => send_screen(bot, desk, chat, text, keyboard).await,
            Reply::Edit { message_id, text, keyboard } => {
                let fitted = fit_utf16(text, TELEGRAM_MAX_UTF16, text::CUT);
                let edited = retrying(|| {
                    bot.edit_message_text(chat, MessageId(*message_id), fitted.clone().into_owned())
                        .reply_markup(markup(keyboard))
                        .send()
                })
                .await;
                match edited {
                    Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
                    // The message can no longer be edited (too old, deleted): the
                    // screen goes out as a new message instead of a dead tap.
                    Err(RequestError::Api(_)) => send_screen(bot, desk, chat, text, keyboard).await,
                    Err(e) => Err(e.to_string()),
                }
            }
            Reply::Answer { callback_id, notice, alert } => retrying(|| {
                let mut req = bot.answer_callback_query(callback_id.clone().into());
                if let Some(n) = notice {
                    req = req.text(n.clone()).show_alert(*alert);
                }
                req.send()
            })
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        };
        if let Err(error) = outcome {
            tracing::warn!(%error, "a reply could not be delivered to Telegram");
        }
    }
}

/// How long a reply is retried through network failures: Telegram keeps an
/// update for a day, but a person waits minutes at most.
const NETWORK_PATIENCE: Duration = Duration::from_secs(10 * 60);

/// Sends a request, waiting out 429s for as long as Telegram says, retrying
/// network failures with back-off (up to 5 s apart) for up to ten minutes,
/// and Telegram's own unknown errors a few times.
async fn retrying<T, F, Fut>(mut send: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let started = tokio::time::Instant::now();
    // Each kind of failure has its own count: a 429 right after an outage
    // is still waited out.
    let (mut slow_downs, mut unknown) = (0, 0);
    let mut network_backoff = Duration::from_millis(200);
    let mut unknown_backoff = Duration::from_millis(200);
    loop {
        match send().await {
            Ok(v) => return Ok(v),
            Err(RequestError::RetryAfter(wait)) if slow_downs < 5 => {
                slow_downs += 1;
                tracing::info!(seconds = wait.seconds(), "Telegram asked to slow down; waiting");
                tokio::time::sleep(wait.duration()).await;
            }
            Err(e @ (RequestError::Network(_) | RequestError::Io(_))) if started.elapsed() < NETWORK_PATIENCE => {
                tracing::info!(error = %e, "Telegram could not be reached; retrying");
                tokio::time::sleep(network_backoff).await;
                network_backoff = (network_backoff * 2).min(Duration::from_secs(5));
            }
            Err(e @ RequestError::Api(ApiError::Unknown(_))) if unknown < 3 => {
                unknown += 1;
                tracing::info!(error = %e, attempt = unknown, "Telegram request failed; retrying");
                tokio::time::sleep(unknown_backoff).await;
                unknown_backoff *= 2;
            }
            Err(e) => return Err(e),
        }
    }
}
