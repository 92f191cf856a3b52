//! Configuration: built-in defaults (config/default.toml, compiled in), an
//! optional file, then `BALCAO_<SECTION>__<KEY>` environment variables, which
//! win. Every value is checked here, at start-up, with a message naming the key.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use balcao_domain::finance::FeePolicy;
use serde::Deserialize;

/// The defaults, with every key documented.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Environment variables with our prefix that are not configuration keys.
const NOT_KEYS: [&str; 2] = ["BALCAO_TEST_", "BALCAO_LOG"];

/// The whole configuration, checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The provider's time zone name.
    pub timezone: String,
    /// The store.
    pub database: Database,
    /// The HTTP service.
    pub http: Http,
    /// The Telegram bot.
    pub telegram: Telegram,
    /// Outgoing e-mail.
    pub smtp: Smtp,
    /// Notifications.
    pub notify: NotifySettings,
    /// Late fees.
    pub finance: Finance,
    /// Staff onboarding.
    pub staff: StaffSettings,
    /// Intake's webhooks.
    pub webhooks: Webhooks,
    /// What intake makes of a contact.
    pub intake: IntakeSettings,
}

/// `[intake]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeSettings {
    /// The cargo a client's contact goes to when no rule says otherwise.
    pub default_role: String,
    /// The tipo de atendimento it opens when no rule says otherwise.
    pub ticket_type: String,
    /// Whether the client gets an e-mail with the protocol.
    pub acknowledge: bool,
    /// At most one acknowledgement per sender in this many minutes.
    pub ack_every_minutes: u32,
    /// At most this many new tickets per sender per hour.
    pub max_new_per_hour: u32,
    /// Receiving address → reseller's name.
    pub mailboxes: std::collections::BTreeMap<String, String>,
    /// Routing rules, in order.
    pub rules: Vec<RuleSettings>,
    /// The cargo whose members triage the contacts no client matched.
    pub triage_role: String,
    /// The acknowledgement's subject as the provider writes it; empty: ours.
    pub ack_subject: String,
    /// The acknowledgement's text as the provider writes it; empty: ours.
    pub ack_text: String,
}

/// One `[[intake.rules]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// Its name.
    pub name: String,
    /// Receiving addresses.
    #[serde(default)]
    pub to: Vec<String>,
    /// Words or phrases in the subject or text.
    #[serde(default)]
    pub words: Vec<String>,
    /// The form's assunto.
    #[serde(default)]
    pub assunto: Vec<String>,
    /// The cargo that gets the ticket.
    #[serde(default)]
    pub role: String,
    /// The staff member (by name) who gets it.
    #[serde(default)]
    pub user: String,
    /// The tipo de atendimento.
    #[serde(default)]
    pub ticket_type: String,
}

