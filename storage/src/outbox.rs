//! The notification outbox: rows written inside the use cases' transactions
//! ([`enqueue_intents`]), claimed with a lease by the dispatcher, and
//! their outcomes.

use async_trait::async_trait;
use balcao_domain::notify::{
    Channel, DeliveryStatus, Notification, NotificationKind, OutboxStat, Recipient, RoleGroup,
};
use balcao_domain::ports::Outbox;
use balcao_domain::staff::Actor;
use balcao_domain::ticket::Assignee;
use balcao_domain::workflow::Intent;
use balcao_domain::{
    ClientId, DomainError, DomainResult, NotificationId, ResellerId, RoleGroupId, RoleId, StaffId, TicketId,
};
use chrono::{DateTime, Utc};

use crate::tickets::Tx;
use crate::{Channels, Db, Dialect, backend, instant_text, now_text, parse_instant};

/// Writes, in the change's transaction, the outbox rows of what the domain
/// decided must be heard: `event` names the change ("ticket:42:opened",
/// "ticket:42:assigned:77"); a second write of the same event changes nothing.
/// `work_order` is the work order an [`Intent::WorkOrder`] is about.
pub(crate) async fn enqueue_intents(
    tx: &mut Tx,
    channels: Channels,
    about: &About,
    intents: &[Intent],
    actor: &Actor,
    event: &str,
) -> DomainResult<()> {
    let actor = actor.staff_id();
    for intent in intents {
        match *intent {
            Intent::Assigned(to) => {
                enqueue_assignment(tx, channels, about, to, actor, NotificationKind::TicketAssigned, event).await?
            }
            Intent::ClientWrote(to) => {
                enqueue_assignment(tx, channels, about, to, actor, NotificationKind::ClientWrote, event).await?
            }
            Intent::Taken(taker) => enqueue_taken(tx, about.ticket, taker, event).await?,
            Intent::WorkOrder(technician) => {
                let work_order = about.work_order.ok_or(DomainError::NotFound("O.S."))?;
                enqueue_work_order(tx, channels, about.ticket, work_order, technician, event).await?
            }
            Intent::News(to) => {
                enqueue_assignment(tx, channels, about, to, actor, NotificationKind::TicketNews, event).await?
            }
            Intent::EmailClient => {
                enqueue_client_mail(tx, channels, about, NotificationKind::ReplyToClient, event).await?
            }
        }
    }
    Ok(())
}

/// Writes an e-mail to the ticket's client at the address it came from
/// (`kind` says what it is); refuses when there is no address or e-mail is
/// not configured, so nothing is promised that cannot go.
pub(crate) async fn enqueue_client_mail(
    tx: &mut Tx,
    channels: Channels,
    about: &About,
    kind: NotificationKind,
    event: &str,
) -> DomainResult<()> {
    let to = about
        .client_email
        .as_deref()
        .ok_or_else(|| DomainError::invalid("este atendimento não tem o e-mail do cliente; responda por outro meio"))?;
    if !channels.email {
        return Err(DomainError::invalid(
            "o envio de e-mails não está configurado (smtp.url); responda por outro meio",
        ));
    }
    let row = NewRow {
        event,
        to: Recipient::Client(ClientId(about.client)),
        address: Some(to),
        channel: Channel::Email,
        kind,
        ticket: about.ticket,
        urgent: true,
    };
    insert_row(tx, row).await
}

/// The ticket a change is about, as the outbox needs it.
pub(crate) struct About {
    /// The ticket.
    pub ticket: i64,
    /// Its client.
    pub client: i64,
    /// The client's reseller.
    pub reseller: i64,
    /// Where answers to the client go, when known.
    pub client_email: Option<String>,
    /// The work order the change is about, if any.
    pub work_order: Option<i64>,
}

