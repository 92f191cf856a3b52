//! Intake's inbox: contacts stored as they came, each once, and turned into
//! tickets and replies by the domain's rules, each outcome written in the
//! same transaction as the ticket it opened or joined.

use async_trait::async_trait;
use balcao_domain::intake::{
    Contact, Delivery, IntakeChannel, IntakeSetup, IntakeStatus, NewDelivery, Stored, automatic_reason, new_text,
    our_ticket, problem_of,
};
use balcao_domain::notify::NotificationKind;
use balcao_domain::ports::{Clients, Intake};
use balcao_domain::staff::{Actor, System};
use balcao_domain::ticket::{Assignee, NewTicket};
use balcao_domain::workflow::{self, Command};
use balcao_domain::{ChannelId, ClientId, DeliveryId, DomainError, DomainResult, RoleId, TicketId, TicketTypeId};
use chrono::{DateTime, NaiveDate, Utc};

use crate::clients::without_nul;
use crate::outbox::{About, enqueue_client_mail};
use crate::tickets::Tx;
use crate::{Db, Dialect, backend, instant_text, now_text, parse_instant};

/// A delivery's listing, from `intake_deliveries d` and its ticket.
const SELECT: &str = "SELECT d.id, d.channel, d.received_at, d.sender, d.subject, d.status, d.reason, \
     d.ticket_id, t.protocol, CAST(LENGTH(d.raw) AS BIGINT) AS size FROM intake_deliveries d \
     LEFT JOIN tickets t ON t.id = d.ticket_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    channel: String,
    received_at: String,
    sender: String,
    subject: String,
    status: String,
    reason: String,
    ticket_id: Option<i64>,
    protocol: Option<String>,
    size: i64,
}

impl From<Row> for Delivery {
    fn from(r: Row) -> Delivery {
        Delivery {
            id: DeliveryId(r.id),
            channel: IntakeChannel::from_stored(&r.channel),
            received_at: parse_instant(&r.received_at),
            sender: r.sender,
            subject: r.subject,
            status: IntakeStatus::from_stored(&r.status),
            reason: r.reason,
            ticket: r.ticket_id.map(TicketId),
            protocol: r.protocol,
            size: r.size,
        }
    }
}

#[async_trait]
impl Intake for Db {
    async fn store_delivery(&self, new: &NewDelivery, now: DateTime<Utc>) -> DomainResult<Stored> {
        // One statement: of two deliveries of the same contact racing, one
        // inserts and the other finds it, whatever the store.
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO intake_deliveries (dedup_key, channel, received_at, raw, sender, subject, status) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending') ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        )
        .bind(without_nul(&new.key))
        .bind(new.channel.as_str())
        .bind(instant_text(now))
        .bind(new.raw.clone())
        .bind(without_nul(&new.sender))
        .bind(without_nul(&new.subject))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        if let Some((id,)) = inserted {
            return Ok(Stored::New(DeliveryId(id)));
        }
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM intake_deliveries WHERE dedup_key = $1")
            .bind(without_nul(&new.key))
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(Stored::Duplicate(DeliveryId(id)))
    }