impl IntakeSettings {
    /// What the processor needs; `Err` names the rule at fault.
    pub fn setup(&self) -> anyhow::Result<balcao_domain::intake::IntakeSetup> {
        use balcao_domain::intake::{IntakeSetup, RouteTo, Rule};
        for (key, value) in [("intake.ack_subject", &self.ack_subject), ("intake.ack_text", &self.ack_text)] {
            let mut rest = value.as_str();
            while let Some(open) = rest.find('{') {
                let close = rest[open..].find('}').map(|c| open + c + 1).unwrap_or(rest.len());
                let word = &rest[open..close];
                if !balcao_notify::text::ACK_PLACEHOLDERS.contains(&word) {
                    bail!("{key}: \"{word}\" não é um campo conhecido; use {{protocolo}}, {{nome}} ou {{provedor}}");
                }
                rest = &rest[close..];
            }
        }
        if !self.ack_text.trim().is_empty() && !self.ack_text.contains("{protocolo}") {
            bail!("intake.ack_text: inclua {{protocolo}}, o número que o cliente vai citar");
        }
        let mut rules = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            let name = if r.name.trim().is_empty() { format!("nº {}", i + 1) } else { r.name.trim().to_owned() };
            let key = format!("intake.rules \"{name}\"");
            if r.name.trim().is_empty() {
                bail!("intake.rules nº {}: dê um nome à regra (name = \"...\")", i + 1);
            }
            if rules.iter().any(|x: &Rule| x.name == name) {
                bail!("{key}: há duas regras com este nome");
            }
            let assignee = match (r.role.trim(), r.user.trim()) {
                ("", "") => bail!("{key}: diga para quem vai, com role = \"cargo\" ou user = \"nome do usuário\""),
                (role, "") => RouteTo::Role(role.to_owned()),
                ("", user) => RouteTo::User(user.to_owned()),
                _ => bail!("{key}: use role ou user, não os dois"),
            };
            for address in &r.to {
                if !balcao_domain::intake::plausible_email(&address.trim().to_lowercase()) {
                    bail!("{key}: \"{address}\" em to não é um endereço de e-mail");
                }
            }
            if r.words.iter().chain(&r.assunto).any(|w| balcao_domain::text::search_key(w).is_empty()) {
                bail!("{key}: words e assunto não podem ter itens vazios");
            }
            if !rules.is_empty()
                && rules.last().is_some_and(|x: &Rule| x.to.is_empty() && x.words.is_empty() && x.topics.is_empty())
            {
                bail!("{key}: vem depois de uma regra sem condições, que pega tudo; mova-a para o fim");
            }
            rules.push(Rule {
                name,
                to: r.to.iter().map(|a| a.trim().to_lowercase()).collect(),
                words: r.words.clone(),
                topics: r.assunto.clone(),
                assignee,
                ticket_type: Some(r.ticket_type.trim().to_owned()).filter(|t| !t.is_empty()),
            });
        }
        let mut mailboxes = Vec::new();
        for (address, reseller) in &self.mailboxes {
            let address = address.trim().to_lowercase();
            if !balcao_domain::intake::plausible_email(&address) || reseller.trim().is_empty() {
                bail!("intake.mailboxes: use \"endereço@dominio\" = \"Nome da revenda\" (recebido \"{address}\")");
            }
            mailboxes.push((address, reseller.trim().to_owned()));
        }
        if !(1..=1440).contains(&self.ack_every_minutes) {
            bail!("intake.ack_every_minutes: use de 1 a 1440");
        }
        if !(1..=1000).contains(&self.max_new_per_hour) {
            bail!("intake.max_new_per_hour: use de 1 a 1000");
        }
        Ok(IntakeSetup {
            acknowledge: self.acknowledge,
            ack_every_minutes: self.ack_every_minutes,
            max_new_per_hour: self.max_new_per_hour,
            rules,
            mailboxes,
            ..IntakeSetup::new(self.default_role.trim(), self.ticket_type.trim())
        })
    }
}

/// `[webhooks]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhooks {
    /// The secret intake's signatures are made with; empty: intake's routes are off. Never logged.
    pub secret: String,
    /// The secret before a rotation, accepted too while senders move; never logged.
    pub previous_secret: String,
    /// Largest body intake's doors accept.
    pub max_body_bytes: usize,
    /// Mailgun's webhook signing key; never logged.
    pub mailgun_signing_key: String,
    /// Mailgun's previous key, during a rotation; never logged.
    pub mailgun_previous_signing_key: String,
    /// Origins whose pages may post the form from a browser.
    pub form_origins: Vec<String>,
    /// The form's honeypot field.
    pub form_honeypot: String,
    /// Browser posts per IP per hour.
    pub form_per_ip_per_hour: u32,
    /// Browser posts per e-mail or phone per hour.
    pub form_per_address_per_hour: u32,
    /// Whether the client's IP is X-Forwarded-For's last address.
    pub trust_forwarded_for: bool,
}

impl Webhooks {
    /// The secrets a signature may be made with.
    pub fn secrets(&self) -> Vec<String> {
        [&self.secret, &self.previous_secret].into_iter().filter(|s| !s.is_empty()).cloned().collect()
    }

    /// Mailgun's signing keys.
    pub fn mailgun_keys(&self) -> Vec<String> {
        [&self.mailgun_signing_key, &self.mailgun_previous_signing_key]
            .into_iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect()
    }

