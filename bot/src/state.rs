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
}

impl ChatState {
    /// Reads a stored state; an unreadable one (from an older version) starts afresh.
    pub fn from_stored(json: Option<&str>) -> ChatState {
        json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
    }

    /// The stored form.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}
