//! Draining the outbox to Telegram: 10,000 ticket notifications (100 tickets
//! assigned to a role of 100 linked members) written to a fresh SQLite
//! database, then delivered by the real dispatcher through the fake Bot API,
//! which enforces Telegram's limits (30 messages a second overall, one a
//! second per chat) by answering 429 like Telegram. Prints the time to drain
//! beside the least time those limits allow, and how many 429s were met.
//!
//! `cargo bench --bench notify` (env `BALCAO_BENCH_NOTIFY_MEMBERS` changes the
//! 100 members; the notifications are members × 100 tickets). It takes about
//! six minutes: the limits, not the machine, set the pace.

#[path = "common/role_tickets.rs"]
mod role_tickets;

#[path = "../tests/support/fake_telegram.rs"]
mod fake_telegram;

use std::time::{Duration, Instant};

use balcao::App;
use balcao::settings::Settings;
use fake_telegram::FakeTelegram;

const TICKETS: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let members: usize = std::env::var("BALCAO_BENCH_NOTIFY_MEMBERS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let path = format!("/var/tmp/balcao-bench-notify-{}.db", std::process::id());
    // The token makes the store write Telegram notifications, as `serve` with a bot would.
    let tg = FakeTelegram::start().await;
    let env = [
        ("BALCAO_DATABASE__URL", format!("sqlite:{path}")),
        ("BALCAO_TELEGRAM__TOKEN", tg.token().to_owned()),
        ("BALCAO_TELEGRAM__API_URL", tg.api_url()),
    ];
    let app = App::open(Settings::load_from(None, env.into_iter().map(|(k, v)| (k.to_owned(), v)))?).await?;
    role_tickets::hire(&app, members, |i| (None, Some(100_000 + i as i64))).await?;
    let written = Instant::now();
    role_tickets::open_for_role(&app, TICKETS).await?;
    let total = members * TICKETS;
    eprintln!("  wrote {total} notifications with {TICKETS} tickets in {:.1}s", written.elapsed().as_secs_f64());
    let (written_rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox").fetch_one(app.db.pool()).await?;
    assert_eq!(written_rows as usize, total, "every member got a notification row");

    tg.enforce_limits(30, Duration::from_secs(1));
    let bot = balcao_bot::telegram::bot(tg.token(), &tg.api_url()).map_err(anyhow::Error::msg)?;
    let dispatcher =
        balcao_notify::Dispatcher::new(app.db.clone()).with_telegram(bot, balcao_notify::Limits::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let task = tokio::spawn(dispatcher.run(Duration::from_millis(100), async {
        let _ = stopped.await;
    }));
    let sent = |tg: &FakeTelegram| tg.calls_of("sendMessage").iter().filter(|c| !c.failed).count();
    let deadline = Instant::now() + Duration::from_secs(1_800);
    let mut delivered;
    loop {
        // The call count is taken before counting, so a reply that lands in
        // between still wakes the wait below.
        let since = tg.call_count();
        delivered = sent(&tg);
        if delivered >= total || Instant::now() >= deadline {
            break;
        }
        tg.wait_for(since, Duration::from_secs(120), |c| c.is("sendMessage")).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let refused = tg.calls_of("sendMessage").iter().filter(|c| c.failed).count();
    let _ = stop.send(());
    let _ = task.await;
    tg.stop().await;
    app.db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    // Telegram's limits alone: 30 a second overall; each member gets one a second.
    let floor = (total as f64 / 30.0).max(TICKETS as f64);
    println!(
        "| store | notifications | recipients | drained in s | least the limits allow s | ratio | messages/s | 429 met |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| SQLite | {delivered} | {members} | {elapsed:.1} | {floor:.1} | {:.3} | {:.1} | {refused} |",
        elapsed / floor,
        delivered as f64 / elapsed
    );
    Ok(())
}