    /// The browser form's rules.
    pub fn form_rules(&self) -> balcao_webhooks::form::FormRules {
        balcao_webhooks::form::FormRules {
            origins: self.form_origins.iter().map(|o| o.trim().trim_end_matches('/').to_owned()).collect(),
            honeypot: self.form_honeypot.trim().to_owned(),
            per_ip_per_hour: self.form_per_ip_per_hour,
            per_address_per_hour: self.form_per_address_per_hour,
            trust_forwarded_for: self.trust_forwarded_for,
        }
    }
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |s: &String| if s.is_empty() { "" } else { "<definido>" };
        f.debug_struct("Webhooks")
            .field("secret", &shown(&self.secret))
            .field("previous_secret", &shown(&self.previous_secret))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("mailgun_signing_key", &shown(&self.mailgun_signing_key))
            .field("mailgun_previous_signing_key", &shown(&self.mailgun_previous_signing_key))
            .field("form_origins", &self.form_origins)
            .field("form_honeypot", &self.form_honeypot)
            .field("form_per_ip_per_hour", &self.form_per_ip_per_hour)
            .field("form_per_address_per_hour", &self.form_per_address_per_hour)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .finish()
    }
}

/// `[database]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// sqlite:FILE or postgres://...
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// `[http]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// Listen address.
    pub addr: String,
    /// Seconds a client has to send a request's headers; also how long an
    /// idle connection is kept.
    pub header_timeout_seconds: u64,
    /// Seconds a client has to send a request's body.
    pub body_timeout_seconds: u64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Http {
    /// The limits the HTTP service enforces; intake's doors take bodies up to `webhook_max_body_bytes`.
    pub fn limits(&self, webhook_max_body_bytes: usize) -> balcao_webhooks::HttpLimits {
        balcao_webhooks::HttpLimits {
            header_timeout: std::time::Duration::from_secs(self.header_timeout_seconds),
            body_timeout: std::time::Duration::from_secs(self.body_timeout_seconds),
            max_body_bytes: self.max_body_bytes,
            webhook_max_body_bytes,
            max_connections: self.max_connections,
        }
    }
}

/// `[telegram]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Telegram {
    /// Bot token; never logged.
    pub token: String,
    /// Bot API base URL.
    pub api_url: String,
    /// "polling" or "webhook".
    pub mode: String,
    /// Webhook mode: our public route's address.
    pub webhook_url: String,
    /// Webhook mode: the shared secret; never logged.
    pub webhook_secret: String,
}

impl std::fmt::Debug for Telegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telegram")
            .field("token", &if self.token.is_empty() { "" } else { "<definido>" })
            .field("api_url", &self.api_url)
            .field("mode", &self.mode)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &if self.webhook_secret.is_empty() { "" } else { "<definido>" })
            .finish()
    }
}

/// `[smtp]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    /// Relay URL, may hold a password: never logged.
    pub url: String,
    /// Sender.
    pub from: String,
    /// Connections kept open to the relay; e-mails go this many at a time.
    pub pool_size: u32,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("url", &if self.url.is_empty() { "" } else { "<definido>" })
            .field("from", &self.from)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// `[notify]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    /// "22:00-07:00", or empty.
    pub quiet_hours: String,
}

/// `[finance]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finance {
    /// Multa, percent.
    pub late_fee_percent: f64,
    /// Juros a month, percent.
    pub monthly_interest_percent: f64,
}

/// `[staff]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSettings {
    /// Invite code lifetime.
    pub invite_valid_hours: u32,
}