/// The notifications of a ticket assignment (or of news on it): to the
/// assigned user, or to every active member of the role who serves the
/// ticket's reseller (or the role's group chat); never to the actor. One row
/// per configured channel the recipient can be reached on: Telegram when
/// linked and reachable, e-mail when they have an address.
async fn enqueue_assignment(
    tx: &mut Tx,
    channels: Channels,
    about: &About,
    assignee: Assignee,
    actor: Option<StaffId>,
    kind: NotificationKind,
    event: &str,
) -> DomainResult<()> {
    let (ticket, reseller) = (about.ticket, about.reseller);
    let recipients: Vec<(i64, i64, i64)> = match assignee {
        Assignee::User(s) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {REACH} FROM staff s WHERE s.id = $1 AND s.active = 1")))
                .bind(s.0)
                .fetch_all(&mut **tx)
                .await
                .map_err(backend)?
        }
        Assignee::Role(r) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REACH} FROM staff s JOIN staff_roles sr ON sr.staff_id = s.id WHERE sr.role_id = $1 \
             AND s.active = 1 AND (s.reseller_id IS NULL OR s.reseller_id = $2) ORDER BY s.id"
        )))
        .bind(r.0)
        .bind(reseller)
        .fetch_all(&mut **tx)
        .await
        .map_err(backend)?,
    };
    let row = |to| NewRow { event, to, address: None, channel: Channel::Telegram, kind, ticket, urgent: true };
    // A role with a group chat for this reseller (or for all) hears of it there, once.
    let group = match assignee {
        Assignee::Role(r) if channels.telegram => group_for(tx, r.0, reseller).await?,
        _ => None,
    };
    if let Some(group) = group {
        insert_row(tx, row(Recipient::Group(RoleGroupId(group)))).await?;
    }
    for (recipient, on_telegram, has_email) in recipients {
        if actor.is_some_and(|a| a.0 == recipient) {
            continue;
        }
        let reach = Reach { telegram: on_telegram == 1 && group.is_none(), email: has_email == 1 };
        for channel in reach.channels(channels) {
            insert_row(tx, NewRow { channel, ..row(Recipient::Staff(StaffId(recipient))) }).await?;
        }
    }
    Ok(())
}

/// Writes, in the scheduling's transaction, the notice of a work order to its
/// technician: one row per configured channel they can be reached on. Not
/// urgent: in quiet hours it waits for morning. `event` names the work order
/// ("work_order:7:scheduled", "work_order:7:assigned:31").
async fn enqueue_work_order(
    tx: &mut Tx,
    channels: Channels,
    ticket: i64,
    work_order: i64,
    technician: StaffId,
    event: &str,
) -> DomainResult<()> {
    let reach: Option<(i64, i64, i64)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {REACH} FROM staff s WHERE s.id = $1 AND s.active = 1")))
            .bind(technician.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    let Some((_, on_telegram, has_email)) = reach else { return Ok(()) };
    debug_assert_eq!(balcao_domain::notify::work_order_of_event(event).map(|w| w.0), Some(work_order));
    for channel in (Reach { telegram: on_telegram == 1, email: has_email == 1 }).channels(channels) {
        let row = NewRow {
            event,
            to: Recipient::Staff(technician),
            address: None,
            channel,
            kind: NotificationKind::WorkOrderScheduled,
            ticket,
            urgent: false,
        };
        insert_row(tx, row).await?;
    }
    Ok(())
}

/// A staff member's id, and whether they can be reached on Telegram (linked
/// and reachable) and by e-mail (an address), as 0/1.
const REACH: &str = "s.id, CASE WHEN s.telegram_id IS NOT NULL AND s.telegram_unreachable = 0 THEN 1 ELSE 0 END, \
     CASE WHEN s.email IS NOT NULL AND s.email <> '' THEN 1 ELSE 0 END";

/// Where a staff member can be reached.
struct Reach {
    telegram: bool,
    email: bool,
}

impl Reach {
    /// The configured channels among those.
    fn channels(&self, configured: Channels) -> impl Iterator<Item = Channel> {
        [(Channel::Telegram, configured.telegram && self.telegram), (Channel::Email, configured.email && self.email)]
            .into_iter()
            .filter_map(|(channel, on)| on.then_some(channel))
    }
}

/// One outbox row to write.
struct NewRow<'a> {
    event: &'a str,
    to: Recipient,
    address: Option<&'a str>,
    channel: Channel,
    kind: NotificationKind,
    ticket: i64,
    urgent: bool,
}

