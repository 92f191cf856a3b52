//! Staff bot latency and throughput, on the demo provider (500 clients) in a
//! fresh database: SQLite always, PostgreSQL too when
//! `BALCAO_BENCH_POSTGRES_URL` is set (in a database it creates and drops).
//!
//! 1. The desk alone: `Desk::handle` called directly, so Telegram's network is
//!    left out, for a realistic mix of 5,000 updates from a reseller's and a
//!    provider-wide staff member (typed name searches, the next page of
//!    results, the client card's tabs, a debit's detail, /menu, /meus), with
//!    every id taken from the screens the desk answered; after a warm-up pass.
//!    Prints p50/p99/max/mean per kind of update.
//! 2. The whole App (`App::serve_on`, teloxide polling) against the fake
//!    Telegram Bot API of the end-to-end tests, in this process: 20 linked
//!    staff members send 2,000 updates (half typed searches, half taps on
//!    their own screens), first each waiting for the reply before the next
//!    (and one of them alone before that), then all queued at once. Prints
//!    updates/s and the latency from the fake receiving an update to the fake
//!    recording its reply.
//!
//! `cargo bench --bench bot` (it is not a test: `--list` prints nothing).

#[path = "../tests/support/fake_telegram.rs"]
mod fake_telegram;

use balcao_domain::callback::{Callback, PeriodCode};
use balcao_domain::{ClientId, ReceivableId};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use balcao::App;
use balcao::demo::Rng;
use balcao::settings::Settings;
use balcao_bot::{Desk, Event, Input, Reply, text};
use balcao_domain::staff::NewStaff;
use fake_telegram::{Call, FakeTelegram};

/// Demo clients.
const CLIENTS: usize = 500;
/// Updates measured on the desk alone.
const UPDATES: usize = 5_000;
/// Updates run on the desk before measuring.
const WARM_UP: usize = 1_000;
/// Staff members talking to the App through the fake Telegram.
const PEOPLE: usize = 20;
/// Updates each of them sends, per mode.
const PER_PERSON: usize = 100;
/// Longest wait for any reply; a bench that stalls fails instead of hanging.
const WAIT: Duration = Duration::from_secs(300);
/// What staff type: common first names and surnames of the demo, and a typo.
const TERMS: [&str; 20] = [
    "maria",
    "silva",
    "joao",
    "santos",
    "oliveira",
    "ana",
    "souza",
    "pereira",
    "jose",
    "lima",
    "ferreira",
    "costa",
    "carlos",
    "rodrigues",
    "fernanda",
    "gomes",
    "xyzqwv",
    "alves",
    "martins",
    "ribeiro",
];
/// The kinds of update of the mix, in the order of the table.
const KINDS: [&str; 10] =
    ["busca digitada", "sp:1", "cc:ID", "cp:ID", "cf:ID:o", "cr:ID", "cf:ID:a", "ct:ID", "/menu", "/meus"];

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx].as_secs_f64() * 1000.0
}

/// "count | p50 | p99 | max | mean" of some durations.
fn stats(times: &[Duration]) -> String {
    let mut sorted = times.to_vec();
    sorted.sort();
    let mean = sorted.iter().sum::<Duration>().as_secs_f64() * 1000.0 / sorted.len().max(1) as f64;
    format!(
        "{} | {:.2} | {:.2} | {:.2} | {mean:.2}",
        sorted.len(),
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.99),
        percentile(&sorted, 1.0)
    )
}

/// The callback data of every button in the replies.
fn buttons(replies: &[Reply]) -> Vec<String> {
    replies
        .iter()
        .flat_map(|r| match r {
            Reply::Send { keyboard, .. } | Reply::Edit { keyboard, .. } => keyboard.as_slice(),
            _ => &[],
        })
        .flatten()
        .map(|b| b.data.clone())
        .collect()
}

/// What the buttons carry, as `pick` reads each one (the clients whose cards
/// they open, the debits they show).
fn picked<T>(data: &[String], pick: fn(Callback) -> Option<T>) -> Vec<T> {
    data.iter().filter_map(|d| Callback::parse(d).and_then(pick)).collect()
}

fn clients_in(data: &[String]) -> Vec<ClientId> {
    picked(data, |c| if let Callback::Registration(id) = c { Some(id) } else { None })
}

fn debits_in(data: &[String]) -> Vec<ReceivableId> {
    picked(data, |c| if let Callback::Receivable(id, ..) = c { Some(id) } else { None })
}