/// Merges `over` into `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Applies one environment variable to the table, typed like the default.
fn apply_env(table: &mut toml::Table, var: &str, raw: &str) -> anyhow::Result<()> {
    let path: Vec<String> = var.trim_start_matches("BALCAO_").split("__").map(str::to_lowercase).collect();
    let key_name = path.join(".");
    let mut node = table;
    for section in &path[..path.len() - 1] {
        node = match node.get_mut(section) {
            Some(toml::Value::Table(t)) => t,
            _ => bail!("{var}: não há seção \"{section}\" na configuração"),
        };
    }
    let last = &path[path.len() - 1];
    let value = match node.get(last) {
        Some(toml::Value::String(_)) => toml::Value::String(raw.to_owned()),
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| anyhow!("{key_name} (de {var}): esperado um número inteiro, recebido \"{raw}\""))?,
        ),
        Some(toml::Value::Float(_)) => toml::Value::Float(
            raw.trim()
                .replace(',', ".")
                .parse()
                .map_err(|_| anyhow!("{key_name} (de {var}): esperado um número, recebido \"{raw}\""))?,
        ),
        Some(toml::Value::Array(_)) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| toml::Value::String(v.to_owned()))
                .collect(),
        ),
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(
            raw.trim()
                .parse()
                .map_err(|_| anyhow!("{key_name} (de {var}): esperado true ou false, recebido \"{raw}\""))?,
        ),
        _ => bail!("{var}: \"{key_name}\" não é uma chave da configuração (veja config/default.toml)"),
    };
    node.insert(last.clone(), value);
    Ok(())
}

