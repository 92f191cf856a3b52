//! Intake's inbox: contacts stored as they came, each once, and turned into
//! tickets and replies by the domain's rules, each outcome written in the
//! same transaction as the ticket it opened or joined.

use async_trait::async_trait;
use balcao_domain::client::Client;
use balcao_domain::intake::{
    Contact, Delivery, IntakeChannel, IntakeSetup, IntakeStatus, NewDelivery, Route, RouteTo, Stored, automatic_reason,
    new_text, our_ticket, problem_of, protocols_in,
};
use balcao_domain::notify::NotificationKind;
use balcao_domain::ports::{Clients, Intake};
use balcao_domain::staff::{Actor, System};
use balcao_domain::ticket::{Assignee, NewTicket};
use balcao_domain::workflow::{self, Command};
use balcao_domain::{
    ChannelId, ClientId, DeliveryId, DomainError, DomainResult, RoleId, StaffId, TicketId, TicketTypeId,
};
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
            "INSERT INTO intake_deliveries (dedup_key, channel, received_at, raw, sender, subject, status, reason, \
             processed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        )
        .bind(without_nul(&new.key))
        .bind(new.channel.as_str())
        .bind(instant_text(now))
        .bind(new.raw.clone())
        .bind(without_nul(&new.sender))
        .bind(without_nul(&new.subject))
        .bind(if new.rejected.is_some() { IntakeStatus::Failed } else { IntakeStatus::Pending }.as_str())
        .bind(new.rejected.as_deref().map(without_nul).unwrap_or_default())
        .bind(new.rejected.as_ref().map(|_| instant_text(now)))
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
        let filter = if failed_only { "WHERE d.status IN ('failed', 'unmatched') " } else { "" };
        let rows: Vec<Row> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} {filter}ORDER BY d.id DESC LIMIT $1")))
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        Ok(rows.into_iter().map(Delivery::from).collect())
    }

    async fn pending_deliveries(&self, limit: i64) -> DomainResult<Vec<(DeliveryId, IntakeChannel, Vec<u8>)>> {
        let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT id, channel, raw FROM intake_deliveries WHERE status = 'pending' ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, channel, raw)| (DeliveryId(id), IntakeChannel::from_stored(&channel), raw))
            .collect())
    }

    async fn process_delivery(
        &self,
        id: DeliveryId,
        contact: &Contact,
        setup: &IntakeSetup,
        today: NaiveDate,
    ) -> DomainResult<Delivery> {
        self.process(id, contact, setup, today, None).await
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

    async fn unmatched(&self, actor: &Actor, limit: i64) -> DomainResult<Vec<Delivery>> {
        let (within, reseller) = triage_scope(actor);
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE d.status = 'unmatched'{within} ORDER BY d.id LIMIT $1"
        )))
        .bind(limit)
        .bind(reseller)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(Delivery::from).collect())
    }

    async fn unmatched_one(&self, actor: &Actor, id: DeliveryId) -> DomainResult<(Delivery, IntakeChannel, Vec<u8>)> {
        let (within, reseller) = triage_scope(actor);
        let raw: Option<(String, Vec<u8>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT d.channel, d.raw FROM intake_deliveries d WHERE d.id = $1 AND d.status = 'unmatched'{within}"
        )))
        .bind(id.0)
        .bind(reseller)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let (channel, raw) = raw.ok_or(DomainError::NotFound("contato"))?;
        Ok((self.delivery(id).await?, IntakeChannel::from_stored(&channel), raw))
    }

    async fn link_delivery(
        &self,
        actor: &Actor,
        id: DeliveryId,
        client: ClientId,
        contact: &Contact,
        setup: &IntakeSetup,
        today: NaiveDate,
    ) -> DomainResult<Delivery> {
        // Both must be the actor's: the contact to triage and the client (a forged id finds nothing).
        self.unmatched_one(actor, id).await?;
        let client = Clients::client(self, actor, client).await?;
        self.process(id, contact, setup, today, Some((actor, client))).await
    }

    async fn discard_delivery(&self, actor: &Actor, id: DeliveryId) -> DomainResult<()> {
        self.unmatched_one(actor, id).await?;
        let name = self.actor_name(actor).await?;
        let done = sqlx::query(
            "UPDATE intake_deliveries SET status = 'ignored', reason = $1, processed_at = $2 \
             WHERE id = $3 AND status = 'unmatched'",
        )
        .bind(format!("descartado por {name}"))
        .bind(now_text())
        .bind(id.0)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(DomainError::Conflict(ALREADY_DEALT.to_owned()));
        }
        tracing::info!(delivery_id = %id, "contact discarded by a person");
        Ok(())
    }

    async fn retry_delivery(&self, id: DeliveryId) -> DomainResult<bool> {
        let done = sqlx::query(
            "UPDATE intake_deliveries SET status = 'pending', reason = '' WHERE id = $1 \
             AND status IN ('failed', 'unmatched')",
        )
        .bind(id.0)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }
}