/// Writes a pending row; one already written for the same event, recipient and channel wins.
async fn insert_row(tx: &mut Tx, row: NewRow<'_>) -> DomainResult<()> {
    let (staff, group, client) = match row.to {
        Recipient::Staff(s) => (Some(s.0), None, None),
        Recipient::Group(g) => (None, Some(g.0), None),
        Recipient::Client(c) => (None, None, Some(c.0)),
    };
    let now = now_text();
    sqlx::query(
        "INSERT INTO outbox (event, recipient_id, group_id, client_id, address, channel, kind, ticket_id, urgent, \
         status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $9, $10, $4, $5, $6, $7, 'pending', 0, $8, $8) ON CONFLICT DO NOTHING",
    )
    .bind(row.event)
    .bind(staff)
    .bind(group)
    .bind(row.channel.as_str())
    .bind(row.kind.as_str())
    .bind(row.ticket)
    .bind(i64::from(row.urgent))
    .bind(now)
    .bind(client)
    .bind(row.address)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

/// The group chat where `role` hears of `reseller`'s tickets: the reseller's
/// own, else the role's group for every reseller, else none.
async fn group_for(tx: &mut Tx, role: i64, reseller: i64) -> DomainResult<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM role_groups WHERE role_id = $1 AND (reseller_id = $2 OR reseller_id IS NULL) \
         AND removed_at IS NULL ORDER BY CASE WHEN reseller_id IS NULL THEN 1 ELSE 0 END LIMIT 1",
    )
    .bind(role)
    .bind(reseller)
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(row.map(|(id,)| id))
}

/// Writes, in the Assumir's transaction, one notification per other person who
/// was told of the role's ticket on Telegram, so that their message says who
/// took it. (An e-mail cannot be edited, and a second one only to say "taken"
/// would be noise.)
async fn enqueue_taken(tx: &mut Tx, ticket: i64, taker: StaffId, event: &str) -> DomainResult<()> {
    let now = now_text();
    sqlx::query(
        "INSERT INTO outbox (event, recipient_id, group_id, channel, kind, ticket_id, urgent, status, attempts, \
         next_attempt_at, created_at) SELECT DISTINCT $1, recipient_id, group_id, channel, $2, ticket_id, 0, 'pending', \
         0, $3, $3 FROM outbox WHERE ticket_id = $4 AND kind = $5 AND (recipient_id <> $6 OR group_id IS NOT NULL) \
         AND status <> 'dead' AND channel = 'telegram' ON CONFLICT DO NOTHING",
    )
    .bind(event)
    .bind(NotificationKind::TicketTaken.as_str())
    .bind(&now)
    .bind(ticket)
    .bind(NotificationKind::TicketAssigned.as_str())
    .bind(taker.0)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

const COLUMNS: &str = "id, event, recipient_id, group_id, client_id, address, channel, kind, ticket_id, status, attempts, last_error, \
     external_id, created_at, sent_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    event: String,
    recipient_id: Option<i64>,
    group_id: Option<i64>,
    client_id: Option<i64>,
    address: Option<String>,
    channel: String,
    kind: String,
    ticket_id: Option<i64>,
    status: String,
    attempts: i64,
    last_error: String,
    external_id: Option<String>,
    created_at: String,
    sent_at: Option<String>,
}

