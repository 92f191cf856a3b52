//! A fresh database per test: a SQLite file in the temp folder, or, when
//! `BALCAO_TEST_POSTGRES_URL` is set, a PostgreSQL database created for the
//! test and dropped after it.

#![allow(dead_code, reason = "each test binary uses a different part of the support module")]

use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// SQLite, always.
    Sqlite,
    /// PostgreSQL, when the environment gives a server.
    Postgres,
}

/// A database made for one test.
pub struct TestDb {
    /// Its URL, for `database.url`.
    pub url: String,
    admin_url: Option<String>,
    name: String,
}

impl TestDb {
    /// A fresh database on `store`; `None` for PostgreSQL without a server URL.
    pub async fn new(store: Store) -> Option<TestDb> {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("balcao_test_e2e_{}_{n}_{nanos}", std::process::id());
        match store {
            Store::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                Some(TestDb { url: format!("sqlite:{}", path.display()), admin_url: None, name })
            }
            Store::Postgres => {
                let admin = std::env::var("BALCAO_TEST_POSTGRES_URL").ok()?;
                let db = balcao_storage::Db::connect(&admin, 1).await.expect("PostgreSQL answers");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(db.pool())
                    .await
                    .expect("create test database");
                db.close().await;
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
                Some(TestDb { url: format!("{base}/{name}"), admin_url: Some(admin), name })
            }
        }
    }

    /// Drops the database (or removes the file).
    pub async fn drop_it(self) {
        match &self.admin_url {
            Some(admin) => {
                if let Ok(db) = balcao_storage::Db::connect(admin, 1).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    )))
                    .execute(db.pool())
                    .await;
                    db.close().await;
                }
            }
            None => {
                let path = self.url.trim_start_matches("sqlite:").to_owned();
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
        }
    }
}
