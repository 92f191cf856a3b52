//! Sustained intake: signed e-mails posted to `/webhooks/email/raw` of the
//! real App on loopback (HMAC check, header parse, durable insert, 202), while
//! its processor turns them into tickets and replies in the same database, on
//! SQLite and, when `BALCAO_BENCH_POSTGRES_URL` is set, on PostgreSQL (in a
//! database it creates and drops). For each store:
//! - ours, flat out: `CONNECTIONS` keep-alive clients post back to back;
//!   acknowledged deliveries per second, p50/p99 of each post, and when the
//!   last one had been processed;
//! - ours at 300/s: posts sent on a fixed schedule, latency measured from the
//!   time each was due (so a stall counts for every post it delays);
//! - ceiling: the same rows inserted by the same number of tasks straight
//!   into the same table of the same store, one durable INSERT each, no HTTP,
//!   no signature, no parsing, no processing.
//!
//! `cargo bench --bench intake` (env `BALCAO_BENCH_INTAKE_N` changes the 10,000
//! deliveries of the flat-out pass).

use std::sync::Arc;
use std::time::{Duration, Instant};

use balcao::App;
use balcao::settings::Settings;
use balcao_domain::client::{Address, ClientKind, ClientStatus, NewClient};
use balcao_domain::intake::{hex, hmac_sha256};
use balcao_domain::ports::{Directory, Imports};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const SECRET: &str = "segredo-do-benchmark-0123456789";
const CONNECTIONS: usize = 16;
const CLIENTS: usize = 1_000;
const PACED_RATE: u64 = 300;
const PACED_SECONDS: u64 = 10;

/// A client's e-mail as a relay passes it on: about 1.6 KB, Latin-1 quoted-printable.
fn email(run: &str, i: usize) -> Vec<u8> {
    let client = i % CLIENTS;
    format!(
        "Return-Path: <cliente{client:04}@exemplo.test>\r\n\
Received: from mx.exemplo.test (mx.exemplo.test [203.0.113.7]) by mail.provedor.test with ESMTPS id {i}\r\n\
From: =?ISO-8859-1?Q?Cliente_N=BA_{client}?= <cliente{client:04}@exemplo.test>\r\n\
To: suporte@provedor.test\r\n\
Subject: =?ISO-8859-1?Q?Sem_conex=E3o_desde_ontem_{i}?=\r\n\
Date: Sat, 5 Dec 2026 09:12:00 -0300\r\n\
Message-ID: <{run}.{i}@exemplo.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=ISO-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\n\
Boa tarde,\r\n\r\n\
A internet n=E3o funciona desde ontem =E0 noite. J=E1 reiniciei o roteador duas vezes e a luz\r\n\
PON continua piscando em vermelho. Preciso trabalhar de casa amanh=E3 cedo; podem mandar\r\n\
um t=E9cnico ou me dizer o que fazer? O contrato est=E1 no nome da minha m=E3e.\r\n\r\n\
Obrigado.\r\n\r\n\
-- \r\n\
Enviado do meu celular\r\n\r\n\
Em sex., 4 de dez. de 2026 =E0s 18:40, Provedor <suporte@provedor.test> escreveu:\r\n\
> Ol=E1! Recebemos seu contato. Protocolo 2026120400{i:05}.\r\n\
> Atenciosamente, equipe de suporte.\r\n"
    )
    .into_bytes()
}

fn signed(raw: &[u8]) -> String {
    format!("sha256={}", hex(&hmac_sha256(SECRET.as_bytes(), raw)))
}

/// One keep-alive HTTP/1.1 connection that posts e-mails.
struct Poster {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Poster {
    async fn connect(addr: &str) -> anyhow::Result<Poster> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Poster { stream: BufReader::new(stream), host: addr.to_owned() })
    }

    /// Posts one signed e-mail; its status.
    async fn post(&mut self, raw: &[u8], signature: &str) -> anyhow::Result<u16> {
        let head = format!(
            "POST /webhooks/email/raw HTTP/1.1\r\nHost: {}\r\nContent-Type: message/rfc822\r\n\
             X-Balcao-Signature: {signature}\r\nContent-Length: {}\r\n\r\n",
            self.host,
            raw.len()
        );
        let s = self.stream.get_mut();
        s.write_all(head.as_bytes()).await?;
        s.write_all(raw).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse()?;
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(status)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// Flat out: `n` e-mails over `CONNECTIONS` connections; (per second, latencies).
async fn flat_out(addr: &str, run: &str, n: usize) -> anyhow::Result<(f64, Vec<Duration>)> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (next, addr, run) = (next.clone(), addr.to_owned(), run.to_owned());
        tasks.spawn(async move {
            let mut poster = Poster::connect(&addr).await?;
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return anyhow::Ok(latencies);
                }
                let raw = email(&run, i);
                let signature = signed(&raw);
                let sent = Instant::now();
                let status = poster.post(&raw, &signature).await?;
                latencies.push(sent.elapsed());
                anyhow::ensure!(status == 202, "delivery {i} answered {status}");
            }
        });
    }
    let mut all = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    all.sort();
    Ok((rate, all))
}

/// At a fixed rate: each post is due at its slot; latency counts from the slot.
async fn paced(addr: &str, run: &str) -> anyhow::Result<Vec<Duration>> {
    let n = (PACED_RATE * PACED_SECONDS) as usize;
    let interval = Duration::from_secs(1) / PACED_RATE as u32;
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (next, addr, run) = (next.clone(), addr.to_owned(), run.to_owned());
        tasks.spawn(async move {
            let mut poster = Poster::connect(&addr).await?;
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return anyhow::Ok(latencies);
                }
                let due = start + interval * i as u32;
                tokio::time::sleep_until(due).await;
                let raw = email(&run, i);
                let status = poster.post(&raw, &signed(&raw)).await?;
                latencies.push(due.elapsed());
                anyhow::ensure!(status == 202, "delivery {i} answered {status}");
            }
        });
    }
    let mut all = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    all.sort();
    Ok(all)
}