impl From<Row> for Notification {
    fn from(r: Row) -> Notification {
        Notification {
            id: NotificationId(r.id),
            event: r.event,
            recipient: match (r.recipient_id, r.group_id, r.client_id) {
                (Some(staff), ..) => Recipient::Staff(StaffId(staff)),
                (None, None, Some(client)) => Recipient::Client(ClientId(client)),
                (None, group, _) => Recipient::Group(RoleGroupId(group.unwrap_or_default())),
            },
            address: r.address,
            channel: Channel::from_stored(&r.channel),
            kind: NotificationKind::from_stored(&r.kind),
            ticket: r.ticket_id.map(TicketId),
            status: DeliveryStatus::from_stored(&r.status),
            attempts: r.attempts,
            last_error: r.last_error,
            external_id: r.external_id,
            created_at: parse_instant(&r.created_at),
            sent_at: r.sent_at.as_deref().map(parse_instant),
        }
    }
}

#[async_trait]
impl Outbox for Db {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_seconds: i64,
        limit: i64,
        urgent_only: bool,
    ) -> DomainResult<Vec<Notification>> {
        let due = "status = 'pending' AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until < $2) \
             AND (urgent = 1 OR $4 = 0)";
        let extra = [ClaimArg::Int(i64::from(urgent_only))];
        self.claim_rows(due, "next_attempt_at, id", now, lease_seconds, limit, &extra).await
    }

    async fn mark_sent(&self, id: NotificationId, external_id: &str, now: DateTime<Utc>) -> DomainResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', attempts = attempts + 1, external_id = $2, sent_at = $3, \
             claimed_until = NULL, last_error = '' WHERE id = $1",
        )
        .bind(id.0)
        .bind(external_id)
        .bind(instant_text(now))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn mark_retry(
        &self,
        id: NotificationId,
        error: &str,
        next_at: DateTime<Utc>,
        counts: bool,
    ) -> DomainResult<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + $2, last_error = $3, next_attempt_at = $4, claimed_until = NULL \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id.0)
        .bind(i64::from(counts))
        .bind(error)
        .bind(instant_text(next_at))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn release_own_claims(&self) -> DomainResult<u64> {
        let Some(owner) = &self.owner else { return Ok(0) };
        let done = sqlx::query(
            "UPDATE outbox SET claimed_until = NULL, claimed_by = NULL \
             WHERE claimed_by = $1 AND status = 'pending' AND claimed_until IS NOT NULL",
        )
        .bind(owner.as_str())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn release(&self, ids: &[NotificationId]) -> DomainResult<()> {
        for id in ids {
            sqlx::query("UPDATE outbox SET claimed_until = NULL WHERE id = $1 AND status = 'pending'")
                .bind(id.0)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    async fn mark_dead(&self, id: NotificationId, reason: &str) -> DomainResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = $2, claimed_until = NULL \
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(reason)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn delivered_assignment(&self, ticket: TicketId, recipient: Recipient) -> DomainResult<Option<String>> {
        let (column, id) = match recipient {
            Recipient::Staff(s) => ("recipient_id", s.0),
            Recipient::Group(g) => ("group_id", g.0),
            Recipient::Client(_) => return Ok(None),
        };
        let row: Option<(Option<String>,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT external_id FROM outbox WHERE ticket_id = $1 AND {column} = $2 AND kind = $3 \
             AND status = 'sent' AND channel = 'telegram' ORDER BY id DESC LIMIT 1"
        )))
        .bind(ticket.0)
        .bind(id)
        .bind(NotificationKind::TicketAssigned.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.and_then(|(e,)| e))
    }

    async fn claim_group_backlog(
        &self,
        group: RoleGroupId,
        now: DateTime<Utc>,
        lease_seconds: i64,
        limit: i64,
    ) -> DomainResult<Vec<Notification>> {
        let waiting = "group_id = $4 AND status = 'pending' AND kind = $5 \
             AND (claimed_until IS NULL OR claimed_until < $2)";
        let extra = [ClaimArg::Int(group.0), ClaimArg::Text(NotificationKind::TicketAssigned.as_str())];
        self.claim_rows(waiting, "id", now, lease_seconds, limit, &extra).await
    }

    async fn tickets_in_message(&self, external_id: &str) -> DomainResult<Vec<TicketId>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT ticket_id FROM outbox WHERE external_id = $1 AND kind = $2 AND status = 'sent' \
             AND ticket_id IS NOT NULL ORDER BY id",
        )
        .bind(external_id)
        .bind(NotificationKind::TicketAssigned.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(|(t,)| TicketId(t)).collect())
    }

    async fn role_group(&self, id: RoleGroupId) -> DomainResult<RoleGroup> {
        let sql = format!("{GROUP_SELECT} WHERE g.id = $1");
        let row: Option<GroupRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(&self.pool).await.map_err(backend)?;
        row.map(RoleGroup::from).ok_or(DomainError::NotFound("grupo"))
    }

    async fn mark_unreachable(&self, staff: StaffId) -> DomainResult<()> {
        sqlx::query("UPDATE staff SET telegram_unreachable = 1 WHERE id = $1")
            .bind(staff.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn outbox_stats(&self) -> DomainResult<Vec<OutboxStat>> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT channel, status, COUNT(*), CAST(SUM(CASE WHEN attempts > 1 THEN 1 ELSE 0 END) AS BIGINT) \
             FROM outbox GROUP BY channel, status ORDER BY channel, status",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(channel, status, count, retried)| OutboxStat {
                channel: Channel::from_stored(&channel),
                status: DeliveryStatus::from_stored(&status),
                count,
                retried,
            })
            .collect())
    }

    async fn notifications(&self, dead_only: bool, limit: i64) -> DomainResult<Vec<Notification>> {
        let filter = if dead_only { "WHERE status = 'dead' " } else { "" };
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM outbox {filter}ORDER BY id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(Notification::from).collect())
    }

    async fn retry_dead(&self, id: Option<NotificationId>, now: DateTime<Utc>) -> DomainResult<usize> {
        let (sql, bind_id) = match id {
            Some(id) => (
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, claimed_until = NULL \
                 WHERE status = 'dead' AND id = $2",
                Some(id.0),
            ),
            None => (
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, claimed_until = NULL \
                 WHERE status = 'dead'",
                None,
            ),
        };
        let mut q = sqlx::query(sql).bind(instant_text(now));
        if let Some(id) = bind_id {
            q = q.bind(id);
        }
        let done = q.execute(&self.pool).await.map_err(backend)?;
        Ok(done.rows_affected() as usize)
    }
}

