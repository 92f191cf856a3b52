//! The composition root: settings, the App that wires the store to the HTTP
//! service, and the CLI's subcommands. The only place that knows every crate.

pub mod demo;
pub mod import;
pub mod render;
pub mod seed;
pub mod settings;

use std::sync::Arc;

use anyhow::Context;
use balcao_domain::ports::Directory;
use balcao_domain::staff::{AddedStaff, NewStaff};
use balcao_storage::Db;
use chrono::{DateTime, NaiveDate, Utc};
use settings::{Settings, redact_url};

/// The running application: its settings, its store and its clock.
#[derive(Debug, Clone)]
pub struct App {
    /// Checked settings.
    pub settings: Settings,
    /// The store, behind every port.
    pub db: Arc<Db>,
    /// What time it is (the system's clock; tests may set another).
    pub clock: Clock,
}

/// What time it is, injected so that tests can set it.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Clock(Arc::new(Utc::now))
    }

    /// A clock that asks `now`.
    pub fn new(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

impl App {
    /// Opens the store named by the settings, applies pending migrations and
    /// makes sure the default roles, ticket types, channels and plans exist.
    pub async fn open(settings: Settings) -> anyhow::Result<App> {
        let url = &settings.database.url;
        let channels = balcao_storage::Channels {
            telegram: !settings.telegram.token.is_empty(),
            email: !settings.smtp.url.is_empty(),
        };
        let db = Db::connect(url, settings.database.max_connections)
            .await
            .with_context(|| format!("database.url: não foi possível abrir {}", redact_url(url)))?
            .with_channels(channels)
            .with_owner(instance_name(&settings.http.addr));
        let applied = db.migrate().await.context("falha ao aplicar as migrações do banco de dados")?;
        if !applied.is_empty() {
            tracing::info!(?applied, "database migrated");
        }
        db.ensure_defaults().await.context("falha ao criar os cargos e tipos padrão")?;
        Ok(App { settings, db: Arc::new(db), clock: Clock::system() })
    }

    /// Today in the provider's zone.
    pub fn today(&self) -> NaiveDate {
        let tz = self.settings.tz().unwrap_or(chrono_tz::America::Sao_Paulo);
        self.clock.now().with_timezone(&tz).date_naive()
    }

    /// Adds a staff member; when no Telegram id is given, creates the one-time
    /// code that links their account, valid for `staff.invite_valid_hours`.
    pub async fn add_staff(&self, new: &NewStaff) -> anyhow::Result<AddedStaff> {
        let (code, invite) = if new.telegram_id.is_none() {
            let code = invite_code()?;
            let expires = Utc::now() + chrono::Duration::hours(i64::from(self.settings.staff.invite_valid_hours));
            (Some(code.clone()), Some((balcao_storage::invite_hash(&code), expires)))
        } else {
            (None, None)
        };
        let expires = invite.as_ref().map(|(_, e)| *e);
        let staff = self.db.add_staff(new, invite).await?;
        Ok(AddedStaff { staff, invite_code: code, invite_expires_at: expires })
    }

    /// Checks that what intake's setup names exists: the default role and
    /// ticket type, and each rule's role, user and ticket type, and each
    /// mailbox's reseller; the error names the key or the rule.
    pub async fn check_intake(&self, setup: &balcao_domain::intake::IntakeSetup) -> anyhow::Result<()> {
        use balcao_domain::intake::RouteTo;
        let roles = self.db.roles().await?;
        let types = self.db.ticket_types().await?;
        let resellers = self.db.resellers().await?;
        if !roles.iter().any(|r| r.name == setup.role) {
            anyhow::bail!("intake.default_role: não há cargo \"{}\" (veja balcao roles list)", setup.role);
        }
        let triage = &self.settings.intake.triage_role;
        if !roles.iter().any(|r| &r.name == triage) {
            anyhow::bail!("intake.triage_role: não há cargo \"{triage}\" (veja balcao roles list)");
        }
        if !types.iter().any(|t| t.name == setup.ticket_type) {
            anyhow::bail!("intake.ticket_type: não há tipo de atendimento \"{}\"", setup.ticket_type);
        }
        for rule in &setup.rules {
            let key = format!("intake.rules \"{}\"", rule.name);
            match &rule.assignee {
                RouteTo::Role(name) if !roles.iter().any(|r| &r.name == name) => {
                    anyhow::bail!("{key}: não há cargo \"{name}\" (veja balcao roles list)")
                }
                RouteTo::User(name) => match self.db.active_staff_named(name).await? {
                    1 => {}
                    0 => anyhow::bail!("{key}: não há usuário ativo chamado \"{name}\" (veja balcao staff list)"),
                    n => {
                        anyhow::bail!("{key}: {n} usuários ativos se chamam \"{name}\"; use um cargo ou um nome único")
                    }
                },
                RouteTo::Role(_) => {}
            }
            if let Some(t) = &rule.ticket_type
                && !types.iter().any(|x| &x.name == t)
            {
                anyhow::bail!("{key}: não há tipo de atendimento \"{t}\"");
            }
        }
        for (address, reseller) in &setup.mailboxes {
            if !resellers.iter().any(|r| &r.name == reseller) {
                anyhow::bail!("intake.mailboxes: \"{address}\" aponta para a revenda \"{reseller}\", que não existe");
            }
        }
        Ok(())
    }

    /// The bot's desk over this App's store.
    pub fn desk(&self) -> balcao_bot::Desk {
        let tz = self.settings.tz().unwrap_or(chrono_tz::America::Sao_Paulo);
        let clock = self.clock.clone();
        let desk = balcao_bot::Desk::new(
            self.db.clone(),
            self.settings.fee_policy(),
            Arc::new(move || clock.now().with_timezone(&tz).date_naive()),
        )
        .with_local_time(Arc::new(move |at| at.with_timezone(&tz).naive_local()));
        // Intake is on: its contacts without a client are triaged in the bot.
        match self.settings.intake.setup() {
            Ok(setup) if !self.settings.webhooks.secrets().is_empty() => desk.with_triage(balcao_bot::Triage {
                role: self.settings.intake.triage_role.clone(),
                setup,
                read: Arc::new(balcao_webhooks::intake::read_contact),
            }),
            _ => desk,
        }
    }

    /// Runs the service until `shutdown` resolves: the HTTP service on a bound
    /// listener, and the Telegram bot (long polling) when `telegram.token` is set.
    pub async fn serve_on(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let telegram = &self.settings.telegram;
        let smtp = &self.settings.smtp;
        let mut webhook = None;
        let mut workers = Vec::new();
        let metrics = Arc::new(balcao_webhooks::Metrics::default());
        let mut bot_failures: Option<Arc<dyn Fn() -> u64 + Send + Sync>> = None;
        let dispatcher_task = if telegram.token.is_empty() && smtp.url.is_empty() {
            None
        } else {
            let (worker, running) = balcao_webhooks::Worker::start("dispatcher");
            workers.push(worker);
            // Once per process, before any claim: what this instance held when
            // it stopped (a crash, a kill) goes out now, not when its lease ends.
            match balcao_domain::ports::Outbox::release_own_claims(self.db.as_ref()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    notifications = n,
                    "took back the notifications this instance held before it stopped"
                ),
                Err(e) => tracing::error!(cause = ?e, "could not take back this instance's earlier claims"),
            }
            let (settings, db) = (self.settings.clone(), self.db.clone());
            let build = move || dispatcher(&settings, db.clone());
            let first = build()?;
            let mut stop = stop_rx.clone();
            Some(tokio::spawn(async move {
                let _running = running;
                let mut next = Some(first);
                // A panic in one notification must not end every later one:
                // the dispatcher starts again. The rows it held wait for their
                // lease, so the others go first.
                while let Some(dispatcher) = next.take() {
                    let run =
                        tokio::spawn(dispatcher.run(std::time::Duration::from_millis(250), stopped(stop.clone())));
                    let Err(e) = run.await else { break };
                    if !e.is_panic() || *stop.borrow() {
                        break;
                    }
                    tracing::error!("the notification dispatcher stopped on a panic; it starts again in 5 s");
                    tokio::select! {
                        _ = stop.wait_for(|s| *s) => break,
                        () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                    }
                    next = match build() {
                        Ok(d) => Some(d),
                        Err(e) => {
                            tracing::error!(cause = %e, "the notification dispatcher could not start again");
                            None
                        }
                    };
                }
            }))
        };
        let bot_task = if telegram.token.is_empty() {
            tracing::info!("telegram.token is empty: the bot is not started");
            None
        } else {
            let bot = balcao_bot::telegram::bot(&telegram.token, &telegram.api_url).map_err(anyhow::Error::msg)?;
            let desk = self.desk();
            let counted = desk.clone();
            bot_failures = Some(Arc::new(move || counted.failures()));
            let (worker, running) = balcao_webhooks::Worker::start("bot");
            workers.push(worker);
            let task = if telegram.mode == "webhook" {
                let wake = Arc::new(tokio::sync::Notify::new());
                let inbox: Arc<dyn balcao_domain::ports::UpdateInbox> = self.db.clone();
                webhook = Some(balcao_webhooks::TelegramWebhook {
                    secrets: vec![telegram.webhook_secret.clone()],
                    inbox: inbox.clone(),
                    wake: wake.clone(),
                    refusals: Arc::default(),
                });
                // The same name as the outbox's claims, set when the store was opened.
                let owner = self.db.owner().map_or_else(|| instance_name(&self.settings.http.addr), str::to_owned);
                let run = balcao_bot::telegram::run_webhook(
                    bot,
                    desk,
                    inbox,
                    wake,
                    telegram.webhook_url.clone(),
                    telegram.webhook_secret.clone(),
                    owner,
                    stopped(stop_rx.clone()),
                );
                tokio::spawn(async move {
                    let _running = running;
                    run.await
                })
            } else {
                let run = balcao_bot::telegram::run_polling(bot, desk, stopped(stop_rx.clone()));
                tokio::spawn(async move {
                    let _running = running;
                    run.await
                })
            };
            Some(task)
        };
        let db = self.db.clone();
        let health: balcao_webhooks::HealthCheck = Arc::new(move || {
            let db = db.clone();
            Box::pin(async move { db.ping().await.map_err(|e| format!("{e:?}")) })
        });
        tracing::info!(addr = %listener.local_addr()?, "HTTP service listening");
        let secrets = self.settings.webhooks.secrets();
        let (intake, intake_task) = if secrets.is_empty() {
            tracing::info!("webhooks.secret is empty: intake's routes are off");
            (None, None)
        } else {
            let setup = self.settings.intake.setup()?;
            self.check_intake(&setup).await?;
            let wake = Arc::new(tokio::sync::Notify::new());
            let inbox: Arc<dyn balcao_domain::ports::Intake> = self.db.clone();
            let (worker, running) = balcao_webhooks::Worker::start("intake");
            workers.push(worker);
            let (settings, clock) = (self.settings.clone(), self.clock.clone());
            let today: Arc<dyn Fn() -> NaiveDate + Send + Sync> = Arc::new(move || {
                clock.now().with_timezone(&settings.tz().unwrap_or(chrono_tz::America::Sao_Paulo)).date_naive()
            });
            let run = balcao_webhooks::intake::run_processor(
                inbox.clone(),
                setup,
                today,
                wake.clone(),
                std::time::Duration::from_secs(5),
                metrics.clone(),
                stopped(stop_rx.clone()),
            );
            let task = tokio::spawn(async move {
                let _running = running;
                run.await;
            });
            let doors = balcao_webhooks::IntakeDoors {
                wake,
                form: self.settings.webhooks.form_rules(),
                mailgun_keys: self.settings.webhooks.mailgun_keys(),
                metrics: metrics.clone(),
                ..balcao_webhooks::IntakeDoors::new(secrets, inbox)
            };
            (Some(doors), Some(task))
        };
        metrics.watch(workers.clone(), bot_failures);
        let service = balcao_webhooks::Service {
            health,
            telegram: webhook,
            intake,
            outbox: self.db.clone(),
            workers,
            metrics: metrics.clone(),
        };
        balcao_webhooks::serve(
            listener,
            balcao_webhooks::router(service),
            self.settings.http.limits(self.settings.webhooks.max_body_bytes),
            metrics,
            stopped(stop_rx),
        )
        .await;
        if let Some(task) = intake_task {
            let _ = task.await;
        }
        for task in [bot_task, dispatcher_task].into_iter().flatten() {
            let _ = task.await;
        }
        self.db.close().await;
        Ok(())
    }
}

