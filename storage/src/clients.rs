//! The client registration, search and subscriptions.

use async_trait::async_trait;
use balcao_domain::client::{Client, ClientSummary, NewClient};
use balcao_domain::document::Document;
use balcao_domain::ports::Clients;
use balcao_domain::search::{Candidate, MAX_CANDIDATES, SearchFilter, SearchPage, SearchTerm, rank_page};
use balcao_domain::staff::{Actor, Scope};
use balcao_domain::subscription::{PlanChoice, Salesperson, Subscription};
use balcao_domain::{ClientId, DomainError, DomainResult, ResellerId};

use crate::rows::{
    CLIENT_COLUMNS, ClientRow, SUBSCRIPTION_COLUMNS, SUBSCRIPTION_FROM, SUMMARY_COLUMNS, SubscriptionRow, SummaryRow,
    unverified_text,
};
use crate::sql::{Statement, Tuple};
use crate::{Db, Dialect, backend, date_text, now_text, scope_clause};

/// The client columns an insert or an update writes, besides `code` and the instants, in order.
pub(crate) const CLIENT_FIELDS: &str = "reseller_id, kind, name, trade_name, document, rg_ie, birth_date, \
     street, number, complement, district, city, state, postal_code, phones, emails, notes, status, \
     name_key, trade_key, city_key, fingerprint, unverified";

/// Text as both stores keep it: PostgreSQL refuses NUL characters in text and
/// SQLite would keep them, so they are dropped on the way in, for both alike.
pub(crate) fn without_nul(s: &str) -> String {
    s.replace('\0', "")
}

/// Binds one client's values in [`CLIENT_FIELDS`] order.
pub(crate) fn push_client_fields(b: &mut Tuple<'_>, c: &NewClient) {
    let keys = c.search_keys();
    b.bind(c.reseller_id.0)
        .bind(c.kind.as_str().to_owned())
        .bind(without_nul(c.name.trim()))
        .bind(without_nul(c.trade_name.trim()))
        .bind(c.document.as_ref().map(|d| d.digits().to_owned()))
        .bind(without_nul(&c.rg_ie))
        .bind(c.birth_date.map(date_text))
        .bind(without_nul(&c.address.street))
        .bind(without_nul(&c.address.number))
        .bind(without_nul(&c.address.complement))
        .bind(without_nul(&c.address.district))
        .bind(without_nul(&c.address.city))
        .bind(without_nul(&c.address.state))
        .bind(without_nul(&c.address.postal_code))
        .bind(keys.phones)
        .bind(without_nul(&c.emails.join(" ")))
        .bind(without_nul(&c.notes))
        .bind(c.status.as_str().to_owned())
        .bind(keys.name)
        .bind(keys.trade_name)
        .bind(keys.city)
        .bind(fingerprint(c))
        .bind(without_nul(&unverified_text(&c.unverified)));
}

/// An insert of `clients`, one row each; add `RETURNING` if needed.
pub(crate) fn insert_clients<'a>(dialect: Dialect, clients: impl IntoIterator<Item = &'a NewClient>) -> Statement {
    let now = now_text();
    let mut insert =
        Statement::new(dialect, format!("INSERT INTO clients (code, {CLIENT_FIELDS}, created_at, updated_at) VALUES "));
    insert.groups(clients, |row, c| {
        row.bind(c.code.clone());
        push_client_fields(row, c);
        row.bind(now.clone()).bind(now.clone());
    });
    insert
}

