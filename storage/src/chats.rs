//! Linking Telegram accounts and keeping each chat's conversation state.

use async_trait::async_trait;
use balcao_domain::ports::Chats;
use balcao_domain::staff::Staff;
use balcao_domain::{DomainError, DomainResult, StaffId};
use chrono::{DateTime, Utc};

use crate::{Db, backend, instant_text, now_text};

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
            "UPDATE staff SET telegram_id = $1, invite_hash = NULL, invite_expires_at = NULL \
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
