//! Linking Telegram accounts, keeping each chat's conversation state, and
//! the inbox of updates received by the webhook.

use async_trait::async_trait;
use balcao_domain::ports::{Chats, ClaimedUpdate, FailedUpdate, UpdateCounts, UpdateInbox};
use balcao_domain::staff::Staff;
use balcao_domain::{DomainError, DomainResult, StaffId};
use chrono::{DateTime, Utc};

use crate::{Db, Dialect, backend, instant_text, now_text, parse_instant};

#[async_trait]
impl Chats for Db {
    async fn link_telegram(
        &self,
        code_digest: &str,
        telegram_id: i64,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<Staff>> {
        let mut tx = self.begin_write().await?;
        // One statement claims the code: two people racing with the same code
        // cannot both win, and an expired code matches nothing.
        let claimed: Option<(i64,)> = sqlx::query_as(
            "UPDATE staff SET telegram_id = $1, invite_hash = NULL, invite_expires_at = NULL, telegram_unreachable = 0 \
             WHERE invite_hash = $2 AND invite_expires_at > $3 AND active = 1 RETURNING id",
        )
        .bind(telegram_id)
        .bind(code_digest)
        .bind(instant_text(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| match backend(e) {
            DomainError::Conflict(_) => {
                DomainError::Conflict("esta conta do Telegram já está ligada a outro usuário".into())
            }
            other => other,
        })?;
        tx.commit().await.map_err(backend)?;
        match claimed {
            Some((id,)) => Ok(Some(self.staff(StaffId(id)).await?)),
            None => Ok(None),
        }
    }

    async fn mark_reachable(&self, staff: StaffId) -> DomainResult<()> {
        sqlx::query("UPDATE staff SET telegram_unreachable = 0 WHERE id = $1")
            .bind(staff.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn conversation(&self, chat_id: i64) -> DomainResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT state FROM conversations WHERE chat_id = $1")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.map(|(s,)| s))
    }

    async fn save_conversation(&self, chat_id: i64, state: &str) -> DomainResult<()> {
        sqlx::query(
            "INSERT INTO conversations (chat_id, state, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(state)
        .bind(now_text())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl UpdateInbox for Db {
    async fn store_update(&self, update_id: i64, sender: Option<i64>, payload: &str) -> DomainResult<bool> {
        let done = sqlx::query(
            "INSERT INTO telegram_updates (update_id, payload, received_at, sender_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (update_id) DO NOTHING",
        )
        .bind(update_id)
        .bind(payload)
        .bind(now_text())
        .bind(sender)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_updates(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_seconds: i64,
        limit: i64,
    ) -> DomainResult<Vec<ClaimedUpdate>> {
        let until = instant_text(now + chrono::Duration::seconds(lease_seconds));
        let now = instant_text(now);
        // On PostgreSQL, SKIP LOCKED lets several instances claim side by
        // side; SQLite's write lock already makes the claim exclusive. Only
        // the oldest unhandled update of each sender can be claimed.
        let lock = if self.dialect == Dialect::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE telegram_updates SET claimed_until = $1, claimed_by = $4 WHERE update_id IN (\
             SELECT u.update_id FROM telegram_updates u WHERE u.done_at IS NULL \
             AND (u.claimed_until IS NULL OR u.claimed_until < $2) \
             AND NOT EXISTS (SELECT 1 FROM telegram_updates e WHERE e.sender_id = u.sender_id \
             AND e.done_at IS NULL AND e.update_id < u.update_id) \
             ORDER BY u.update_id LIMIT $3{lock}) RETURNING update_id, payload, attempts"
        );
        let mut tx = self.begin_write().await?;
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(until)
            .bind(now)
            .bind(limit)
            .bind(owner)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        let mut claimed: Vec<ClaimedUpdate> = rows
            .into_iter()
            .map(|(update_id, payload, attempts)| ClaimedUpdate { update_id, payload, attempts })
            .collect();
        claimed.sort_by_key(|u| u.update_id);
        Ok(claimed)
    }

    async fn start_update(&self, update_id: i64) -> DomainResult<i64> {
        let (attempts,): (i64,) = sqlx::query_as(
            "UPDATE telegram_updates SET attempts = attempts + 1 WHERE update_id = $1 RETURNING attempts",
        )
        .bind(update_id)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(attempts)
    }

    async fn fail_update(&self, update_id: i64, now: DateTime<Utc>, reason: &str) -> DomainResult<()> {
        // Like a handled one, it keeps neither what was typed nor who typed it.
        sqlx::query(
            "UPDATE telegram_updates SET done_at = $2, failed_at = $2, failure = $3, payload = '', sender_id = NULL, \
             claimed_until = NULL WHERE update_id = $1",
        )
        .bind(update_id)
        .bind(instant_text(now))
        .bind(reason)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn release_update_claims(&self, owner: &str) -> DomainResult<u64> {
        let done = sqlx::query(
            "UPDATE telegram_updates SET claimed_until = NULL, claimed_by = NULL \
             WHERE claimed_by = $1 AND done_at IS NULL",
        )
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn failed_updates(&self, limit: i64) -> DomainResult<Vec<FailedUpdate>> {
        let rows: Vec<(i64, String, String, i64, String)> = sqlx::query_as(
            "SELECT update_id, received_at, failed_at, attempts, failure FROM telegram_updates \
             WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, update_id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(update_id, received, failed, attempts, reason)| FailedUpdate {
                update_id,
                received_at: parse_instant(&received),
                failed_at: parse_instant(&failed),
                attempts,
                reason,
            })
            .collect())
    }

    async fn update_counts(&self) -> DomainResult<UpdateCounts> {
        // Two counts that each follow an index: handled rows are kept (their
        // ids recognise Telegram's resends), so a scan would grow for ever.
        let (pending,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM telegram_updates WHERE done_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        let (failed,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM telegram_updates WHERE failed_at IS NOT NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(UpdateCounts { pending, failed })
    }

    async fn extend_claim(&self, update_id: i64, now: DateTime<Utc>, lease_seconds: i64) -> DomainResult<()> {
        sqlx::query("UPDATE telegram_updates SET claimed_until = $2 WHERE update_id = $1 AND done_at IS NULL")
            .bind(update_id)
            .bind(instant_text(now + chrono::Duration::seconds(lease_seconds)))
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn finish_update(&self, update_id: i64, now: DateTime<Utc>) -> DomainResult<()> {
        // What people typed, and who, is not kept once handled: the id stays, so a resend is still recognised.
        sqlx::query("UPDATE telegram_updates SET done_at = $2, payload = '', sender_id = NULL WHERE update_id = $1")
            .bind(update_id)
            .bind(instant_text(now))
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
