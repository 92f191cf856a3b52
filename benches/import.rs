//! Import throughput: writes a 100,000-client export as providers have them
//! (semicolon-separated, Windows-1252, Brazilian formats, a few broken rows),
//! imports it into a fresh SQLite database through the same path as
//! `balcao import clients`, then imports it again (nothing changes), and
//! prints both times. With `BALCAO_BENCH_POSTGRES_URL` set, does the same on
//! PostgreSQL in a database it creates and drops.
//!
//! `cargo bench --bench import` (env `BALCAO_BENCH_IMPORT_CLIENTS` changes the count).

use std::fmt::Write as _;
use std::time::Instant;

use balcao::demo::{self, Rng};
use balcao::import::{Kind, import};
use balcao_domain::ports::Directory;
use balcao_storage::Db;

fn export(n: usize) -> Vec<u8> {
    let mut rng = Rng::new(7);
    let mut csv = String::from(
        "codigo;revenda;nome;nome_fantasia;cpf_cnpj;cidade;uf;telefones;emails;endereco;numero;bairro;cep\n",
    );
    let resellers = ["Matriz", "Litoral Net", "Serra Fibra", "Vale Conecta"];
    for i in 0..n {
        let d = demo::client(&mut rng);
        let mut document = d.document.clone();
        if i % 10_000 == 9_999 {
            // A broken check digit, as real exports have.
            document.pop();
            document.push(if d.document.ends_with('0') { '1' } else { '0' });
        }
        let _ = writeln!(
            csv,
            "{};{};{};{};{};{};{};{};{};{};{};{};{}",
            10_000 + i,
            resellers[i % resellers.len()],
            d.name,
            d.trade_name,
            document,
            d.city,
            d.state,
            d.phones.join(" / "),
            d.emails.join(" | "),
            d.street,
            d.number,
            d.district,
            d.postal_code
        );
    }
    encoding_rs::WINDOWS_1252.encode(&csv).0.into_owned()
}

async fn run(store: &str, db: &Db, bytes: &[u8]) -> anyhow::Result<()> {
    db.migrate().await?;
    db.ensure_defaults().await?;
    for pass in ["primeira", "reimportação"] {
        let t0 = Instant::now();
        let report = import(db, Kind::Clients, bytes).await?;
        let secs = t0.elapsed().as_secs_f64();
        let o = &report.outcome;
        println!(
            "| {store} | {pass} | {} | {:.1} | {:.0} | {} | {} | {} | {} |",
            report.rows,
            secs,
            report.rows as f64 / secs,
            o.created,
            o.updated,
            o.unchanged,
            o.refused.len()
        );
        for (line, reason) in o.refused.iter().take(3) {
            eprintln!("  refused: line {line}: {reason}");
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let n: usize = std::env::var("BALCAO_BENCH_IMPORT_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let bytes = export(n);
    println!("| store | pass | rows | seconds | rows/s | created | updated | unchanged | refused |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let path = format!("/var/tmp/balcao-bench-import-{}.db", std::process::id());
    let db = Db::connect(&format!("sqlite:{path}"), 4).await?;
    run("SQLite", &db, &bytes).await?;
    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    if let Ok(url) = std::env::var("BALCAO_BENCH_POSTGRES_URL") {
        let admin = Db::connect(&url, 1).await?;
        let name = format!("balcao_bench_import_{}", std::process::id());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin.pool()).await?;
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        let db = Db::connect(&format!("{base}/{name}"), 4).await?;
        run("PostgreSQL", &db, &bytes).await?;
        db.close().await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(admin.pool()).await?;
    }
    Ok(())
}
