//! A fake Telegram Bot API for end-to-end tests.
//!
//! It listens on 127.0.0.1 over real HTTP, so the real teloxide client talks to it unchanged
//! (`Bot::new(fake.token()).set_api_url(..)`). Tests script what users do ([`FakeTelegram::send_text`],
//! [`FakeTelegram::tap`]), then wait for what the bot did ([`FakeTelegram::wait_for`]) and read every
//! call it made ([`FakeTelegram::calls`]). [`FakeTelegram::fail_next`] makes Telegram misbehave on
//! purpose (429 with `retry_after`, 403 blocked, 5xx).
//!
//! It is not a Telegram emulator: chats are private unless their id is negative, nothing is
//! validated beyond what a test needs, files are never stored, and long polls are cut to 200 ms so
//! tests stay fast. Everything lives in memory and ends with [`FakeTelegram::stop`] (or on drop).

// Several test binaries include this file through `mod support;`, each using a different subset
// of the helpers; `#[expect(dead_code)]` would fail in the binaries that do use them all.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// The bot's user id, as getMe reports it.
pub const BOT_ID: i64 = 999;
/// The bot's username, as getMe reports it.
pub const BOT_USERNAME: &str = "balcao_test_bot";
/// The bot's display name, as getMe reports it.
pub const BOT_FIRST_NAME: &str = "balcão";
/// The token tests give the bot; the fake accepts any token.
pub const TOKEN: &str = "123456:TEST-TOKEN";

/// Longest a getUpdates call waits for an update, whatever `timeout` the bot asks for.
const MAX_LONG_POLL: Duration = Duration::from_millis(200);
/// How long [`FakeTelegram::stop`] waits for open connections before it drops them.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Telegram's answer to getUpdates while a webhook is set.
const WEBHOOK_CONFLICT: &str =
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
/// First name used for users the test never named.
const DEFAULT_FIRST_NAME: &str = "Cliente";

/// How the parameters of a call arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// No parameters at all.
    Empty,
    /// Only in the URL's query string.
    Query,
    /// An `application/json` body.
    Json,
    /// An `application/x-www-form-urlencoded` body.
    Form,
    /// A `multipart/form-data` body (teloxide uses it when a request carries a file).
    Multipart,
}

/// One request the bot made to the fake.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method name in lowercase, e.g. `"sendmessage"`.
    pub method: String,
    /// The parameters as one JSON object. Form and multipart values stay strings, except values
    /// that are JSON objects or arrays (`reply_markup`), which are parsed; an uploaded file becomes
    /// `{"file_name": .., "size": ..}`.
    pub params: Value,
    /// When the fake received it.
    pub at: Instant,
    /// Whether the fake answered with an error (scripted by `fail_next`, or a bad request).
    pub failed: bool,
    /// How the parameters were encoded.
    pub encoding: Encoding,
    /// What the fake answered: Telegram's `result` (e.g. the sent Message), or the whole error body
    /// when `failed`.
    pub result: Value,
}

impl Call {
    /// Whether this call is to `method`, compared case-insensitively (`"sendMessage"` works).
    pub fn is(&self, method: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
    }

    /// The `chat_id` parameter, whether sent as a number or as a string of digits.
    pub fn chat_id(&self) -> Option<i64> {
        int_param(&self.params, "chat_id")
    }

    /// The `message_id` parameter, whether sent as a number or as a string of digits.
    pub fn message_id(&self) -> Option<i64> {
        int_param(&self.params, "message_id")
    }

    /// The `text` parameter.
    pub fn text(&self) -> Option<&str> {
        self.params.get("text")?.as_str()
    }

    /// The `message_id` of the message this call produced (sendMessage, editMessageText, ...).
    pub fn result_message_id(&self) -> Option<i64> {
        self.result.get("message_id")?.as_i64()
    }

    /// The inline keyboard sent with the call, as `(label, callback_data)` rows flattened in order.
    /// Buttons without callback data (links) have an empty `callback_data`.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let rows = self.params.pointer("/reply_markup/inline_keyboard").and_then(Value::as_array);
        rows.into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .map(|button| {
                let label = button.get("text").and_then(Value::as_str).unwrap_or_default();
                let data = button.get("callback_data").and_then(Value::as_str).unwrap_or_default();
                (label.to_owned(), data.to_owned())
            })
            .collect()
    }
}

