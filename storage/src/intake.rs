//! Intake's inbox: contacts stored as they came, each once.

use async_trait::async_trait;
use balcao_domain::intake::{Delivery, IntakeChannel, IntakeStatus, NewDelivery, Stored};
use balcao_domain::ports::Intake;
use balcao_domain::{DeliveryId, DomainResult, TicketId};
use chrono::{DateTime, Utc};

use crate::{Db, backend, instant_text, parse_instant};

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
        .bind(&new.key)
        .bind(new.channel.as_str())
        .bind(instant_text(now))
        .bind(new.raw.clone())
        .bind(&new.sender)
        .bind(&new.subject)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        if let Some((id,)) = inserted {
            return Ok(Stored::New(DeliveryId(id)));
        }
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM intake_deliveries WHERE dedup_key = $1")
            .bind(&new.key)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(Stored::Duplicate(DeliveryId(id)))
    }

    async fn deliveries(&self, failed_only: bool, limit: i64) -> DomainResult<Vec<Delivery>> {
        let filter = if failed_only { "WHERE d.status = 'failed' " } else { "" };
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT d.id, d.channel, d.received_at, d.sender, d.subject, d.status, d.reason, d.ticket_id, \
             t.protocol, CAST(LENGTH(d.raw) AS BIGINT) AS size FROM intake_deliveries d \
             LEFT JOIN tickets t ON t.id = d.ticket_id {filter}ORDER BY d.id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(Delivery::from).collect())
    }
}
