//! The desk: one update in, the replies out. It authorizes the Telegram user
//! as a linked staff member, loads the chat's state, runs one use case
//! through the ports (always as that staff member, so an id in a button is
//! checked like typed input), renders the next screen and saves the state.
//! Nothing here talks to Telegram: [`crate::telegram`] carries the replies.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use balcao_domain::callback::{Callback, PeriodCode};
use balcao_domain::finance::{FeePolicy, Period, ReceivableDetail, Statement, parse_date};
use balcao_domain::ports::{Chats, Clients, Directory, Finance, FollowUp, Intake, Tickets};
use balcao_domain::search::{SearchFilter, SearchTerm};
use balcao_domain::staff::{Actor, Staff, invite_hash};
use balcao_domain::{ClientId, DomainError, ReceivableId};
use chrono::{Datelike, NaiveDate, Utc};

use crate::forms::{Form, FormKind, FormOutcome};
use crate::invites::InviteGuard;
use crate::render;
use crate::state::{ChatState, Step};
use crate::text;

/// What the desk needs from the store.
pub trait DeskStore: Directory + Clients + Finance + Tickets + FollowUp + Chats + Intake {}

impl<T: Directory + Clients + Finance + Tickets + FollowUp + Chats + Intake> DeskStore for T {}

/// What a person did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Typed a message.
    Text(String),
    /// Tapped a button on one of the bot's messages.
    Tap {
        /// The callback query, to answer.
        callback_id: String,
        /// The message the button is on.
        message_id: i32,
        /// The button's data, as the device sent it: never trusted.
        data: String,
    },
    /// Tapped a button on a role group's notice, in the group: the answer
    /// goes to the person's private chat, never to the group.
    GroupTap {
        /// The callback query, to answer.
        callback_id: String,
        /// The button's data, as the device sent it: never trusted.
        data: String,
    },
    /// Typed /grupo in a group, to learn the group's id.
    GroupCommand {
        /// The group's chat id.
        group_chat_id: i64,
    },
}

/// One update, as the desk sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The Telegram user.
    pub user_id: i64,
    /// Their private chat with the bot.
    pub chat_id: i64,
    /// What they did.
    pub event: Event,
}

/// A button: its label and the data it sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// What the person reads.
    pub label: String,
    /// What comes back when tapped (at most 64 bytes).
    pub data: String,
}

/// Rows of buttons under a message.
pub type Keyboard = Vec<Vec<Button>>;

/// Builds a button.
pub fn button(label: impl Into<String>, data: impl Into<String>) -> Button {
    Button { label: label.into(), data: data.into() }
}

/// What the bot does in answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Sends a new message; it becomes the chat's screen.
    Send {
        /// The text.
        text: String,
        /// Its buttons.
        keyboard: Keyboard,
    },
    /// Edits a message in place.
    Edit {
        /// Which.
        message_id: i32,
        /// The new text.
        text: String,
        /// Its buttons.
        keyboard: Keyboard,
    },
    /// Answers a button tap (stops the spinner), with an optional notice.
    Answer {
        /// The callback query.
        callback_id: String,
        /// A short notice shown on top of the chat.
        notice: Option<String>,
        /// Whether the notice needs a tap to dismiss (a refusal) rather than
        /// fading by itself (news of what was just done).
        alert: bool,
    },
}

/// Why an update could not be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A use case or the store failed; the cause is in the log.
    Error,
    /// The handler panicked; the panic is in the log.
    Panic,
    /// The handler was stopped before it finished (the service is stopping).
    Cancelled,
}

impl Failure {
    /// What an operator reads in the list of failed updates.
    pub fn describe(self) -> &'static str {
        match self {
            Failure::Error => text::FAILED_ERROR,
            Failure::Panic => text::FAILED_PANIC,
            Failure::Cancelled => text::FAILED_CANCELLED,
        }
    }
}

/// One update handled: the replies, and whether handling failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// What to send back, in order.
    pub replies: Vec<Reply>,
    /// Why handling failed, when it did: the replies then only say so.
    pub failure: Option<Failure>,
}

/// What a person hears when their update could not be handled: an alert on
/// the tapped button, or a message; nothing in a group.
pub fn failure_replies(event: &Event) -> Vec<Reply> {
    match event {
        Event::Tap { callback_id, .. } | Event::GroupTap { callback_id, .. } => {
            vec![Reply::Answer { callback_id: callback_id.clone(), notice: Some(text::FAILURE.into()), alert: true }]
        }
        // Nothing is said in a group about our own failures.
        Event::GroupCommand { .. } => Vec::new(),
        Event::Text(_) => vec![Reply::Send { text: text::FAILURE.into(), keyboard: render::menu_button() }],
    }
}

