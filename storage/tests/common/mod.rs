//! The harness of the storage contract suite: a fresh, migrated database per
//! test (a SQLite file always; a PostgreSQL database when
//! `BALCAO_TEST_POSTGRES_URL` names a server), the macro that runs each test
//! body on both, and small builders for the records the tests need.
//!
//! It holds no assertions about the store beyond "setup worked"; those live in
//! `contract.rs`.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use balcao_domain::client::{Address, ClientKind, ClientStatus, NewClient};
use balcao_domain::document::Document;
use balcao_domain::finance::NewReceivable;
use balcao_domain::ports::Directory;
use balcao_domain::staff::{Actor, NewStaff, Reseller, Staff};
use balcao_domain::subscription::{BillingMethod, DueDay, NewSubscription};
use balcao_domain::ticket::{Assignee, NewTicket};
use balcao_domain::{ClientId, DomainError, DomainResult, Money, ResellerId, RoleId, StaffId};
use balcao_storage::Db;
use chrono::NaiveDate;

/// The environment variable that names a PostgreSQL server to test against.
pub const POSTGRES_ENV: &str = "BALCAO_TEST_POSTGRES_URL";

/// Connections each test database gets: enough for a port method that reads
/// through the pool while it holds a transaction.
const POOL_SIZE: u32 = 4;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A name no other test of any run on this machine uses: pid, counter, clock.
fn unique() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}_{n}_{nanos}", std::process::id())
}

/// Migrates and seeds a fresh database, as the application does at start-up.
async fn prepare(db: &Db) {
    db.migrate().await.expect("migrations apply to a fresh database");
    db.ensure_defaults().await.expect("defaults are created in a fresh database");
}

/// Runs `body` on `db` after preparing it, and gives back the body's panic, if
/// any, only after the caller had the chance to clean up.
async fn run_body<F, Fut>(db: &Db, body: F) -> Result<(), Box<dyn std::any::Any + Send>>
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let test = body(db.clone());
    let prepared = db.clone();
    let task = tokio::spawn(async move {
        prepare(&prepared).await;
        test.await;
    });
    task.await.map_err(|e| match e.try_into_panic() {
        Ok(panic) => panic,
        Err(e) => Box::new(format!("test task did not finish: {e}")),
    })
}

/// Runs a test body on a new SQLite file, removed afterwards.
pub async fn run_on_sqlite<F, Fut>(body: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let path = std::env::temp_dir().join(format!("balcao-test-{}.db", unique().replace('_', "-")));
    let db = Db::connect(&format!("sqlite:{}", path.display()), POOL_SIZE).await.expect("a SQLite file opens");
    let outcome = run_body(&db, body).await;
    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// `url` with its database name replaced by `name`, query string kept.
fn database_url(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority..].find('/') {
        Some(i) => &base[..authority + i],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// Runs a test body on a new PostgreSQL database, dropped afterwards; does
/// nothing (and says so) when no server is configured.
pub async fn run_on_postgres<F, Fut>(body: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let url = match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            println!("skipped: set {POSTGRES_ENV} to run the contract on PostgreSQL");
            return;
        }
    };
    let admin =
        Db::connect(&url, 1).await.unwrap_or_else(|e| panic!("{POSTGRES_ENV} must name a reachable server: {e}"));
    let name = format!("balcao_test_{}", unique());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin.pool())
        .await
        .expect("the test database is created");
    let outcome = match Db::connect(&database_url(&url, &name), POOL_SIZE).await {
        Ok(db) => {
            let outcome = run_body(&db, body).await;
            db.close().await;
            outcome
        }
        Err(e) => Err(Box::new(format!("the test database does not open: {e}")) as _),
    };
    let dropped = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(admin.pool())
        .await;
    admin.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    dropped.expect("the test database is dropped");
}

/// Declares each listed `async fn name(db: &Db)` as two tests,
/// `sqlite::name` and `postgres::name`.
macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        /// The contract on SQLite, always.
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::common::run_on_sqlite(|db| async move { super::$name(&db).await }).await;
                }
            )+
        }

        /// The contract on PostgreSQL, when `BALCAO_TEST_POSTGRES_URL` is set.
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::common::run_on_postgres(|db| async move { super::$name(&db).await }).await;
                }
            )+
        }
    };
}
pub(crate) use contract_tests;

/// A calendar date; panics on an impossible one.
pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

/// A document known to carry valid check digits.
pub fn document(digits: &str) -> Document {
    Document::parse(digits).expect("a valid CPF/CNPJ")
}

/// A person of `reseller` called `name`, with nothing else filled in and no
/// code (so the store assigns one).
pub fn person(reseller: ResellerId, name: &str) -> NewClient {
    NewClient {
        code: String::new(),
        reseller_id: reseller,
        kind: ClientKind::Person,
        name: name.to_owned(),
        trade_name: String::new(),
        document: None,
        rg_ie: String::new(),
        birth_date: None,
        address: Address::default(),
        phones: Vec::new(),
        emails: Vec::new(),
        notes: String::new(),
        status: ClientStatus::Active,
        unverified: Vec::new(),
    }
}

