//! Resellers, staff, roles and the catalogs.

use async_trait::async_trait;
use balcao_domain::notify::RoleGroup;
use balcao_domain::ports::Directory;
use balcao_domain::staff::{DEFAULT_ROLES, NewStaff, Reseller, Role, Scope, Staff};
use balcao_domain::subscription::{DEFAULT_PLANS, Plan, RoutingPoint};
use balcao_domain::text::search_key;
use balcao_domain::ticket::{ContactChannel, DEFAULT_CHANNELS, DEFAULT_TICKET_TYPES, Named, TicketType};
use balcao_domain::{
    ChannelId, DomainError, DomainResult, Money, PlanId, ResellerId, RoleId, RoutingPointId, StaffId, TicketTypeId,
};
use chrono::{DateTime, Utc};

use crate::rows::{ResellerRow, RoleRow};
use crate::{Db, backend, instant_text, now_text, parse_instant};

#[derive(sqlx::FromRow)]
struct StaffRow {
    id: i64,
    name: String,
    reseller_id: Option<i64>,
    email: Option<String>,
    telegram_id: Option<i64>,
    active: i64,
    telegram_unreachable: i64,
    created_at: String,
}

const STAFF_COLUMNS: &str =
    "s.id, s.name, s.reseller_id, s.email, s.telegram_id, s.active, s.telegram_unreachable, s.created_at";