/// Why a tap went nowhere: its screen is no longer the one the chat is on (an
/// old message, a draft already sent, a button this version does not draw),
/// or the use case refused or failed.
#[derive(Debug)]
pub(crate) enum Halt {
    /// The tapped screen is stale: the person is told to start from /menu.
    Stale,
    /// What the store or the rules said.
    Refused(DomainError),
}

impl From<DomainError> for Halt {
    fn from(e: DomainError) -> Self {
        Halt::Refused(e)
    }
}

/// What a tap shows: a notice, the next screen, and messages for others.
pub(crate) type Tapped = Result<(Option<String>, Screen, Vec<Reply>), Halt>;

/// A screen to show: its text and buttons.
pub(crate) struct Screen {
    pub(crate) text: String,
    pub(crate) keyboard: Keyboard,
}

/// The desk and what it needs.
#[derive(Clone)]
pub struct Desk {
    pub(crate) store: Arc<dyn DeskStore>,
    fees: FeePolicy,
    pub(crate) today: Arc<dyn Fn() -> NaiveDate + Send + Sync>,
    failures: Arc<AtomicU64>,
    invites: Arc<InviteGuard>,
    pub(crate) triage: Option<crate::triage::Triage>,
    /// An instant on the provider's clock, for the times people read.
    pub(crate) local: Arc<dyn Fn(chrono::DateTime<Utc>) -> chrono::NaiveDateTime + Send + Sync>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("fees", &self.fees).finish_non_exhaustive()
    }
}

/// The menu's buttons, with "Continuar" first when a wizard was left half-way,
/// and the contacts without a client for the triage role.
fn menu_keyboard(state: &ChatState, triage: bool) -> Keyboard {
    let mut keyboard = render::menu().keyboard;
    if triage {
        keyboard.push(vec![button(text::TRIAGE_BUTTON, Callback::Unmatched(0))]);
    }
    if let Some(form) = &state.paused {
        keyboard.insert(0, vec![button(format!("↩ Continuar {}", form.title()), Callback::Resume)]);
    }
    keyboard
}

/// Results per page of a search.
const PER_PAGE: usize = 8;

impl Desk {
    /// A desk over `store`, charging `fees`, with `today` giving the provider's date.
    pub fn new(store: Arc<dyn DeskStore>, fees: FeePolicy, today: Arc<dyn Fn() -> NaiveDate + Send + Sync>) -> Self {
        Desk {
            store,
            fees,
            today,
            failures: Arc::new(AtomicU64::new(0)),
            invites: Arc::default(),
            triage: None,
            local: Arc::new(|at| at.naive_utc()),
        }
    }

    /// The desk showing times on the provider's clock (`local` turns an instant into its wall time).
    pub fn with_local_time(
        self,
        local: Arc<dyn Fn(chrono::DateTime<Utc>) -> chrono::NaiveDateTime + Send + Sync>,
    ) -> Self {
        Desk { local, ..self }
    }

    /// A ticket as people read it: its history's times on the provider's clock.
    pub(crate) fn in_local_time(
        &self,
        mut d: balcao_domain::ticket::TicketDetail,
    ) -> balcao_domain::ticket::TicketDetail {
        for e in &mut d.history {
            e.at = (self.local)(e.at).and_utc();
        }
        d
    }

    /// The desk with "Contatos sem cliente" for the members of `triage.role`.
    pub fn with_triage(self, triage: crate::triage::Triage) -> Self {
        Desk { triage: Some(triage), ..self }
    }

    /// Records that the bot's message `message_id` now shows the chat's screen.
    pub async fn screen_sent(&self, chat_id: i64, message_id: i32) -> Result<(), DomainError> {
        let mut state = ChatState::from_stored(self.store.conversation(chat_id).await?.as_deref());
        state.screen = Some(message_id);
        self.store.save_conversation(chat_id, &state.to_stored()).await
    }

    /// Handles one update. Never fails: a failure of ours becomes a short
    /// Portuguese sentence for the person and one log line with the cause.
    pub async fn handle(&self, input: Input) -> Vec<Reply> {
        self.handle_reporting(input).await.replies
    }