/// A fake Telegram Bot API server on 127.0.0.1, for one test.
pub struct FakeTelegram {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

impl FakeTelegram {
    /// Starts on 127.0.0.1 with a port of the system's choosing. Any bot token is accepted; the bot
    /// is `@balcao_test_bot`, id 999.
    pub async fn start() -> FakeTelegram {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the fake Telegram could not bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("the fake Telegram's listener has no local address");
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/{bot}/{method}", any(handle_method))
            .fallback(not_found)
            .with_state(Arc::clone(&shared));
        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        // Dropping the sender (dropping the FakeTelegram) also starts the graceful shutdown.
        let stopped = async move {
            let _ = shutdown_rx.await;
        };
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(stopped).await {
                eprintln!("the fake Telegram stopped with an error: {error}");
            }
        });
        FakeTelegram { shared, addr, shutdown, server }
    }

    /// The base URL to give teloxide, e.g. `"http://127.0.0.1:40123"`, without a trailing slash.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A token that looks like a real one: `"123456:TEST-TOKEN"`.
    pub fn token(&self) -> &str {
        TOKEN
    }

    /// Queues a text message from a user in their private chat (chat id = user id) and returns its
    /// update id. A text starting with `/` carries a `bot_command` entity, as Telegram sends it.
    pub fn send_text(&self, user_id: i64, first_name: &str, text: &str) -> i64 {
        self.send_text_in(user_id, user_id, first_name, text)
    }

    /// Queues a text message from a user in `chat_id` (a group when negative) and returns its update id.
    pub fn send_text_in(&self, chat_id: i64, user_id: i64, first_name: &str, text: &str) -> i64 {
        let mut state = self.shared.lock();
        state.names.insert(user_id, first_name.to_owned());
        let message_id = state.next_message_id(chat_id);
        let mut message = json!({
            "message_id": message_id,
            "date": unix_now(),
            "chat": state.chat(chat_id),
            "from": user_json(user_id, first_name),
            "text": text,
        });
        if let Some(length) = command_length(text) {
            message["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": length }]);
        }
        let update_id = state.queue(json!({ "message": message }));
        drop(state);
        self.shared.changed();
        update_id
    }

    /// Queues a callback query (a tap on an inline button carrying `data`) on the bot's message
    /// `message_id` in the user's private chat, and returns its update id. The query carries the
    /// message as the bot last sent or edited it; a message the fake never saw gets a stub text.
    pub fn tap(&self, user_id: i64, message_id: i64, data: &str) -> i64 {
        self.tap_in(user_id, user_id, message_id, data)
    }

    /// Queues a tap by `user_id` on the bot's message `message_id` in `chat_id` (a group when
    /// negative), and returns its update id.
    pub fn tap_in(&self, chat_id: i64, user_id: i64, message_id: i64, data: &str) -> i64 {
        let mut state = self.shared.lock();
        let first_name = state.first_name(user_id);
        let chat = state.chat(chat_id);
        let message = state
            .bot_messages
            .entry((chat_id, message_id))
            .or_insert_with(|| {
                json!({ "message_id": message_id, "date": unix_now(), "chat": chat, "from": bot_user(), "text": "..." })
            })
            .clone();
        state.last_callback_id += 1;
        let query = json!({
            "id": format!("cq-{}", state.last_callback_id),
            "from": user_json(user_id, &first_name),
            "message": message,
            "chat_instance": format!("ci-{user_id}"),
            "data": data,
        });
        let update_id = state.queue(json!({ "callback_query": query }));
        drop(state);
        self.shared.changed();
        update_id
    }

    /// Queues a raw update and returns its update id, assigning the next one if `update_id` is
    /// missing. Panics if `update` is not a JSON object.
    pub fn push_update(&self, update: Value) -> i64 {
        assert!(update.is_object(), "an update must be a JSON object, got {update}");
        let update_id = self.shared.lock().queue(update);
        self.shared.changed();
        update_id
    }

    /// Every call recorded so far, in the order they arrived.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// How many calls were recorded so far: the `since` to give [`FakeTelegram::wait_for`] to
    /// see only what happens next.
    pub fn call_count(&self) -> usize {
        self.shared.lock().calls.len()
    }

    /// Every call to `method` (case-insensitive) recorded so far, in order.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.shared.lock().calls.iter().filter(|call| call.is(method)).cloned().collect()
    }

    /// The texts the bot sent (sendMessage, successful) to `chat_id`, in order.
    pub fn texts_sent_to(&self, chat_id: i64) -> Vec<String> {
        let state = self.shared.lock();
        let sent = state.calls.iter().filter(|call| call.is("sendmessage") && !call.failed);
        sent.filter(|call| call.chat_id() == Some(chat_id)).filter_map(|call| call.text().map(str::to_owned)).collect()
    }

    /// Updates queued and not yet acknowledged by the bot.
    pub fn pending_updates(&self) -> usize {
        self.shared.lock().pending.len()
    }

    /// Waits until a call matching `pred` is recorded at index `since` or later and returns the
    /// first such call; panics after `timeout`, listing the calls seen since `since`.
    pub async fn wait_for(&self, since: usize, timeout: Duration, pred: impl Fn(&Call) -> bool) -> Call {
        let deadline = tokio::time::Instant::now() + timeout;
        let found = self
            .shared
            .wait_until(deadline, |state| state.calls.iter().skip(since).find(|call| pred(call)).cloned())
            .await;
        match found {
            Some(call) => call,
            None => {
                let state = self.shared.lock();
                let seen = describe_calls(state.calls.get(since..).unwrap_or_default(), since);
                drop(state);
                panic!(
                    "no matching call reached the fake Telegram within {timeout:?} (from call #{since}); seen:\n{seen}"
                )
            }
        }
    }

    /// Waits until a call to `method` (case-insensitive) is recorded at index `since` or later.
    pub async fn wait_for_method(&self, since: usize, timeout: Duration, method: &str) -> Call {
        self.wait_for(since, timeout, |call| call.is(method)).await
    }

    /// Waits until every queued update was fetched by getUpdates and acknowledged (the bot asked
    /// for a later offset). Acknowledged means handed to the dispatcher, not yet handled: wait
    /// for the bot's answer with [`FakeTelegram::wait_for`] for that. Panics after `timeout`.
    pub async fn wait_drained(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        let drained = self.shared.wait_until(deadline, |state| state.pending.is_empty().then_some(())).await;
        if drained.is_none() {
            let state = self.shared.lock();
            let pending: Vec<String> = state.pending.iter().map(Value::to_string).collect();
            let seen = describe_calls(&state.calls, 0);
            drop(state);
            panic!(
                "the bot did not acknowledge every update within {timeout:?}; pending:\n{}\ncalls seen:\n{seen}",
                pending.join("\n")
            )
        }
    }

    /// Makes the next `n` calls of `method` (case-insensitive) fail with HTTP `status` and
    /// Telegram's usual error body for it: 429 "Too Many Requests: retry after N", 403 "Forbidden:
    /// bot was blocked by the user", 400 "Bad Request: chat not found", 5xx the status' reason.
    /// `retry_after` adds `parameters.retry_after`. Failed calls are still recorded, marked failed.
    ///
    /// Mind that teloxide sleeps 10 s before reading any 5xx answer.
    pub fn fail_next(&self, method: &str, n: usize, status: u16, retry_after: Option<u64>) {
        let description = default_description(status, retry_after);
        self.fail_next_with(method, n, status, &description, retry_after);
    }

    /// Like [`FakeTelegram::fail_next`], with the error `description` given (teloxide maps known
    /// descriptions to `ApiError` variants, e.g. "Bad Request: message is not modified").
    pub fn fail_next_with(&self, method: &str, n: usize, status: u16, description: &str, retry_after: Option<u64>) {
        assert!((400..=599).contains(&status), "fail_next wants an HTTP error status (400..=599), got {status}");
        let failure = Failure { status, description: description.to_owned(), retry_after };
        let mut state = self.shared.lock();
        let queue = state.failures.entry(method.to_ascii_lowercase()).or_default();
        queue.extend(std::iter::repeat_n(failure, n));
    }

    /// The next `n` calls of `method` are cut off mid-answer, as a network
    /// failure does: the client gets no result (recorded as failed).
    pub fn cut_next(&self, method: &str, n: usize) {
        *self.shared.lock().cuts.entry(method.to_ascii_lowercase()).or_default() += n;
    }

    /// From now on, answers sendMessage with 429 (retry after 1 s) whenever it
    /// would break Telegram's limits: `per_second` messages overall in any
    /// second, and `per_chat` between two messages to one chat.
    pub fn enforce_limits(&self, per_second: usize, per_chat: Duration) {
        self.shared.lock().limits = Some(Limits { per_second, per_chat });
    }

    /// Stops the server: pending long polls answer at once, then open connections get up to 5 s
    /// to finish.
    pub async fn stop(self) {
        self.shared.lock().stopping = true;
        self.shared.changed();
        let FakeTelegram { shutdown, mut server, .. } = self;
        let _ = shutdown.send(());
        if tokio::time::timeout(STOP_GRACE, &mut server).await.is_err() {
            server.abort();
        }
    }
}

