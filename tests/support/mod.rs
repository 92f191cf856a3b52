//! What the end-to-end tests share: a fake Telegram Bot API, an SMTP sink and fresh databases.

pub mod db;
pub mod fake_telegram;
pub mod http;
pub mod smtp_sink;

/// Runs each named `async fn(Store)` as two tests, `sqlite::NAME` and
/// `postgres::NAME`; the PostgreSQL one passes with a note when
/// `BALCAO_TEST_POSTGRES_URL` is not set.
#[allow(unused_macros, reason = "not every test binary runs on both stores")]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Store::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if std::env::var("BALCAO_TEST_POSTGRES_URL").is_err() {
                    eprintln!("BALCAO_TEST_POSTGRES_URL not set: skipping the PostgreSQL run");
                    return;
                }
                super::$name(super::Store::Postgres).await
            })*
        }
    };
}
#[allow(unused_imports, reason = "not every test binary runs on both stores")]
pub(crate) use on_both_stores;
