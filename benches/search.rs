//! Search latency at scale: generates N clients (1,000,000 by default) in
//! three resellers, on SQLite and, when `BALCAO_BENCH_POSTGRES_URL` is set, on
//! PostgreSQL, then times searches for each filter with terms of every kind
//! (common, rare, absent), provider-wide and inside one reseller, and prints
//! p50/p99 per filter as a Markdown table for BENCHMARKS.md.
//!
//! `cargo bench --bench search` (env `BALCAO_BENCH_CLIENTS` changes N; the
//! generated databases are kept in /var/tmp and reused when they already hold N).

use std::time::{Duration, Instant};

use balcao::demo::{self, Rng};
use balcao::seed::new_client;
use balcao_domain::StaffId;
use balcao_domain::client::ClientStatus;
use balcao_domain::ports::{Clients, Directory, Imports};
use balcao_domain::search::{SearchFilter, SearchTerm};
use balcao_domain::staff::{Actor, Scope};
use balcao_storage::{Counted, Db};

const ROUNDS: usize = 300;

fn terms(filter: SearchFilter, phones: &[String]) -> Vec<String> {
    let fixed: &[&str] = match filter {
        SearchFilter::Name => &[
            "maria",
            "joao",
            "silva",
            "conceicao",
            "joao guilherme",
            "fernanda lima",
            "assuncao",
            "xyzqwv",
            "ana paula",
        ],
        SearchFilter::TradeName => &["pao quente", "mercado", "estrela", "auto pecas", "bom preco", "xyzqwv"],
        SearchFilter::City => &["sao jose", "curitiba", "conceicao do mato", "rio", "joinville", "xyzqwv"],
        SearchFilter::Phone => &[],
    };
    if filter == SearchFilter::Phone {
        // Whole numbers, the number without DDD, the last eight digits, and a fragment.
        phones
            .iter()
            .enumerate()
            .map(|(i, p)| match i % 4 {
                0 => p.clone(),
                1 => p[2..].to_string(),
                2 => p[p.len() - 8..].to_string(),
                _ => p[3..9].to_string(),
            })
            .collect()
    } else {
        fixed.iter().map(|s| s.to_string()).collect()
    }
}

async fn fill(db: &Db, n: usize) -> anyhow::Result<Vec<String>> {
    let resellers = [
        db.ensure_reseller("Matriz").await?.id,
        db.ensure_reseller("Litoral Net").await?.id,
        db.ensure_reseller("Serra Fibra").await?.id,
    ];
    let mut rng = Rng::new(42);
    let mut phones = Vec::new();
    let have = db.count(Counted::Clients).await? as usize;
    let started = Instant::now();
    let mut batch = Vec::with_capacity(5_000);
    for i in 0..n {
        let d = demo::client(&mut rng);
        if i % 5_000 == 0 {
            phones.push(balcao_domain::text::digits(&d.phones[0]));
        }
        if i < have {
            continue;
        }
        batch.push((i + 1, new_client(d, format!("B{i}"), resellers[i % 3], ClientStatus::Active)));
        if batch.len() == 5_000 {
            db.import_clients(&batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        db.import_clients(&batch).await?;
    }
    if have < n {
        eprintln!("  generated {} clients in {:.1}s", n - have, started.elapsed().as_secs_f64());
    }
    Ok(phones)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx].as_secs_f64() * 1000.0
}

async fn measure(store: &str, db: &Db, phones: &[String]) -> anyhow::Result<()> {
    let provider = Actor::admin();
    let reseller =
        Actor::staff(StaffId(1), Scope::Reseller(db.ensure_reseller("Litoral Net").await?.id), vec![], false);
    for filter in SearchFilter::ALL {
        let terms = terms(filter, phones);
        for (scope_name, actor) in [("provedor", &provider), ("revenda", &reseller)] {
            let mut times = Vec::with_capacity(ROUNDS);
            let mut found = 0usize;
            // Warm-up: one pass over the terms.
            for t in &terms {
                db.search(actor, &SearchTerm::parse(filter, t)?, 0, 10).await?;
            }
            for i in 0..ROUNDS {
                let term = SearchTerm::parse(filter, &terms[i % terms.len()])?;
                let t0 = Instant::now();
                let page = db.search(actor, &term, 0, 10).await?;
                times.push(t0.elapsed());
                found += page.total;
            }
            times.sort();
            println!(
                "| {store} | {} | {scope_name} | {} | {:.2} | {:.2} | {:.2} | {:.0} |",
                filter.label(),
                terms.len(),
                percentile(&times, 0.50),
                percentile(&times, 0.99),
                percentile(&times, 1.0),
                found as f64 / ROUNDS as f64
            );
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let n: usize = std::env::var("BALCAO_BENCH_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    println!("| store | filter | scope | terms | p50 ms | p99 ms | max ms | mean matches |");
    println!("|---|---|---|---|---|---|---|---|");
    let path = format!("/var/tmp/balcao-bench-search-{n}.db");
    let db = Db::connect(&format!("sqlite:{path}"), 4).await?;
    db.migrate().await?;
    let phones = fill(&db, n).await?;
    measure("SQLite", &db, &phones).await?;
    db.close().await;
    if let Ok(url) = std::env::var("BALCAO_BENCH_POSTGRES_URL") {
        let admin = Db::connect(&url, 1).await?;
        let name = format!("balcao_bench_search_{n}");
        let exists: Option<(i64,)> = sqlx::query_as("SELECT 1::BIGINT FROM pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_optional(admin.pool())
            .await?;
        if exists.is_none() {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin.pool()).await?;
        }
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        let db = Db::connect(&format!("{base}/{name}"), 4).await?;
        db.migrate().await?;
        let phones = fill(&db, n).await?;
        sqlx::raw_sql("ANALYZE clients").execute(db.pool()).await?;
        measure("PostgreSQL", &db, &phones).await?;
        db.close().await;
    }
    Ok(())
}