/// A scripted error answer.
#[derive(Debug, Clone)]
struct Failure {
    status: u16,
    description: String,
    retry_after: Option<u64>,
}

impl Failure {
    fn body(&self) -> Value {
        let mut body = json!({ "ok": false, "error_code": self.status, "description": self.description });
        if let Some(seconds) = self.retry_after {
            body["parameters"] = json!({ "retry_after": seconds });
        }
        body
    }

    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(self.body())).into_response()
    }
}

/// What the handlers and the test share.
#[derive(Default)]
struct Shared {
    state: Mutex<FakeState>,
    /// Woken on every change of `state`.
    notify: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A test that panicked while holding the lock must not hide its own failure behind ours.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn changed(&self) {
        self.notify.notify_waiters();
    }

    /// Checks `check` on every change until it gives a value, or gives `None` at `deadline`.
    async fn wait_until<T>(
        &self,
        deadline: tokio::time::Instant,
        mut check: impl FnMut(&mut FakeState) -> Option<T>,
    ) -> Option<T> {
        loop {
            // Registered before checking, so a change between the check and the wait is not lost.
            let mut notified = pin!(self.notify.notified());
            notified.as_mut().enable();
            if let Some(found) = check(&mut self.lock()) {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return check(&mut self.lock());
            }
        }
    }
}