/// One staff member's private chat, driven straight through the desk the way
/// the Telegram adapter drives it: a sent screen gets the next message id and
/// is recorded with `Desk::screen_sent` (timed apart), taps go to the screen.
struct Chat<'a> {
    desk: &'a Desk,
    user: i64,
    scope: &'static str,
    screen: i32,
    taps: u64,
    /// Updates left to run.
    left: usize,
    /// (scope, kind, time) of each update.
    times: Vec<(&'static str, &'static str, Duration)>,
    screen_sent: Vec<Duration>,
    refused: usize,
}

impl Chat<'_> {
    /// Runs one update; `None` once the budget is spent.
    async fn step(&mut self, kind: &'static str, event: Event) -> anyhow::Result<Option<Vec<Reply>>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let tap = matches!(event, Event::Tap { .. });
        let t0 = Instant::now();
        let replies = self.desk.handle(Input { user_id: self.user, chat_id: self.user, event }).await;
        self.times.push((self.scope, kind, t0.elapsed()));
        let mut edited = false;
        for reply in &replies {
            match reply {
                Reply::Send { text: t, .. } => {
                    anyhow::ensure!(t != text::FAILURE, "the desk failed on {kind}");
                    self.screen += 1;
                    let t0 = Instant::now();
                    self.desk.screen_sent(self.user, self.screen).await?;
                    self.screen_sent.push(t0.elapsed());
                }
                Reply::Answer { notice: Some(n), .. } => {
                    anyhow::ensure!(n != text::FAILURE, "the desk failed on {kind}");
                }
                Reply::Edit { .. } => edited = true,
                _ => {}
            }
        }
        if tap && !edited {
            self.refused += 1;
        }
        Ok(Some(replies))
    }

    async fn say(&mut self, kind: &'static str, typed: &str) -> anyhow::Result<Option<Vec<Reply>>> {
        self.step(kind, Event::Text(typed.to_owned())).await
    }

    async fn tap(&mut self, kind: &'static str, data: String) -> anyhow::Result<Option<Vec<Reply>>> {
        self.taps += 1;
        let event = Event::Tap { callback_id: format!("cb-{}", self.taps), message_id: self.screen, data };
        self.step(kind, event).await
    }

    /// A person looking a client up: types a name, maybe turns the page,
    /// opens one of the results and reads its tabs, then now and then the
    /// menu or their tickets.
    async fn session(&mut self, rng: &mut Rng) -> anyhow::Result<()> {
        let term = *rng.pick(&TERMS[..]);
        let Some(mut replies) = self.say("busca digitada", term).await? else { return Ok(()) };
        let page_two = Callback::SearchPage(1).encode();
        if buttons(&replies).contains(&page_two) && rng.chance(50) {
            let Some(r) = self.tap("sp:1", page_two).await? else { return Ok(()) };
            replies = r;
        }
        let data = buttons(&replies);
        let clients = clients_in(&data);
        if clients.is_empty() {
            return Ok(());
        }
        let id = *rng.pick(&clients);
        if self.tap("cc:ID", Callback::Registration(id).encode()).await?.is_none()
            || self.tap("cp:ID", Callback::Plans(id).encode()).await?.is_none()
        {
            return Ok(());
        }
        let open = Callback::Finance(id, PeriodCode::Open, None).encode();
        let Some(finance) = self.tap("cf:ID:o", open).await? else { return Ok(()) };
        let data = buttons(&finance);
        let debits = debits_in(&data);
        if !debits.is_empty()
            && self
                .tap("cr:ID", Callback::Receivable(*rng.pick(&debits), PeriodCode::Open, 0).encode())
                .await?
                .is_none()
        {
            return Ok(());
        }
        if self.tap("cf:ID:a", Callback::Finance(id, PeriodCode::All, None).encode()).await?.is_none()
            || self.tap("ct:ID", Callback::ClientTickets(id, 0).encode()).await?.is_none()
        {
            return Ok(());
        }
        if rng.chance(30) && self.say("/menu", "/menu").await?.is_none() {
            return Ok(());
        }
        if rng.chance(25) {
            self.say("/meus", "/meus").await?;
        }
        Ok(())
    }
}

