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
/// Intake: the signature is missing or wrong.
pub const BAD_SIGNATURE: &str = "assinatura inválida: envie X-Balcao-Signature: sha256=<HMAC-SHA256 do corpo>";
/// Intake: the body is not declared as a raw e-mail.
pub const NOT_RFC822: &str = "tipo de conteúdo não aceito: envie a mensagem crua como message/rfc822";
/// Intake: the body is empty.
pub const EMPTY_EMAIL: &str = "mensagem de e-mail vazia";
/// Intake: the body is not an e-mail.
pub const NOT_AN_EMAIL: &str = "o corpo não é uma mensagem de e-mail (cabeçalhos ausentes)";
/// Intake: the e-mail could not be stored; the sender should try again.
pub const EMAIL_NOT_STORED: &str = "não foi possível guardar a mensagem; tente de novo";
/// Intake: a stored contact that cannot be read as an e-mail.
pub const UNREADABLE_EMAIL: &str = "a mensagem não pôde ser lida como e-mail";
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