/// Everything the fake remembers.
#[derive(Default)]
struct FakeState {
    calls: Vec<Call>,
    /// Updates not yet acknowledged, in update id order.
    pending: VecDeque<Value>,
    last_update_id: i64,
    last_message_id: HashMap<i64, i64>,
    names: HashMap<i64, String>,
    /// The bot's messages as last sent or edited, by (chat id, message id).
    bot_messages: HashMap<(i64, i64), Value>,
    failures: HashMap<String, VecDeque<Failure>>,
    /// Calls per method whose connection is cut before an answer.
    cuts: HashMap<String, usize>,
    last_callback_id: u64,
    commands: Value,
    webhook_url: String,
    stopping: bool,
    /// Telegram's limits, when the test asks the fake to enforce them.
    limits: Option<Limits>,
    /// When the accepted sendMessage calls of the last second came.
    recent_sends: VecDeque<Instant>,
    /// The last accepted sendMessage per chat.
    last_send_by_chat: HashMap<i64, Instant>,
}

/// Limits like Telegram's: messages a second overall, and the least gap per chat.
#[derive(Debug, Clone, Copy)]
struct Limits {
    per_second: usize,
    per_chat: Duration,
}

impl FakeState {
    /// A 429 when sending to `chat` now breaks the limits; otherwise records the send.
    fn over_limits(&mut self, params: &Value) -> Option<Failure> {
        let limits = self.limits?;
        let chat = int_param(params, "chat_id")?;
        let now = Instant::now();
        while self.recent_sends.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            self.recent_sends.pop_front();
        }
        let chat_busy = self.last_send_by_chat.get(&chat).is_some_and(|t| now.duration_since(*t) < limits.per_chat);
        if chat_busy || self.recent_sends.len() >= limits.per_second {
            return Some(Failure {
                status: 429,
                description: "Too Many Requests: retry after 1".to_owned(),
                retry_after: Some(1),
            });
        }
        self.recent_sends.push_back(now);
        self.last_send_by_chat.insert(chat, now);
        None
    }

    fn next_message_id(&mut self, chat_id: i64) -> i64 {
        let last = self.last_message_id.entry(chat_id).or_insert(0);
        *last += 1;
        *last
    }

    fn first_name(&self, user_id: i64) -> String {
        self.names.get(&user_id).cloned().unwrap_or_else(|| DEFAULT_FIRST_NAME.to_owned())
    }

    fn chat(&self, chat_id: i64) -> Value {
        if chat_id < 0 {
            json!({ "id": chat_id, "type": "group", "title": "Grupo de teste" })
        } else {
            json!({ "id": chat_id, "type": "private", "first_name": self.first_name(chat_id) })
        }
    }

    /// Adds an update, assigning the next update id unless it has one, and returns the id.
    fn queue(&mut self, mut update: Value) -> i64 {
        let update_id = match update.get("update_id").and_then(Value::as_i64) {
            Some(given) => given,
            None => self.last_update_id + 1,
        };
        self.last_update_id = self.last_update_id.max(update_id);
        update["update_id"] = json!(update_id);
        let at = self.pending.iter().position(|queued| update_id_of(queued) > update_id).unwrap_or(self.pending.len());
        self.pending.insert(at, update);
        update_id
    }

    /// Forgets updates as Telegram does for getUpdates' `offset`: below a positive offset, or all
    /// but the last `-offset` for a negative one.
    fn acknowledge(&mut self, offset: i64) {
        if offset > 0 {
            self.pending.retain(|update| update_id_of(update) >= offset);
        } else if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while self.pending.len() > keep {
                self.pending.pop_front();
            }
        }
    }

    /// Stores and returns a new message from the bot in `chat_id`, with `content` merged in.
    fn new_bot_message(&mut self, chat_id: i64, content: Map<String, Value>) -> Value {
        let message_id = self.next_message_id(chat_id);
        let mut message = json!({
            "message_id": message_id,
            "date": unix_now(),
            "chat": self.chat(chat_id),
            "from": bot_user(),
        });
        if let Value::Object(fields) = &mut message {
            fields.extend(content);
        }
        self.bot_messages.insert((chat_id, message_id), message.clone());
        message
    }

    /// Answers a method other than getUpdates: the `result`, or an error status and description.
    fn answer(&mut self, method: &str, params: &Value) -> Result<Value, Failure> {
        match method {
            "getme" => Ok(me_json()),
            "sendmessage" => {
                let chat_id = chat_id_param(params)?;
                let text = params.get("text").and_then(Value::as_str).filter(|text| !text.is_empty());
                let text = text.ok_or_else(|| invalid("message text is empty"))?;
                check_length(text)?;
                let mut content = Map::new();
                content.insert("text".into(), json!(text));
                if let Some(entities) = params.get("entities").filter(|entities| entities.is_array()) {
                    content.insert("entities".into(), entities.clone());
                }
                if let Some(markup) = inline_markup(params) {
                    content.insert("reply_markup".into(), markup);
                }
                Ok(self.new_bot_message(chat_id, content))
            }
            "senddocument" | "sendphoto" => {
                let chat_id = chat_id_param(params)?;
                let mut content = Map::new();
                let file_id = format!("{method}-{chat_id}-{}", self.last_message_id.get(&chat_id).unwrap_or(&0) + 1);
                if method == "senddocument" {
                    let mut document = json!({ "file_id": file_id, "file_unique_id": file_id });
                    if let Some(name) = params.pointer("/document/file_name") {
                        document["file_name"] = name.clone();
                    }
                    content.insert("document".into(), document);
                } else {
                    let photo = json!([{ "file_id": file_id, "file_unique_id": file_id, "width": 1, "height": 1 }]);
                    content.insert("photo".into(), photo);
                }
                if let Some(caption) = params.get("caption").filter(|caption| caption.is_string()) {
                    content.insert("caption".into(), caption.clone());
                }
                if let Some(markup) = inline_markup(params) {
                    content.insert("reply_markup".into(), markup);
                }
                Ok(self.new_bot_message(chat_id, content))
            }
            "editmessagetext" | "editmessagereplymarkup" | "editmessagecaption" => {
                if params.get("inline_message_id").is_some() {
                    return Ok(json!(true));
                }
                let chat_id = chat_id_param(params)?;
                let message_id =
                    int_param(params, "message_id").ok_or_else(|| invalid("message identifier is not specified"))?;
                let stored = self.bot_messages.get_mut(&(chat_id, message_id));
                let message = stored.ok_or_else(|| invalid("message to edit not found"))?;
                match method {
                    "editmessagetext" => {
                        let text = params.get("text").and_then(Value::as_str).filter(|text| !text.is_empty());
                        let text = text.ok_or_else(|| invalid("message text is empty"))?;
                        check_length(text)?;
                        message["text"] = json!(text);
                    }
                    "editmessagecaption" => message["caption"] = params.get("caption").cloned().unwrap_or(Value::Null),
                    _ => {}
                }
                // Like Telegram: an edit without reply_markup removes the inline keyboard.
                match inline_markup(params) {
                    Some(markup) => message["reply_markup"] = markup,
                    None => {
                        if let Some(fields) = message.as_object_mut() {
                            fields.remove("reply_markup");
                        }
                    }
                }
                message["edit_date"] = json!(unix_now());
                Ok(message.clone())
            }
            "deletemessage" => {
                let chat_id = chat_id_param(params)?;
                if let Some(message_id) = int_param(params, "message_id") {
                    self.bot_messages.remove(&(chat_id, message_id));
                }
                Ok(json!(true))
            }
            "setmycommands" => {
                self.commands = params.get("commands").cloned().unwrap_or_else(|| json!([]));
                Ok(json!(true))
            }
            "deletemycommands" => {
                self.commands = json!([]);
                Ok(json!(true))
            }
            "getmycommands" => Ok(if self.commands.is_array() { self.commands.clone() } else { json!([]) }),
            "setwebhook" => {
                params.get("url").and_then(Value::as_str).unwrap_or_default().clone_into(&mut self.webhook_url);
                Ok(json!(true))
            }
            "deletewebhook" => {
                self.webhook_url.clear();
                Ok(json!(true))
            }
            "getwebhookinfo" => Ok(json!({
                "url": self.webhook_url,
                "has_custom_certificate": false,
                "pending_update_count": self.pending.len(),
            })),
            _ => Ok(json!(true)),
        }
    }
}

