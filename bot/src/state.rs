//! What the bot remembers of each chat between updates, stored as JSON by the
//! `Chats` port so that a restart or a second instance continues where each
//! user was.

use balcao_domain::{ClientId, TicketId, WorkOrderId};

use crate::followup::Awaited;
use crate::forms::Form;
use balcao_domain::search::SearchFilter;
use serde::{Deserialize, Serialize};

/// Where a chat is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Nothing in progress.
    #[default]
    Idle,
    /// Waiting for a search term for this filter.
    SearchTerm {
        /// The field.
        filter: SearchFilter,
    },
    /// Showing a page of results.
    Results {
        /// The field.
        filter: SearchFilter,
        /// What was typed.
        term: String,
        /// The page shown, from 0.
        page: usize,
    },
    /// A wizard (Novo Cliente, Adicionar Plano, Novo Atendimento) in progress.
    Form(Form),
    /// Waiting for text for an action on a ticket.
    TicketText {
        /// The ticket.
        ticket: TicketId,
        /// What is awaited.
        awaited: Awaited,
    },
    /// An answer to the client, typed and waiting for "Enviar".
    ReplyDraft {
        /// The ticket.
        ticket: TicketId,
        /// The answer as typed.
        text: String,
    },
    /// Waiting for text for an action on a work order.
    WorkOrderText {
        /// The work order.
        work_order: WorkOrderId,
        /// What is awaited.
        awaited: Awaited,
    },
    /// Waiting for a typed "Desde Até" period for a client's Financeiro.
    FinancePeriod {
        /// The client.
        client: ClientId,
    },
}

/// A chat's state: its step and the message that shows its current screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatState {
    /// The step.
    pub step: Step,
    /// The bot's message showing the current screen, edited as the user moves.
    pub screen: Option<i32>,
    /// The last search, kept so "Voltar" from a client card returns to it.
    pub last_search: Option<(SearchFilter, String, usize)>,
    /// When the person last did something here.
    #[serde(default)]
    pub touched: Option<chrono::DateTime<chrono::Utc>>,
    /// A wizard left half-way by another command or button, kept so that the
    /// menu can offer to continue it.
    #[serde(default)]
    pub paused: Option<Form>,
    /// A contact nobody matched, being linked to the client the person is
    /// looking for: client cards offer to link it.
    #[serde(default)]
    pub linking: Option<balcao_domain::DeliveryId>,
}

/// How long a question (a wizard step, "Digite a anotação") waits for its
/// answer; past it, what is typed is a fresh start, not a late answer.
pub const QUESTION_TTL_MINUTES: i64 = 30;

impl ChatState {
    /// Reads a stored state; an unreadable one (from an older version) starts afresh.
    pub fn from_stored(json: Option<&str>) -> ChatState {
        ChatState::read(json).0
    }

    /// Reads a stored state, and says whether a wizard in it had to be
    /// dropped: one stored by an older version of the bot, whose fields this
    /// one cannot place. The rest of the state (the screen, the last search)
    /// is kept; anything else unreadable starts afresh.
    pub fn read(json: Option<&str>) -> (ChatState, bool) {
        let Some(json) = json else { return (ChatState::default(), false) };
        if let Ok(state) = serde_json::from_str(json) {
            return (state, false);
        }
        let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_str::<serde_json::Value>(json) else {
            return (ChatState::default(), false);
        };
        let had_form = fields.get("step").is_some_and(|s| s.get("form").is_some())
            || fields.get("paused").is_some_and(|p| !p.is_null());
        if fields.get("step").is_some_and(|s| s.get("form").is_some()) {
            fields.insert("step".into(), serde_json::Value::String("idle".into()));
        }
        fields.remove("paused");
        match serde_json::from_value(serde_json::Value::Object(fields)) {
            Ok(state) => (state, had_form),
            Err(_) => (ChatState::default(), had_form),
        }
    }

    /// Forgets a question left unanswered for longer than
    /// [`QUESTION_TTL_MINUTES`], so text typed much later is not taken as its answer.
    pub fn expire_question(&mut self, now: chrono::DateTime<chrono::Utc>) {
        let old = self.touched.is_some_and(|t| now - t > chrono::Duration::minutes(QUESTION_TTL_MINUTES));
        if old && !matches!(self.step, Step::Idle | Step::Results { .. }) {
            self.step = Step::Idle;
        }
        if old {
            self.paused = None;
        }
    }

    /// Leaves whatever question is open; a wizard is kept aside to continue later.
    pub fn leave(&mut self) {
        if let Step::Form(form) = std::mem::take(&mut self.step) {
            self.paused = Some(form);
        }
    }

    /// The stored form.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_left_for_long_is_forgotten_and_a_fresh_one_is_kept() {
        let now = chrono::Utc::now();
        let asked = Step::TicketText { ticket: balcao_domain::TicketId(1), awaited: crate::followup::Awaited::Note };
        let mut state = ChatState {
            step: asked.clone(),
            touched: Some(now - chrono::Duration::minutes(5)),
            ..ChatState::default()
        };
        state.expire_question(now);
        assert_eq!(state.step, asked);
        state.touched = Some(now - chrono::Duration::minutes(QUESTION_TTL_MINUTES + 1));
        state.expire_question(now);
        assert_eq!(state.step, Step::Idle);
    }

    #[test]
    fn a_wizard_left_is_kept_aside_until_it_is_too_old() {
        let now = chrono::Utc::now();
        let form =
            Form { at: Some(crate::forms::Key::Document), ..Form::new(crate::forms::FormKind::NewClient, None, None) };
        let mut state = ChatState { step: Step::Form(form.clone()), touched: Some(now), ..ChatState::default() };
        state.leave();
        assert_eq!((state.step.clone(), state.paused.clone()), (Step::Idle, Some(form)));
        let stored = ChatState::from_stored(Some(&state.to_stored()));
        assert_eq!(stored, state, "kept across a restart");
        state.touched = Some(now - chrono::Duration::minutes(QUESTION_TTL_MINUTES + 1));
        state.expire_question(now);
        assert_eq!(state.paused, None);
    }

    #[test]
    fn a_wizard_stored_by_the_older_version_is_dropped_and_said_so_the_rest_kept() {
        // The format before wizards were declared: answers by string, the field by position.
        let old = r#"{"step":{"form":{"kind":"new_ticket","client":7,"values":{"problem":["Sem sinal","Sem sinal"]},
            "at":3,"page":0,"contact":null}},"screen":41,"last_search":["name","maria",0],"touched":null,
            "paused":{"kind":"new_client","client":null,"values":{},"at":1}}"#;
        let (state, dropped) = ChatState::read(Some(old));
        assert!(dropped);
        assert_eq!((state.step, state.paused, state.screen), (Step::Idle, None, Some(41)));
        assert_eq!(state.last_search.map(|s| s.1), Some("maria".to_owned()));
        // Today's format, and no state at all, drop nothing.
        let now = ChatState { step: Step::FinancePeriod { client: ClientId(3) }, ..ChatState::default() };
        assert_eq!(ChatState::read(Some(&now.to_stored())), (now, false));
        assert_eq!(ChatState::read(None), (ChatState::default(), false));
        assert_eq!(ChatState::read(Some("not json")), (ChatState::default(), false));
    }
}
