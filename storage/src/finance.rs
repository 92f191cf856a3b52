//! The client's receivables and settlements.

use async_trait::async_trait;
use balcao_domain::finance::{Period, Receivable, Settlement};
use balcao_domain::ports::Finance;
use balcao_domain::staff::Actor;
use balcao_domain::{ClientId, DomainError, DomainResult, ReceivableId};

use crate::rows::{RECEIVABLE_COLUMNS, ReceivableRow, SettlementRow};
use crate::{Db, backend, date_text, scope_clause};

#[async_trait]
impl Finance for Db {
    async fn receivables(&self, actor: &Actor, client: ClientId, period: &Period) -> DomainResult<Vec<Receivable>> {
        period.validate()?;
        self.client_in_scope(actor, client).await?;
        let mut sql = format!("SELECT {RECEIVABLE_COLUMNS} FROM receivables rc WHERE rc.client_id = $1");
        let mut n = 1;
        if period.from.is_some() {
            n += 1;
            sql.push_str(&format!(" AND rc.due_date >= ${n}"));
        }
        if period.to.is_some() {
            n += 1;
            sql.push_str(&format!(" AND rc.due_date <= ${n}"));
        }
        if period.open_only {
            sql.push_str(" AND rc.paid_cents < rc.amount_cents");
        }
        sql.push_str(" ORDER BY rc.due_date, rc.id");
        let mut q = sqlx::query_as::<_, ReceivableRow>(sqlx::AssertSqlSafe(sql)).bind(client.0);
        for d in [period.from, period.to].into_iter().flatten() {
            q = q.bind(date_text(d));
        }
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        Ok(rows.into_iter().map(Receivable::from).collect())
    }

    async fn receivable(&self, actor: &Actor, id: ReceivableId) -> DomainResult<(Receivable, Vec<Settlement>)> {
        let sql = format!(
            "SELECT {RECEIVABLE_COLUMNS} FROM receivables rc JOIN clients c ON c.id = rc.client_id WHERE rc.id = $1{}",
            scope_clause(actor.scope, 2)
        );
        let mut q = sqlx::query_as::<_, ReceivableRow>(sqlx::AssertSqlSafe(sql)).bind(id.0);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        let row = q.fetch_optional(&self.pool).await.map_err(backend)?.ok_or(DomainError::NotFound("débito"))?;
        let settlements: Vec<SettlementRow> = sqlx::query_as(
            "SELECT paid_on, amount_cents, method, recorded_by FROM settlements WHERE receivable_id = $1 ORDER BY paid_on, id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok((Receivable::from(row), settlements.into_iter().map(Settlement::from).collect()))
    }
}