/// Like Telegram: a text over 4,096 UTF-16 code units (an emoji counts two) is refused.
fn check_length(text: &str) -> Result<(), Failure> {
    if text.encode_utf16().count() > 4096 {
        return Err(invalid("message is too long"));
    }
    Ok(())
}

async fn handle_method(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if bot.strip_prefix("bot").is_none_or(str::is_empty) {
        return not_found().await;
    }
    let method = method.to_ascii_lowercase();
    let (params, encoding, malformed) = match parse_params(&headers, query.as_deref(), &body) {
        Ok((params, encoding)) => (params, encoding, None),
        Err(reason) => (Value::Null, Encoding::Empty, Some(reason)),
    };

    // The lock is released before any await: a std MutexGuard must not cross one.
    let (answer, index) = {
        let mut state = shared.lock();
        if let Some(left) = state.cuts.get_mut(&method).filter(|left| **left > 0) {
            *left -= 1;
            let call = Call { method, params, at: Instant::now(), failed: true, encoding, result: Value::Null };
            state.calls.push(call);
            drop(state);
            shared.changed();
            return cut_off();
        }
        let answer = if let Some(reason) = malformed {
            Answer::Error(invalid(&reason))
        } else if let Some(failure) = state.failures.get_mut(&method).and_then(VecDeque::pop_front) {
            Answer::Error(failure)
        } else if let Some(limited) = (method == "sendmessage").then(|| state.over_limits(&params)).flatten() {
            Answer::Error(limited)
        } else if method == "getupdates" && !state.webhook_url.is_empty() {
            Answer::Error(Failure { status: 409, description: WEBHOOK_CONFLICT.to_owned(), retry_after: None })
        } else if method == "getupdates" {
            let poll = Poll::from_params(&params);
            state.acknowledge(poll.offset);
            Answer::Poll(poll)
        } else {
            match state.answer(&method, &params) {
                Ok(result) => Answer::Ok(result),
                Err(failure) => Answer::Error(failure),
            }
        };
        let (failed, result) = match &answer {
            Answer::Ok(result) => (false, result.clone()),
            Answer::Error(failure) => (true, failure.body()),
            Answer::Poll(_) => (false, Value::Null),
        };
        let index = state.calls.len();
        state.calls.push(Call { method, params, at: Instant::now(), failed, encoding, result });
        (answer, index)
    };
    shared.changed();

    match answer {
        Answer::Ok(result) => ok_response(result),
        Answer::Error(failure) => failure.into_response(),
        Answer::Poll(poll) => {
            let updates = get_updates(&shared, &poll).await;
            if let Some(call) = shared.lock().calls.get_mut(index) {
                call.result = updates.clone();
            }
            ok_response(updates)
        }
    }
}