/// Said when a contact was linked or discarded by someone else first.
const ALREADY_DEALT: &str = "Este contato já foi tratado por outra pessoa.";

/// The condition (on `intake_deliveries d`, bound as `$2`) of the contacts
/// `actor` may triage: a reseller's staff, those sent to its mailbox.
fn triage_scope(actor: &Actor) -> (&'static str, Option<i64>) {
    match actor.scope.reseller() {
        Some(r) => (" AND d.reseller_id = $2", Some(r.0)),
        None => (" AND ($2 IS NULL OR d.reseller_id = $2)", None),
    }
}

impl Db {
    /// Processes a stored contact; `linked`, a person's choice of its client
    /// for a contact that waits for one.
    async fn process(
        &self,
        id: DeliveryId,
        contact: &Contact,
        setup: &IntakeSetup,
        today: NaiveDate,
        linked: Option<(&Actor, Client)>,
    ) -> DomainResult<Delivery> {
        let intake = Actor::system(System::Intake);
        let contact = &storable(contact);
        // Reads before the write transaction, which on SQLite holds the only writer's connection.
        let linked_by = match &linked {
            Some((actor, _)) => Some(self.actor_name(actor).await?),
            None => None,
        };
        let automatic = automatic_reason(contact).filter(|_| linked.is_none());
        let ours = our_ticket(&contact.references).filter(|_| automatic.is_none() && linked.is_none());
        let mailbox = self.mailbox_reseller(contact, setup).await?;
        let client = match (automatic, ours, linked) {
            (_, _, Some((_, client))) => Some(Ok(client)),
            (None, None, None) => Some(match self.client_of(contact, mailbox).await? {
                Ok(id) => Ok(Clients::client(self, &intake, ClientId(id)).await?),
                Err(reason) => Err(reason),
            }),
            _ => None,
        };
        let expected = if linked_by.is_some() { IntakeStatus::Unmatched } else { IntakeStatus::Pending };
        let route = setup.route(contact);
        let mut tx = self.begin_write().await?;
        let lock = if self.dialect == Dialect::Postgres { " FOR UPDATE" } else { "" };
        let row: Option<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT status, sender FROM intake_deliveries WHERE id = $1{lock}"
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let (status, sender) = row.ok_or(DomainError::NotFound("contato recebido"))?;
        if IntakeStatus::from_stored(&status) != expected {
            drop(tx);
            if linked_by.is_some() {
                return Err(DomainError::Conflict(ALREADY_DEALT.to_owned()));
            }
            return self.delivery(id).await;
        }
        let mut outcome =
            Outcome { status: IntakeStatus::Failed, reason: String::new(), ticket: None, acknowledged: false };
        if let Some(reason) = automatic {
            outcome = Outcome { status: IntakeStatus::Ignored, reason: reason.to_owned(), ..outcome };
        } else if let Some(ticket) = ours {
            // A reply to one of our e-mails: the client's answer joins that ticket.
            self.client_wrote(&mut tx, &intake, ticket, contact).await?;
            outcome = Outcome { status: IntakeStatus::Reply, ticket: Some(ticket.0), ..outcome };
        } else if let Some(found) = client {
            match found {
                Err(reason) => outcome = Outcome { status: IntakeStatus::Unmatched, reason, ..outcome },
                Ok(client) => {
                    let since = instant_text(Utc::now() - chrono::Duration::hours(1));
                    // Counted per sender and client: a contact never joins another client's ticket.
                    let (opened, latest): (i64, Option<i64>) = sqlx::query_as(
                        "SELECT COUNT(*), MAX(d.ticket_id) FROM intake_deliveries d \
                         JOIN tickets t ON t.id = d.ticket_id \
                         WHERE d.sender = $1 AND d.status = 'ticket' AND d.processed_at >= $2 AND t.client_id = $3",
                    )
                    .bind(&sender)
                    .bind(&since)
                    .bind(client.id.0)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
                    let thread = match self.protocol_thread(&mut tx, contact, client.id).await? {
                        Some(t) => Some((t, String::new())),
                        None if !sender.is_empty() && opened >= i64::from(setup.max_new_per_hour) => latest.map(|t| {
                            let why = format!(
                                "limite de {} atendimentos novos por hora deste remetente: juntou-se ao último",
                                setup.max_new_per_hour
                            );
                            (TicketId(t), why)
                        }),
                        None => None,
                    };
                    if let Some((ticket, reason)) = thread {
                        self.client_wrote(&mut tx, &intake, ticket, contact).await?;
                        outcome = Outcome { status: IntakeStatus::Reply, reason, ticket: Some(ticket.0), ..outcome };
                    } else {
                        let (ticket, note) =
                            self.open_from(&mut tx, &intake, contact, &client, setup, &route, today).await?;
                        let address = contact.from_address.as_str();
                        let acknowledge = setup.acknowledge
                            && self.channels.email
                            && !address.is_empty()
                            && !self.acknowledged_lately(&mut tx, &sender, setup.ack_every_minutes).await?;
                        if acknowledge {
                            let about = About {
                                ticket,
                                client: client.id.0,
                                reseller: client.reseller_id.0,
                                client_email: Some(address.to_owned()),
                                work_order: None,
                            };
                            let event = format!("ticket:{ticket}:received");
                            enqueue_client_mail(
                                &mut tx,
                                self.channels,
                                &about,
                                NotificationKind::ContactReceived,
                                &event,
                            )
                            .await?;
                        }
                        outcome = Outcome {
                            status: IntakeStatus::Ticket,
                            reason: note,
                            ticket: Some(ticket),
                            acknowledged: acknowledge,
                        };
                    }
                }
            }
        }
        if let Some(name) = linked_by {
            let linked = format!("vinculado ao cliente por {name}");
            outcome.reason = if outcome.reason.is_empty() { linked } else { format!("{linked}; {}", outcome.reason) };
        }
        sqlx::query(
            "UPDATE intake_deliveries SET status = $1, reason = $2, ticket_id = $3, attempts = attempts + 1, \
             processed_at = $4, acknowledged = $5, reseller_id = $6 WHERE id = $7",
        )
        .bind(outcome.status.as_str())
        .bind(outcome.reason)
        .bind(outcome.ticket)
        .bind(now_text())
        .bind(i64::from(outcome.acknowledged))
        .bind(mailbox)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        self.delivery(id).await
    }
}

