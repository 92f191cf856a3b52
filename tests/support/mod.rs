//! What the end-to-end tests share: a fake Telegram Bot API, an SMTP sink and fresh databases.

pub mod db;
pub mod fake_telegram;
pub mod http;
pub mod smtp_sink;