impl Db {
    async fn load_staff(&self, row: StaffRow) -> DomainResult<Staff> {
        let roles: Vec<RoleRow> = sqlx::query_as(
            "SELECT r.id, r.name, r.sees_documents FROM staff_roles sr JOIN roles r ON r.id = sr.role_id \
             WHERE sr.staff_id = $1 ORDER BY r.name",
        )
        .bind(row.id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(Staff {
            id: StaffId(row.id),
            name: row.name,
            scope: row.reseller_id.map_or(Scope::Provider, |r| Scope::Reseller(ResellerId(r))),
            roles: roles.into_iter().map(Role::from).collect(),
            email: row.email,
            telegram_id: row.telegram_id,
            active: row.active != 0,
            telegram_unreachable: row.telegram_unreachable != 0,
            created_at: parse_instant(&row.created_at),
        })
    }

    /// A staff member by id, active or not.
    pub async fn staff(&self, id: StaffId) -> DomainResult<Staff> {
        let row: Option<StaffRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {STAFF_COLUMNS} FROM staff s WHERE s.id = $1")))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        self.load_staff(row.ok_or(DomainError::NotFound("usuário"))?).await
    }

    /// Ensures a routing point exists by name and returns it.
    pub async fn ensure_routing_point(&self, name: &str) -> DomainResult<RoutingPoint> {
        let key = search_key(name);
        if key.is_empty() {
            return Err(DomainError::invalid("informe o nome do ponto de roteamento"));
        }
        sqlx::query("INSERT INTO routing_points (name, name_key) VALUES ($1, $2) ON CONFLICT (name_key) DO NOTHING")
            .bind(name.trim())
            .bind(&key)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        let (id, name): (i64, String) = sqlx::query_as("SELECT id, name FROM routing_points WHERE name_key = $1")
            .bind(&key)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(RoutingPoint { id: RoutingPointId(id), name })
    }
}

#[async_trait]
impl Directory for Db {
    async fn ensure_defaults(&self) -> DomainResult<()> {
        let mut tx = self.begin_write().await?;
        for (name, sees) in DEFAULT_ROLES {
            sqlx::query("INSERT INTO roles (name, sees_documents) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(i64::from(sees))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        for name in DEFAULT_TICKET_TYPES {
            sqlx::query("INSERT INTO ticket_types (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        for name in DEFAULT_CHANNELS {
            sqlx::query("INSERT INTO contact_channels (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        for (name, price) in DEFAULT_PLANS {
            sqlx::query(
                "INSERT INTO plans (name, name_key, price_cents, active) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (name_key) DO NOTHING",
            )
            .bind(name)
            .bind(search_key(name))
            .bind(price)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn ensure_reseller(&self, name: &str) -> DomainResult<Reseller> {
        let key = search_key(name);
        if key.is_empty() {
            return Err(DomainError::invalid("informe o nome da revenda"));
        }
        sqlx::query(
            "INSERT INTO resellers (name, name_key, created_at) VALUES ($1, $2, $3) ON CONFLICT (name_key) DO NOTHING",
        )
        .bind(name.trim())
        .bind(&key)
        .bind(now_text())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        self.reseller_by_name(name).await?.ok_or(DomainError::NotFound("revenda"))
    }

    async fn reseller_by_name(&self, name: &str) -> DomainResult<Option<Reseller>> {
        let row: Option<ResellerRow> = sqlx::query_as("SELECT id, name FROM resellers WHERE name_key = $1")
            .bind(search_key(name))
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.map(Reseller::from))
    }

    async fn resellers(&self) -> DomainResult<Vec<Reseller>> {
        let rows: Vec<ResellerRow> = sqlx::query_as("SELECT id, name FROM resellers ORDER BY name_key")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(Reseller::from).collect())
    }

    async fn roles(&self) -> DomainResult<Vec<Role>> {
        let rows: Vec<RoleRow> = sqlx::query_as("SELECT id, name, sees_documents FROM roles ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(Role::from).collect())
    }

    async fn add_staff(&self, new: &NewStaff, invite: Option<(String, DateTime<Utc>)>) -> DomainResult<Staff> {
        new.validate()?;
        let reseller_id = match &new.reseller {
            Some(name) => Some(
                self.reseller_by_name(name)
                    .await?
                    .ok_or_else(|| DomainError::invalid(format!("revenda \"{name}\" não encontrada")))?
                    .id
                    .0,
            ),
            None => None,
        };
        let all_roles = self.roles().await?;
        let mut role_ids = Vec::new();
        for wanted in &new.roles {
            let role = all_roles.iter().find(|r| search_key(&r.name) == search_key(wanted)).ok_or_else(|| {
                let names: Vec<&str> = all_roles.iter().map(|r| r.name.as_str()).collect();
                DomainError::invalid(format!("cargo \"{wanted}\" não existe; cargos: {}", names.join(", ")))
            })?;
            role_ids.push(role.id.0);
        }
        role_ids.sort_unstable();
        role_ids.dedup();
        let email = new.email.as_deref().map(balcao_domain::client::parse_email).transpose()?;
        let (invite_hash, invite_expires) = match invite {
            Some((hash, expires)) => (Some(hash), Some(instant_text(expires))),
            None => (None, None),
        };
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO staff (name, reseller_id, email, telegram_id, invite_hash, invite_expires_at, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
        )
        .bind(new.name.trim())
        .bind(reseller_id)
        .bind(email)
        .bind(new.telegram_id)
        .bind(invite_hash)
        .bind(invite_expires)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match backend(e) {
            DomainError::Conflict(_) => DomainError::Conflict("esta conta do Telegram já está ligada a outro usuário".into()),
            other => other,
        })?;
        for role in role_ids {
            sqlx::query("INSERT INTO staff_roles (staff_id, role_id) VALUES ($1, $2)")
                .bind(id)
                .bind(role)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        self.staff(StaffId(id)).await
    }

    async fn staff_member(&self, id: StaffId) -> DomainResult<Staff> {
        self.staff(id).await
    }

    async fn set_staff_active(&self, id: StaffId, active: bool) -> DomainResult<Staff> {
        let done = sqlx::query("UPDATE staff SET active = $2 WHERE id = $1")
            .bind(id.0)
            .bind(i64::from(active))
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(DomainError::NotFound("usuário"));
        }
        self.staff(id).await
    }

    async fn staff_by_telegram(&self, telegram_id: i64) -> DomainResult<Option<Staff>> {
        let row: Option<StaffRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff s WHERE s.telegram_id = $1 AND s.active = 1"
        )))
        .bind(telegram_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        match row {
            Some(r) => Ok(Some(self.load_staff(r).await?)),
            None => Ok(None),
        }
    }

    async fn plans(&self) -> DomainResult<Vec<Plan>> {
        let rows: Vec<(i64, String, i64, i64)> =
            sqlx::query_as("SELECT id, name, price_cents, active FROM plans ORDER BY active DESC, price_cents, name")
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, price, active)| Plan { id: PlanId(id), name, price: Money(price), active: active != 0 })
            .collect())
    }

    async fn routing_points(&self) -> DomainResult<Vec<RoutingPoint>> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM routing_points ORDER BY name_key")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(|(id, name)| RoutingPoint { id: RoutingPointId(id), name }).collect())
    }

    async fn ticket_types(&self) -> DomainResult<Vec<TicketType>> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM ticket_types ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(|(id, name)| Named { id: TicketTypeId(id), name }).collect())
    }

    async fn channels(&self) -> DomainResult<Vec<ContactChannel>> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM contact_channels ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(|(id, name)| Named { id: ChannelId(id), name }).collect())
    }

    async fn set_role_group(
        &self,
        role: RoleId,
        reseller: Option<ResellerId>,
        chat_id: i64,
    ) -> DomainResult<RoleGroup> {
        self.put_role_group(role, reseller, chat_id).await
    }

    async fn remove_role_group(&self, role: RoleId, reseller: Option<ResellerId>) -> DomainResult<bool> {
        self.delete_role_group(role, reseller).await
    }

    async fn role_groups(&self) -> DomainResult<Vec<RoleGroup>> {
        self.list_role_groups().await
    }
}
