//! What the HTTP service says, in pt-BR: the `error` of every JSON answer
//! and the words of `/healthz`. Handlers never spell these themselves.

/// The store does not answer.
pub const DATABASE_DOWN: &str = "banco de dados indisponível";
/// No route at this path (or not in this mode).
pub const NO_ROUTE: &str = "rota não encontrada";
/// Telegram's secret header is missing or wrong.
pub const BAD_SECRET: &str = "token secreto inválido";
/// The body is not UTF-8.
pub const NOT_UTF8: &str = "corpo não é UTF-8";
/// A Telegram update without its id.
pub const NO_UPDATE_ID: &str = "update_id ausente";
/// The body is not JSON.
pub const BAD_JSON: &str = "JSON inválido";
/// The update could not be stored: Telegram will send it again.
pub const NOT_STORED: &str = "não foi possível guardar a atualização";
/// The body broke off before its end.
pub const BODY_INCOMPLETE: &str = "corpo da requisição incompleto";
/// The body did not arrive within the deadline.
pub const BODY_TOO_SLOW: &str = "o corpo da requisição não chegou a tempo";
/// A worker's state in `/healthz`.
pub const STOPPED: &str = "parado";

/// The body is over the cap.
pub fn body_too_large(max_bytes: usize) -> String {
    format!("corpo da requisição grande demais (máximo {max_bytes} bytes)")
}

/// The workers that stopped, for `/healthz`.
pub fn stopped(names: &[&str]) -> String {
    format!("{STOPPED}: {}", names.join(", "))
}
