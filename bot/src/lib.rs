//! balcão's Telegram dialogue: the desk that turns one update into the next
//! screen ([`desk`]), the screens ([`render`]) and their words ([`text`]), the
//! per-chat state ([`state`]), and the teloxide adapter that polls Telegram
//! and carries the replies ([`telegram`]).

pub mod desk;
mod followup;
pub mod forms;
mod invites;
mod render;
pub mod state;
pub mod telegram;
pub mod text;
pub mod triage;

pub use desk::{Desk, DeskStore, Event, Failure, Handled, Input, Reply, failure_replies};
pub use triage::Triage;