/// The same rows inserted straight into the table by `CONNECTIONS` tasks,
/// one durable INSERT (its own commit) each; per second.
async fn ceiling(url: &str, run: &str, n: usize) -> anyhow::Result<f64> {
    let db = balcao_storage::Db::connect(url, CONNECTIONS as u32).await?;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (next, pool, run) = (next.clone(), db.pool().clone(), run.to_owned());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return anyhow::Ok(());
                }
                let raw = email(&run, i);
                sqlx::query(
                    "INSERT INTO intake_deliveries (dedup_key, channel, received_at, raw, sender, subject, status, \
                     reason) VALUES ($1, 'email', $2, $3, $4, $5, 'ignored', 'teto')",
                )
                .bind(format!("message-id:{run}.{i}@exemplo.test"))
                .bind(chrono::Utc::now().to_rfc3339())
                .bind(raw)
                .bind(format!("cliente{:04}@exemplo.test", i % CLIENTS))
                .bind(format!("Sem conexão desde ontem {i}"))
                .execute(&pool)
                .await?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    db.close().await;
    Ok(rate)
}

/// Waits until no delivery waits; when that happened, from `since`.
async fn processed(db: &balcao_storage::Db, since: Instant) -> anyhow::Result<Duration> {
    loop {
        let (waiting,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM intake_deliveries WHERE status = 'pending'")
            .fetch_one(db.pool())
            .await?;
        if waiting == 0 {
            return Ok(since.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn run(store: &str, url: &str, n: usize, rows: &mut String) -> anyhow::Result<()> {
    let env = [
        ("BALCAO_DATABASE__URL", url.to_owned()),
        ("BALCAO_HTTP__ADDR", "127.0.0.1:0".to_owned()),
        ("BALCAO_WEBHOOKS__SECRET", SECRET.to_owned()),
        ("BALCAO_LOG", "error".to_owned()),
    ];
    let app = App::open(Settings::load_from(None, env.into_iter().map(|(k, v)| (k.to_owned(), v)))?).await?;
    let reseller = app.db.ensure_reseller("Litoral Net").await?.id;
    let clients: Vec<(usize, NewClient)> = (0..CLIENTS)
        .map(|i| {
            let client = NewClient {
                code: format!("{}", 10_000 + i),
                reseller_id: reseller,
                kind: ClientKind::Person,
                name: format!("Cliente Nº {i}"),
                trade_name: String::new(),
                document: None,
                rg_ie: String::new(),
                birth_date: None,
                address: Address { city: "Santos".into(), state: "SP".into(), ..Address::default() },
                phones: Vec::new(),
                emails: vec![format!("cliente{i:04}@exemplo.test")],
                notes: String::new(),
                status: ClientStatus::Active,
                unverified: Vec::new(),
            };
            (i + 2, client)
        })
        .collect();
    app.db.import_clients(&clients).await?;
    let watch = balcao_storage::Db::connect(url, 1).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.serve_on(listener, async {
        let _ = stopped.await;
    }));

    flat_out(&addr, "aquecimento", 300).await?;
    processed(&watch, Instant::now()).await?;
    let started = Instant::now();
    let (rate, latencies) = flat_out(&addr, "ours", n).await?;
    let all_processed = processed(&watch, started).await?;
    let tickets: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM intake_deliveries WHERE status = 'ticket'")
        .fetch_one(watch.pool())
        .await?;
    let paced = paced(&addr, "paced").await?;
    processed(&watch, Instant::now()).await?;
    let _ = stop.send(());
    served.await??;
    watch.close().await;
    let ceiling = ceiling(url, "ceiling", n).await?;

    rows.push_str(&format!(
        "| {store} | ours, {CONNECTIONS} connections flat out | {n} | {rate:.0} | {:.2} | {:.2} | {:.1} s ({:.0}/s; {} tickets) | {:.0}% |\n",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        all_processed.as_secs_f64(),
        n as f64 / all_processed.as_secs_f64(),
        tickets.0,
        rate / ceiling * 100.0,
    ));
    rows.push_str(&format!(
        "| {store} | ours at {PACED_RATE}/s for {PACED_SECONDS} s | {} | {PACED_RATE} | {:.2} | {:.2} | | |\n",
        paced.len(),
        percentile(&paced, 0.50),
        percentile(&paced, 0.99),
    ));
    rows.push_str(&format!(
        "| {store} | ceiling: plain INSERT, {CONNECTIONS} tasks | {n} | {ceiling:.0} | | | | 100% |\n"
    ));
    Ok(())
}

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
    let n: usize = std::env::var("BALCAO_BENCH_INTAKE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let mut rows = String::new();
    let file = SqliteFile(format!("/var/tmp/balcao-bench-intake-{}.db", std::process::id()));
    run("SQLite", &format!("sqlite:{}", file.0), n, &mut rows).await?;
    drop(file);
    if let Ok(url) = std::env::var("BALCAO_BENCH_POSTGRES_URL") {
        let admin = balcao_storage::Db::connect(&url, 1).await?;
        let name = format!("balcao_bench_intake_{}", std::process::id());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin.pool()).await?;
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        let outcome = run("PostgreSQL", &format!("{base}/{name}"), n, &mut rows).await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(admin.pool()).await?;
        outcome?;
    }
    println!("| store | pass | deliveries | per s | p50 ms | p99 ms | all processed after | vs ceiling |");
    println!("|---|---|---|---|---|---|---|---|");
    print!("{rows}");
    Ok(())
}