/// Part 1: the desk alone. Appends its rows to `out`.
async fn desk_alone(store: &str, desk: &Desk, reseller: i64, provider: i64, out: &mut String) -> anyhow::Result<()> {
    let mut chats = [("revenda", reseller), ("provedor", provider)].map(|(scope, user)| Chat {
        desk,
        user,
        scope,
        screen: 0,
        taps: 0,
        left: WARM_UP / 2,
        times: Vec::new(),
        screen_sent: Vec::new(),
        refused: 0,
    });
    let mut rng = Rng::new(7);
    for chat in &mut chats {
        while chat.left > 0 {
            chat.session(&mut rng).await?;
        }
        chat.times.clear();
        chat.screen_sent.clear();
        chat.refused = 0;
        chat.left = UPDATES / 2;
    }
    // The two people take turns, a session each.
    let mut rng = Rng::new(2026);
    while chats.iter().any(|c| c.left > 0) {
        for chat in &mut chats {
            chat.session(&mut rng).await?;
        }
    }
    let times: Vec<_> = chats.iter().flat_map(|c| c.times.iter().copied()).collect();
    let refused: usize = chats.iter().map(|c| c.refused).sum();
    if refused > 0 {
        eprintln!("  {store}: {refused} taps were refused by the desk");
    }
    let of = |keep: &dyn Fn(&str, &str) -> bool| -> Vec<Duration> {
        times.iter().filter(|(s, k, _)| keep(s, k)).map(|(_, _, d)| *d).collect()
    };
    for kind in KINDS {
        let _ = writeln!(out, "| {store} | {kind} | {} |", stats(&of(&|_, k| k == kind)));
    }
    for scope in ["revenda", "provedor"] {
        let _ = writeln!(out, "| {store} | todas, {scope} | {} |", stats(&of(&|s, _| s == scope)));
    }
    let _ = writeln!(out, "| {store} | **todas** | {} |", stats(&of(&|_, _| true)));
    let sent: Vec<Duration> = chats.iter().flat_map(|c| c.screen_sent.iter().copied()).collect();
    let _ = writeln!(out, "| {store} | (screen_sent após cada envio) | {} |", stats(&sent));
    Ok(())
}

/// A staff member of part 2 and what they do.
struct Person {
    user: i64,
    /// The message showing their screen.
    screen: i64,
    /// Typed texts (`false`) and taps (`true`), alternating.
    script: Vec<(bool, String)>,
}

fn is_reply_to(call: &Call, user: i64, tap: bool) -> bool {
    call.is(if tap { "editMessageText" } else { "sendMessage" }) && call.chat_id() == Some(user)
}

/// Sends `user`'s update and waits for its reply: the sent message for a
/// text, the edited screen for a tap.
async fn exchange(tg: &FakeTelegram, user: i64, screen: i64, tap: bool, what: &str) -> (Instant, Call) {
    let since = tg.call_count();
    let pushed = Instant::now();
    if tap {
        tg.tap(user, screen, what);
    } else {
        tg.send_text(user, "Atendente", what);
    }
    let reply = tg.wait_for(since, WAIT, |c| is_reply_to(c, user, tap)).await;
    assert!(!reply.failed && reply.text() != Some(text::FAILURE), "{reply:?}");
    (pushed, reply)
}

/// One person's first search, to have a screen and ids to tap; returns the
/// person with their script of `PER_PERSON` updates.
async fn get_ready(tg: &FakeTelegram, user: i64, n: usize) -> Person {
    // Common surnames: every reseller has clients with them.
    let first = ["silva", "santos", "oliveira", "souza"][n % 4];
    let (_, sent) = exchange(tg, user, 0, false, first).await;
    let screen = sent.result_message_id().expect("a sent message has an id");
    let data: Vec<String> = sent.buttons().into_iter().map(|(_, d)| d).collect();
    let clients = clients_in(&data);
    assert!(!clients.is_empty(), "no results for {first}: {sent:?}");
    let open = Callback::Finance(clients[0], PeriodCode::Open, None).encode();
    let (_, finance) = exchange(tg, user, screen, true, &open).await;
    let data: Vec<String> = finance.buttons().into_iter().map(|(_, d)| d).collect();
    let debit = debits_in(&data)
        .first()
        .map(|d| Callback::Receivable(*d, PeriodCode::Open, 0).encode())
        .expect("an open debit");
    let script = (0..PER_PERSON)
        .map(|i| {
            let round = i / 2;
            if i % 2 == 0 {
                return (false, TERMS[(n + round) % TERMS.len()].to_owned());
            }
            let c = clients[round % clients.len()];
            let tap = match round % 6 {
                0 => Callback::Registration(c).encode(),
                1 => Callback::Plans(c).encode(),
                2 => Callback::Finance(c, PeriodCode::Open, None).encode(),
                3 => debit.clone(),
                4 => Callback::Finance(c, PeriodCode::All, None).encode(),
                _ => Callback::ClientTickets(c, 0).encode(),
            };
            (true, tap)
        })
        .collect();
    Person { user, screen, script }
}

