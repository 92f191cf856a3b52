//! Bulk upserts from providers' exports. Rows go in chunks, one transaction a
//! chunk; a chunk that fails as a whole is retried row by row so one bad row
//! is refused alone and the rest still land. A key repeated in the batch is
//! applied once, from its last row, so the counts say what changed; resellers
//! named by clients are created in their client's transaction.

use std::collections::HashMap;
use std::hash::Hash;

use async_trait::async_trait;
use balcao_domain::client::NewClient;
use balcao_domain::finance::NewReceivable;
use balcao_domain::ports::{ClientImport, ImportOutcome, Imports};
use balcao_domain::subscription::{NewSubscription, Salesperson};
use balcao_domain::text::search_key;
use balcao_domain::{DomainError, DomainResult, ResellerId};
use sqlx::Any;

use crate::clients::{CLIENT_FIELDS, fingerprint, insert_clients, push_client_fields, refresh_contacts, without_nul};
use crate::sql::Statement;
use crate::{Db, Dialect, backend, date_text, now_text};

/// Rows per transaction; also bounds bind parameters per statement (26 a row).
const CHUNK: usize = 500;

/// A client row on its way in: its line, its reseller's name when the store
/// must resolve it, and the client.
type Pending<'a> = (usize, Option<&'a str>, &'a NewClient);

/// Rows kept, each with its line, and the rows left out as (their line, the
/// line applied instead).
type KeptAndRepeated<'a, T> = (Vec<(usize, &'a T)>, Vec<(usize, usize)>);

/// The last row of each key, in file order, and the rows a later one of the
/// same key replaces.
fn last_of_each<'a, T, K: Eq + Hash>(
    rows: impl IntoIterator<Item = (usize, &'a T)>,
    key: impl Fn(&T) -> K,
) -> KeptAndRepeated<'a, T> {
    let rows: Vec<(usize, &T)> = rows.into_iter().collect();
    let mut last: HashMap<K, usize> = HashMap::new();
    for (i, (_, row)) in rows.iter().enumerate() {
        last.insert(key(row), i);
    }
    let mut kept = Vec::with_capacity(last.len());
    let mut repeated = Vec::new();
    for (i, (line, row)) in rows.iter().enumerate() {
        let applied = last[&key(row)];
        if applied == i {
            kept.push((*line, *row));
        } else {
            repeated.push((*line, rows[applied].0));
        }
    }
    (kept, repeated)
}

