//! What the end-to-end tests share: a fake Telegram Bot API and fresh databases.

pub mod db;
pub mod fake_telegram;
pub mod http;