/// A row of the second table: updates/s from `started` to the last reply, and latencies.
fn latency_row(store: &str, mode: &str, people: usize, started: Instant, mut lat: Vec<(Duration, Instant)>) -> String {
    let end = lat.iter().map(|(_, at)| *at).max().unwrap_or(started);
    let secs = end.duration_since(started).as_secs_f64();
    let count = lat.len();
    lat.sort();
    let sorted: Vec<Duration> = lat.into_iter().map(|(d, _)| d).collect();
    format!(
        "| {store} | {mode} | {people} | {count} | {secs:.2} | {:.0} | {:.2} | {:.2} | {:.2} |\n",
        count as f64 / secs,
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.99),
        percentile(&sorted, 1.0)
    )
}

/// Runs everyone's script at once, each person waiting for the reply to an
/// update before sending the next; returns them (on their last screen) and
/// each update's (latency, reply time).
async fn one_by_one(
    tg: &Arc<FakeTelegram>,
    people: Vec<Person>,
) -> anyhow::Result<(Vec<Person>, Vec<(Duration, Instant)>)> {
    let mut running = tokio::task::JoinSet::new();
    for mut p in people {
        let tg = Arc::clone(tg);
        running.spawn(async move {
            let mut lat = Vec::with_capacity(PER_PERSON);
            for (tap, what) in p.script.clone() {
                let (pushed, reply) = exchange(&tg, p.user, p.screen, tap, &what).await;
                if !tap {
                    p.screen = reply.result_message_id().expect("a sent message has an id");
                }
                lat.push((reply.at.duration_since(pushed), reply.at));
            }
            (p, lat)
        });
    }
    let mut people = Vec::new();
    let mut lat = Vec::new();
    while let Some(done) = running.join_next().await {
        let (p, l) = done?;
        people.push(p);
        lat.extend(l);
    }
    Ok((people, lat))
}

/// Part 2: the App through the fake Telegram. Appends its rows to `out`.
async fn through_telegram(
    store: &str,
    app: App,
    tg: FakeTelegram,
    users: &[i64],
    out: &mut String,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.serve_on(listener, async {
        let _ = stopped.await;
    }));
    let tg = Arc::new(tg);
    let mut people = Vec::new();
    for (n, user) in users.iter().enumerate() {
        people.push(get_ready(&tg, *user, n).await);
    }
    // The fake numbers callback queries cq-1, cq-2... in the order of the taps.
    let mut taps = people.len() as u64;
    let first = tg.calls_of("answerCallbackQuery").into_iter().next().expect("the first tap was answered");
    assert_eq!(first.params["callback_query_id"], "cq-1", "the fake numbers callback queries differently");

    // One person alone, then all of them; each waits for the reply before
    // the next update, as people do.
    let alone = people.remove(0);
    let started = Instant::now();
    let (alone, lat) = one_by_one(&tg, vec![alone]).await?;
    out.push_str(&latency_row(store, "espera cada resposta", 1, started, lat));
    people.extend(alone);
    let started = Instant::now();
    let (people, lat) = one_by_one(&tg, people).await?;
    out.push_str(&latency_row(store, "espera cada resposta", PEOPLE, started, lat));
    taps += (PEOPLE as u64 + 1) * (PER_PERSON as u64 / 2);

    // Every update queued at once, taps on each person's screen.
    let since = tg.call_count();
    let started = Instant::now();
    let mut pushed: HashMap<i64, Vec<Instant>> = HashMap::new();
    let mut last_tap: HashMap<i64, u64> = HashMap::new();
    for i in 0..PER_PERSON {
        for p in &people {
            let (tap, what) = &p.script[i];
            pushed.entry(p.user).or_default().push(Instant::now());
            if *tap {
                tg.tap(p.user, p.screen, what);
                taps += 1;
                last_tap.insert(p.user, taps);
            } else {
                tg.send_text(p.user, "Atendente", what);
            }
        }
    }
    tg.wait_drained(WAIT).await;
    for p in &people {
        // Each chat is handled in order: its last tap's edit is its last reply.
        let id = format!("cq-{}", last_tap[&p.user]);
        let answer =
            tg.wait_for(since, WAIT, |c| c.is("answerCallbackQuery") && c.params["callback_query_id"] == id).await;
        tg.wait_for(since, WAIT, |c| is_reply_to(c, p.user, true) && c.at > answer.at).await;
    }
    let calls = tg.calls();
    let calls = &calls[since..];
    let refused = calls.iter().filter(|c| c.is("answerCallbackQuery") && c.params.get("text").is_some()).count();
    anyhow::ensure!(refused == 0, "{refused} taps were refused in the burst");
    let mut lat = Vec::new();
    for p in &people {
        let replies: Vec<&Call> = calls
            .iter()
            .filter(|c| c.chat_id() == Some(p.user) && (c.is("sendMessage") || c.is("editMessageText")))
            .collect();
        anyhow::ensure!(replies.len() == PER_PERSON, "{} replies to {} updates", replies.len(), PER_PERSON);
        for ((reply, (tap, _)), at) in replies.iter().zip(&p.script).zip(&pushed[&p.user]) {
            anyhow::ensure!(!reply.failed && is_reply_to(reply, p.user, *tap), "out of order: {reply:?}");
            lat.push((reply.at.duration_since(*at), reply.at));
        }
    }
    out.push_str(&latency_row(store, "tudo na fila de uma vez", PEOPLE, started, lat));

    let _ = stop.send(());
    served.await??;
    if let Some(tg) = Arc::into_inner(tg) {
        tg.stop().await;
    }
    Ok(())
}