    async fn deliveries(&self, failed_only: bool, limit: i64) -> DomainResult<Vec<Delivery>> {
        let filter = if failed_only { "WHERE d.status = 'failed' " } else { "" };
        let rows: Vec<Row> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} {filter}ORDER BY d.id DESC LIMIT $1")))
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        Ok(rows.into_iter().map(Delivery::from).collect())
    }

    async fn pending_deliveries(&self, limit: i64) -> DomainResult<Vec<(DeliveryId, Vec<u8>)>> {
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT id, raw FROM intake_deliveries WHERE status = 'pending' ORDER BY id LIMIT $1")
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        Ok(rows.into_iter().map(|(id, raw)| (DeliveryId(id), raw)).collect())
    }

    async fn process_delivery(
        &self,
        id: DeliveryId,
        contact: &Contact,
        setup: &IntakeSetup,
        today: NaiveDate,
    ) -> DomainResult<Delivery> {
        let intake = Actor::system(System::Intake);
        let contact = &storable(contact);
        // Read before the write transaction, which on SQLite holds the only writer's connection.
        let client = match (automatic_reason(contact), our_ticket(&contact.references)) {
            (None, None) => Some(match self.client_by_email(&contact.from_address).await? {
                Ok(id) => Ok(Clients::client(self, &intake, ClientId(id)).await?),
                Err(reason) => Err(reason),
            }),
            _ => None,
        };
        let mut tx = self.begin_write().await?;
        let lock = if self.dialect == Dialect::Postgres { " FOR UPDATE" } else { "" };
        let status: Option<(String,)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT status FROM intake_deliveries WHERE id = $1{lock}")))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let (status,) = status.ok_or(DomainError::NotFound("contato recebido"))?;
        if IntakeStatus::from_stored(&status) != IntakeStatus::Pending {
            drop(tx);
            return self.delivery(id).await;
        }
        let mut outcome = (IntakeStatus::Failed, String::new(), None);
        if let Some(reason) = automatic_reason(contact) {
            outcome = (IntakeStatus::Ignored, reason.to_owned(), None);
        } else if let Some(ticket) = our_ticket(&contact.references) {
            // A reply to one of our e-mails: the client's answer joins that ticket.
            let row = self.lock_ticket(&mut tx, &intake, ticket).await?;
            let change = workflow::decide(&row.state(), Command::ClientWrote(new_text(&contact.text)), &intake)?;
            self.write_change(&mut tx, &intake, ticket, &row, &change).await?;
            outcome = (IntakeStatus::Reply, String::new(), Some(ticket.0));
        } else if let Some(found) = client {
            match found {
                Err(reason) => outcome.1 = reason,
                Ok(client) => {
                    let new = NewTicket {
                        client_id: client.id,
                        subscription_id: None,
                        routing_point_id: None,
                        contact_name: if contact.from_name.trim().is_empty() {
                            client.name.clone()
                        } else {
                            contact.from_name.trim().to_owned()
                        },
                        problem: problem_of(contact),
                        channel_id: ChannelId(
                            self.named(&mut tx, "contact_channels", "E-mail", "tipo de contato").await?,
                        ),
                        ticket_type_id: TicketTypeId(
                            self.named(&mut tx, "ticket_types", &setup.ticket_type, "tipo de atendimento").await?,
                        ),
                        assignee: Assignee::Role(RoleId(self.named(&mut tx, "roles", &setup.role, "cargo").await?)),
                        checks: String::new(),
                        resolution: None,
                        work_order: None,
                    };
                    let ticket =
                        self.open_in(&mut tx, &intake, &new, &client, today, Some(&contact.from_address)).await?;
                    if setup.acknowledge && self.channels.email {
                        let about = About {
                            ticket,
                            client: client.id.0,
                            reseller: client.reseller_id.0,
                            client_email: Some(contact.from_address.clone()),
                            work_order: None,
                        };
                        let event = format!("ticket:{ticket}:received");
                        enqueue_client_mail(&mut tx, self.channels, &about, NotificationKind::ContactReceived, &event)
                            .await?;
                    }
                    outcome = (IntakeStatus::Ticket, String::new(), Some(ticket));
                }
            }
        }
        let (status, reason, ticket) = outcome;
        sqlx::query(
            "UPDATE intake_deliveries SET status = $1, reason = $2, ticket_id = $3, attempts = attempts + 1, \
             processed_at = $4 WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(reason)
        .bind(ticket)
        .bind(now_text())
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        self.delivery(id).await
    }

    async fn fail_delivery(&self, id: DeliveryId, reason: &str) -> DomainResult<()> {
        sqlx::query(
            "UPDATE intake_deliveries SET status = 'failed', reason = $1, attempts = attempts + 1, processed_at = $2 \
             WHERE id = $3 AND status = 'pending'",
        )
        .bind(reason)
        .bind(now_text())
        .bind(id.0)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn retry_delivery(&self, id: DeliveryId) -> DomainResult<bool> {
        let done = sqlx::query(
            "UPDATE intake_deliveries SET status = 'pending', reason = '' WHERE id = $1 AND status = 'failed'",
        )
        .bind(id.0)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }
}

/// The contact as the store can keep it: PostgreSQL refuses NUL in text, and
/// a sender's display name is a name, not a page.
fn storable(c: &Contact) -> Contact {
    Contact {
        from_address: without_nul(&c.from_address),
        from_name: without_nul(&c.from_name).chars().take(120).collect(),
        subject: without_nul(&c.subject),
        text: without_nul(&c.text),
        references: c.references.iter().map(|r| without_nul(r)).collect(),
        marks: c.marks.clone(),
    }
}

impl Db {
    /// The one client in any reseller whose registration lists `address`
    /// (through the indexed `client_emails`); `Err(reason)` when none does or several do.
    async fn client_by_email(&self, address: &str) -> DomainResult<Result<i64, String>> {
        let matched: Vec<(i64,)> =
            sqlx::query_as("SELECT client_id FROM client_emails WHERE email = $1 ORDER BY client_id LIMIT 10")
                .bind(address.trim().to_lowercase())
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        Ok(match matched.as_slice() {
            [(one,)] => Ok(*one),
            [] => {
                Err("nenhum cliente tem este e-mail no cadastro; inclua-o no cliente e rode balcao intake retry".into())
            }
            _ => Err(format!(
                "{} clientes têm este e-mail no cadastro; deixe-o em um só e rode balcao intake retry",
                matched.len()
            )),
        })
    }

    /// The id of a catalog entry by its name.
    async fn named(&self, tx: &mut Tx, table: &'static str, name: &str, what: &'static str) -> DomainResult<i64> {
        let row: Option<(i64,)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT id FROM {table} WHERE name = $1 ORDER BY id LIMIT 1")))
                .bind(name)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?;
        row.map(|(id,)| id).ok_or(DomainError::NotFound(what))
    }

    async fn delivery(&self, id: DeliveryId) -> DomainResult<Delivery> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE d.id = $1")))
            .bind(id.0)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.into_iter().next().map(Delivery::from).ok_or(DomainError::NotFound("contato recebido"))
    }
}