/// What processing made of a contact.
struct Outcome {
    status: IntakeStatus,
    reason: String,
    ticket: Option<i64>,
    acknowledged: bool,
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
        topic: without_nul(&c.topic),
        ..c.clone()
    }
}

impl Db {
    /// Who the actor is, by name, for the list of contacts.
    async fn actor_name(&self, actor: &Actor) -> DomainResult<String> {
        let balcao_domain::staff::Who::Staff(id) = actor.who else { return Ok("balcão".to_owned()) };
        let (name,): (String,) = sqlx::query_as("SELECT name FROM staff WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .ok_or(DomainError::NotFound("usuário"))?;
        Ok(name)
    }

    /// The reseller whose mailbox (intake.mailboxes) the contact was sent to.
    async fn mailbox_reseller(&self, c: &Contact, setup: &IntakeSetup) -> DomainResult<Option<i64>> {
        let Some(name) = setup.reseller_of(c) else { return Ok(None) };
        let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM resellers WHERE name = $1 ORDER BY id LIMIT 1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(Some(found.map(|(id,)| id).ok_or(DomainError::NotFound("revenda"))?))
    }

    /// How many active staff members are called `name`: a routing rule names
    /// its user by name, so it must name exactly one.
    pub async fn active_staff_named(&self, name: &str) -> DomainResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM staff WHERE name = $1 AND active = 1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(n)
    }