/// Rewrites the indexed e-mails and phones (`client_emails`,
/// `client_phones`) of the clients with these codes from their registrations.
/// Keeps the counter of new clients' códigos at or above the highest numeric
/// code written, so that Novo Cliente continues after it.
pub(crate) async fn codes_taken(tx: &mut sqlx::Transaction<'static, sqlx::Any>, codes: &[&str]) -> DomainResult<()> {
    let highest = codes
        .iter()
        .filter(|c| (1..=18).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|c| c.parse::<i64>().ok())
        .max();
    if let Some(highest) = highest {
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ('client_code', $1) ON CONFLICT (name) \
             DO UPDATE SET value = CASE WHEN counters.value < excluded.value THEN excluded.value \
             ELSE counters.value END",
        )
        .bind(highest)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

pub(crate) async fn refresh_contacts(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    dialect: Dialect,
    codes: &[&str],
) -> DomainResult<()> {
    if codes.is_empty() {
        return Ok(());
    }
    let mut select = Statement::new(dialect, "SELECT id, emails, phones FROM clients WHERE code IN (");
    for (i, code) in codes.iter().enumerate() {
        if i > 0 {
            select.push(", ");
        }
        select.bind((*code).to_owned());
    }
    select.push(")");
    let rows: Vec<(i64, String, String)> = select.query_as()?.fetch_all(&mut **tx).await.map_err(backend)?;
    if rows.is_empty() {
        return Ok(());
    }
    for (table, column, pick) in [
        (
            "client_emails",
            "email",
            (|r: &(i64, String, String)| r.1.to_lowercase()) as fn(&(i64, String, String)) -> String,
        ),
        ("client_phones", "phone", |r: &(i64, String, String)| r.2.clone()),
    ] {
        let mut delete = Statement::new(dialect, format!("DELETE FROM {table} WHERE client_id IN ("));
        for (i, (id, _, _)) in rows.iter().enumerate() {
            if i > 0 {
                delete.push(", ");
            }
            delete.bind(*id);
        }
        delete.push(")");
        delete.query()?.execute(&mut **tx).await.map_err(backend)?;
        let mut pairs: Vec<(String, i64)> = rows
            .iter()
            .flat_map(|row| pick(row).split_whitespace().map(|v| (v.to_owned(), row.0)).collect::<Vec<_>>())
            .collect();
        pairs.sort();
        pairs.dedup();
        if pairs.is_empty() {
            continue;
        }
        let mut insert = Statement::new(dialect, format!("INSERT INTO {table} ({column}, client_id) VALUES "));
        insert.groups(&pairs, |row, (value, id)| {
            row.bind(value.clone()).bind(*id);
        });
        insert.query()?.execute(&mut **tx).await.map_err(backend)?;
    }
    Ok(())
}

/// A digest of everything an import can change, so re-importing an identical
/// row is recognised without comparing every column.
pub(crate) fn fingerprint(c: &NewClient) -> String {
    let birth = c.birth_date.map(date_text).unwrap_or_default();
    let phones = c.phones.iter().map(|p| p.digits()).collect::<Vec<_>>().join(" ");
    let emails = c.emails.join(" ");
    let unverified = unverified_text(&c.unverified);
    let mut parts: Vec<&str> = vec![
        c.kind.as_str(),
        &c.name,
        &c.trade_name,
        c.document.as_ref().map_or("", Document::digits),
        &c.rg_ie,
        &birth,
        &c.address.street,
        &c.address.number,
        &c.address.complement,
        &c.address.district,
        &c.address.city,
        &c.address.state,
        &c.address.postal_code,
        &phones,
        &emails,
        &c.notes,
        c.status.as_str(),
    ];
    // Only when present, so clients imported before values were kept aside
    // keep their fingerprint and a re-import finds them unchanged.
    if !unverified.is_empty() {
        parts.push(&unverified);
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        for b in p.bytes().chain([0x1f, i as u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}-{}", c.reseller_id.0)
}

impl Db {
    /// Checks the client exists inside the actor's scope.
    pub(crate) async fn client_in_scope(&self, actor: &Actor, id: ClientId) -> DomainResult<()> {
        let sql = format!("SELECT c.id FROM clients c WHERE c.id = $1{}", scope_clause(actor.scope, 2));
        let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(id.0);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        q.fetch_optional(&self.pool).await.map_err(backend)?.ok_or(DomainError::NotFound("cliente"))?;
        Ok(())
    }

    async fn client_where(&self, actor: &Actor, condition: &str, value: String) -> DomainResult<Option<Client>> {
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM clients c JOIN resellers r ON r.id = c.reseller_id WHERE {condition}{}",
            scope_clause(actor.scope, 2)
        );
        let mut q = sqlx::query_as::<_, ClientRow>(sqlx::AssertSqlSafe(sql)).bind(value);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        Ok(q.fetch_optional(&self.pool).await.map_err(backend)?.map(Client::from))
    }

    /// Runs one candidate query of a search.
    async fn candidates(
        &self,
        actor: &Actor,
        sql: String,
        binds: [String; 2],
        limit: usize,
    ) -> DomainResult<Vec<Candidate>> {
        #[derive(sqlx::FromRow)]
        struct Hit {
            #[sqlx(flatten)]
            summary: SummaryRow,
            key: String,
        }
        let mut q = sqlx::query_as::<_, Hit>(sqlx::AssertSqlSafe(sql));
        for b in binds.into_iter().filter(|b| !b.is_empty()) {
            q = q.bind(b);
        }
        q = q.bind(limit as i64);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        Ok(rows.into_iter().map(|h| Candidate { summary: ClientSummary::from(h.summary), key: h.key }).collect())
    }
}

#[async_trait]
impl Clients for Db {
    async fn search(&self, actor: &Actor, term: &SearchTerm, page: usize, per_page: usize) -> DomainResult<SearchPage> {
        let column = match term.filter() {
            SearchFilter::Name => "name_key",
            SearchFilter::TradeName => "trade_key",
            SearchFilter::City => "city_key",
            SearchFilter::Phone => "phones",
        };
        let limit = MAX_CANDIDATES + 1;
        let key = term.key().to_owned();
        let mut candidates = Vec::new();
        let mut hit_limit = false;
        // Exact and prefix matches come from the ordered index, so they are
        // never crowded out of the ranked set by the many that merely contain
        // the term.
        if term.filter() != SearchFilter::Phone {
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS}, c.{column} AS key FROM clients c JOIN resellers r ON r.id = c.reseller_id \
                 WHERE c.{column} >= $1 AND c.{column} < $2{} ORDER BY c.{column} LIMIT $3",
                scope_clause(actor.scope, 4)
            );
            // Keys hold only [a-z0-9 ], all below '{'.
            let found = self.candidates(actor, sql, [key.clone(), format!("{key}{{")], limit).await?;
            hit_limit |= found.len() >= limit;
            candidates.extend(found);
        }
        let contains = match self.dialect {
            Dialect::Sqlite => format!(
                // CROSS JOIN keeps the trigram index as the outer loop; left to
                // itself, SQLite walks the reseller's clients and probes the
                // index once per client.
                "SELECT {SUMMARY_COLUMNS}, c.{column} AS key FROM clients_fts f \
                 CROSS JOIN clients c ON c.id = f.rowid JOIN resellers r ON r.id = c.reseller_id \
                 WHERE f.{column} LIKE $1{} LIMIT $2",
                scope_clause(actor.scope, 3)
            ),
            Dialect::Postgres => format!(
                "SELECT {SUMMARY_COLUMNS}, c.{column} AS key FROM clients c JOIN resellers r ON r.id = c.reseller_id \
                 WHERE c.{column} LIKE $1{} LIMIT $2",
                scope_clause(actor.scope, 3)
            ),
        };
        let found = self.candidates(actor, contains, [format!("%{key}%"), String::new()], limit).await?;
        hit_limit |= found.len() >= limit;
        candidates.extend(found);
        Ok(rank_page(term, candidates, hit_limit, page, per_page))
    }

    async fn client(&self, actor: &Actor, id: ClientId) -> DomainResult<Client> {
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM clients c JOIN resellers r ON r.id = c.reseller_id WHERE c.id = $1{}",
            scope_clause(actor.scope, 2)
        );
        let mut q = sqlx::query_as::<_, ClientRow>(sqlx::AssertSqlSafe(sql)).bind(id.0);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        q.fetch_optional(&self.pool).await.map_err(backend)?.map(Client::from).ok_or(DomainError::NotFound("cliente"))
    }

    async fn client_by_code(&self, actor: &Actor, code: &str) -> DomainResult<Client> {
        self.client_where(actor, "c.code = $1", code.trim().to_owned()).await?.ok_or(DomainError::NotFound("cliente"))
    }

    async fn client_by_document(&self, actor: &Actor, document: &Document) -> DomainResult<Option<ClientSummary>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM clients c JOIN resellers r ON r.id = c.reseller_id \
             WHERE c.document = $1{} ORDER BY c.id LIMIT 1",
            scope_clause(actor.scope, 2)
        );
        let mut q = sqlx::query_as::<_, SummaryRow>(sqlx::AssertSqlSafe(sql)).bind(document.digits().to_owned());
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        Ok(q.fetch_optional(&self.pool).await.map_err(backend)?.map(ClientSummary::from))
    }

    async fn create_client(&self, actor: &Actor, new: &NewClient) -> DomainResult<Client> {
        if !actor.scope.covers(new.reseller_id) {
            return Err(DomainError::NotFound("revenda"));
        }
        new.validate()?;
        let mut client = new.clone();
        let mut tx = self.begin_write().await?;
        let reseller: Option<(i64,)> = sqlx::query_as("SELECT id FROM resellers WHERE id = $1")
            .bind(new.reseller_id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        reseller.ok_or(DomainError::NotFound("revenda"))?;
        // Checked again here, in the write: two people registering the same
        // document at once must not both succeed.
        if let Some(doc) = &new.document {
            if self.dialect == Dialect::Postgres {
                // Read committed would let two writers both see "not taken":
                // they queue on the document instead (SQLite's write lock already does this).
                let key: i64 = doc.digits().parse().unwrap_or_default();
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key).execute(&mut *tx).await.map_err(backend)?;
            }
            let taken: Option<(String,)> =
                sqlx::query_as("SELECT code FROM clients WHERE reseller_id = $1 AND document = $2 LIMIT 1")
                    .bind(new.reseller_id.0)
                    .bind(doc.digits().to_owned())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
            if let Some((code,)) = taken {
                return Err(DomainError::Conflict(format!(
                    "já existe um cliente com este CPF/CNPJ nesta revenda (código {code})"
                )));
            }
        }
        if client.code.trim().is_empty() {
            // Codes from imports may be numbers too: skip any already taken.
            loop {
                let (n,): (i64,) = sqlx::query_as(
                    "INSERT INTO counters (name, value) VALUES ('client_code', 1) \
                     ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
                )
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM clients WHERE code = $1")
                    .bind(n.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
                if taken.is_none() {
                    client.code = n.to_string();
                    break;
                }
            }
        }
        codes_taken(&mut tx, &[client.code.as_str()]).await?;
        let mut insert = insert_clients(self.dialect, [&client]);
        insert.push(" RETURNING id");
        let (id,): (i64,) = insert.query_as()?.fetch_one(&mut *tx).await.map_err(|e| match backend(e) {
            DomainError::Conflict(_) => {
                DomainError::Conflict(format!("já existe um cliente com o código {}", client.code))
            }
            other => other,
        })?;
        refresh_contacts(&mut tx, self.dialect, &[client.code.as_str()]).await?;
        tx.commit().await.map_err(backend)?;
        self.client(actor, ClientId(id)).await
    }

    async fn subscriptions(&self, actor: &Actor, client: ClientId) -> DomainResult<Vec<Subscription>> {
        self.client_in_scope(actor, client).await?;
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM {SUBSCRIPTION_FROM} WHERE s.client_id = $1 \
             ORDER BY CASE s.status WHEN 'active' THEN 0 ELSE 1 END, s.id"
        );
        let rows: Vec<SubscriptionRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(client.0).fetch_all(&self.pool).await.map_err(backend)?;
        Ok(rows.into_iter().map(Subscription::from).collect())
    }

    async fn add_subscription(
        &self,
        actor: &Actor,
        client: ClientId,
        choice: &PlanChoice,
    ) -> DomainResult<Subscription> {
        let c = self.client(actor, client).await?;
        let mut tx = self.begin_write().await?;
        let plan: Option<(i64, i64)> = sqlx::query_as("SELECT id, price_cents FROM plans WHERE id = $1 AND active = 1")
            .bind(choice.plan.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let (plan_id, price) = plan.ok_or(DomainError::NotFound("plano"))?;
        let (salesperson_id, salesperson_name) = match &choice.salesperson {
            Some(Salesperson::Staff(id)) => (Some(id.0), None),
            Some(Salesperson::Name(name)) => {
                let name = name.trim();
                if name.chars().count() < 2 || name.chars().count() > 120 {
                    return Err(DomainError::invalid("o nome do vendedor deve ter de 2 a 120 caracteres"));
                }
                (None, Some(name.to_owned()))
            }
            None => (None, None),
        };
        if let Some(s) = salesperson_id {
            let row: Option<(Option<i64>,)> =
                sqlx::query_as("SELECT reseller_id FROM staff WHERE id = $1 AND active = 1")
                    .bind(s)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
            let (reseller,) = row.ok_or(DomainError::NotFound("vendedor"))?;
            if reseller.is_some_and(|r| r != c.reseller_id.0) {
                return Err(DomainError::invalid("este vendedor não atende a revenda do cliente"));
            }
        }
        if let Some(rp) = choice.routing_point {
            let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM routing_points WHERE id = $1")
                .bind(rp.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            found.ok_or(DomainError::NotFound("ponto de roteamento"))?;
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO subscriptions (client_id, plan_id, price_cents, billing_method, due_day, salesperson_id, \
             salesperson_name, routing_point_id, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9) RETURNING id",
        )
        .bind(c.id.0)
        .bind(plan_id)
        .bind(price)
        .bind(choice.billing_method.as_str())
        .bind(i64::from(choice.due_day.get()))
        .bind(salesperson_id)
        .bind(salesperson_name)
        .bind(choice.routing_point.map(|r| r.0))
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        self.subscriptions(actor, client)
            .await?
            .into_iter()
            .find(|s| s.id.0 == id)
            .ok_or(DomainError::NotFound("plano do cliente"))
    }

    async fn salespeople(&self, actor: &Actor, reseller: ResellerId) -> DomainResult<Vec<String>> {
        if matches!(actor.scope, Scope::Reseller(r) if r != reseller) {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT s.salesperson_name, COUNT(*) AS n FROM subscriptions s JOIN clients c ON c.id = s.client_id \
             WHERE c.reseller_id = $1 AND s.salesperson_id IS NULL AND s.salesperson_name IS NOT NULL \
             AND s.salesperson_name <> '' GROUP BY s.salesperson_name ORDER BY n DESC, s.salesperson_name LIMIT 40",
        )
        .bind(reseller.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(|(name, _)| name).collect())
    }
}