/// [`person`] with an import code.
pub fn coded(reseller: ResellerId, code: &str, name: &str) -> NewClient {
    NewClient { code: code.to_owned(), ..person(reseller, name) }
}

/// An address in São José dos Campos.
pub fn address() -> Address {
    Address {
        street: "Rua das Flores".into(),
        number: "12".into(),
        complement: "apto 3".into(),
        district: "Centro".into(),
        city: "São José dos Campos".into(),
        state: "SP".into(),
        postal_code: "12345-678".into(),
    }
}

/// A reseller's desk: the reseller, one of its staff, and the actor they are.
#[derive(Debug, Clone)]
pub struct Desk {
    /// The reseller.
    pub reseller: Reseller,
    /// A staff member of it (Suporte N1).
    pub staff: Staff,
    /// The staff member as actor, scoped to the reseller.
    pub actor: Actor,
}

/// Creates reseller `name` and a Suporte N1 staff member working for it.
pub async fn desk(db: &Db, name: &str) -> Desk {
    let reseller = db.ensure_reseller(name).await.expect("reseller created");
    let staff = db
        .add_staff(
            &NewStaff {
                name: format!("Atendente {name}"),
                reseller: Some(name.to_owned()),
                roles: vec!["Suporte N1".into()],
                email: None,
                telegram_id: None,
            },
            None,
        )
        .await
        .expect("staff added");
    let actor = Actor::of(&staff);
    Desk { reseller, staff, actor }
}

/// The id of the role called `name`.
pub async fn role_id(db: &Db, name: &str) -> RoleId {
    db.roles()
        .await
        .expect("roles listed")
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("role {name} exists"))
        .id
}

/// A ticket for `client` assigned to Suporte N1, by e-mail, of the first type.
pub async fn ticket_for(db: &Db, client: ClientId) -> NewTicket {
    let channel = db.channels().await.expect("channels listed")[0].id;
    let ticket_type = db.ticket_types().await.expect("ticket types listed")[0].id;
    NewTicket {
        client_id: client,
        subscription_id: None,
        routing_point_id: None,
        contact_name: "Maria".into(),
        problem: "Sem conexão desde ontem".into(),
        channel_id: channel,
        ticket_type_id: ticket_type,
        assignee: Assignee::Role(role_id(db, "Suporte N1").await),
        checks: String::new(),
        resolution: None,
        work_order: None,
    }
}

/// A subscription of client `code` to `plan`, at the catalog's price, boleto, due on the 10th.
pub fn subscription(code: &str, plan: &str) -> NewSubscription {
    NewSubscription {
        client_code: code.to_owned(),
        plan_name: plan.to_owned(),
        price: None,
        billing_method: BillingMethod::Boleto,
        due_day: DueDay::parse("10").expect("a due day"),
        salesperson: None,
        routing_point: None,
    }
}

/// A receivable of client `code`, unpaid unless `settlement` says otherwise.
pub fn receivable(
    code: &str,
    due: NaiveDate,
    description: &str,
    cents: i64,
    settlement: Option<(NaiveDate, i64)>,
) -> NewReceivable {
    NewReceivable {
        client_code: code.to_owned(),
        due_date: due,
        description: description.to_owned(),
        amount: Money(cents),
        settlement: settlement.map(|(on, paid)| (on, Money(paid))),
    }
}

/// Rows numbered as lines of a file with a header: 2, 3, ...
pub fn lines<T: Clone>(rows: &[T]) -> Vec<(usize, T)> {
    rows.iter().cloned().enumerate().map(|(i, r)| (i + 2, r)).collect()
}

/// Deactivates a staff member, as an administrator would.
/// Adds an active staff member of `reseller` (provider-wide when `None`)
/// holding `roles`, linked to Telegram user `telegram` when given.
pub async fn hire(db: &Db, name: &str, reseller: Option<&str>, roles: &[&str], telegram: Option<i64>) -> Staff {
    db.add_staff(
        &NewStaff {
            name: name.to_owned(),
            reseller: reseller.map(str::to_owned),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            email: None,
            telegram_id: telegram,
        },
        None,
    )
    .await
    .expect("staff added")
}

pub async fn deactivate(db: &Db, staff: StaffId) {
    sqlx::query("UPDATE staff SET active = 0 WHERE id = $1")
        .bind(staff.0)
        .execute(db.pool())
        .await
        .expect("staff deactivated");
}

/// Asserts the result is [`DomainError::NotFound`].
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(result: DomainResult<T>) {
    match result {
        Err(DomainError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// The message of a [`DomainError::Invalid`]; panics on anything else.
#[track_caller]
pub fn invalid_message<T: std::fmt::Debug>(result: DomainResult<T>) -> String {
    match result {
        Err(DomainError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}
