//! Tickets, their history and work orders.

use async_trait::async_trait;
use balcao_domain::client::Client;
use balcao_domain::ports::Tickets;
use balcao_domain::staff::{Actor, Scope, System, Who};
use balcao_domain::ticket::{
    Assignee, NewTicket, NewWorkOrder, Ticket, TicketDetail, TicketEvent, WorkOrder, WorkOrderStatus, protocol,
};
use balcao_domain::workflow::{self, Entry, Intent, Target};
use balcao_domain::{ClientId, DomainError, DomainResult, ResellerId, StaffId, TicketId};
use chrono::NaiveDate;
use sqlx::{Any, Transaction};

use crate::outbox::{About, enqueue_intents};
use crate::rows::{TICKET_COLUMNS, TICKET_FROM, TicketRow, WORK_ORDER_COLUMNS, WORK_ORDER_FROM, WorkOrderRow};
use crate::{Db, backend, date_text, now_text, parse_instant, scope_clause};

/// A write transaction of the store.
pub(crate) type Tx = Transaction<'static, Any>;

async fn exists(tx: &mut Tx, sql: &'static str, id: i64, what: &'static str) -> DomainResult<()> {
    let found: Option<(i64,)> = sqlx::query_as(sql).bind(id).fetch_optional(&mut **tx).await.map_err(backend)?;
    found.map(|_| ()).ok_or(DomainError::NotFound(what))
}

/// Appends an entry to a ticket's history, inside the change's transaction; its id.
pub(crate) async fn add_event(tx: &mut Tx, ticket: i64, actor: &Actor, entry: &Entry) -> DomainResult<i64> {
    let system = match actor.who {
        Who::Staff(_) => None,
        Who::System(s) => Some(s.as_str()),
    };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO ticket_events (ticket_id, at, actor_staff_id, actor_system, kind, detail) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(ticket)
    .bind(now_text())
    .bind(actor.staff_id().map(|a| a.0))
    .bind(system)
    .bind(entry.kind())
    .bind(entry.detail())
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(id)
}

