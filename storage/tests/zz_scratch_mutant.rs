#[expect(dead_code)]
mod common;
use balcao_domain::ports::Directory;
use balcao_storage::Db;
async fn claim(db: &Db, now: &str, until: &str) -> Vec<i64> {
    let mut tx = db.pool().begin().await.unwrap();
    let rows: Vec<(i64,)> = sqlx::query_as(
        "UPDATE outbox SET claimed_until = $1 WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' \
         AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until < $2) \
         ORDER BY next_attempt_at, id LIMIT 5) RETURNING id")
        .bind(until).bind(now).fetch_all(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    rows.into_iter().map(|r| r.0).collect()
}
async fn mutant(db: &Db) {
    let s = db.add_staff(&balcao_domain::staff::NewStaff{name:"Xx".into(),reseller:None,roles:vec!["Suporte N1".into()],email:None,telegram_id:Some(1)},None).await.unwrap();
    for i in 0..12 {
        sqlx::query("INSERT INTO outbox (event, recipient_id, channel, kind, status, next_attempt_at, created_at) VALUES ($1, $2, 'telegram', 'ticket_assigned', 'pending', '2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z')")
            .bind(format!("e{i}")).bind(s.id.0).execute(db.pool()).await.unwrap();
    }
    for _ in 0..3 {
    let (a, b) = tokio::join!(claim(db, "2001-01-01T00:00:00.000Z", "2002-01-01T00:00:00.000Z"), claim(db, "2001-01-01T00:00:00.000Z", "2002-01-01T00:00:00.000Z"));
    println!("MUTANT a={a:?} b={b:?}");
    }
}
common::contract_tests!(mutant);