/// The notification dispatcher the settings ask for: Telegram with a token,
/// e-mail with an SMTP relay, quiet hours.
fn dispatcher(settings: &Settings, db: Arc<Db>) -> anyhow::Result<balcao_notify::Dispatcher> {
    let tz = settings.tz()?;
    let quiet = settings.quiet_hours()?;
    let mut dispatcher = balcao_notify::Dispatcher::new(db)
        .with_quiet_hours(Arc::new(move |now| quiet.is_some_and(|q| q.contains(now.with_timezone(&tz).time()))));
    let (telegram, smtp) = (&settings.telegram, &settings.smtp);
    if !telegram.token.is_empty() {
        let bot = balcao_bot::telegram::bot(&telegram.token, &telegram.api_url).map_err(anyhow::Error::msg)?;
        dispatcher = dispatcher.with_telegram(bot, balcao_notify::Limits::default());
    }
    if !smtp.url.is_empty() {
        let intake = &settings.intake;
        let mailer = balcao_notify::mail::Mailer::new(&smtp.url, &smtp.from, smtp.pool_size)
            .map_err(|e| anyhow::anyhow!("smtp.url: {e}"))?
            .with_acknowledgement(&intake.ack_subject, &intake.ack_text);
        dispatcher = dispatcher.with_mailer(mailer);
    }
    Ok(dispatcher)
}

