//! The teloxide adapter: polls Telegram (long polling), turns each update
//! into a desk [`Input`], and carries the desk's replies back, retrying what
//! Telegram asks to retry (429 with `retry_after`, 5xx, network) so a person's
//! input is never dropped and the bot never crashes on Telegram's errors.

use std::future::Future;
use std::time::Duration;

use teloxide::dispatching::UpdateFilterExt;
use teloxide::payloads::{AnswerCallbackQuerySetters, EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, MessageId};
use teloxide::{ApiError, RequestError};

use crate::desk::{Desk, Event, Input, Keyboard, Reply};
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

async fn on_message(bot: Bot, desk: Desk, msg: Message) -> ResponseResult<()> {
    let (Some(from), Some(text)) = (msg.from.as_ref(), msg.text()) else { return Ok(()) };
    if !msg.chat.is_private() {
        return Ok(());
    }
    let input = Input { user_id: from.id.0 as i64, chat_id: msg.chat.id.0, event: Event::Text(text.to_owned()) };
    deliver(&bot, &desk, msg.chat.id, desk.handle(input).await).await;
    Ok(())
}

async fn on_callback(bot: Bot, desk: Desk, q: CallbackQuery) -> ResponseResult<()> {
    let Some(message) = q.message.as_ref() else {
        let _ = retrying(|| bot.answer_callback_query(q.id.clone()).send()).await;
        return Ok(());
    };
    let chat = message.chat().id;
    let input = Input {
        user_id: q.from.id.0 as i64,
        chat_id: chat.0,
        event: Event::Tap {
            callback_id: q.id.to_string(),
            message_id: message.id().0,
            data: q.data.clone().unwrap_or_default(),
        },
    };
    deliver(&bot, &desk, chat, desk.handle(input).await).await;
    Ok(())
}

fn markup(keyboard: &Keyboard) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(keyboard.iter().map(|row| {
        row.iter().map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone())).collect::<Vec<_>>()
    }))
}

/// Carries the replies in order; a reply Telegram refuses for good is logged
/// and the rest still go.
async fn deliver(bot: &Bot, desk: &Desk, chat: ChatId, replies: Vec<Reply>) {
    for reply in replies {
        let outcome = match &reply {
            Reply::Send { text, keyboard } => {
                let sent = retrying(|| {
                    let mut req = bot.send_message(chat, text.clone());
                    if !keyboard.is_empty() {
                        req = req.reply_markup(markup(keyboard));
                    }
                    req.send()
                })
                .await;
                match sent {
                    Ok(message) => desk.screen_sent(chat.0, message.id.0).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                }
            }
            Reply::Edit { message_id, text, keyboard } => {
                let edited = retrying(|| {
                    bot.edit_message_text(chat, MessageId(*message_id), text.clone())
                        .reply_markup(markup(keyboard))
                        .send()
                })
                .await;
                match edited {
                    Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
                    Err(e) => Err(e.to_string()),
                }
            }
            Reply::Notify { chat_id, text, keyboard } => retrying(|| {
                let mut req = bot.send_message(ChatId(*chat_id), text.clone());
                if !keyboard.is_empty() {
                    req = req.reply_markup(markup(keyboard));
                }
                req.send()
            })
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
            Reply::Answer { callback_id, notice } => retrying(|| {
                let mut req = bot.answer_callback_query(callback_id.clone().into());
                if let Some(n) = notice {
                    req = req.text(n.clone()).show_alert(true);
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

/// Sends a request, waiting out 429s for as long as Telegram says and
/// retrying network and server errors with back-off, a few times.
async fn retrying<T, F, Fut>(mut send: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut backoff = Duration::from_millis(200);
    let mut attempt = 0;
    loop {
        attempt += 1;
        match send().await {
            Ok(v) => return Ok(v),
            Err(RequestError::RetryAfter(wait)) if attempt < 6 => {
                tracing::info!(seconds = wait.seconds(), "Telegram asked to slow down; waiting");
                tokio::time::sleep(wait.duration()).await;
            }
            Err(e @ (RequestError::Network(_) | RequestError::Io(_) | RequestError::Api(ApiError::Unknown(_))))
                if attempt < 4 =>
            {
                tracing::info!(error = %e, attempt, "Telegram request failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            Err(e) => return Err(e),
        }
    }
}