/// A 200 whose body breaks off: the connection is cut before any result.
fn cut_off() -> Response {
    struct Broken;
    impl http_body::Body for Broken {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            std::task::Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut"))))
        }
    }
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "100")
        .body(axum::body::Body::new(Broken))
        .unwrap_or_default()
}

/// How the fake will answer a call.
enum Answer {
    Ok(Value),
    Error(Failure),
    /// getUpdates: answered after a long poll.
    Poll(Poll),
}

/// The parameters of a getUpdates call.
struct Poll {
    offset: i64,
    limit: usize,
    wait: Duration,
}

impl Poll {
    fn from_params(params: &Value) -> Poll {
        let limit = int_param(params, "limit").and_then(|limit| usize::try_from(limit).ok());
        let seconds = int_param(params, "timeout").and_then(|seconds| u64::try_from(seconds).ok()).unwrap_or(0);
        Poll {
            offset: int_param(params, "offset").unwrap_or(0),
            limit: limit.filter(|limit| (1..=100).contains(limit)).unwrap_or(100),
            wait: Duration::from_secs(seconds).min(MAX_LONG_POLL),
        }
    }
}

/// Long-polls for updates at the poll's offset or later, up to [`MAX_LONG_POLL`].
async fn get_updates(shared: &Shared, poll: &Poll) -> Value {
    let from = if poll.offset > 0 { poll.offset } else { i64::MIN };
    let deadline = tokio::time::Instant::now() + poll.wait;
    let updates = shared
        .wait_until(deadline, |state| {
            let matching = state.pending.iter().filter(|update| update_id_of(update) >= from);
            let ready: Vec<Value> = matching.take(poll.limit).cloned().collect();
            (!ready.is_empty() || state.stopping).then_some(ready)
        })
        .await;
    Value::Array(updates.unwrap_or_default())
}