impl Settings {
    /// Loads defaults, then `file`, then the process environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        Settings::load_from(file, std::env::vars())
    }

    /// Loads defaults, then `file`, then the given environment.
    pub fn load_from(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Settings> {
        let mut table: toml::Table = DEFAULT_TOML.parse().context("config/default.toml embutido é inválido")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("não foi possível ler o arquivo de configuração {}", path.display()))?;
            let over: toml::Table =
                text.parse().map_err(|e| anyhow!("arquivo de configuração {} inválido: {e}", path.display()))?;
            merge(&mut table, over);
        }
        let mut vars: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("BALCAO_") && !NOT_KEYS.iter().any(|p| k.starts_with(p)))
            .collect();
        vars.sort();
        for (k, v) in vars {
            apply_env(&mut table, &k, &v)?;
        }
        let settings: Settings =
            toml::Value::Table(table).try_into().map_err(|e| anyhow!("configuração inválida: {e}"))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every value, naming the key at fault.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.tz()?;
        if balcao_storage::Dialect::of_url(&self.database.url).is_none() {
            bail!(
                "database.url: deve começar com sqlite: ou postgres:// (recebido \"{}\")",
                redact_url(&self.database.url)
            );
        }
        if self.database.max_connections == 0 || self.database.max_connections > 200 {
            bail!("database.max_connections: use de 1 a 200");
        }
        self.http_addr()?;
        if !(self.telegram.api_url.starts_with("http://") || self.telegram.api_url.starts_with("https://")) {
            bail!("telegram.api_url: deve começar com http:// ou https://");
        }
        if !self.telegram.token.is_empty() && !self.telegram.token.contains(':') {
            bail!("telegram.token: não parece um token do BotFather (formato 123456:ABC...)");
        }
        match self.telegram.mode.as_str() {
            "polling" => {}
            "webhook" => {
                if self.telegram.token.is_empty() {
                    bail!("telegram.mode: o modo webhook precisa de telegram.token");
                }
                let url = &self.telegram.webhook_url;
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    bail!("telegram.webhook_url: informe o endereço público da rota /telegram/webhook (https://...)");
                }
                let secret = &self.telegram.webhook_secret;
                let ok_chars = secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if secret.is_empty() || secret.len() > 256 || !ok_chars {
                    bail!("telegram.webhook_secret: use de 1 a 256 caracteres entre A-Z, a-z, 0-9, _ e -");
                }
            }
            other => bail!("telegram.mode: use \"polling\" ou \"webhook\" (recebido \"{other}\")"),
        }
        self.quiet_hours()?;
        if !self.smtp.url.is_empty() {
            balcao_notify::mail::check_url(&self.smtp.url).map_err(|e| anyhow!("smtp.url: {e}"))?;
        }
        if self.smtp.from.parse::<balcao_notify::mail::Sender>().is_err() {
            bail!("smtp.from: informe um endereço de e-mail, por exemplo \"balcão <balcao@exemplo.com.br>\"");
        }
        if !(1..=300).contains(&self.http.header_timeout_seconds) {
            bail!("http.header_timeout_seconds: use de 1 a 300");
        }
        if !(1..=300).contains(&self.http.body_timeout_seconds) {
            bail!("http.body_timeout_seconds: use de 1 a 300");
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.http.max_body_bytes) {
            bail!("http.max_body_bytes: use de 1024 a 67108864");
        }
        if !(1..=100_000).contains(&self.http.max_connections) {
            bail!("http.max_connections: use de 1 a 100000");
        }
        for (key, secret) in
            [("webhooks.secret", &self.webhooks.secret), ("webhooks.previous_secret", &self.webhooks.previous_secret)]
        {
            if !secret.is_empty() && secret.chars().count() < 16 {
                bail!("{key}: use ao menos 16 caracteres (por exemplo, gere com: openssl rand -hex 32)");
            }
        }
        if self.webhooks.secret.is_empty() && !self.webhooks.previous_secret.is_empty() {
            bail!("webhooks.previous_secret: defina também webhooks.secret (o segredo novo)");
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.webhooks.max_body_bytes) {
            bail!("webhooks.max_body_bytes: use de 1024 a 67108864");
        }
        if self.webhooks.mailgun_signing_key.is_empty() && !self.webhooks.mailgun_previous_signing_key.is_empty() {
            bail!("webhooks.mailgun_previous_signing_key: defina também webhooks.mailgun_signing_key (a chave nova)");
        }
        for origin in &self.webhooks.form_origins {
            let o = origin.trim();
            let host = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")).unwrap_or_default();
            if host.is_empty() || host.trim_end_matches('/').contains('/') {
                bail!(
                    "webhooks.form_origins: \"{o}\" não é uma origem; use esquema e host, como \"https://www.provedor.com.br\""
                );
            }
        }
        if self.webhooks.form_per_ip_per_hour == 0 || self.webhooks.form_per_address_per_hour == 0 {
            bail!("webhooks.form_per_ip_per_hour e form_per_address_per_hour: use ao menos 1");
        }
        self.intake.setup()?;
        if self.smtp.pool_size == 0 || self.smtp.pool_size > 100 {
            bail!("smtp.pool_size: use de 1 a 100");
        }
        if !(0.0..=20.0).contains(&self.finance.late_fee_percent) {
            bail!("finance.late_fee_percent: use de 0 a 20");
        }
        if !(0.0..=10.0).contains(&self.finance.monthly_interest_percent) {
            bail!("finance.monthly_interest_percent: use de 0 a 10");
        }
        if self.staff.invite_valid_hours == 0 || self.staff.invite_valid_hours > 24 * 30 {
            bail!("staff.invite_valid_hours: use de 1 a 720");
        }
        Ok(())
    }

    /// The provider's zone.
    pub fn tz(&self) -> anyhow::Result<chrono_tz::Tz> {
        self.timezone.parse().map_err(|_| {
            anyhow!("timezone: fuso horário desconhecido \"{}\" (por exemplo America/Sao_Paulo)", self.timezone)
        })
    }

    /// The HTTP listen address.
    pub fn http_addr(&self) -> anyhow::Result<SocketAddr> {
        self.http
            .addr
            .parse()
            .map_err(|_| anyhow!("http.addr: endereço inválido \"{}\" (por exemplo 127.0.0.1:8080)", self.http.addr))
    }

    /// The quiet hours, if any.
    pub fn quiet_hours(&self) -> anyhow::Result<Option<balcao_domain::notify::QuietHours>> {
        match self.notify.quiet_hours.trim() {
            "" => Ok(None),
            s => balcao_domain::notify::QuietHours::parse(s).map(Some).map_err(|e| anyhow!("notify.quiet_hours: {e}")),
        }
    }

    /// The fee policy, in basis points.
    pub fn fee_policy(&self) -> FeePolicy {
        FeePolicy {
            fine_bp: (self.finance.late_fee_percent * 100.0).round() as i64,
            monthly_interest_bp: (self.finance.monthly_interest_percent * 100.0).round() as i64,
        }
    }
}

