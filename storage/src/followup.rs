//! Working tickets after they are opened (Manutenção do Atendimento) and the
//! technician's side of work orders.
//!
//! Every change first finds its ticket or work order inside the actor's scope
//! (through the client's reseller), then writes the change and its history
//! entry in one transaction. On PostgreSQL that first read locks the row
//! (`FOR UPDATE`), so concurrent changes to one ticket queue as they do on
//! SQLite, whose `BEGIN IMMEDIATE` already holds the write lock. Opening
//! tickets and scheduling work orders live in `tickets.rs`, not here.

use async_trait::async_trait;
use balcao_domain::ports::{FollowUp, Tickets};
use balcao_domain::staff::{Actor, Staff};
use balcao_domain::text::search_key;
use balcao_domain::ticket::{Assignee, TicketDetail, TicketStatus, WorkOrder, WorkOrderStatus};
use balcao_domain::{DomainError, DomainResult, ResellerId, RoleId, StaffId, TicketId, WorkOrderId};

use crate::outbox::{enqueue_assignment, enqueue_taken, enqueue_work_order};
use crate::rows::{WORK_ORDER_COLUMNS, WorkOrderRow};
use crate::tickets::{Tx, acting, add_event, staff_scope};
use crate::{Db, Dialect, backend, now_text, scope_clause};

/// A ticket as a change needs to see it.
#[derive(sqlx::FromRow)]
struct TicketState {
    reseller_id: i64,
    status: String,
    assignee_staff_id: Option<i64>,
    assignee_role_id: Option<i64>,
}

/// A work order as a change needs to see it.
#[derive(sqlx::FromRow)]
struct WorkOrderState {
    ticket_id: i64,
    status: String,
}

/// The text trimmed, when it has at least `min` characters; otherwise `Invalid(message)`.
fn typed<'a>(text: &'a str, min: usize, message: &str) -> DomainResult<&'a str> {
    let text = text.trim();
    if text.chars().count() < min {
        return Err(DomainError::invalid(message));
    }
    Ok(text)
}

/// Why a work order in this status cannot take the step asked.
fn work_order_refusal(status: WorkOrderStatus) -> DomainError {
    DomainError::invalid(match status {
        WorkOrderStatus::Scheduled => "a O.S. ainda não foi iniciada",
        WorkOrderStatus::InProgress => "a O.S. já está em execução",
        WorkOrderStatus::Done => "a O.S. já foi concluída",
        WorkOrderStatus::Cancelled => "a O.S. foi cancelada",
    })
}

/// A staff member's name, as history entries and refusals show it.
async fn staff_name(tx: &mut Tx, id: i64) -> DomainResult<String> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM staff WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    row.map(|(name,)| name).ok_or(DomainError::NotFound("usuário"))
}

