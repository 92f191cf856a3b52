//! A small migrator over embedded SQL: the same versions and names for both
//! dialects, each applied once in its own transaction, recorded in
//! `balcao_migrations`. PostgreSQL instances migrating at once queue on an
//! advisory lock.

use sqlx::AnyPool;

use crate::{Dialect, now_text};

/// A schema version: its number, name, and SQL for each dialect.
#[derive(Debug)]
pub struct Migration {
    /// Version number, ascending.
    pub version: i64,
    /// Short name.
    pub name: &'static str,
    /// SQLite text.
    pub sqlite: &'static str,
    /// PostgreSQL text.
    pub postgres: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "core",
        sqlite: include_str!("../../migrations/sqlite/0001_core.sql"),
        postgres: include_str!("../../migrations/postgres/0001_core.sql"),
    },
    Migration {
        version: 2,
        name: "chats",
        sqlite: include_str!("../../migrations/sqlite/0002_chats.sql"),
        postgres: include_str!("../../migrations/postgres/0002_chats.sql"),
    },
    Migration {
        version: 3,
        name: "telegram_inbox",
        sqlite: include_str!("../../migrations/sqlite/0003_telegram_inbox.sql"),
        postgres: include_str!("../../migrations/postgres/0003_telegram_inbox.sql"),
    },
    Migration {
        version: 4,
        name: "outbox",
        sqlite: include_str!("../../migrations/sqlite/0004_outbox.sql"),
        postgres: include_str!("../../migrations/postgres/0004_outbox.sql"),
    },
    Migration {
        version: 5,
        name: "role_groups",
        sqlite: include_str!("../../migrations/sqlite/0005_role_groups.sql"),
        postgres: include_str!("../../migrations/postgres/0005_role_groups.sql"),
    },
    Migration {
        version: 6,
        name: "update_order",
        sqlite: include_str!("../../migrations/sqlite/0006_update_order.sql"),
        postgres: include_str!("../../migrations/postgres/0006_update_order.sql"),
    },
    Migration {
        version: 7,
        name: "hardening",
        sqlite: include_str!("../../migrations/sqlite/0007_hardening.sql"),
        postgres: include_str!("../../migrations/postgres/0007_hardening.sql"),
    },
    Migration {
        version: 8,
        name: "unverified",
        sqlite: include_str!("../../migrations/sqlite/0008_unverified.sql"),
        postgres: include_str!("../../migrations/postgres/0008_unverified.sql"),
    },
    Migration {
        version: 9,
        name: "client_mail",
        sqlite: include_str!("../../migrations/sqlite/0009_client_mail.sql"),
        postgres: include_str!("../../migrations/postgres/0009_client_mail.sql"),
    },
    Migration {
        version: 10,
        name: "intake",
        sqlite: include_str!("../../migrations/sqlite/0010_intake.sql"),
        postgres: include_str!("../../migrations/postgres/0010_intake.sql"),
    },
    Migration {
        version: 11,
        name: "client_emails",
        sqlite: include_str!("../../migrations/sqlite/0011_client_emails.sql"),
        postgres: include_str!("../../migrations/postgres/0011_client_emails.sql"),
    },
    Migration {
        version: 12,
        name: "intake_routing",
        sqlite: include_str!("../../migrations/sqlite/0012_intake_routing.sql"),
        postgres: include_str!("../../migrations/postgres/0012_intake_routing.sql"),
    },
    Migration {
        version: 13,
        name: "triage",
        sqlite: include_str!("../../migrations/sqlite/0013_triage.sql"),
        postgres: include_str!("../../migrations/postgres/0013_triage.sql"),
    },
    Migration {
        version: 14,
        name: "client_codes",
        sqlite: include_str!("../../migrations/sqlite/0014_client_codes.sql"),
        postgres: include_str!("../../migrations/postgres/0014_client_codes.sql"),
    },
    Migration {
        version: 15,
        name: "settlement_author",
        sqlite: include_str!("../../migrations/sqlite/0015_settlement_author.sql"),
        postgres: include_str!("../../migrations/postgres/0015_settlement_author.sql"),
    },
];

/// Applies what is missing; returns the versions applied now.
pub(crate) async fn run(pool: &AnyPool, dialect: Dialect) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS balcao_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .execute(pool)
    .await?;
    let mut applied_now = Vec::new();
    for m in MIGRATIONS {
        let mut tx = match dialect {
            Dialect::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => pool.begin().await?,
        };
        if dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7205001)").execute(&mut *tx).await?;
        }
        let done: Option<(i64,)> = sqlx::query_as("SELECT version FROM balcao_migrations WHERE version = $1")
            .bind(m.version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            tx.commit().await?;
            continue;
        }
        let sql = match dialect {
            Dialect::Sqlite => m.sqlite,
            Dialect::Postgres => m.postgres,
        };
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO balcao_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        applied_now.push(m.version);
    }
    Ok(applied_now)
}
