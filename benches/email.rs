//! E-mails per second through an SMTP server on 127.0.0.1
//! (`tests/support/smtp_sink.rs`, which speaks the protocol and keeps every
//! message), for SMTP pools of 1, 4 and 8 connections:
//! - ceiling: lettre's pooled client alone, sending the same rendered
//!   message as fast as the pool allows, with no database;
//! - ours: the real dispatcher draining 2,000 e-mail notifications (20
//!   tickets to a role of 100 members with addresses) from a fresh SQLite
//!   outbox: claim, read the recipient and the ticket, render, send, record.
//!
//! `cargo bench --bench email` (env `BALCAO_BENCH_EMAIL_MEMBERS` changes the
//! 100 members; the e-mails are members × 20 tickets).

#[path = "common/role_tickets.rs"]
mod role_tickets;

#[path = "../tests/support/smtp_sink.rs"]
mod smtp_sink;

use std::sync::Arc;
use std::time::{Duration, Instant};

use balcao::App;
use balcao::settings::Settings;
use balcao_domain::ports::Outbox;
use balcao_notify::mail::{Email, Mailer};
use smtp_sink::SmtpSink;

const TICKETS: usize = 20;
const FROM: &str = "balcão <balcao@provedor.test>";

/// A fresh SQLite store holding `members × TICKETS` pending e-mail notifications.
async fn outbox_with_emails(path: &str, sink: &SmtpSink, members: usize) -> anyhow::Result<App> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let env = [("BALCAO_DATABASE__URL", format!("sqlite:{path}")), ("BALCAO_SMTP__URL", sink.url())];
    let app = App::open(Settings::load_from(None, env.into_iter().map(|(k, v)| (k.to_owned(), v)))?).await?;
    role_tickets::hire(&app, members, |i| (Some(format!("atendente{i:03}@provedor.test")), None)).await?;
    role_tickets::open_for_role(&app, TICKETS).await?;
    Ok(app)
}

/// lettre's pool alone: `total` messages, `pool` at a time.
async fn ceiling(sink: &SmtpSink, pool: u32, total: usize) -> anyhow::Result<f64> {
    let mailer = Arc::new(Mailer::new(&sink.url(), FROM, pool).map_err(anyhow::Error::msg)?);
    let slots = Arc::new(tokio::sync::Semaphore::new(pool as usize));
    let before = sink.received().len();
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for i in 0..total {
        let slot = slots.clone().acquire_owned().await?;
        let mailer = mailer.clone();
        running.spawn(async move {
            let email = Email {
                to_name: format!("Atendente {i:03}"),
                to_address: format!("atendente{:03}@provedor.test", i % 100),
                subject: format!("Novo atendimento 20261129{i:05} – Sem conexão – Maria da Conceição Souza"),
                text: "Novo atendimento para o cargo Suporte N1.\n\nProblema:\nSem conexão.\n".repeat(3),
                html: "<p>Novo atendimento para o cargo Suporte N1.</p>".repeat(3),
                message_key: format!("balcao.c{i}.t1"),
                thread_key: "balcao.t1".into(),
                automatic: Some("auto-generated"),
            };
            let sent = mailer.send(&email).await;
            drop(slot);
            sent
        });
    }
    while let Some(sent) = running.join_next().await {
        sent?.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(sink.received().len() - before, total);
    Ok(total as f64 / elapsed)
}

/// The dispatcher draining the outbox: returns e-mails per second and how many went.
async fn ours(sink: &SmtpSink, pool: u32, members: usize) -> anyhow::Result<(f64, usize)> {
    let path = format!("/var/tmp/balcao-bench-email-{}.db", std::process::id());
    let app = outbox_with_emails(&path, sink, members).await?;
    let mailer = Mailer::new(&sink.url(), FROM, pool).map_err(anyhow::Error::msg)?;
    let mut dispatcher = balcao_notify::Dispatcher::new(app.db.clone()).with_mailer(mailer);
    let before = sink.received().len();
    let started = Instant::now();
    while dispatcher.drain_once().await? > 0 {}
    let elapsed = started.elapsed().as_secs_f64();
    let delivered = sink.received().len() - before;
    let stats = app.db.outbox_stats().await?;
    let not_sent: i64 = stats.iter().filter(|s| s.status.as_str() != "sent").map(|s| s.count).sum();
    assert_eq!(not_sent, 0, "every e-mail went: {stats:?}");
    app.db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    Ok((delivered as f64 / elapsed, delivered))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let members: usize = std::env::var("BALCAO_BENCH_EMAIL_MEMBERS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let total = members * TICKETS;
    let sink = SmtpSink::start().await;
    println!(
        "| SMTP pool | e-mails | ceiling: lettre pool alone, e-mails/s | ours: outbox drained, e-mails/s | ours / ceiling |"
    );
    println!("|---|---|---|---|---|");
    for pool in [1, 4, 8] {
        // A warm-up so that both start with the pool's connections to open.
        ceiling(&sink, pool, 50).await?;
        let top = ceiling(&sink, pool, total).await?;
        let (rate, delivered) = ours(&sink, pool, members).await?;
        assert_eq!(delivered, total);
        println!("| {pool} | {total} | {top:.0} | {rate:.0} | {:.2} |", rate / top);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}