fn settings(url: &str, tg: &FakeTelegram) -> anyhow::Result<Settings> {
    let env = [
        ("BALCAO_DATABASE__URL", url.to_owned()),
        ("BALCAO_TELEGRAM__TOKEN", tg.token().to_owned()),
        ("BALCAO_TELEGRAM__API_URL", tg.api_url()),
        ("BALCAO_HTTP__ADDR", "127.0.0.1:0".to_owned()),
    ];
    Settings::load_from(None, env.into_iter().map(|(k, v)| (k.to_owned(), v)))
}

async fn add_staff(
    app: &App,
    name: String,
    reseller: Option<&str>,
    role: &str,
    telegram_id: i64,
) -> anyhow::Result<()> {
    let new = NewStaff {
        name,
        reseller: reseller.map(str::to_owned),
        roles: vec![role.into()],
        email: None,
        telegram_id: Some(telegram_id),
    };
    app.add_staff(&new).await?;
    Ok(())
}

/// Both parts on the database at `url`.
async fn run(store: &str, url: &str, desk_rows: &mut String, app_rows: &mut String) -> anyhow::Result<()> {
    let tg = FakeTelegram::start().await;
    let app = App::open(settings(url, &tg)?).await?;
    balcao::seed::demo(&app, CLIENTS).await?;
    add_staff(&app, "Bruno Revenda".into(), Some("Litoral Net"), "Suporte N1", 9001).await?;
    add_staff(&app, "Ana Provedor".into(), None, "Supervisor", 9002).await?;
    // Half of them in a reseller, half provider-wide, in every role that reads clients.
    let mut users = Vec::new();
    for n in 0..PEOPLE {
        let user = 7001 + n as i64;
        let reseller = (n % 2 == 0).then_some(balcao::seed::RESELLERS[n / 2 % 3]);
        let role = ["Suporte N1", "Suporte N2", "Financeiro", "Supervisor"][n % 4];
        add_staff(&app, format!("Atendente {n:02}"), reseller, role, user).await?;
        users.push(user);
    }
    if store == "PostgreSQL" {
        sqlx::raw_sql("ANALYZE").execute(app.db.pool()).await?;
    }
    desk_alone(store, &app.desk(), 9001, 9002, desk_rows).await?;
    through_telegram(store, app, tg, &users, app_rows).await
}

/// The SQLite database file, removed when dropped, even when a wait panics.
struct SqliteFile(String);

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0));
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let mut desk_rows = String::new();
    let mut app_rows = String::new();
    let file = SqliteFile(format!("/var/tmp/balcao-bench-bot-{}.db", std::process::id()));
    run("SQLite", &format!("sqlite:{}", file.0), &mut desk_rows, &mut app_rows).await?;
    drop(file);
    if let Ok(url) = std::env::var("BALCAO_BENCH_POSTGRES_URL") {
        let admin = balcao_storage::Db::connect(&url, 1).await?;
        let name = format!("balcao_bench_bot_{}", std::process::id());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin.pool()).await?;
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        let outcome = run("PostgreSQL", &format!("{base}/{name}"), &mut desk_rows, &mut app_rows).await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(admin.pool()).await?;
        outcome?;
    }
    println!("| store | update | count | p50 ms | p99 ms | max ms | mean ms |");
    println!("|---|---|---|---|---|---|---|");
    print!("{desk_rows}");
    println!();
    println!("| store | mode | staff | updates | seconds | updates/s | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|---|---|---|");
    print!("{app_rows}");
    Ok(())
}
