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
/// Intake: a stored form contact that cannot be read.
pub const UNREADABLE_FORM: &str = "o contato do formulário não pôde ser lido";
/// Form: the body is not the form's JSON object.
pub const FORM_NOT_OBJECT: &str =
    "JSON inválido: envie um objeto com nome, email, telefone, cpf_cnpj, assunto e mensagem";
/// Form: neither JSON nor a browser form.
pub const FORM_TYPE: &str =
    "tipo de conteúdo não aceito: envie application/json assinado ou application/x-www-form-urlencoded";
/// Form: the browser form could not be read.
pub const FORM_UNREADABLE: &str = "formulário ilegível";
/// Form: the page posting it is not one of ours.
pub const FORM_ORIGIN: &str = "origem não autorizada a enviar o formulário (veja webhooks.form_origins)";
/// Form: the field only robots fill was filled.
pub const FORM_HONEYPOT: &str = "envio recusado pela verificação anti-spam";
/// Form: what the browser shows when the contact was received.
pub const FORM_THANKS: &str = "Recebemos sua mensagem. Em breve entraremos em contato.";
/// Provider: wrong or missing HTTP Basic credentials.
pub const BAD_BASIC: &str = "credenciais inválidas: use HTTP Basic com a senha de webhooks.secret";
/// Mailgun: the signature does not match.
pub const MAILGUN_SIGNATURE: &str = "assinatura do Mailgun inválida (timestamp, token, signature)";
/// Mailgun: the timestamp is too far from now.
pub const MAILGUN_STALE: &str = "assinatura do Mailgun vencida: o timestamp está a mais de 5 minutos de agora";
/// Mailgun: the token was used before.
pub const MAILGUN_REPLAY: &str = "token do Mailgun já usado";
/// Provider: a multipart or form body that cannot be read.
pub const PROVIDER_UNREADABLE: &str =
    "corpo ilegível: esperado multipart/form-data ou application/x-www-form-urlencoded";
/// Provider: the post carries no message that can be read.
pub const PROVIDER_NO_MESSAGE: &str = "a postagem não traz uma mensagem de e-mail legível";
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

/// Form: too many posts; when to try again.
pub fn too_many(minutes: u64) -> String {
    format!("muitos envios; tente de novo em {minutes} minuto(s)")
}

/// Form: a field that must be text is not.
pub fn field_not_text(field: &str) -> String {
    format!("{field}: deve ser texto")
}