/// Marks a ticket as changed now.
async fn touch_ticket(tx: &mut Tx, ticket: i64, now: &str) -> DomainResult<()> {
    sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(ticket)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

impl Db {
    /// ` FOR UPDATE OF {alias}` on PostgreSQL; nothing on SQLite, whose write
    /// transaction already excludes every other writer.
    fn row_lock(&self, alias: &str) -> String {
        match self.dialect {
            Dialect::Postgres => format!(" FOR UPDATE OF {alias}"),
            Dialect::Sqlite => String::new(),
        }
    }

    /// The ticket inside the actor's scope, locked for the transaction.
    async fn ticket_state(&self, tx: &mut Tx, actor: &Actor, id: TicketId) -> DomainResult<TicketState> {
        let sql = format!(
            "SELECT c.reseller_id, t.status, t.assignee_staff_id, t.assignee_role_id \
             FROM tickets t JOIN clients c ON c.id = t.client_id WHERE t.id = $1{}{}",
            scope_clause(actor.scope, 2),
            self.row_lock("t")
        );
        let mut q = sqlx::query_as::<_, TicketState>(sqlx::AssertSqlSafe(sql)).bind(id.0);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        q.fetch_optional(&mut **tx).await.map_err(backend)?.ok_or(DomainError::NotFound("atendimento"))
    }

    /// The work order inside the actor's scope whose technician is the actor,
    /// locked for the transaction; anyone else's looks like none at all.
    async fn own_work_order(&self, tx: &mut Tx, actor: &Actor, id: WorkOrderId) -> DomainResult<WorkOrderState> {
        let sql = format!(
            "SELECT w.ticket_id, w.status FROM work_orders w JOIN clients c ON c.id = w.client_id \
             WHERE w.id = $1 AND w.technician_id = $2{}{}",
            scope_clause(actor.scope, 3),
            self.row_lock("w")
        );
        let mut q = sqlx::query_as::<_, WorkOrderState>(sqlx::AssertSqlSafe(sql)).bind(id.0).bind(actor.staff_id.0);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        q.fetch_optional(&mut **tx).await.map_err(backend)?.ok_or(DomainError::NotFound("O.S."))
    }

    /// A work order inside the actor's scope, whoever its technician.
    async fn scoped_work_order(&self, actor: &Actor, id: WorkOrderId) -> DomainResult<WorkOrder> {
        let sql = format!(
            "SELECT {WORK_ORDER_COLUMNS} FROM work_orders w JOIN clients c ON c.id = w.client_id WHERE w.id = $1{}",
            scope_clause(actor.scope, 2)
        );
        let mut q = sqlx::query_as::<_, WorkOrderRow>(sqlx::AssertSqlSafe(sql)).bind(id.0);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        let row = q.fetch_optional(&self.pool).await.map_err(backend)?.ok_or(DomainError::NotFound("O.S."))?;
        Ok(WorkOrder::from(row))
    }

    /// Applies one step to the actor's own work order: `next` gives, from its
    /// current status, the new status, technician and outcome (or why not)
    /// and the history entry; both are written together.
    async fn work_order_step<'a>(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        kind: &str,
        next: impl FnOnce(WorkOrderStatus) -> DomainResult<(WorkOrderStatus, Option<StaffId>, Option<&'a str>, String)>,
    ) -> DomainResult<WorkOrder> {
        let mut tx = self.begin_write().await?;
        let state = self.own_work_order(&mut tx, actor, id).await?;
        let (status, technician, outcome, detail) = next(WorkOrderStatus::from_stored(&state.status))?;
        let now = now_text();
        sqlx::query(
            "UPDATE work_orders SET status = $1, technician_id = $2, outcome = COALESCE($3, outcome), \
             updated_at = $4 WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(technician.map(|t| t.0))
        .bind(outcome)
        .bind(&now)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        touch_ticket(&mut tx, state.ticket_id, &now).await?;
        add_event(&mut tx, state.ticket_id, acting(actor), kind, &detail).await?;
        tx.commit().await.map_err(backend)?;
        self.scoped_work_order(actor, id).await
    }
}

#[async_trait]
impl FollowUp for Db {
    async fn add_note(&self, actor: &Actor, ticket: TicketId, note: &str) -> DomainResult<TicketDetail> {
        let note = typed(note, 2, "escreva a anotação")?;
        let mut tx = self.begin_write().await?;
        self.ticket_state(&mut tx, actor, ticket).await?;
        touch_ticket(&mut tx, ticket.0, &now_text()).await?;
        add_event(&mut tx, ticket.0, acting(actor), "note", note).await?;
        tx.commit().await.map_err(backend)?;
        self.ticket(actor, ticket).await
    }

    async fn set_status(&self, actor: &Actor, ticket: TicketId, status: TicketStatus) -> DomainResult<TicketDetail> {
        if status == TicketStatus::Resolved {
            return Err(DomainError::invalid("para resolver, descreva como o atendimento foi resolvido"));
        }
        let mut tx = self.begin_write().await?;
        let current = TicketStatus::from_stored(&self.ticket_state(&mut tx, actor, ticket).await?.status);
        if current == TicketStatus::Resolved {
            return Err(DomainError::invalid("o atendimento está resolvido; reabra-o antes"));
        }
        if current != status {
            sqlx::query("UPDATE tickets SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status.as_str())
                .bind(now_text())
                .bind(ticket.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            add_event(&mut tx, ticket.0, acting(actor), "status", &format!("Situação: {}", status.label())).await?;
        }
        tx.commit().await.map_err(backend)?;
        self.ticket(actor, ticket).await
    }

    async fn reassign(&self, actor: &Actor, ticket: TicketId, to: Assignee) -> DomainResult<TicketDetail> {
        let mut tx = self.begin_write().await?;
        let state = self.ticket_state(&mut tx, actor, ticket).await?;
        let (staff, role, detail) = match to {
            Assignee::User(s) => {
                let covers = match staff_scope(&mut tx, s, "usuário").await {
                    Ok(scope) => scope.covers(ResellerId(state.reseller_id)),
                    Err(DomainError::NotFound(_)) => false,
                    Err(e) => return Err(e),
                };
                if !covers {
                    return Err(DomainError::invalid("este usuário não atende a revenda do cliente"));
                }
                (Some(s.0), None, format!("Encaminhado para {}", staff_name(&mut tx, s.0).await?))
            }
            Assignee::Role(r) => {
                let found: Option<(String,)> = sqlx::query_as("SELECT name FROM roles WHERE id = $1")
                    .bind(r.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
                let (name,) = found.ok_or(DomainError::NotFound("cargo"))?;
                (None, Some(r.0), format!("Encaminhado para Cargo {name}"))
            }
        };
        if (state.assignee_staff_id, state.assignee_role_id) != (staff, role) {
            sqlx::query(
                "UPDATE tickets SET assignee_staff_id = $1, assignee_role_id = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(staff)
            .bind(role)
            .bind(now_text())
            .bind(ticket.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            let event_id = add_event(&mut tx, ticket.0, acting(actor), "assigned", &detail).await?;
            let event = format!("ticket:{}:assigned:{event_id}", ticket.0);
            enqueue_assignment(&mut tx, self.channels, ticket.0, state.reseller_id, to, acting(actor), &event).await?;
        }
        tx.commit().await.map_err(backend)?;
        self.ticket(actor, ticket).await
    }

    async fn take(&self, actor: &Actor, ticket: TicketId) -> DomainResult<TicketDetail> {
        let me = actor.staff_id;
        let mut tx = self.begin_write().await?;
        let state = self.ticket_state(&mut tx, actor, ticket).await?;
        if TicketStatus::from_stored(&state.status) == TicketStatus::Resolved {
            return Err(DomainError::invalid("o atendimento está resolvido; reabra-o antes"));
        }
        let role = match (state.assignee_staff_id, state.assignee_role_id) {
            (Some(s), _) if s == me.0 => {
                tx.commit().await.map_err(backend)?;
                return self.ticket(actor, ticket).await;
            }
            // Someone holds it already: most often a colleague who pressed
            // Assumir first, seen here once their transaction committed.
            (Some(s), _) => {
                return Err(DomainError::Conflict(format!(
                    "{} já assumiu este atendimento",
                    staff_name(&mut tx, s).await?
                )));
            }
            (None, Some(r)) if actor.roles.contains(&RoleId(r)) => r,
            _ => return Err(DomainError::invalid("este atendimento não está com um cargo seu")),
        };
        // Conditional on the role still holding it, so that of two members
        // racing exactly one changes the row, whatever the isolation.
        let now = now_text();
        let taken = sqlx::query(
            "UPDATE tickets SET assignee_staff_id = $1, assignee_role_id = NULL, status = 'in_progress', \
             updated_at = $2 WHERE id = $3 AND assignee_role_id = $4 AND status <> 'resolved'",
        )
        .bind(me.0)
        .bind(&now)
        .bind(ticket.0)
        .bind(role)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if taken.rows_affected() == 0 {
            let holder: Option<(Option<i64>,)> = sqlx::query_as("SELECT assignee_staff_id FROM tickets WHERE id = $1")
                .bind(ticket.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            return Err(match holder.and_then(|(s,)| s) {
                Some(s) => {
                    DomainError::Conflict(format!("{} já assumiu este atendimento", staff_name(&mut tx, s).await?))
                }
                None => DomainError::Conflict(
                    "o atendimento mudou enquanto você o assumia; atualize e tente de novo".into(),
                ),
            });
        }
        let detail = format!("Assumido por {}", staff_name(&mut tx, me.0).await?);
        let event_id = add_event(&mut tx, ticket.0, acting(actor), "taken", &detail).await?;
        enqueue_taken(&mut tx, ticket.0, actor.staff_id, &format!("ticket:{}:taken:{event_id}", ticket.0)).await?;
        tx.commit().await.map_err(backend)?;
        self.ticket(actor, ticket).await
    }

    async fn resolve(&self, actor: &Actor, ticket: TicketId, resolution: &str) -> DomainResult<TicketDetail> {
        let resolution = typed(resolution, 3, "descreva como o atendimento foi resolvido")?;
        let mut tx = self.begin_write().await?;
        let state = self.ticket_state(&mut tx, actor, ticket).await?;
        if TicketStatus::from_stored(&state.status) == TicketStatus::Resolved {
            return Err(DomainError::invalid("o atendimento já está resolvido"));
        }
        sqlx::query("UPDATE tickets SET status = $1, resolution = $2, resolved_at = $3, updated_at = $3 WHERE id = $4")
            .bind(TicketStatus::Resolved.as_str())
            .bind(resolution)
            .bind(now_text())
            .bind(ticket.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        add_event(&mut tx, ticket.0, acting(actor), "resolved", resolution).await?;
        tx.commit().await.map_err(backend)?;
        self.ticket(actor, ticket).await
    }

    async fn reopen(&self, actor: &Actor, ticket: TicketId, reason: &str) -> DomainResult<TicketDetail> {
        let reason = typed(reason, 3, "diga por que o atendimento está sendo reaberto")?;
        let mut tx = self.begin_write().await?;
        let state = self.ticket_state(&mut tx, actor, ticket).await?;
        if TicketStatus::from_stored(&state.status) != TicketStatus::Resolved {
            return Err(DomainError::invalid("o atendimento não está resolvido"));
        }
        // The old resolution no longer describes the ticket; the history keeps it.
        sqlx::query(
            "UPDATE tickets SET status = $1, resolution = '', resolved_at = NULL, updated_at = $2 WHERE id = $3",
        )
        .bind(TicketStatus::Open.as_str())
        .bind(now_text())
        .bind(ticket.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        add_event(&mut tx, ticket.0, acting(actor), "reopened", &format!("Reaberto: {reason}")).await?;
        tx.commit().await.map_err(backend)?;
        self.ticket(actor, ticket).await
    }

    async fn my_work_orders(&self, actor: &Actor) -> DomainResult<Vec<WorkOrder>> {
        let sql = format!(
            "SELECT {WORK_ORDER_COLUMNS} FROM work_orders w JOIN clients c ON c.id = w.client_id \
             WHERE w.technician_id = $1 \
             AND w.status IN ('scheduled', 'in_progress'){} \
             ORDER BY w.visit_date, w.window_start, w.id",
            scope_clause(actor.scope, 2)
        );
        let mut q = sqlx::query_as::<_, WorkOrderRow>(sqlx::AssertSqlSafe(sql)).bind(actor.staff_id.0);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        Ok(rows.into_iter().map(WorkOrder::from).collect())
    }

    async fn start_work_order(&self, actor: &Actor, id: WorkOrderId) -> DomainResult<WorkOrder> {
        self.work_order_step(actor, id, "work_order_started", |status| match status {
            WorkOrderStatus::Scheduled => {
                Ok((WorkOrderStatus::InProgress, Some(actor.staff_id), None, format!("O.S. {} em execução", id.0)))
            }
            other => Err(work_order_refusal(other)),
        })
        .await
    }

    async fn finish_work_order(&self, actor: &Actor, id: WorkOrderId, outcome: &str) -> DomainResult<WorkOrder> {
        let outcome = typed(outcome, 3, "descreva o que foi feito na visita")?;
        self.work_order_step(actor, id, "work_order_done", |status| match status {
            WorkOrderStatus::Scheduled | WorkOrderStatus::InProgress => Ok((
                WorkOrderStatus::Done,
                Some(actor.staff_id),
                Some(outcome),
                format!("O.S. {} concluída: {outcome}", id.0),
            )),
            other => Err(work_order_refusal(other)),
        })
        .await
    }

    async fn give_back_work_order(&self, actor: &Actor, id: WorkOrderId, reason: &str) -> DomainResult<WorkOrder> {
        let reason = typed(reason, 3, "diga por que a O.S. está sendo devolvida")?;
        self.work_order_step(actor, id, "work_order_returned", |status| match status {
            WorkOrderStatus::Scheduled | WorkOrderStatus::InProgress => {
                Ok((WorkOrderStatus::Scheduled, None, None, format!("O.S. {} devolvida: {reason}", id.0)))
            }
            other => Err(work_order_refusal(other)),
        })
        .await
    }

    async fn work_order(&self, actor: &Actor, id: WorkOrderId) -> DomainResult<WorkOrder> {
        self.scoped_work_order(actor, id).await
    }

    async fn assign_work_order(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        technician: StaffId,
    ) -> DomainResult<TicketDetail> {
        let mut tx = self.begin_write().await?;
        // Locked: a technician starting this O.S. at the same moment waits, then is refused or wins.
        let sql =
            format!("SELECT ticket_id, status, technician_id FROM work_orders w WHERE id = $1{}", self.row_lock("w"));
        let row: Option<(i64, String, Option<i64>)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(&mut *tx).await.map_err(backend)?;
        let (ticket, status, current) = row.ok_or(DomainError::NotFound("O.S."))?;
        // Outside the actor's scope, the O.S. does not exist for them.
        let state = self.ticket_state(&mut tx, actor, TicketId(ticket)).await.map_err(|e| match e {
            DomainError::NotFound(_) => DomainError::NotFound("O.S."),
            e => e,
        })?;
        if TicketStatus::from_stored(&state.status) == TicketStatus::Resolved {
            return Err(DomainError::invalid("o atendimento está resolvido; reabra-o antes"));
        }
        match WorkOrderStatus::from_stored(&status) {
            WorkOrderStatus::Scheduled => {}
            other => return Err(work_order_refusal(other)),
        }
        if !staff_scope(&mut tx, technician, "técnico").await?.covers(ResellerId(state.reseller_id)) {
            return Err(DomainError::invalid("este técnico não atende a revenda do cliente"));
        }
        if current != Some(technician.0) {
            let now = now_text();
            let changed =
                sqlx::query("UPDATE work_orders SET technician_id = $1, updated_at = $2 WHERE id = $3 AND status = $4")
                    .bind(technician.0)
                    .bind(&now)
                    .bind(id.0)
                    .bind(WorkOrderStatus::Scheduled.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            if changed.rows_affected() == 0 {
                return Err(DomainError::Conflict("a O.S. acabou de mudar; abra o atendimento de novo".into()));
            }
            touch_ticket(&mut tx, ticket, &now).await?;
            let detail = format!("O.S. {} para {}", id.0, staff_name(&mut tx, technician.0).await?);
            let event_id = add_event(&mut tx, ticket, acting(actor), "work_order_assigned", &detail).await?;
            if acting(actor) != Some(technician) {
                let event = format!("work_order:{}:assigned:{event_id}", id.0);
                enqueue_work_order(&mut tx, self.channels, ticket, id.0, technician, &event).await?;
            }
        }
        tx.commit().await.map_err(backend)?;
        self.ticket(actor, TicketId(ticket)).await
    }

    async fn assignable_staff(&self, actor: &Actor, reseller: ResellerId) -> DomainResult<Vec<Staff>> {
        if !actor.scope.covers(reseller) {
            return Err(DomainError::NotFound("revenda"));
        }
        let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM resellers WHERE id = $1")
            .bind(reseller.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        found.ok_or(DomainError::NotFound("revenda"))?;
        let ids: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM staff WHERE active = 1 AND (reseller_id = $1 OR reseller_id IS NULL)")
                .bind(reseller.0)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        let mut staff = Vec::with_capacity(ids.len());
        for (id,) in ids {
            staff.push(self.staff(StaffId(id)).await?);
        }
        // Sorted here rather than in SQL so both stores agree, accents and case aside.
        staff.sort_by_cached_key(|s| (search_key(&s.name), s.name.clone(), s.id.0));
        Ok(staff)
    }
}