/// A value bound after a claim's own three ($1 until, $2 now, $3 limit).
enum ClaimArg {
    Int(i64),
    Text(&'static str),
}

impl Db {
    /// Claims, for `lease_seconds` from `now`, up to `limit` rows matching
    /// `condition` in `order`, returned by id. SKIP LOCKED lets several
    /// PostgreSQL instances claim side by side; SQLite's write lock already
    /// makes the claim exclusive.
    async fn claim_rows(
        &self,
        condition: &str,
        order: &str,
        now: DateTime<Utc>,
        lease_seconds: i64,
        limit: i64,
        extra: &[ClaimArg],
    ) -> DomainResult<Vec<Notification>> {
        let lock = if self.dialect == Dialect::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let owner_param = 4 + extra.len();
        let sql = format!(
            "UPDATE outbox SET claimed_until = $1, claimed_by = ${owner_param} WHERE id IN (SELECT id FROM outbox \
             WHERE {condition} ORDER BY {order} LIMIT $3{lock}) RETURNING {COLUMNS}"
        );
        let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(instant_text(now + chrono::Duration::seconds(lease_seconds)))
            .bind(instant_text(now))
            .bind(limit);
        for arg in extra {
            q = match arg {
                ClaimArg::Int(i) => q.bind(*i),
                ClaimArg::Text(t) => q.bind(*t),
            };
        }
        let q = q.bind(self.owner.clone());
        let mut tx = self.begin_write().await?;
        let mut rows = q.fetch_all(&mut *tx).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        rows.sort_by_key(|r| r.id);
        Ok(rows.into_iter().map(Notification::from).collect())
    }
}

const GROUP_SELECT: &str = "SELECT g.id, g.role_id, r.name AS role_name, g.reseller_id, v.name AS reseller_name, \
     g.chat_id FROM role_groups g JOIN roles r ON r.id = g.role_id LEFT JOIN resellers v ON v.id = g.reseller_id";

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: i64,
    role_id: i64,
    role_name: String,
    reseller_id: Option<i64>,
    reseller_name: Option<String>,
    chat_id: i64,
}