async fn not_found() -> Response {
    Failure { status: 404, description: "Not Found".to_owned(), retry_after: None }.into_response()
}

fn ok_response(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

fn bad_request(reason: &str) -> String {
    format!("Bad Request: {reason}")
}

/// A 400 answer, as Telegram gives for a request it refuses.
fn invalid(reason: &str) -> Failure {
    Failure { status: 400, description: bad_request(reason), retry_after: None }
}

fn default_description(status: u16, retry_after: Option<u64>) -> String {
    match (status, retry_after) {
        (429, Some(seconds)) => format!("Too Many Requests: retry after {seconds}"),
        (429, None) => "Too Many Requests".to_owned(),
        (403, _) => "Forbidden: bot was blocked by the user".to_owned(),
        (400, _) => bad_request("chat not found"),
        (401, _) => "Unauthorized".to_owned(),
        (409, _) => "Conflict: terminated by other getUpdates request".to_owned(),
        _ => StatusCode::from_u16(status).ok().and_then(|code| code.canonical_reason()).unwrap_or("Error").to_owned(),
    }
}

fn me_json() -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
        "can_join_groups": false,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
        "can_connect_to_business": false,
        "has_main_web_app": false,
    })
}

fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME })
}

fn user_json(user_id: i64, first_name: &str) -> Value {
    json!({ "id": user_id, "is_bot": false, "first_name": first_name, "language_code": "pt-br" })
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

fn update_id_of(update: &Value) -> i64 {
    update.get("update_id").and_then(Value::as_i64).unwrap_or(0)
}

/// The length, in UTF-16 units as Telegram counts, of a leading `/command` (with any `@bot`).
fn command_length(text: &str) -> Option<usize> {
    let command = text.split_whitespace().next().filter(|word| word.starts_with('/') && word.len() > 1)?;
    text.starts_with('/').then(|| command.encode_utf16().count())
}

/// An integer parameter, sent as a JSON number or as a string of digits (form encodings).
fn int_param(params: &Value, key: &str) -> Option<i64> {
    match params.get(key)? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn chat_id_param(params: &Value) -> Result<i64, Failure> {
    int_param(params, "chat_id").ok_or_else(|| invalid("chat not found"))
}

/// The `reply_markup` parameter if it is an inline keyboard: Telegram echoes only those in the
/// returned message (teloxide's `Message::reply_markup` cannot hold a reply keyboard).
fn inline_markup(params: &Value) -> Option<Value> {
    params.get("reply_markup").filter(|markup| markup.get("inline_keyboard").is_some()).cloned()
}

/// Reads the parameters from the query string and the body, whatever their encoding.
fn parse_params(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Result<(Value, Encoding), String> {
    let mut params = Map::new();
    let mut encoding = Encoding::Empty;
    if let Some(query) = query.filter(|query| !query.is_empty()) {
        params.extend(parse_urlencoded(query)?);
        encoding = Encoding::Query;
    }
    if body.is_empty() {
        return Ok((Value::Object(params), encoding));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "" => match serde_json::from_slice(body) {
            Ok(Value::Object(fields)) => {
                params.extend(fields);
                encoding = Encoding::Json;
            }
            Ok(_) => return Err("the JSON body must be an object".to_owned()),
            Err(error) => return Err(format!("can't parse JSON body: {error}")),
        },
        "application/x-www-form-urlencoded" => {
            let text = std::str::from_utf8(body).map_err(|_| "the form body is not UTF-8".to_owned())?;
            params.extend(parse_urlencoded(text)?);
            encoding = Encoding::Form;
        }
        "multipart/form-data" => {
            let boundary = content_type
                .split(';')
                .find_map(|part| part.trim().strip_prefix("boundary="))
                .map(|boundary| boundary.trim_matches('"'))
                .filter(|boundary| !boundary.is_empty())
                .ok_or_else(|| "multipart body without a boundary".to_owned())?;
            params.extend(parse_multipart(body, boundary)?);
            encoding = Encoding::Multipart;
        }
        other => return Err(format!("unsupported content type {other}")),
    }
    Ok((Value::Object(params), encoding))
}

fn parse_urlencoded(text: &str) -> Result<Map<String, Value>, String> {
    let mut fields = Map::new();
    for pair in text.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        fields.insert(percent_decode(key)?, text_value(percent_decode(value)?));
    }
    Ok(fields)
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'+' => decoded.push(b' '),
            b'%' => {
                let hex = bytes.get(at + 1..at + 3).filter(|hex| hex.iter().all(u8::is_ascii_hexdigit));
                let hex = hex.and_then(|hex| std::str::from_utf8(hex).ok());
                let value = hex.and_then(|hex| u8::from_str_radix(hex, 16).ok());
                decoded.push(value.ok_or_else(|| format!("bad percent-encoding in {text:?}"))?);
                at += 2;
            }
            other => decoded.push(other),
        }
        at += 1;
    }
    String::from_utf8(decoded).map_err(|_| format!("percent-encoded {text:?} is not UTF-8"))
}