    /// Handles one update and says whether it failed. Whatever the handler
    /// does, an error or a panic included, the person is answered "Não
    /// consegui fazer isso agora" and the desk goes on for everyone else: the
    /// handler runs in a task of its own, so a panic ends only that task.
    pub async fn handle_reporting(&self, input: Input) -> Handled {
        let desk = self.clone();
        let event = input.event.clone();
        let failure = match tokio::spawn(async move { desk.try_handle(&input).await }).await {
            Ok(Ok(replies)) => return Handled { replies, failure: None },
            Ok(Err(cause)) => {
                tracing::error!(cause = ?cause, "update failed");
                Failure::Error
            }
            // The panic hook already logged the panic with where it happened.
            Err(join) if join.is_panic() => Failure::Panic,
            Err(_) => Failure::Cancelled,
        };
        if failure != Failure::Cancelled {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        Handled { replies: failure_replies(&event), failure: Some(failure) }
    }

    /// How many updates failed since the desk started (errors and panics).
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    async fn try_handle(&self, input: &Input) -> Result<Vec<Reply>, DomainError> {
        let Some(staff) = self.store.staff_by_telegram(input.user_id).await? else {
            return self.stranger(input).await;
        };
        let private = matches!(input.event, Event::Text(_) | Event::Tap { .. });
        if staff.telegram_unreachable && private {
            // They blocked the bot once; writing to it again means they are back.
            // (Something done in a group proves nothing about their private chat.)
            self.store.mark_reachable(staff.id).await?;
        }
        let actor = Actor::of(&staff);
        match &input.event {
            Event::GroupTap { callback_id, data } => return self.on_group_tap(&actor, callback_id, data).await,
            Event::GroupCommand { group_chat_id } => {
                return Ok(vec![Reply::Send { text: text::group_id(*group_chat_id), keyboard: Vec::new() }]);
            }
            Event::Text(_) | Event::Tap { .. } => {}
        }
        let stored = self.store.conversation(input.chat_id).await?;
        let (before, dropped) = ChatState::read(stored.as_deref());
        let mut state = before.clone();
        let now = Utc::now();
        state.expire_question(now);
        state.touched = Some(now);
        let replies = match &input.event {
            Event::Text(t) => self.on_text(&staff, &actor, &mut state, t.trim()).await?,
            Event::Tap { callback_id, message_id, data } => {
                let (notice, screen, others) = self.on_tap(&actor, &mut state, *message_id, data).await?;
                // A notice with a new screen reports what was done; without one, why nothing was.
                let alert = screen.is_none();
                let mut replies = vec![Reply::Answer { callback_id: callback_id.clone(), notice, alert }];
                // "Ver atendimento" on a message that is not the chat's screen (a
                // notification) opens the ticket below it: the notification stays,
                // so that news of who took the ticket still lands on it.
                let keep_tapped = data.starts_with("tk:") && state.screen != Some(*message_id);
                match screen {
                    Some(s) if keep_tapped => replies.push(Reply::Send { text: s.text, keyboard: s.keyboard }),
                    Some(s) => {
                        state.screen = Some(*message_id);
                        replies.push(Reply::Edit { message_id: *message_id, text: s.text, keyboard: s.keyboard });
                    }
                    None => {}
                }
                replies.extend(others);
                replies
            }
            Event::GroupTap { .. } | Event::GroupCommand { .. } => Vec::new(),
        };
        let mut replies = replies;
        if dropped {
            // Said once: the state saved below no longer holds the old wizard.
            replies.insert(0, Reply::Send { text: text::FORM_DROPPED.into(), keyboard: Vec::new() });
        }
        // Browsing (a client card, a page of Financeiro) changes nothing worth
        // remembering: with no question open, not even when it happened. Such
        // updates skip the write.
        let idle = matches!(state.step, Step::Idle | Step::Results { .. }) && state.paused.is_none();
        let same = ChatState { touched: before.touched, ..state.clone() } == before;
        if !(stored.is_some() && idle && same) {
            self.store.save_conversation(input.chat_id, &state.to_stored()).await?;
        }
        Ok(replies)
    }

    /// Someone who is not a linked staff member: linking with a code, or a
    /// refusal that reveals nothing.
    async fn stranger(&self, input: &Input) -> Result<Vec<Reply>, DomainError> {
        match &input.event {
            Event::Text(t) => {
                if let Some(code) = t.trim().strip_prefix("/start").map(str::trim).filter(|c| !c.is_empty()) {
                    if !self.invites.may_try(input.user_id, std::time::Instant::now()) {
                        return Ok(vec![Reply::Send { text: text::BAD_INVITE.into(), keyboard: Vec::new() }]);
                    }
                    match self.store.link_telegram(&invite_hash(code), input.user_id, Utc::now()).await {
                        Ok(Some(staff)) => {
                            tracing::info!(staff_id = %staff.id, "staff member linked their Telegram account");
                            let menu = render::menu();
                            return Ok(vec![Reply::Send { text: text::welcome(&staff.name), keyboard: menu.keyboard }]);
                        }
                        Ok(None) => {
                            self.invites.wrong(input.user_id, std::time::Instant::now());
                            return Ok(vec![Reply::Send { text: text::BAD_INVITE.into(), keyboard: Vec::new() }]);
                        }
                        Err(DomainError::Conflict(_)) => {
                            return Ok(vec![Reply::Send { text: text::ALREADY_LINKED.into(), keyboard: Vec::new() }]);
                        }
                        Err(e) => return Err(e),
                    }
                }
                tracing::info!("message from an unlinked Telegram account refused");
                Ok(vec![Reply::Send { text: text::STRANGER.into(), keyboard: Vec::new() }])
            }
            // Strangers in a group get no answer there: the group is not theirs to learn about.
            Event::GroupCommand { .. } => Ok(Vec::new()),
            Event::Tap { callback_id, .. } | Event::GroupTap { callback_id, .. } => {
                tracing::info!("button tap from an unlinked Telegram account refused");
                Ok(vec![Reply::Answer {
                    callback_id: callback_id.clone(),
                    notice: Some(text::STRANGER.into()),
                    alert: true,
                }])
            }
        }
    }

    /// A tap on a role group's notice: Assumir takes the ticket; either
    /// button sends the ticket's screen to the person's private chat. The
    /// group's message itself is edited by the outbox, to say who took it.
    async fn on_group_tap(&self, actor: &Actor, callback_id: &str, data: &str) -> Result<Vec<Reply>, DomainError> {
        let answer = |notice: String, alert: bool| Reply::Answer {
            callback_id: callback_id.to_owned(),
            notice: Some(notice),
            alert,
        };
        let (ticket, take) = match Callback::parse(data) {
            Some(Callback::Take(t)) => (t, true),
            Some(Callback::Ticket(t)) => (t, false),
            _ => return Ok(vec![answer(text::GROUP_STALE.into(), true)]),
        };
        let notice = if take {
            match self.store.take(actor, ticket).await {
                Ok(_) => text::TAKEN_FROM_GROUP,
                Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
                    return Ok(vec![answer(e.to_string(), true)]);
                }
                Err(DomainError::NotFound(_)) => return Ok(vec![answer(text::GROUP_NOT_YOURS.into(), true)]),
                Err(e) => return Err(e),
            }
        } else {
            text::SENT_PRIVATELY
        };
        let screen = match self.ticket_screen(actor, ticket).await {
            Ok(screen) => screen,
            Err(DomainError::NotFound(_)) => return Ok(vec![answer(text::GROUP_NOT_YOURS.into(), true)]),
            Err(e) => return Err(e),
        };
        Ok(vec![answer(notice.into(), false), Reply::Send { text: screen.text, keyboard: screen.keyboard }])
    }