/// This instance's name in the claims it holds: the machine's name and the
/// address it serves on, the same after a restart, so that it takes back at
/// once what it held when it stopped. Without a machine name, a name of its
/// own each start: it then never takes back another instance's claims.
pub fn instance_name(addr: &str) -> String {
    let host = hostname::get().ok().and_then(|h| h.into_string().ok()).filter(|h| !h.trim().is_empty());
    match host {
        Some(host) => format!("{}:{addr}", host.trim()),
        None => format!("anon-{}:{addr}", invite_code().unwrap_or_else(|_| std::process::id().to_string())),
    }
}

/// A one-time code people can read aloud and retype: eight characters from
/// an alphabet without look-alikes (no 0/O, 1/I), shown as "ABCD-EFGH".
pub fn invite_code() -> anyhow::Result<String> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("gerador aleatório do sistema indisponível: {e}"))?;
    let chars: String = bytes.iter().map(|b| char::from(ALPHABET[usize::from(b & 31)])).collect();
    Ok(format!("{}-{}", &chars[..4], &chars[4..]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn invite_codes_are_readable_and_differ() {
        let a = super::invite_code().unwrap();
        let b = super::invite_code().unwrap();
        assert_eq!(a.len(), 9);
        assert_eq!(&a[4..5], "-");
        assert!(a.chars().all(|c| c == '-' || (c.is_ascii_alphanumeric() && !"01OI".contains(c))));
        assert_ne!(a, b);
        assert_eq!(balcao_storage::invite_hash(&a), balcao_storage::invite_hash(&a.to_lowercase().replace('-', " ")));
    }
}
