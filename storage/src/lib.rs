//! balcão's ports over sqlx, for SQLite (the embedded default) and PostgreSQL,
//! chosen by the database URL's scheme.
//!
//! One implementation serves both through sqlx's `Any` driver: columns keep to
//! the types it reads on both (integers, text), so dates are `YYYY-MM-DD`
//! text, instants RFC 3339 UTC text, flags 0/1 and money integer centavos.
//! SQL is shared where the dialects agree and split where they don't: the
//! trigram search (FTS5 on SQLite, pg_trgm on PostgreSQL) and the migrations.

mod chats;
mod clients;
mod directory;
mod finance;
mod followup;
mod imports;
mod intake;
mod migrate;
mod outbox;
mod rows;
mod sql;
mod tickets;

use std::str::FromStr;
use std::time::Duration;

use balcao_domain::DomainError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use migrate::MIGRATIONS;

/// Which SQL dialect a database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// The dialect of a database URL, from its scheme.
    pub fn of_url(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }
}

/// What [`Db::count`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Clients.
    Clients,
    /// Staff users.
    Staff,
    /// Tickets.
    Tickets,
}

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL's scheme is neither SQLite nor PostgreSQL.
    #[error("database.url deve começar com sqlite: ou postgres:// (recebido \"{0}\")")]
    Scheme(String),
    /// The driver failed to connect or to migrate.
    #[error("{0}")]
    Driver(#[from] sqlx::Error),
}

/// The store: a pool and its dialect. Implements every port of the domain.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    dialect: Dialect,
    channels: Channels,
    /// The instance named in the outbox claims this store makes.
    owner: Option<String>,
}

/// The channels notifications are written for: a change writes an outbox
/// row only for a channel that is configured, so that nothing waits forever
/// for a channel nobody set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    /// Telegram messages from the bot (`telegram.token` set).
    pub telegram: bool,
    /// E-mails (`smtp.url` set), to staff with an address.
    pub email: bool,
}

impl Default for Channels {
    fn default() -> Self {
        Channels { telegram: true, email: false }
    }
}

/// SQLite settings applied to every connection: WAL so readers never wait on
/// the writer, a busy timeout instead of "database is locked", and a cap on
/// the WAL file, which otherwise grows without bound under bursts.
const SQLITE_PRAGMAS: [&str; 5] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_size_limit = 67108864",
    "PRAGMA foreign_keys = ON",
];

impl Db {
    /// Opens the database at `url` (`sqlite:balcao.db`, `postgres://...`),
    /// creating a SQLite file when missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, OpenError> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::of_url(url).ok_or_else(|| OpenError::Scheme(url.to_owned()))?;
        let url = match dialect {
            Dialect::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        for pragma in SQLITE_PRAGMAS {
                            conn.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Db { pool, dialect, channels: Channels::default(), owner: None })
    }

    /// Writes notifications for these channels from now on (Telegram only by default).
    pub fn with_channels(mut self, channels: Channels) -> Self {
        self.channels = channels;
        self
    }

    /// Names this instance in the outbox claims it makes, so that it can
    /// take them back at once when it starts again.
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// The instance named in this store's claims, if any.
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    /// Applies the migrations not yet applied.
    pub async fn migrate(&self) -> Result<Vec<i64>, OpenError> {
        Ok(migrate::run(&self.pool, self.dialect).await?)
    }

    /// The dialect spoken.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The pool, for tests and benchmarks that need raw SQL.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), DomainError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }

    /// How many rows of a kind are stored, across every reseller.
    pub async fn count(&self, what: Counted) -> Result<i64, DomainError> {
        let sql = match what {
            Counted::Clients => "SELECT COUNT(*) FROM clients",
            Counted::Staff => "SELECT COUNT(*) FROM staff",
            Counted::Tickets => "SELECT COUNT(*) FROM tickets",
        };
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&self.pool).await.map_err(backend)?;
        Ok(n)
    }

    /// Closes the pool, waiting for connections to return.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of
    /// one failing when it upgrades from reading.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, DomainError> {
        match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend),
            Dialect::Postgres => self.pool.begin().await.map_err(backend),
        }
    }
}

/// Maps a driver error to the domain's, keeping the cause for the log.
pub(crate) fn backend(e: sqlx::Error) -> DomainError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return DomainError::Conflict("registro duplicado".into());
    }
    DomainError::Backend(e.to_string())
}

pub use balcao_domain::staff::invite_hash;

/// The current instant as stored: RFC 3339 UTC with milliseconds.
pub(crate) fn now_text() -> String {
    instant_text(chrono::Utc::now())
}

/// An instant as stored.
pub(crate) fn instant_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Reads a stored instant.
pub(crate) fn parse_instant(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default()
}

/// A date as stored.
pub(crate) fn date_text(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Reads a stored date.
pub(crate) fn parse_stored_date(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// The `AND c.reseller_id = $n` that keeps a query inside the actor's scope,
/// or nothing for provider-wide staff.
pub(crate) fn scope_clause(scope: balcao_domain::staff::Scope, param: usize) -> String {
    match scope.reseller() {
        Some(_) => format!(" AND c.reseller_id = ${param}"),
        None => String::new(),
    }
}
