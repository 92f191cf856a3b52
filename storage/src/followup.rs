//! Working tickets after they are opened (Manutenção do Atendimento) and the
//! technician's side of work orders.
//!
//! Every change first finds its ticket or work order inside the actor's scope
//! (through the client's reseller), then asks the domain's rules
//! ([`balcao_domain::workflow`]) what to write, and writes the change, its
//! history entry and its notifications in one transaction. On PostgreSQL that
//! first read locks the row (`FOR UPDATE`), so concurrent changes to one
//! ticket queue as they do on SQLite, whose `BEGIN IMMEDIATE` already holds
//! the write lock: of two members pressing Assumir, the second reads the
//! first's change and is told who took it. Opening tickets and scheduling
//! work orders live in `tickets.rs`, not here.

use async_trait::async_trait;
use balcao_domain::ports::{FollowUp, Tickets};
use balcao_domain::staff::{Actor, Staff};
use balcao_domain::text::search_key;
use balcao_domain::ticket::{Assignee, NewWorkOrder, TicketDetail, TicketStatus, WorkOrder, WorkOrderStatus};
use balcao_domain::workflow::{
    self, Change, Command, Resolution, TicketState, WorkOrderChange, WorkOrderCommand, WorkOrderState,
};
use balcao_domain::{DomainError, DomainResult, ResellerId, RoleId, StaffId, TicketId, WorkOrderId};

use crate::outbox::{About, enqueue_intents};
use crate::rows::{WORK_ORDER_COLUMNS, WORK_ORDER_FROM, WorkOrderRow};
use crate::tickets::{Tx, add_event, target, user_target};
use crate::{Db, Dialect, backend, now_text, scope_clause};

/// A ticket as a change needs to read it.
#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    client_id: i64,
    reseller_id: i64,
    status: String,
    assignee_staff_id: Option<i64>,
    assignee_role_id: Option<i64>,
    holder_name: Option<String>,
    contact_email: Option<String>,
}

impl TicketRow {
    pub(crate) fn state(&self) -> TicketState {
        TicketState {
            reseller: ResellerId(self.reseller_id),
            status: TicketStatus::from_stored(&self.status),
            assignee: match (self.assignee_staff_id, self.assignee_role_id) {
                (Some(s), _) => Assignee::User(StaffId(s)),
                (None, r) => Assignee::Role(RoleId(r.unwrap_or_default())),
            },
            holder_name: self.holder_name.clone(),
        }
    }

    fn about(&self, ticket: TicketId, work_order: Option<WorkOrderId>) -> About {
        About {
            ticket: ticket.0,
            client: self.client_id,
            reseller: self.reseller_id,
            client_email: self.contact_email.clone(),
            work_order: work_order.map(|w| w.0),
        }
    }
}

/// A work order as a change needs to read it.
#[derive(sqlx::FromRow)]
struct WorkOrderRowState {
    ticket_id: i64,
    status: String,
    technician_id: Option<i64>,
}

/// What is asked of a work order, before the store has found the technician it names.
enum WorkOrderAsk {
    /// A step of the technician's own.
    Step(WorkOrderCommand),
    /// Give it to this technician.
    AssignTo(StaffId),
}

