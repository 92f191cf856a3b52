//! balcão's business, with no I/O in the way: who works for whom (resellers,
//! staff, roles, scope), the client's registration, plans and subscriptions,
//! receivables with their fees, tickets and work orders, search, and the port
//! traits that stores implement.
//!
//! Everything a person or a file sends in becomes one of these types through a
//! `parse` that refuses bad input with a reason in Portuguese. This crate knows
//! nothing of sqlx, teloxide, axum or lettre.

pub mod callback;
pub mod client;
pub mod document;
pub mod error;
pub mod finance;
pub mod ids;
pub mod intake;
pub mod money;
pub mod notify;
pub mod phone;
pub mod ports;
pub mod search;
pub mod staff;
pub mod subscription;
pub mod text;
pub mod ticket;
pub mod workflow;

pub use error::{DomainError, DomainResult};
pub use ids::*;
pub use money::Money;