/// A URL with any password hidden, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_load_and_are_valid() {
        let s = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(s.timezone, "America/Sao_Paulo");
        assert_eq!(s.database.url, "sqlite:balcao.db");
        assert_eq!(s.fee_policy(), FeePolicy::default());
    }

    #[test]
    fn environment_wins_over_file_and_defaults() {
        let dir = std::env::temp_dir().join(format!("balcao-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "[http]\naddr = \"127.0.0.1:9000\"\n[database]\nurl = \"sqlite:arquivo.db\"\n").unwrap();
        let s = Settings::load_from(
            Some(&file),
            env(&[
                ("BALCAO_DATABASE__URL", "postgres://postgres@127.0.0.1/x"),
                ("BALCAO_TEST_POSTGRES_URL", "ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(s.http.addr, "127.0.0.1:9000");
        assert_eq!(s.database.url, "postgres://postgres@127.0.0.1/x");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("BALCAO_TIMEZONE", "Marte/Olympus", "timezone"),
            ("BALCAO_DATABASE__URL", "mysql://x", "database.url"),
            ("BALCAO_HTTP__ADDR", "porta 80", "http.addr"),
            ("BALCAO_DATABASE__MAX_CONNECTIONS", "muitas", "database.max_connections"),
            ("BALCAO_FINANCE__LATE_FEE_PERCENT", "50", "finance.late_fee_percent"),
            ("BALCAO_SMTP__URL", "http://x", "smtp.url"),
            ("BALCAO_SMTP__URL", "smtp://relay.exemplo.com.br?tls=talvez", "smtp.url"),
            ("BALCAO_SMTP__FROM", "ninguém", "smtp.from"),
            ("BALCAO_SMTP__POOL_SIZE", "0", "smtp.pool_size"),
            ("BALCAO_NOPE__KEY", "1", "BALCAO_NOPE__KEY"),
            ("BALCAO_TELEGRAM__MODE", "pombo", "telegram.mode"),
            ("BALCAO_NOTIFY__QUIET_HOURS", "noite", "notify.quiet_hours"),
            ("BALCAO_INTAKE__ACK_TEXT", "Olá! Recebemos seu contato.", "intake.ack_text: inclua {protocolo}"),
            ("BALCAO_INTAKE__ACK_SUBJECT", "Protocolo {numero}", "intake.ack_subject: \"{numero}\""),
            ("BALCAO_INTAKE__ACK_TEXT", "Seu protocolo: {protocolo", "intake.ack_text: \"{protocolo\""),
        ];
        for (k, v, named) in cases {
            let e = Settings::load_from(None, env(&[(k, v)])).unwrap_err().to_string();
            assert!(e.contains(named), "{k}={v}: {e}");
        }
    }

    #[test]
    fn webhook_mode_needs_a_token_an_address_and_a_good_secret() {
        let base = [
            ("BALCAO_TELEGRAM__MODE", "webhook"),
            ("BALCAO_TELEGRAM__TOKEN", "123:abc"),
            ("BALCAO_TELEGRAM__WEBHOOK_URL", "https://x.example/telegram/webhook"),
            ("BALCAO_TELEGRAM__WEBHOOK_SECRET", "s3gredo_ok-1"),
        ];
        Settings::load_from(None, env(&base)).unwrap();
        let e = Settings::load_from(
            None,
            env(&[base[0], base[1], base[2], ("BALCAO_TELEGRAM__WEBHOOK_SECRET", "com espaço")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("telegram.webhook_secret"), "{e}");
        let e = Settings::load_from(None, env(&[base[0], base[2], base[3]])).unwrap_err().to_string();
        assert!(e.contains("telegram.token"), "{e}");
    }

    #[test]
    fn unknown_key_in_a_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("balcao-settings-u-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "[http]\nadress = \"127.0.0.1:9000\"\n").unwrap();
        let e = Settings::load_from(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(e.contains("adress"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(redact_url("postgres://u:segredo@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("sqlite:x.db"), "sqlite:x.db");
    }

    #[test]
    fn config_file_lists_every_key() {
        let t: toml::Table = DEFAULT_TOML.parse().unwrap();
        let s: Settings = toml::Value::Table(t).try_into().unwrap();
        s.validate().unwrap();
    }
}