    /// The one client the contact comes from: by its e-mail, else its phone,
    /// else the CPF/CNPJ it gives, among the clients of the reseller its
    /// receiving address belongs to (when configured), else of any;
    /// `Err(reason)` when none does or several do.
    async fn client_of(&self, c: &Contact, reseller: Option<i64>) -> DomainResult<Result<i64, String>> {
        let within = if reseller.is_some() { " AND c.reseller_id = $2" } else { "" };
        let document = c.document();
        let ways = [
            (
                "e-mail",
                "client_emails k JOIN clients c ON c.id = k.client_id WHERE k.email = $1",
                c.from_address.trim().to_lowercase(),
            ),
            ("telefone", "client_phones k JOIN clients c ON c.id = k.client_id WHERE k.phone = $1", c.phone.clone()),
            (
                "CPF/CNPJ",
                "clients c WHERE c.document = $1",
                document.map(|d| d.digits().to_owned()).unwrap_or_default(),
            ),
        ];
        let mut tried = Vec::new();
        for (what, from, value) in ways {
            if value.is_empty() {
                continue;
            }
            let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(format!(
                "SELECT DISTINCT c.id FROM {from}{within} ORDER BY c.id LIMIT 10"
            )))
            .bind(value);
            if let Some(r) = reseller {
                q = q.bind(r);
            }
            let matched = q.fetch_all(&self.pool).await.map_err(backend)?;
            match matched.as_slice() {
                [(one,)] => return Ok(Ok(*one)),
                [] => tried.push(what),
                _ => {
                    return Ok(Err(format!(
                        "{} clientes têm este {what} no cadastro; deixe-o em um só e rode balcao intake retry",
                        matched.len()
                    )));
                }
            }
        }
        Ok(Err(if tried.is_empty() {
            "o contato não traz e-mail, telefone nem CPF/CNPJ de cliente".to_owned()
        } else {
            format!(
                "nenhum cliente tem este {} no cadastro; inclua-o no cliente e rode balcao intake retry",
                tried.join(" nem este ")
            )
        }))
    }

    /// The client's answer joins `ticket`, by the domain's rules.
    async fn client_wrote(&self, tx: &mut Tx, actor: &Actor, ticket: TicketId, c: &Contact) -> DomainResult<()> {
        let row = self.lock_ticket(tx, actor, ticket).await?;
        let text = if c.channel.is_email() { new_text(&c.text) } else { c.text.trim().to_owned() };
        let change = workflow::decide(&row.state(), Command::ClientWrote(text), actor)?;
        self.write_change(tx, actor, ticket, &row, &change).await
    }

    /// The ticket of `client` whose protocol the subject names, if any: a
    /// client who writes "Protocolo 20261205-0003" in a new e-mail joins it.
    async fn protocol_thread(&self, tx: &mut Tx, c: &Contact, client: ClientId) -> DomainResult<Option<TicketId>> {
        for protocol in protocols_in(&c.subject) {
            let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM tickets WHERE protocol = $1 AND client_id = $2")
                .bind(protocol)
                .bind(client.0)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?;
            if let Some((id,)) = found {
                return Ok(Some(TicketId(id)));
            }
        }
        Ok(None)
    }

    /// Whether this sender got an acknowledgement in the last `minutes`.
    async fn acknowledged_lately(&self, tx: &mut Tx, sender: &str, minutes: u32) -> DomainResult<bool> {
        let since = instant_text(Utc::now() - chrono::Duration::minutes(i64::from(minutes)));
        let found: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM intake_deliveries WHERE sender = $1 AND acknowledged = 1 AND processed_at >= $2 LIMIT 1",
        )
        .bind(sender)
        .bind(since)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
        Ok(found.is_some())
    }

    /// Opens the contact's ticket as routed; when the routed user does not
    /// serve the client's reseller, for the default role instead, saying so.
    #[allow(clippy::too_many_arguments)]
    async fn open_from(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        c: &Contact,
        client: &Client,
        setup: &IntakeSetup,
        route: &Route,
        today: NaiveDate,
    ) -> DomainResult<(i64, String)> {
        let assignee = match &route.assignee {
            RouteTo::Role(name) => Assignee::Role(RoleId(self.named(tx, "roles", name, "cargo").await?)),
            RouteTo::User(name) => {
                let found: Option<(i64, Option<i64>)> = sqlx::query_as(
                    "SELECT id, reseller_id FROM staff WHERE name = $1 AND active = 1 ORDER BY id LIMIT 1",
                )
                .bind(name)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?;
                match found {
                    Some((id, None)) => Assignee::User(StaffId(id)),
                    Some((id, Some(r))) if r == client.reseller_id.0 => Assignee::User(StaffId(id)),
                    _ => {
                        let role = RoleId(self.named(tx, "roles", &setup.role, "cargo").await?);
                        let note =
                            format!("{} não atende a revenda do cliente: foi para o cargo padrão", route.assignee);
                        return self
                            .open_as(tx, actor, c, client, Assignee::Role(role), &route.ticket_type, today)
                            .await
                            .map(|t| (t, note));
                    }
                }
            }
        };
        let ticket = self.open_as(tx, actor, c, client, assignee, &route.ticket_type, today).await?;
        Ok((ticket, String::new()))
    }

    #[allow(clippy::too_many_arguments)]
    async fn open_as(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        c: &Contact,
        client: &Client,
        assignee: Assignee,
        ticket_type: &str,
        today: NaiveDate,
    ) -> DomainResult<i64> {
        let new = NewTicket {
            client_id: client.id,
            subscription_id: None,
            routing_point_id: None,
            contact_name: if c.from_name.trim().is_empty() {
                client.name.clone()
            } else {
                c.from_name.trim().to_owned()
            },
            problem: problem_of(c),
            channel_id: ChannelId(
                self.named(tx, "contact_channels", c.channel.contact_type(), "tipo de contato").await?,
            ),
            ticket_type_id: TicketTypeId(self.named(tx, "ticket_types", ticket_type, "tipo de atendimento").await?),
            assignee,
            checks: String::new(),
            resolution: None,
            work_order: None,
        };
        let email = Some(c.from_address.as_str()).filter(|a| !a.is_empty());
        self.open_in(tx, actor, &new, client, today, email).await
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