/// The name a change's notifications carry: "ticket:42:assigned:77".
fn event_name(ticket: TicketId, entry: &workflow::Entry, event_id: i64) -> String {
    format!("ticket:{}:{}:{event_id}", ticket.0, entry.kind())
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
    pub(crate) async fn lock_ticket(&self, tx: &mut Tx, actor: &Actor, id: TicketId) -> DomainResult<TicketRow> {
        let sql = format!(
            "SELECT t.client_id, c.reseller_id, t.status, t.assignee_staff_id, t.assignee_role_id, \
             CAST(NULL AS TEXT) AS holder_name, t.contact_email \
             FROM tickets t JOIN clients c ON c.id = t.client_id WHERE t.id = $1{}{}",
            scope_clause(actor.scope, 2),
            self.row_lock("t")
        );
        let mut q = sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql)).bind(id.0);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        let mut row =
            q.fetch_optional(&mut **tx).await.map_err(backend)?.ok_or(DomainError::NotFound("atendimento"))?;
        // Read after the lock, not joined to it: on PostgreSQL a row joined to
        // a locked one keeps the version seen before the wait, so a colleague
        // who took the ticket meanwhile would go unnamed.
        if let Some(holder) = row.assignee_staff_id {
            let name: Option<(String,)> = sqlx::query_as("SELECT name FROM staff WHERE id = $1")
                .bind(holder)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?;
            row.holder_name = name.map(|(n,)| n);
        }
        Ok(row)
    }

    /// Writes what the rules decided for a ticket: its row, its history entry
    /// and its notifications, in the caller's transaction.
    pub(crate) async fn write_change(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ticket: TicketId,
        row: &TicketRow,
        change: &Change,
    ) -> DomainResult<()> {
        let Some(entry) = &change.entry else { return Ok(()) };
        let now = now_text();
        let (staff, role) = match change.assignee {
            Assignee::User(s) => (Some(s.0), None),
            Assignee::Role(r) => (None, Some(r.0)),
        };
        let resolution = match change.resolution {
            Resolution::Keep => "",
            Resolution::Set(_) => ", resolution = $6, resolved_at = $3",
            Resolution::Clear => ", resolution = '', resolved_at = NULL",
        };
        let sql = format!(
            "UPDATE tickets SET status = $1, assignee_staff_id = $2, updated_at = $3, assignee_role_id = $5\
             {resolution} WHERE id = $4"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(change.status.as_str())
            .bind(staff)
            .bind(&now)
            .bind(ticket.0)
            .bind(role);
        if let Resolution::Set(text) = &change.resolution {
            q = q.bind(text.as_str());
        }
        q.execute(&mut **tx).await.map_err(backend)?;
        let event_id = add_event(tx, ticket.0, actor, entry).await?;
        let event = event_name(ticket, entry, event_id);
        enqueue_intents(tx, self.channels, &row.about(ticket, None), &change.notify, actor, &event).await
    }

    /// Locks the ticket, asks the rules, writes the change and answers the ticket as it now is.
    async fn change_ticket(&self, actor: &Actor, ticket: TicketId, command: Command) -> DomainResult<TicketDetail> {
        let mut tx = self.begin_write().await?;
        let row = self.lock_ticket(&mut tx, actor, ticket).await?;
        let change = workflow::decide(&row.state(), command, actor)?;
        self.write_change(&mut tx, actor, ticket, &row, &change).await?;
        tx.commit().await.map_err(backend)?;
        self.ticket(actor, ticket).await
    }

    /// A work order inside the actor's scope, whoever its technician.
    async fn scoped_work_order(&self, actor: &Actor, id: WorkOrderId) -> DomainResult<WorkOrder> {
        let sql = format!(
            "SELECT {WORK_ORDER_COLUMNS} FROM {WORK_ORDER_FROM} WHERE w.id = $1{}",
            scope_clause(actor.scope, 2)
        );
        let mut q = sqlx::query_as::<_, WorkOrderRow>(sqlx::AssertSqlSafe(sql)).bind(id.0);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        let row = q.fetch_optional(&self.pool).await.map_err(backend)?.ok_or(DomainError::NotFound("O.S."))?;
        Ok(WorkOrder::from(row))
    }

    /// Locks a work order and its ticket inside the actor's scope, asks the
    /// rules what `command` does, and writes the work order, the ticket's
    /// history entry and the notifications together. Outside the actor's
    /// scope the work order does not exist for them.
    async fn change_work_order(&self, actor: &Actor, id: WorkOrderId, ask: WorkOrderAsk) -> DomainResult<TicketId> {
        let mut tx = self.begin_write().await?;
        // Locked: a technician starting this O.S. while someone reassigns it waits, then is refused or wins.
        let sql =
            format!("SELECT ticket_id, status, technician_id FROM work_orders w WHERE id = $1{}", self.row_lock("w"));
        let wo: Option<WorkOrderRowState> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(&mut *tx).await.map_err(backend)?;
        let wo = wo.ok_or(DomainError::NotFound("O.S."))?;
        let ticket = TicketId(wo.ticket_id);
        let row = self.lock_ticket(&mut tx, actor, ticket).await.map_err(|e| match e {
            DomainError::NotFound(_) => DomainError::NotFound("O.S."),
            e => e,
        })?;
        let state = WorkOrderState {
            id,
            ticket_status: TicketStatus::from_stored(&row.status),
            reseller: ResellerId(row.reseller_id),
            status: WorkOrderStatus::from_stored(&wo.status),
            technician: wo.technician_id.map(StaffId),
            ticket_assignee: row.state().assignee,
        };
        let command = match ask {
            WorkOrderAsk::Step(command) => command,
            WorkOrderAsk::AssignTo(t) => WorkOrderCommand::Assign(user_target(&mut tx, t, "técnico").await?),
        };
        let change: WorkOrderChange = workflow::decide_work_order(&state, command, actor)?;
        if let Some(entry) = &change.entry {
            let now = now_text();
            sqlx::query(
                "UPDATE work_orders SET status = $1, technician_id = $2, outcome = COALESCE($3, outcome), \
                 updated_at = $4 WHERE id = $5",
            )
            .bind(change.status.as_str())
            .bind(change.technician.map(|t| t.0))
            .bind(change.outcome.as_deref())
            .bind(&now)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
                .bind(&now)
                .bind(ticket.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            let event_id = add_event(&mut tx, ticket.0, actor, entry).await?;
            let event = format!("work_order:{}:assigned:{event_id}", id.0);
            enqueue_intents(&mut tx, self.channels, &row.about(ticket, Some(id)), &change.notify, actor, &event)
                .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(ticket)
    }

    /// A technician's step on their own work order.
    async fn work_order_step(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        command: WorkOrderCommand,
    ) -> DomainResult<WorkOrder> {
        self.change_work_order(actor, id, WorkOrderAsk::Step(command)).await?;
        self.scoped_work_order(actor, id).await
    }
}

#[async_trait]
impl FollowUp for Db {
    async fn request_work_order(
        &self,
        actor: &Actor,
        ticket: TicketId,
        work_order: &NewWorkOrder,
    ) -> DomainResult<TicketDetail> {
        self.add_work_order(actor, ticket, work_order).await
    }

    async fn add_note(&self, actor: &Actor, ticket: TicketId, note: &str) -> DomainResult<TicketDetail> {
        self.change_ticket(actor, ticket, Command::Note(note.to_owned())).await
    }

    async fn set_status(&self, actor: &Actor, ticket: TicketId, status: TicketStatus) -> DomainResult<TicketDetail> {
        self.change_ticket(actor, ticket, Command::SetStatus(status)).await
    }

    async fn reassign(&self, actor: &Actor, ticket: TicketId, to: Assignee) -> DomainResult<TicketDetail> {
        let mut tx = self.begin_write().await?;
        let row = self.lock_ticket(&mut tx, actor, ticket).await?;
        let to = match target(&mut tx, to).await {
            // A user who does not exist reads as one who does not serve the reseller.
            Err(DomainError::NotFound("usuário")) => {
                return Err(DomainError::invalid("este usuário não atende a revenda do cliente"));
            }
            other => other?,
        };
        let change = workflow::decide(&row.state(), Command::Reassign(to), actor)?;
        self.write_change(&mut tx, actor, ticket, &row, &change).await?;
        tx.commit().await.map_err(backend)?;
        self.ticket(actor, ticket).await
    }

    async fn take(&self, actor: &Actor, ticket: TicketId) -> DomainResult<TicketDetail> {
        let name = match actor.staff_id() {
            Some(me) => self.staff(me).await?.name,
            None => String::new(),
        };
        self.change_ticket(actor, ticket, Command::Take(name)).await
    }

    async fn resolve(&self, actor: &Actor, ticket: TicketId, resolution: &str) -> DomainResult<TicketDetail> {
        self.change_ticket(actor, ticket, Command::Resolve(resolution.to_owned())).await
    }

    async fn reopen(&self, actor: &Actor, ticket: TicketId, reason: &str) -> DomainResult<TicketDetail> {
        self.change_ticket(actor, ticket, Command::Reopen(reason.to_owned())).await
    }

    async fn reply_to_client(&self, actor: &Actor, ticket: TicketId, text: &str) -> DomainResult<TicketDetail> {
        self.change_ticket(actor, ticket, Command::ReplyToClient(text.to_owned())).await
    }

    async fn my_work_orders(&self, actor: &Actor) -> DomainResult<Vec<WorkOrder>> {
        let sql = format!(
            "SELECT {WORK_ORDER_COLUMNS} FROM {WORK_ORDER_FROM} \
             WHERE w.technician_id = $1 \
             AND w.status IN ('scheduled', 'in_progress'){} \
             ORDER BY w.visit_date, w.window_start, w.id",
            scope_clause(actor.scope, 2)
        );
        let mut q =
            sqlx::query_as::<_, WorkOrderRow>(sqlx::AssertSqlSafe(sql)).bind(actor.staff_id().map_or(0, |s| s.0));
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        Ok(rows.into_iter().map(WorkOrder::from).collect())
    }

    async fn start_work_order(&self, actor: &Actor, id: WorkOrderId) -> DomainResult<WorkOrder> {
        self.work_order_step(actor, id, WorkOrderCommand::Start).await
    }

    async fn finish_work_order(&self, actor: &Actor, id: WorkOrderId, outcome: &str) -> DomainResult<WorkOrder> {
        self.work_order_step(actor, id, WorkOrderCommand::Finish(outcome.to_owned())).await
    }

    async fn give_back_work_order(&self, actor: &Actor, id: WorkOrderId, reason: &str) -> DomainResult<WorkOrder> {
        self.work_order_step(actor, id, WorkOrderCommand::GiveBack(reason.to_owned())).await
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
        let ticket = self.change_work_order(actor, id, WorkOrderAsk::AssignTo(technician)).await?;
        self.ticket(actor, ticket).await
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