/// A staff member as a ticket or work order may be given to them: their name
/// and, when active, where they may act. `NotFound(what)` when there is no such staff member.
pub(crate) async fn user_target(tx: &mut Tx, staff: StaffId, what: &'static str) -> DomainResult<Target> {
    let row: Option<(String, i64, Option<i64>)> =
        sqlx::query_as("SELECT name, active, reseller_id FROM staff WHERE id = $1")
            .bind(staff.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    let (name, active, reseller) = row.ok_or(DomainError::NotFound(what))?;
    let scope = reseller.map_or(Scope::Provider, |r| Scope::Reseller(ResellerId(r)));
    Ok(Target::User { id: staff, name, scope: (active == 1).then_some(scope) })
}

/// The user or role a ticket may be given to.
pub(crate) async fn target(tx: &mut Tx, to: Assignee) -> DomainResult<Target> {
    match to {
        Assignee::User(s) => user_target(tx, s, "usuário").await,
        Assignee::Role(r) => {
            let found: Option<(String,)> = sqlx::query_as("SELECT name FROM roles WHERE id = $1")
                .bind(r.0)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?;
            let (name,) = found.ok_or(DomainError::NotFound("cargo"))?;
            Ok(Target::Role { id: r, name })
        }
    }
}

/// Writes a scheduled work order of ticket `ticket`, at the client's address
/// unless it names one; its id.
async fn insert_work_order(
    tx: &mut Tx,
    ticket: i64,
    client: &Client,
    wo: &NewWorkOrder,
    now: &str,
) -> DomainResult<i64> {
    let address = if wo.address.trim().is_empty() { client.address.one_line() } else { wo.address.trim().to_owned() };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO work_orders (ticket_id, reseller_id, client_id, visit_date, window_start, window_end, \
         technician_id, address, task, status, outcome, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', $11, $11) RETURNING id",
    )
    .bind(ticket)
    .bind(client.reseller_id.0)
    .bind(client.id.0)
    .bind(date_text(wo.date))
    .bind(wo.window_start.format("%H:%M").to_string())
    .bind(wo.window_end.format("%H:%M").to_string())
    .bind(wo.technician.map(|t| t.0))
    .bind(address)
    .bind(wo.task.trim())
    .bind(WorkOrderStatus::Scheduled.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(id)
}

impl Db {
    /// Opens a ticket for `client` inside `tx`: the ticket, its history, its
    /// work order and the notifications, by the domain's rules; its id.
    /// `contact_email` is where answers to the client go, when it came by e-mail or form.
    pub(crate) async fn open_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        new: &NewTicket,
        client: &Client,
        today: NaiveDate,
        contact_email: Option<&str>,
    ) -> DomainResult<i64> {
        if let Some(s) = new.subscription_id {
            let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM subscriptions WHERE id = $1 AND client_id = $2")
                .bind(s.0)
                .bind(client.id.0)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?;
            found.ok_or(DomainError::NotFound("plano do cliente"))?;
        }
        if let Some(rp) = new.routing_point_id {
            exists(tx, "SELECT id FROM routing_points WHERE id = $1", rp.0, "ponto de roteamento").await?;
        }
        exists(tx, "SELECT id FROM contact_channels WHERE id = $1", new.channel_id.0, "tipo de contato").await?;
        exists(tx, "SELECT id FROM ticket_types WHERE id = $1", new.ticket_type_id.0, "tipo de atendimento").await?;
        let assignee = target(tx, new.assignee).await?;
        let technician = match new.work_order.as_ref().and_then(|wo| wo.technician) {
            Some(t) => Some(user_target(tx, t, "técnico").await?),
            None => None,
        };
        let opening = workflow::open(new, client.reseller_id, &assignee, technician.as_ref(), actor)?;
        let (staff_assignee, role_assignee) = match new.assignee {
            Assignee::User(s) => (Some(s.0), None),
            Assignee::Role(r) => (None, Some(r.0)),
        };
        let (seq,): (i64,) = sqlx::query_as(
            "INSERT INTO counters (name, value) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .bind(format!("protocol:{}", date_text(today)))
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        let now = now_text();
        let resolved = new.resolution.as_deref().map(str::trim);
        let status = opening.status;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO tickets (protocol, reseller_id, client_id, subscription_id, routing_point_id, contact_name, \
             problem, channel_id, ticket_type_id, assignee_staff_id, assignee_role_id, checks, status, \
             resolved_on_first_contact, resolution, opened_by, created_at, updated_at, resolved_at, contact_email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19) \
             RETURNING id",
        )
        .bind(protocol(today, seq))
        .bind(client.reseller_id.0)
        .bind(client.id.0)
        .bind(new.subscription_id.map(|s| s.0))
        .bind(new.routing_point_id.map(|r| r.0))
        .bind(new.contact_name.trim())
        .bind(new.problem.trim())
        .bind(new.channel_id.0)
        .bind(new.ticket_type_id.0)
        .bind(staff_assignee)
        .bind(role_assignee)
        .bind(new.checks.trim())
        .bind(status.as_str())
        .bind(i64::from(resolved.is_some()))
        .bind(resolved.unwrap_or(""))
        .bind(actor.staff_id().map(|s| s.0))
        .bind(&now)
        .bind(resolved.map(|_| now.clone()))
        .bind(contact_email)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        let mut work_order_id = None;
        if let Some(wo) = &new.work_order {
            work_order_id = Some(insert_work_order(tx, id, client, wo, &now).await?);
        }
        for entry in &opening.entries {
            add_event(tx, id, actor, entry).await?;
        }
        let about = About {
            ticket: id,
            client: client.id.0,
            reseller: client.reseller_id.0,
            client_email: contact_email.map(str::to_owned),
            work_order: work_order_id,
        };
        for intent in &opening.notify {
            // Opening's own names, kept from before the rules moved to the domain.
            let event = match intent {
                Intent::WorkOrder(_) => format!("work_order:{}:scheduled", work_order_id.unwrap_or_default()),
                _ => format!("ticket:{id}:opened"),
            };
            enqueue_intents(tx, self.channels, &about, std::slice::from_ref(intent), actor, &event).await?;
        }
        Ok(id)
    }
}

impl Db {
    /// A new work order on an open ticket, by the domain's rules (see `FollowUp::request_work_order`).
    pub(crate) async fn add_work_order(
        &self,
        actor: &Actor,
        ticket: TicketId,
        wo: &NewWorkOrder,
    ) -> DomainResult<TicketDetail> {
        let client_id = self.ticket(actor, ticket).await?.ticket.client_id;
        let client = balcao_domain::ports::Clients::client(self, actor, client_id).await?;
        let mut tx = self.begin_write().await?;
        let row = self.lock_ticket(&mut tx, actor, ticket).await?;
        let (active,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM work_orders WHERE ticket_id = $1 AND status IN ('scheduled', 'in_progress')",
        )
        .bind(ticket.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let technician = match wo.technician {
            Some(t) => Some(user_target(&mut tx, t, "técnico").await?),
            None => None,
        };
        let (entry, notify) = workflow::request_work_order(&row.state(), wo, active > 0, technician.as_ref(), actor)?;
        let now = now_text();
        let id = insert_work_order(&mut tx, ticket.0, &client, wo, &now).await?;
        sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(ticket.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        add_event(&mut tx, ticket.0, actor, &entry).await?;
        let about = About {
            ticket: ticket.0,
            client: client.id.0,
            reseller: client.reseller_id.0,
            client_email: None,
            work_order: Some(id),
        };
        enqueue_intents(&mut tx, self.channels, &about, &notify, actor, &format!("work_order:{id}:scheduled")).await?;
        tx.commit().await.map_err(backend)?;
        self.ticket(actor, ticket).await
    }
}

#[async_trait]
impl Tickets for Db {
    async fn open_ticket(&self, actor: &Actor, new: &NewTicket, today: NaiveDate) -> DomainResult<Ticket> {
        new.validate()?;
        let client = balcao_domain::ports::Clients::client(self, actor, new.client_id).await?;
        let mut tx = self.begin_write().await?;
        let id = self.open_in(&mut tx, actor, new, &client, today, None).await?;
        tx.commit().await.map_err(backend)?;
        Ok(self.ticket(actor, TicketId(id)).await?.ticket)
    }

    async fn ticket_by_protocol(&self, actor: &Actor, protocol: &str) -> DomainResult<Option<TicketId>> {
        let sql = format!("SELECT t.id FROM {TICKET_FROM} WHERE t.protocol = $1{}", scope_clause(actor.scope, 2));
        let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(protocol);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        Ok(q.fetch_optional(&self.pool).await.map_err(backend)?.map(|(id,)| TicketId(id)))
    }

    async fn ticket(&self, actor: &Actor, id: TicketId) -> DomainResult<TicketDetail> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM {TICKET_FROM} WHERE t.id = $1{}", scope_clause(actor.scope, 2));
        let mut q = sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql)).bind(id.0);
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        let ticket = Ticket::from(
            q.fetch_optional(&self.pool).await.map_err(backend)?.ok_or(DomainError::NotFound("atendimento"))?,
        );
        type EventRow = (i64, String, Option<i64>, Option<String>, Option<String>, String, String);
        let events: Vec<EventRow> = sqlx::query_as(
            "SELECT e.id, e.at, e.actor_staff_id, s.name, e.actor_system, e.kind, e.detail FROM ticket_events e \
             LEFT JOIN staff s ON s.id = e.actor_staff_id WHERE e.ticket_id = $1 ORDER BY e.id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let history = events
            .into_iter()
            .map(|(id, at, actor, name, system, kind, detail)| TicketEvent {
                id,
                at: parse_instant(&at),
                actor: actor.map(StaffId),
                actor_name: name.unwrap_or_else(|| {
                    system.as_deref().and_then(System::from_stored).unwrap_or(System::Admin).label().to_owned()
                }),
                kind,
                detail,
            })
            .collect();
        let rows: Vec<WorkOrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {WORK_ORDER_COLUMNS} FROM {WORK_ORDER_FROM} WHERE w.ticket_id = $1 ORDER BY w.id"
        )))
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let work_orders = rows.into_iter().map(WorkOrder::from).collect();
        Ok(TicketDetail { ticket, history, work_orders })
    }

    async fn client_tickets(&self, actor: &Actor, client: ClientId) -> DomainResult<Vec<Ticket>> {
        self.client_in_scope(actor, client).await?;
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM {TICKET_FROM} WHERE t.client_id = $1 \
             ORDER BY CASE t.status WHEN 'resolved' THEN 1 ELSE 0 END, t.created_at DESC, t.id DESC"
        );
        let rows: Vec<TicketRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(client.0).fetch_all(&self.pool).await.map_err(backend)?;
        Ok(rows.into_iter().map(Ticket::from).collect())
    }

    async fn my_tickets(&self, actor: &Actor) -> DomainResult<Vec<Ticket>> {
        let mut sql = format!(
            "SELECT {TICKET_COLUMNS} FROM {TICKET_FROM} WHERE t.status <> 'resolved' AND (t.assignee_staff_id = $1"
        );
        let mut n = 1;
        for _ in &actor.roles {
            n += 1;
            sql.push_str(&format!(" OR t.assignee_role_id = ${n}"));
        }
        sql.push(')');
        sql.push_str(&scope_clause(actor.scope, n + 1));
        sql.push_str(" ORDER BY t.created_at, t.id LIMIT 100");
        let mut q = sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql)).bind(actor.staff_id().map_or(0, |s| s.0));
        for role in &actor.roles {
            q = q.bind(role.0);
        }
        if let Some(r) = actor.scope.reseller() {
            q = q.bind(r.0);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        Ok(rows.into_iter().map(Ticket::from).collect())
    }
}