impl From<GroupRow> for RoleGroup {
    fn from(r: GroupRow) -> RoleGroup {
        RoleGroup {
            id: RoleGroupId(r.id),
            role: RoleId(r.role_id),
            role_name: r.role_name,
            reseller: r.reseller_id.map(ResellerId),
            reseller_name: r.reseller_name,
            chat_id: r.chat_id,
        }
    }
}

impl Db {
    pub(crate) async fn put_role_group(
        &self,
        role: RoleId,
        reseller: Option<ResellerId>,
        chat_id: i64,
    ) -> DomainResult<RoleGroup> {
        if chat_id >= 0 {
            return Err(DomainError::invalid(
                "o id de um grupo do Telegram é negativo (por exemplo -1001234567890); envie /grupo no grupo para vê-lo",
            ));
        }
        let mut tx = self.begin_write().await?;
        let current = active_group(&mut tx, role, reseller).await?;
        let id = match current {
            Some((id, chat)) if chat == chat_id => id,
            _ => {
                // Another chat: the old group is kept for the notices already
                // sent there (an Assumir still edits them) but chosen no more.
                if let Some((old, _)) = current {
                    retire_group(&mut tx, old).await?;
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO role_groups (role_id, reseller_id, chat_id, created_at) VALUES ($1, $2, $3, $4) \
                     RETURNING id",
                )
                .bind(role.0)
                .bind(reseller.map(|r| r.0))
                .bind(chat_id)
                .bind(now_text())
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                // Notices not yet sent to the old chat go to the new one.
                if let Some((old, _)) = current {
                    // Not one a dispatcher holds now: it may be on its way to the old chat.
                    sqlx::query(
                        "UPDATE outbox SET group_id = $1 WHERE group_id = $2 AND status = 'pending' AND kind = $3 \
                         AND (claimed_until IS NULL OR claimed_until < $4)",
                    )
                    .bind(id)
                    .bind(old)
                    .bind(NotificationKind::TicketAssigned.as_str())
                    .bind(now_text())
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                id
            }
        };
        tx.commit().await.map_err(backend)?;
        self.role_group(RoleGroupId(id)).await
    }

    pub(crate) async fn delete_role_group(&self, role: RoleId, reseller: Option<ResellerId>) -> DomainResult<bool> {
        let mut tx = self.begin_write().await?;
        let Some((id, _)) = active_group(&mut tx, role, reseller).await? else { return Ok(false) };
        retire_group(&mut tx, id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    pub(crate) async fn list_role_groups(&self) -> DomainResult<Vec<RoleGroup>> {
        let sql = format!("{GROUP_SELECT} WHERE g.removed_at IS NULL ORDER BY r.name, COALESCE(v.name, '')");
        let rows: Vec<GroupRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await.map_err(backend)?;
        Ok(rows.into_iter().map(RoleGroup::from).collect())
    }
}

/// The group `role` uses now for `reseller` (exactly that scope): its id and chat.
async fn active_group(tx: &mut Tx, role: RoleId, reseller: Option<ResellerId>) -> DomainResult<Option<(i64, i64)>> {
    sqlx::query_as(
        "SELECT id, chat_id FROM role_groups WHERE role_id = $1 AND COALESCE(reseller_id, 0) = $2 \
         AND removed_at IS NULL",
    )
    .bind(role.0)
    .bind(reseller.map_or(0, |r| r.0))
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)
}

async fn retire_group(tx: &mut Tx, id: i64) -> DomainResult<()> {
    sqlx::query("UPDATE role_groups SET removed_at = $1 WHERE id = $2")
        .bind(now_text())
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}