    async fn on_text(
        &self,
        staff: &Staff,
        actor: &Actor,
        state: &mut ChatState,
        typed: &str,
    ) -> Result<Vec<Reply>, DomainError> {
        let command = typed.strip_prefix('/').map(|c| {
            let word = c.split_whitespace().next().unwrap_or("");
            word.split('@').next().unwrap_or("").to_lowercase()
        });
        let screen = match command.as_deref() {
            Some("start") | Some("menu") => {
                state.leave();
                state.linking = None;
                let triage = self.may_triage(actor).await?;
                if typed.starts_with("/start") {
                    Screen { text: text::welcome(&staff.name), keyboard: menu_keyboard(state, triage) }
                } else {
                    Screen { keyboard: menu_keyboard(state, triage), ..render::menu() }
                }
            }
            Some("contatos") => {
                state.leave();
                self.unmatched_list(actor, 0).await?
            }
            Some("buscar") => {
                state.leave();
                render::pick_filter()
            }
            Some("meus") => {
                state.leave();
                render::my_tickets(&self.store.my_tickets(actor).await?, 0)
            }
            Some("cancelar") => {
                state.step = Step::Idle;
                state.paused = None;
                state.linking = None;
                Screen {
                    text: format!("{}\n\n{}", text::CANCELLED, text::menu_title()),
                    keyboard: render::menu().keyboard,
                }
            }
            Some(_) => Screen { text: text::HELP.into(), keyboard: render::menu().keyboard },
            None => match state.step.clone() {
                Step::Form(mut form) => {
                    let outcome = self.form_text(actor, &mut form, typed).await?;
                    return Ok(self.after_form(actor, state, form, outcome, None).await?.1);
                }
                Step::TicketText { ticket, awaited } => self.ticket_text(actor, state, ticket, awaited, typed).await?,
                // Typed again before "Enviar": the new text replaces the draft.
                Step::ReplyDraft { ticket, .. } => {
                    self.ticket_text(actor, state, ticket, crate::followup::Awaited::Reply, typed).await?
                }
                Step::WorkOrderText { work_order, awaited } => {
                    self.work_order_text(actor, state, work_order, awaited, typed).await?
                }
                // A protocol or a CPF/CNPJ goes straight to its ticket or client, whatever field was asked.
                Step::SearchTerm { .. } if names_a_record(typed) => self.lookup(actor, state, typed).await?,
                Step::SearchTerm { filter } => self.search(actor, state, filter, typed, 0).await?,
                // A question is open: what is typed answers it, and is asked again
                // when it does not; it never becomes a search.
                Step::FinancePeriod { client } if !typed.chars().any(|c| c.is_ascii_digit()) => Screen {
                    text: format!("{}\n\n{}", text::NOT_A_PERIOD, text::ASK_PERIOD),
                    keyboard: vec![vec![button(text::BACK, Callback::Finance(client, PeriodCode::Open, None))]],
                },
                Step::FinancePeriod { client } => match parse_period(typed) {
                    Ok((from, to)) => {
                        state.step = Step::Idle;
                        let period = Period { from: Some(from), to: Some(to), open_only: false };
                        self.finance(actor, client, period, PeriodCode::Between(from, to), 0).await?
                    }
                    Err(reason) => Screen {
                        text: format!("{reason}\n\n{}", text::ASK_PERIOD),
                        keyboard: vec![vec![button(text::BACK, Callback::Finance(client, PeriodCode::Open, None))]],
                    },
                },
                _ => self.lookup(actor, state, typed).await?,
            },
        };
        Ok(vec![Reply::Send { text: screen.text, keyboard: screen.keyboard }])
    }