impl Db {
    /// Upserts one chunk of clients, distinct codes, in one transaction:
    /// resellers named for the first time are created in it too, so a chunk
    /// (or a row) that fails leaves nothing behind.
    async fn client_chunk(&self, rows: &[Pending<'_>]) -> DomainResult<ImportOutcome> {
        let mut out = ImportOutcome::default();
        let mut tx = self.begin_write().await?;
        let mut resellers: HashMap<String, i64> = HashMap::new();
        let mut resolved: Vec<(usize, std::borrow::Cow<'_, NewClient>)> = Vec::with_capacity(rows.len());
        for (line, reseller, c) in rows {
            c.validate()?;
            let Some(name) = reseller else {
                resolved.push((*line, std::borrow::Cow::Borrowed(*c)));
                continue;
            };
            let key = search_key(name);
            if key.is_empty() {
                return Err(DomainError::invalid("informe a revenda"));
            }
            let id = match resellers.get(&key) {
                Some(id) => *id,
                None => {
                    let id = reseller_in(&mut tx, name, &key).await?;
                    resellers.insert(key, id);
                    id
                }
            };
            let mut c = (*c).clone();
            c.reseller_id = ResellerId(id);
            resolved.push((*line, std::borrow::Cow::Owned(c)));
        }
        let mut lookup = Statement::new(self.dialect, "SELECT id, code, fingerprint FROM clients WHERE code IN (");
        for (i, (_, c)) in resolved.iter().enumerate() {
            if i > 0 {
                lookup.push(", ");
            }
            lookup.bind(c.code.clone());
        }
        lookup.push(")");
        let stored: HashMap<String, (i64, String)> = lookup
            .query_as::<(i64, String, String)>()?
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
            .into_iter()
            .map(|(id, code, fp)| (code, (id, fp)))
            .collect();
        let mut inserts = Vec::new();
        let mut written = Vec::new();
        for (_, c) in &resolved {
            match stored.get(&c.code) {
                None => {
                    out.created += 1;
                    inserts.push(c.as_ref());
                    written.push(c.code.as_str());
                }
                Some((_, stored_fp)) if *stored_fp == fingerprint(c) => out.unchanged += 1,
                Some((id, _)) => {
                    out.updated += 1;
                    update_client(&mut tx, self.dialect, *id, c).await?;
                    written.push(c.code.as_str());
                }
            }
        }
        if !inserts.is_empty() {
            insert_clients(self.dialect, inserts).query()?.execute(&mut *tx).await.map_err(backend)?;
        }
        refresh_contacts(&mut tx, self.dialect, &written).await?;
        // Novo Cliente's next código comes after the highest numeric one imported.
        crate::clients::codes_taken(&mut tx, &written).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    /// Upserts clients a chunk at a time; a chunk the database refuses is
    /// retried row by row so only the bad rows are refused.
    async fn upsert_clients(&self, rows: Vec<Pending<'_>>) -> DomainResult<ImportOutcome> {
        let (kept, repeated) = last_of_each(rows.iter().map(|r| (r.0, r)), |r| r.2.code.clone());
        let kept: Vec<Pending<'_>> = kept.into_iter().map(|(_, r)| *r).collect();
        let mut total = ImportOutcome { repeated, ..ImportOutcome::default() };
        for chunk in kept.chunks(CHUNK) {
            match self.client_chunk(chunk).await {
                Ok(o) => total.absorb(o),
                Err(DomainError::Backend(_) | DomainError::Invalid(_)) if chunk.len() > 1 => {
                    tracing::warn!("client import chunk failed; retrying its rows one by one");
                    for row in chunk {
                        match self.client_chunk(std::slice::from_ref(row)).await {
                            Ok(o) => total.absorb(o),
                            Err(e @ (DomainError::Backend(_) | DomainError::Invalid(_) | DomainError::Conflict(_))) => {
                                total.refused.push((row.0, refusal(e)));
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(e @ (DomainError::Backend(_) | DomainError::Invalid(_))) => {
                    total.refused.push((chunk[0].0, refusal(e)));
                }
                Err(e) => return Err(e),
            }
        }
        total.refused.sort();
        Ok(total)
    }
}

/// The id of the reseller with this search key, created inside `tx` when missing.
async fn reseller_in(tx: &mut sqlx::Transaction<'static, Any>, name: &str, key: &str) -> DomainResult<i64> {
    sqlx::query(
        "INSERT INTO resellers (name, name_key, created_at) VALUES ($1, $2, $3) ON CONFLICT (name_key) DO NOTHING",
    )
    .bind(without_nul(name.trim()))
    .bind(key)
    .bind(now_text())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM resellers WHERE name_key = $1")
        .bind(key)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(id)
}

async fn update_client(
    tx: &mut sqlx::Transaction<'static, Any>,
    dialect: Dialect,
    id: i64,
    c: &NewClient,
) -> DomainResult<()> {
    let mut update = Statement::new(dialect, format!("UPDATE clients SET ({CLIENT_FIELDS}, updated_at) = "));
    update.groups([c], |row, c| {
        push_client_fields(row, c);
        row.bind(now_text());
    });
    update.push(" WHERE id = ").bind(id);
    update.query()?.execute(&mut **tx).await.map_err(backend)?;
    // A client moved to another reseller takes its tickets and visits along,
    // so they reach that reseller's staff.
    for table in [
        "UPDATE tickets SET reseller_id = $1 WHERE client_id = $2 AND reseller_id <> $1",
        "UPDATE work_orders SET reseller_id = $1 WHERE client_id = $2 AND reseller_id <> $1",
    ] {
        sqlx::query(table).bind(c.reseller_id.0).bind(id).execute(&mut **tx).await.map_err(backend)?;
    }
    Ok(())
}

/// Resolves client codes to ids, in chunks.
async fn client_ids(db: &Db, codes: &[&str]) -> DomainResult<HashMap<String, i64>> {
    let mut ids = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let mut q = Statement::new(db.dialect, "SELECT code, id FROM clients WHERE code IN (");
        for (i, c) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(c.to_string());
        }
        q.push(")");
        let rows: Vec<(String, i64)> = q.query_as()?.fetch_all(&db.pool).await.map_err(backend)?;
        ids.extend(rows);
    }
    Ok(ids)
}

/// Runs `apply` on each chunk in its own transaction; when a chunk fails, each
/// of its rows is tried alone so only the bad ones are refused.
macro_rules! chunked {
    ($self:ident, $rows:expr, |$tx:ident, $line:ident, $row:ident, $out:ident| $apply:block) => {{
        let mut total = ImportOutcome::default();
        for chunk in $rows.chunks(CHUNK) {
            let attempt: DomainResult<ImportOutcome> = async {
                let mut $tx = $self.begin_write().await?;
                let mut $out = ImportOutcome::default();
                for ($line, $row) in chunk {
                    let _ = $line;
                    $apply
                }
                $tx.commit().await.map_err(backend)?;
                Ok($out)
            }
            .await;
            match attempt {
                Ok(o) => total.absorb(o),
                Err(DomainError::Backend(_) | DomainError::Invalid(_) | DomainError::Conflict(_)) if chunk.len() > 1 => {
                    tracing::warn!("import chunk failed; retrying its rows one by one");
                    for ($line, $row) in chunk {
                        let one: DomainResult<ImportOutcome> = async {
                            let mut $tx = $self.begin_write().await?;
                            let mut $out = ImportOutcome::default();
                            $apply
                            $tx.commit().await.map_err(backend)?;
                            Ok($out)
                        }
                        .await;
                        match one {
                            Ok(o) => total.absorb(o),
                            Err(e) => total.refused.push((*$line, refusal(e))),
                        }
                    }
                }
                Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
                    // A chunk of one row: that row is refused, the import goes on.
                    let reason = e.to_string();
                    total.refused.extend(chunk.iter().map(|(line, _)| (*line, reason.clone())));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }};
}

fn refusal(e: DomainError) -> String {
    match e {
        DomainError::Backend(cause) => {
            tracing::warn!(%cause, "import row refused by the database");
            "o banco de dados recusou a linha".into()
        }
        other => other.to_string(),
    }
}

#[async_trait]
impl Imports for Db {
    async fn import_clients(&self, rows: &[(usize, NewClient)]) -> DomainResult<ImportOutcome> {
        self.upsert_clients(rows.iter().map(|(line, c)| (*line, None, c)).collect()).await
    }

    async fn import_clients_by_reseller_name(&self, rows: &[ClientImport]) -> DomainResult<ImportOutcome> {
        self.upsert_clients(rows.iter().map(|r| (r.line, Some(r.reseller.as_str()), &r.client)).collect()).await
    }

    async fn import_subscriptions(&self, rows: &[(usize, NewSubscription)]) -> DomainResult<ImportOutcome> {
        let (rows, repeated) =
            last_of_each(rows.iter().map(|(l, s)| (*l, s)), |s| (s.client_code.clone(), search_key(&s.plan_name)));
        let codes: Vec<&str> = rows.iter().map(|(_, s)| s.client_code.as_str()).collect();
        let ids = client_ids(self, &codes).await?;
        let mut valid = Vec::new();
        let mut refused = Vec::new();
        for (line, s) in rows {
            match ids.get(&s.client_code) {
                Some(id) => valid.push((line, (*id, s))),
                None => refused.push((line, format!("cliente de código \"{}\" não encontrado", s.client_code))),
            }
        }
        let mut routing: HashMap<String, i64> = HashMap::new();
        for (_, (_, s)) in &valid {
            if let Some(rp) = &s.routing_point
                && !routing.contains_key(rp)
            {
                routing.insert(rp.clone(), self.ensure_routing_point(rp).await?.id.0);
            }
        }
        let mut result: DomainResult<ImportOutcome> = chunked!(self, valid, |tx, line, row, out| {
            let (client_id, s) = row;
            let plan_key = search_key(&s.plan_name);
            if plan_key.is_empty() {
                return Err(DomainError::invalid("informe o plano"));
            }
            sqlx::query(
                "INSERT INTO plans (name, name_key, price_cents, active) VALUES ($1, $2, $3, 1) ON CONFLICT (name_key) DO NOTHING",
            )
            .bind(without_nul(s.plan_name.trim()))
            .bind(&plan_key)
            .bind(s.price.map_or(0, |p| p.cents()))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            let (plan_id, catalog_price): (i64, i64) =
                sqlx::query_as("SELECT id, price_cents FROM plans WHERE name_key = $1")
                    .bind(&plan_key)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
            let price = s.price.map_or(catalog_price, |p| p.cents());
            let (salesperson_id, salesperson_name) = match &s.salesperson {
                Some(Salesperson::Staff(id)) => (Some(id.0), None),
                Some(Salesperson::Name(n)) => (None, Some(n.trim().to_owned())),
                None => (None, None),
            };
            let routing_id = s.routing_point.as_ref().and_then(|r| routing.get(r).copied());
            let import_key = format!("{}|{}", s.client_code, plan_key);
            let current: Option<(i64, i64, String, i64, Option<i64>, Option<String>, Option<i64>)> = sqlx::query_as(
                "SELECT id, price_cents, billing_method, due_day, salesperson_id, salesperson_name, routing_point_id \
                 FROM subscriptions WHERE import_key = $1",
            )
            .bind(&import_key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let wanted = (
                price,
                s.billing_method.as_str().to_owned(),
                i64::from(s.due_day.get()),
                salesperson_id,
                salesperson_name.clone(),
                routing_id,
            );
            match current {
                None => {
                    sqlx::query(
                        "INSERT INTO subscriptions (client_id, plan_id, price_cents, billing_method, due_day, salesperson_id, \
                         salesperson_name, routing_point_id, status, import_key, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10)",
                    )
                    .bind(*client_id)
                    .bind(plan_id)
                    .bind(wanted.0)
                    .bind(wanted.1)
                    .bind(wanted.2)
                    .bind(wanted.3)
                    .bind(wanted.4)
                    .bind(wanted.5)
                    .bind(&import_key)
                    .bind(now_text())
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    out.created += 1;
                }
                Some((id, p, bm, dd, sp, spn, rp)) => {
                    if (p, bm, dd, sp, spn, rp) == wanted {
                        out.unchanged += 1;
                    } else {
                        sqlx::query(
                            "UPDATE subscriptions SET price_cents = $2, billing_method = $3, due_day = $4, \
                             salesperson_id = $5, salesperson_name = $6, routing_point_id = $7 WHERE id = $1",
                        )
                        .bind(id)
                        .bind(wanted.0)
                        .bind(wanted.1)
                        .bind(wanted.2)
                        .bind(wanted.3)
                        .bind(wanted.4)
                        .bind(wanted.5)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                        out.updated += 1;
                    }
                }
            }
        });
        if let Ok(o) = &mut result {
            o.refused.extend(refused);
            o.refused.sort();
            o.repeated.extend(repeated.iter().copied());
        }
        result
    }

    async fn import_receivables(&self, rows: &[(usize, NewReceivable)]) -> DomainResult<ImportOutcome> {
        let (rows, repeated) = last_of_each(rows.iter().map(|(l, r)| (*l, r)), |r| {
            (r.client_code.clone(), r.due_date, search_key(&r.description))
        });
        let codes: Vec<&str> = rows.iter().map(|(_, r)| r.client_code.as_str()).collect();
        let ids = client_ids(self, &codes).await?;
        let mut valid = Vec::new();
        let mut refused = Vec::new();
        for (line, r) in rows {
            match (ids.get(&r.client_code), r.validate()) {
                (Some(id), Ok(())) => valid.push((line, (*id, r))),
                (None, _) => refused.push((line, format!("cliente de código \"{}\" não encontrado", r.client_code))),
                (_, Err(e)) => refused.push((line, e.to_string())),
            }
        }
        let mut result: DomainResult<ImportOutcome> = chunked!(self, valid, |tx, line, row, out| {
            let (client_id, r) = row;
            let import_key = format!("{}|{}|{}", r.client_code, date_text(r.due_date), search_key(&r.description));
            let paid = r.settlement.map_or(0, |(_, m)| m.cents());
            let settled_on = r.settlement.filter(|(_, m)| m.cents() >= r.amount.cents()).map(|(d, _)| date_text(d));
            let current: Option<(i64, i64, i64, Option<String>, String)> = sqlx::query_as(
                "SELECT id, amount_cents, paid_cents, settled_on, description FROM receivables WHERE import_key = $1",
            )
            .bind(&import_key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let id = match current {
                None => {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO receivables (client_id, due_date, description, amount_cents, paid_cents, settled_on, \
                         import_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    )
                    .bind(*client_id)
                    .bind(date_text(r.due_date))
                    .bind(without_nul(r.description.trim()))
                    .bind(r.amount.cents())
                    .bind(paid)
                    .bind(settled_on.clone())
                    .bind(&import_key)
                    .bind(now_text())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
                    out.created += 1;
                    Some(id)
                }
                Some((id, amount, p, s, desc)) => {
                    if (amount, p, s.clone(), desc.as_str())
                        == (r.amount.cents(), paid, settled_on.clone(), r.description.trim())
                    {
                        out.unchanged += 1;
                        None
                    } else {
                        sqlx::query(
                        "UPDATE receivables SET description = $2, amount_cents = $3, paid_cents = $4, settled_on = $5 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(without_nul(r.description.trim()))
                    .bind(r.amount.cents())
                    .bind(paid)
                    .bind(settled_on.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                        sqlx::query("DELETE FROM settlements WHERE receivable_id = $1 AND recorded_by = 'Importação'")
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                        out.updated += 1;
                        Some(id)
                    }
                }
            };
            if let (Some(id), Some((on, amount))) = (id, r.settlement) {
                sqlx::query(
                    "INSERT INTO settlements (receivable_id, paid_on, amount_cents, method, recorded_by, created_at) \
                     VALUES ($1, $2, $3, '', 'Importação', $4)",
                )
                .bind(id)
                .bind(date_text(on))
                .bind(amount.cents())
                .bind(now_text())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            }
        });
        if let Ok(o) = &mut result {
            o.refused.extend(refused);
            o.refused.sort();
            o.repeated.extend(repeated.iter().copied());
        }
        result
    }
}