/// A form field's value: JSON objects and arrays (`reply_markup`, `commands`) parsed, the rest a string.
fn text_value(text: String) -> Value {
    if text.starts_with('{') || text.starts_with('[') {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    } else {
        Value::String(text)
    }
}

fn parse_multipart(body: &[u8], boundary: &str) -> Result<Map<String, Value>, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = [b"\r\n".as_slice(), &delimiter].concat();
    let start = find(body, &delimiter).ok_or_else(|| "multipart body without its boundary".to_owned())?;
    let mut rest = &body[start + delimiter.len()..];
    let mut fields = Map::new();
    while !rest.starts_with(b"--") {
        rest = rest.strip_prefix(b"\r\n").ok_or_else(|| "malformed multipart delimiter".to_owned())?;
        let end = find(rest, &next_delimiter).ok_or_else(|| "unterminated multipart part".to_owned())?;
        let (part, after) = rest.split_at(end);
        rest = &after[next_delimiter.len()..];
        let header_end = find(part, b"\r\n\r\n").ok_or_else(|| "multipart part without headers".to_owned())?;
        let part_headers = std::str::from_utf8(&part[..header_end]).map_err(|_| "multipart headers not UTF-8")?;
        let content = &part[header_end + 4..];
        let (name, file_name) = disposition(part_headers).ok_or_else(|| "multipart part without a name".to_owned())?;
        let value = match file_name {
            Some(file_name) => json!({ "file_name": file_name, "size": content.len() }),
            None => {
                let text =
                    String::from_utf8(content.to_vec()).map_err(|_| format!("multipart field {name} not UTF-8"))?;
                text_value(text)
            }
        };
        fields.insert(name, value);
    }
    resolve_attachments(&mut fields);
    Ok(fields)
}

/// Puts each uploaded file where its `attach://name` reference stands (teloxide sends
/// `document=attach://<random>` plus a file part named `<random>`), and drops the file's own field.
fn resolve_attachments(fields: &mut Map<String, Value>) {
    let references: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.strip_prefix("attach://")?.to_owned())))
        .collect();
    for (key, attachment) in references {
        if let Some(file) = fields.remove(&attachment) {
            fields.insert(key, file);
        }
    }
}

/// The `name` and `filename` of a part's Content-Disposition header.
fn disposition(headers: &str) -> Option<(String, Option<String>)> {
    let line = headers.lines().find(|line| line.to_ascii_lowercase().starts_with("content-disposition:"))?;
    let mut name = None;
    let mut file_name = None;
    for attribute in line.split(';').skip(1).map(str::trim) {
        if let Some(value) = attribute.strip_prefix("name=") {
            name = Some(value.trim_matches('"').to_owned());
        } else if let Some(value) = attribute.strip_prefix("filename=") {
            file_name = Some(value.trim_matches('"').to_owned());
        }
    }
    Some((name?, file_name))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// One line per call for failure messages; getUpdates polls are only counted.
fn describe_calls(calls: &[Call], first_index: usize) -> String {
    let mut lines = String::new();
    let mut polls = 0;
    for (index, call) in calls.iter().enumerate() {
        if call.is("getupdates") && !call.failed {
            polls += 1;
            continue;
        }
        let mut params = call.params.to_string();
        if params.len() > 300 {
            let cut = (0..=300).rev().find(|at| params.is_char_boundary(*at)).unwrap_or(0);
            params.truncate(cut);
            params.push('…');
        }
        let failed = if call.failed { " (failed)" } else { "" };
        let _ = writeln!(lines, "  #{} {}{failed} {params}", first_index + index, call.method);
    }
    let _ = write!(lines, "  (+{polls} getUpdates polls)");
    lines
}