    /// A button: returns the notice for the tap and the screen to put in the
    /// tapped message (none when nothing changes).
    async fn on_tap(
        &self,
        actor: &Actor,
        state: &mut ChatState,
        message_id: i32,
        data: &str,
    ) -> Result<(Option<String>, Option<Screen>, Vec<Reply>), DomainError> {
        let on_current_screen = state.screen.is_none_or(|s| s == message_id);
        let Some(callback) = Callback::parse(data) else {
            // A button this version does not draw (an old screen, or a forgery).
            return Ok((Some(text::STALE.into()), None, Vec::new()));
        };
        if let Callback::Wizard(step) = callback {
            // A wizard's buttons count only on the screen it shows now: an
            // option index means nothing on an older message.
            let Step::Form(mut form) = state.step.clone() else {
                return Ok((Some(text::STALE.into()), None, Vec::new()));
            };
            if !on_current_screen {
                return Ok((Some(text::STALE.into()), None, Vec::new()));
            }
            let outcome = match self.form_tap(actor, &mut form, step).await {
                Ok(o) => o,
                Err(DomainError::NotFound(_)) => return Ok((Some(text::STALE.into()), None, Vec::new())),
                Err(e) => return Err(e),
            };
            let (screen, others) = self.after_form(actor, state, form, outcome, Some(message_id)).await?;
            return Ok((None, screen, others));
        }
        let sending_draft = matches!(callback, Callback::SendReply(_)) && matches!(state.step, Step::ReplyDraft { .. });
        if !matches!(state.step, Step::Idle | Step::SearchTerm { .. } | Step::Results { .. })
            && !matches!(callback, Callback::SearchPage(_))
            && !sending_draft
        {
            // Leaving a question by any other button abandons it; a wizard
            // waits on the menu's "Continuar".
            state.leave();
        }
        use Callback::*;
        let screen = |s: Result<Screen, DomainError>| -> Tapped { Ok((None, s?, Vec::new())) };
        let result: Tapped = match callback {
            Ticket(_) | Messages(..) | Note(_) | Resolve(_) | Reopen(_) | Reply(_) | SendReply(_) | PickStatus(_)
            | SetStatus(..) | Forward(..) | ForwardToUser(..) | ForwardToRole(..) | Take(_) | WorkOrder(_)
            | StartWorkOrder(_) | FinishWorkOrder(_) | GiveBack(_) | PickTechnician(..) | AssignTechnician(..)
            | MyWorkOrders(_) | WorkOrderTicket(_) => self.followup_tap(actor, state, callback).await,
            RequestWorkOrder(ticket) => match self.start_work_order_form(actor, ticket).await {
                Ok((form, s)) => {
                    state.step = Step::Form(form);
                    Ok((None, s, Vec::new()))
                }
                Err(e) => Err(e.into()),
            },
            Unmatched(_)
            | Contact(_)
            | LinkSearch(_)
            | LinkConfirm(..)
            | Link(..)
            | NewClientFromContact(_)
            | Discard(_)
            | DiscardConfirmed(_) => self.triage_tap(actor, state, callback).await,
            // Handled above, before anything else.
            Wizard(_) => Err(Halt::Stale),
            NewClient => match self.start_form(actor, FormKind::NewClient, None).await {
                Ok((form, s)) => {
                    state.step = Step::Form(form);
                    Ok((None, s, Vec::new()))
                }
                Err(e) => Err(e.into()),
            },
            AddPlan(client) | NewTicket(client) => {
                let kind = if matches!(callback, AddPlan(_)) { FormKind::AddPlan } else { FormKind::NewTicket };
                match self.start_form(actor, kind, Some(client)).await {
                    Ok((form, s)) => {
                        state.step = Step::Form(form);
                        Ok((None, s, Vec::new()))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Menu => {
                state.leave();
                state.linking = None;
                let triage = self.may_triage(actor).await?;
                Ok((None, Screen { keyboard: menu_keyboard(state, triage), ..render::menu() }, Vec::new()))
            }
            Resume => match state.paused.take() {
                Some(form) => {
                    let s = self.form_screen(actor, &form, None).await;
                    state.step = Step::Form(form);
                    screen(s)
                }
                None => Err(Halt::Stale),
            },
            PickFilter => {
                state.step = Step::Idle;
                Ok((None, render::pick_filter(), Vec::new()))
            }
            Filter(filter) => {
                state.step = Step::SearchTerm { filter };
                Ok((None, render::ask_term(filter), Vec::new()))
            }
            SearchPage(page) => match &state.step {
                Step::Results { filter, term, .. } if on_current_screen => {
                    let (filter, term) = (*filter, term.clone());
                    screen(self.search(actor, state, filter, &term, page).await)
                }
                _ => Err(Halt::Stale),
            },
            BackToResults => match state.last_search.clone() {
                Some((filter, term, page)) => screen(self.search(actor, state, filter, &term, page).await),
                None => Ok((None, render::menu(), Vec::new())),
            },
            MyTickets(page) => {
                state.step = Step::Idle;
                Ok((None, render::my_tickets(&self.store.my_tickets(actor).await?, page), Vec::new()))
            }
            Registration(client) => screen(self.client_tab(actor, state, "cc", client, 0).await),
            Plans(client) => screen(self.client_tab(actor, state, "cp", client, 0).await),
            ClientTickets(client, page) => screen(self.client_tab(actor, state, "ct", client, page).await),
            AskPeriod(client) => screen(self.client_tab(actor, state, "cfd", client, 0).await),
            Finance(client, code, page) => match quick_period(code, (self.today)()) {
                // No page: the first, the most recent debits.
                Some(period) => screen(self.finance(actor, client, period, code, page.unwrap_or(0)).await),
                None => Err(Halt::Stale),
            },
            Receivable(r, code, page) => screen(self.receivable_screen(actor, r, code, page).await),
        };
        match result {
            Ok((notice, s, others)) => Ok((notice, Some(s), others)),
            Err(Halt::Stale) => Ok((Some(text::STALE.into()), None, Vec::new())),
            Err(Halt::Refused(e)) => tap_refusal(e),
        }
    }

    /// One debit in full; another reseller's debit is "not found" like any
    /// out-of-scope id.
    async fn receivable_screen(
        &self,
        actor: &Actor,
        id: ReceivableId,
        period: PeriodCode,
        page: usize,
    ) -> Result<Screen, DomainError> {
        let (receivable, settlements) = self.store.receivable(actor, id).await?;
        let detail = ReceivableDetail::build(receivable, settlements, &self.fees, (self.today)())?;
        Ok(render::receivable(&detail, period, page))
    }

    /// Applies a form step: keeps the form, or closes it. Returns the screen
    /// for the tapped message (taps) and every reply (typed text sends the
    /// screen as a new message).
    async fn after_form(
        &self,
        actor: &Actor,
        state: &mut ChatState,
        form: Form,
        outcome: FormOutcome,
        tapped: Option<i32>,
    ) -> Result<(Option<Screen>, Vec<Reply>), DomainError> {
        let (screen, others) = match outcome {
            FormOutcome::Screen(screen) => {
                state.step = Step::Form(form);
                (screen, Vec::new())
            }
            FormOutcome::Done(screen, others) => {
                state.step = Step::Idle;
                (screen, others)
            }
            FormOutcome::Cancelled => {
                state.step = Step::Idle;
                let screen = match form.client {
                    Some(c) => self.client_tab(actor, state, "cc", c, 0).await?,
                    None => render::menu(),
                };
                (
                    Screen { text: format!("{}\n\n{}", text::CANCELLED, screen.text), keyboard: screen.keyboard },
                    Vec::new(),
                )
            }
        };
        match tapped {
            Some(_) => Ok((Some(screen), others)),
            None => {
                let mut replies = vec![Reply::Send { text: screen.text, keyboard: screen.keyboard }];
                replies.extend(others);
                Ok((None, replies))
            }
        }
    }

    /// Text typed with no question open: a protocol number opens its ticket,
    /// a CPF/CNPJ its client, a phone (in any shape) its client (the list when
    /// several share it); anything else searches names.
    async fn lookup(&self, actor: &Actor, state: &mut ChatState, typed: &str) -> Result<Screen, DomainError> {
        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
        let numeric = !digits.is_empty() && typed.chars().all(|c| c.is_ascii_digit() || " .-/()+".contains(c));
        if !numeric {
            return self.search(actor, state, SearchFilter::Name, typed, 0).await;
        }
        if let Some(protocol) = balcao_domain::intake::protocols_in(typed).into_iter().next()
            && protocol.len() == typed.trim().len()
        {
            return match self.store.ticket_by_protocol(actor, &protocol).await? {
                Some(ticket) => {
                    state.step = Step::Idle;
                    self.ticket_screen(actor, ticket).await
                }
                None => Ok(Screen { text: text::no_protocol(&protocol), keyboard: render::menu_button() }),
            };
        }
        if let Ok(document) = balcao_domain::document::Document::parse(typed)
            && let Some(found) = self.store.client_by_document(actor, &document).await?
        {
            state.step = Step::Idle;
            return self.client_tab(actor, state, "cc", found.id, 0).await;
        }
        if let Ok(term) = SearchTerm::parse(SearchFilter::Phone, typed) {
            let found = self.store.search(actor, &term, 0, PER_PAGE).await?;
            if found.total == 1 {
                // One client has this phone: their card at once.
                state.step = Step::Idle;
                state.last_search = Some((SearchFilter::Phone, typed.to_owned(), 0));
                return self.client_tab(actor, state, "cc", found.items[0].id, 0).await;
            }
            return self.search(actor, state, SearchFilter::Phone, typed, 0).await;
        }
        self.search(actor, state, SearchFilter::Name, typed, 0).await
    }

    async fn search(
        &self,
        actor: &Actor,
        state: &mut ChatState,
        filter: SearchFilter,
        typed: &str,
        page: usize,
    ) -> Result<Screen, DomainError> {
        let term = match SearchTerm::parse(filter, typed) {
            Ok(t) => t,
            Err(DomainError::Invalid(reason)) => {
                state.step = Step::SearchTerm { filter };
                return Ok(Screen {
                    text: format!("{}\n\n{}", text::sentence(&reason), text::ask_term(filter.label())),
                    keyboard: render::ask_term(filter).keyboard,
                });
            }
            Err(e) => return Err(e),
        };
        let mut result = self.store.search(actor, &term, page, PER_PAGE).await?;
        if result.total > 0 && page >= result.pages() {
            // A page past the end (a stale or forged button): the last one.
            result = self.store.search(actor, &term, result.pages() - 1, PER_PAGE).await?;
        }
        if result.total == 0 {
            state.step = Step::SearchTerm { filter };
            return Ok(Screen {
                text: text::nothing_found(filter.label(), typed),
                keyboard: render::ask_term(filter).keyboard,
            });
        }
        let page = result.page;
        state.step = Step::Results { filter, term: typed.to_owned(), page };
        state.last_search = Some((filter, typed.to_owned(), page));
        Ok(render::results(filter, typed, &result))
    }

    async fn client_tab(
        &self,
        actor: &Actor,
        state: &mut ChatState,
        tab: &str,
        client: ClientId,
        page: usize,
    ) -> Result<Screen, DomainError> {
        let c = self.store.client(actor, client).await?;
        Ok(match tab {
            "cp" => render::plans(&c, &self.store.subscriptions(actor, client).await?),
            "ct" => render::tickets(&c, &self.store.client_tickets(actor, client).await?, page),
            "cfd" => {
                state.step = Step::FinancePeriod { client };
                render::ask_period(&c)
            }
            _ => {
                let mut card = render::registration(&c, actor.sees_documents);
                if let Some(row) = Desk::link_row(state, client) {
                    card.keyboard.insert(0, row);
                }
                card
            }
        })
    }

    async fn finance(
        &self,
        actor: &Actor,
        client: ClientId,
        period: Period,
        code: PeriodCode,
        page: usize,
    ) -> Result<Screen, DomainError> {
        let c = self.store.client(actor, client).await?;
        let receivables = self.store.receivables(actor, client, &period).await?;
        let statement = Statement::build(period, receivables, (self.today)())?;
        Ok(render::finance(&c, &statement, code, page))
    }

    pub(crate) async fn assignee_name(
        &self,
        assignee: &balcao_domain::ticket::Assignee,
    ) -> Result<String, DomainError> {
        Ok(match assignee {
            balcao_domain::ticket::Assignee::User(id) => self.store.staff_member(*id).await?.name,
            balcao_domain::ticket::Assignee::Role(id) => {
                let roles = self.store.roles().await?;
                roles.into_iter().find(|r| r.id == *id).map(|r| format!("Cargo {}", r.name)).unwrap_or_default()
            }
        })
    }
}

/// A tap the store refused: a notice, and the screen stays as it was.
#[expect(clippy::type_complexity, reason = "the same tuple on_tap returns")]
fn tap_refusal(e: DomainError) -> Result<(Option<String>, Option<Screen>, Vec<Reply>), DomainError> {
    match e {
        DomainError::NotFound("tela") => Ok((Some(text::STALE.into()), None, Vec::new())),
        DomainError::NotFound(_) => Ok((Some(text::NOT_FOUND.into()), None, Vec::new())),
        DomainError::Invalid(reason) | DomainError::Conflict(reason) => {
            Ok((Some(text::sentence(&reason)), None, Vec::new()))
        }
        e => Err(e),
    }
}

/// Whether typed text is a protocol number or a valid CPF/CNPJ, and nothing else.
fn names_a_record(typed: &str) -> bool {
    let whole_protocol = balcao_domain::intake::protocols_in(typed).first().is_some_and(|p| p == typed.trim());
    let numeric = typed.chars().all(|c| c.is_ascii_digit() || " .-/".contains(c));
    whole_protocol || (numeric && balcao_domain::document::Document::parse(typed).is_ok())
}

/// The quick periods of the Financeiro screen: this month, the last three
/// months, all open, everything.
fn quick_period(code: PeriodCode, today: NaiveDate) -> Option<Period> {
    Some(match code {
        PeriodCode::Month => Period::month_of(today),
        PeriodCode::Quarter => {
            let month = Period::month_of(today);
            let start = month.from.unwrap_or(today);
            let back = (start.year() * 12 + start.month0() as i32) - 2;
            let from = NaiveDate::from_ymd_opt(back.div_euclid(12), back.rem_euclid(12) as u32 + 1, 1);
            Period { from, to: month.to, open_only: false }
        }
        PeriodCode::Open => Period { from: None, to: None, open_only: true },
        PeriodCode::All => Period::default(),
        // A period typed as Desde / Até.
        PeriodCode::Between(from, to) => {
            let period = Period { from: Some(from), to: Some(to), open_only: false };
            period.validate().ok()?;
            period
        }
    })
}

/// "01/09/2026 30/11/2026", "01/09/2026 a 30/11/2026", "01/09/2026 - 30/11/2026".
fn parse_period(typed: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let dates: Vec<&str> =
        typed.split(|c: char| c.is_whitespace()).filter(|w| w.chars().any(|c| c.is_ascii_digit())).collect();
    if dates.len() != 2 {
        return Err("Informe duas datas: Desde e Até.".into());
    }
    let from = parse_date(dates[0]).map_err(|e| format!("Desde: {e}."))?;
    let to = parse_date(dates[1]).map_err(|e| format!("Até: {e}."))?;
    let period = Period { from: Some(from), to: Some(to), open_only: false };
    period.validate().map_err(|e| format!("{e}."))?;
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_periods_are_read_or_refused_with_a_reason() {
        let (f, t) = parse_period("01/09/2026 a 30/11/2026").unwrap();
        assert_eq!((f.to_string(), t.to_string()), ("2026-09-01".into(), "2026-11-30".into()));
        assert!(parse_period("01/09/2026").unwrap_err().contains("duas datas"));
        assert!(parse_period("31/02/2026 30/11/2026").unwrap_err().starts_with("Desde: data inexistente"));
        assert!(parse_period("30/11/2026 01/09/2026").unwrap_err().contains("posterior"));
    }

    #[test]
    fn last_three_months_start_two_months_back() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        let p = quick_period(PeriodCode::Quarter, today).unwrap();
        assert_eq!(p.from, NaiveDate::from_ymd_opt(2025, 11, 1));
        assert_eq!(p.to, NaiveDate::from_ymd_opt(2026, 1, 31));
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let typed = quick_period(PeriodCode::Between(day(9, 1), day(11, 30)), today).unwrap();
        assert_eq!((typed.from, typed.to), (Some(day(9, 1)), Some(day(11, 30))));
        assert!(quick_period(PeriodCode::Between(day(11, 30), day(9, 1)), today).is_none());
    }
}
