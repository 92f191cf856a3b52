//! The port traits: what balcão needs from a store, one business step per
//! method. Every method that reads or changes client data takes the acting
//! staff member's [`Actor`] and answers [`DomainError::NotFound`] for what lies
//! outside their scope, exactly as for what does not exist.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::client::{Client, ClientSummary, NewClient};
use crate::document::Document;
use crate::error::DomainResult;
use crate::finance::{NewReceivable, Period, Receivable, Settlement};
use crate::ids::{
    ClientId, NotificationId, ReceivableId, ResellerId, RoleGroupId, RoleId, StaffId, TicketId, WorkOrderId,
};
use crate::notify::{Notification, OutboxStat, Recipient, RoleGroup};
use crate::search::{SearchPage, SearchTerm};
use crate::staff::{Actor, NewStaff, Reseller, Role, Staff};
use crate::subscription::{NewSubscription, Plan, PlanChoice, RoutingPoint, Subscription};
use crate::ticket::{
    Assignee, ContactChannel, NewTicket, NewWorkOrder, Ticket, TicketDetail, TicketStatus, TicketType, WorkOrder,
};

/// Resellers, staff, roles and the catalogs every screen offers.
#[async_trait]
pub trait Directory: Send + Sync {
    /// Creates what a fresh installation needs (default roles, ticket types,
    /// contact channels, plans); running it again changes nothing.
    async fn ensure_defaults(&self) -> DomainResult<()>;
    /// The reseller with this name (case and accents ignored), created when missing.
    async fn ensure_reseller(&self, name: &str) -> DomainResult<Reseller>;
    /// The reseller with this name (case and accents ignored), if any.
    async fn reseller_by_name(&self, name: &str) -> DomainResult<Option<Reseller>>;
    /// Every reseller, by name.
    async fn resellers(&self) -> DomainResult<Vec<Reseller>>;
    /// Every role, by name.
    async fn roles(&self) -> DomainResult<Vec<Role>>;
    /// Adds a staff member; `invite` is the digest of a one-time code (never
    /// the code itself) and when it expires.
    async fn add_staff(&self, new: &NewStaff, invite: Option<(String, DateTime<Utc>)>) -> DomainResult<Staff>;
    /// A staff member by id, active or not.
    async fn staff_member(&self, id: StaffId) -> DomainResult<Staff>;
    /// Enables or disables a staff member; a disabled one loses access at once.
    async fn set_staff_active(&self, id: StaffId, active: bool) -> DomainResult<Staff>;
    /// The linked, active staff member with this Telegram id.
    async fn staff_by_telegram(&self, telegram_id: i64) -> DomainResult<Option<Staff>>;
    /// The plan catalog, active first.
    async fn plans(&self) -> DomainResult<Vec<Plan>>;
    /// Routing points, by name.
    async fn routing_points(&self) -> DomainResult<Vec<RoutingPoint>>;
    /// Ticket types, by name.
    async fn ticket_types(&self) -> DomainResult<Vec<TicketType>>;
    /// Contact channels.
    async fn channels(&self) -> DomainResult<Vec<ContactChannel>>;
    /// Makes `chat_id` the Telegram group where `role` hears of the tickets
    /// of `reseller` (or, with `None`, of every reseller without a group of
    /// its own), replacing the group it had.
    async fn set_role_group(&self, role: RoleId, reseller: Option<ResellerId>, chat_id: i64)
    -> DomainResult<RoleGroup>;
    /// Stops sending `role`'s tickets of `reseller` to a group; whether there was one.
    async fn remove_role_group(&self, role: RoleId, reseller: Option<ResellerId>) -> DomainResult<bool>;
    /// Every role group, by role and reseller.
    async fn role_groups(&self) -> DomainResult<Vec<RoleGroup>>;
}

/// The client registration and its plans.
#[async_trait]
pub trait Clients: Send + Sync {
    /// Clients in the actor's scope whose searched field contains the term,
    /// ranked (exact, then prefix, then the rest) and paged.
    async fn search(&self, actor: &Actor, term: &SearchTerm, page: usize, per_page: usize) -> DomainResult<SearchPage>;
    /// One client by internal id.
    async fn client(&self, actor: &Actor, id: ClientId) -> DomainResult<Client>;
    /// One client by código.
    async fn client_by_code(&self, actor: &Actor, code: &str) -> DomainResult<Client>;
    /// The client in scope already registered with this document, if any.
    async fn client_by_document(&self, actor: &Actor, document: &Document) -> DomainResult<Option<ClientSummary>>;
    /// Registers a client (Novo Cliente) in a reseller inside the actor's scope.
    async fn create_client(&self, actor: &Actor, new: &NewClient) -> DomainResult<Client>;
    /// The client's subscriptions, active first.
    async fn subscriptions(&self, actor: &Actor, client: ClientId) -> DomainResult<Vec<Subscription>>;
    /// Adicionar Plano: gives the client an active plan of the catalog at its price.
    async fn add_subscription(&self, actor: &Actor, client: ClientId, plan: &PlanChoice) -> DomainResult<Subscription>;
    /// The names credited as Vendedor on the reseller's plans that are not
    /// staff members (outside salespeople, a shop, a sales channel), most used first.
    async fn salespeople(&self, actor: &Actor, reseller: ResellerId) -> DomainResult<Vec<String>>;
}

/// The client's receivables.
#[async_trait]
pub trait Finance: Send + Sync {
    /// Receivables of the client due within the period.
    async fn receivables(&self, actor: &Actor, client: ClientId, period: &Period) -> DomainResult<Vec<Receivable>>;
    /// One receivable with its settlements.
    async fn receivable(&self, actor: &Actor, id: ReceivableId) -> DomainResult<(Receivable, Vec<Settlement>)>;
}

/// Tickets and work orders.
#[async_trait]
pub trait Tickets: Send + Sync {
    /// Opens a ticket (with its first history entries and its work order, if
    /// asked) in one transaction; `today` (the provider's date) numbers the protocol.
    async fn open_ticket(&self, actor: &Actor, new: &NewTicket, today: NaiveDate) -> DomainResult<Ticket>;
    /// A ticket with history and work orders.
    async fn ticket(&self, actor: &Actor, id: TicketId) -> DomainResult<TicketDetail>;
    /// The client's tickets, open first, newest first.
    async fn client_tickets(&self, actor: &Actor, client: ClientId) -> DomainResult<Vec<Ticket>>;
    /// Open tickets assigned to the actor or to one of the actor's roles,
    /// inside the actor's scope, oldest first.
    async fn my_tickets(&self, actor: &Actor) -> DomainResult<Vec<Ticket>>;
    /// The ticket with this protocol number, when it is in the actor's scope.
    async fn ticket_by_protocol(&self, actor: &Actor, protocol: &str) -> DomainResult<Option<TicketId>>;
}

/// How a batch of imported rows went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Rows that created a record.
    pub created: usize,
    /// Rows that changed a record.
    pub updated: usize,
    /// Rows identical to what was stored.
    pub unchanged: usize,
    /// Rows refused: line number and reason.
    pub refused: Vec<(usize, String)>,
    /// Rows left out because a later row of the file has the same key (the
    /// same código, or the same natural key): their line and the line that
    /// was applied instead. Only the last row of a key counts above.
    pub repeated: Vec<(usize, usize)>,
}

impl ImportOutcome {
    /// Adds another batch's counts to this one.
    pub fn absorb(&mut self, other: ImportOutcome) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.refused.extend(other.refused);
        self.repeated.extend(other.repeated);
    }
}

/// A client row of an export with its reseller by name. The store creates a
/// reseller named for the first time in the same transaction as the client,
/// so a refused row leaves no reseller behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientImport {
    /// The row's line in the file.
    pub line: usize,
    /// The reseller's name as the file has it (case and accents ignored).
    pub reseller: String,
    /// The client; its `reseller_id` is set by the store from `reseller`.
    pub client: NewClient,
}

/// Bulk upserts from providers' exports, keyed by código (clients) and by
/// natural keys (subscriptions: client and plan; receivables: client, due date
/// and histórico). Each row is applied whole or refused whole. When a key
/// appears on several rows, the last one is applied and the others are
/// reported as repeated; the counts say what changed in the store.
#[async_trait]
pub trait Imports: Send + Sync {
    /// Upserts clients; each row carries its line number.
    async fn import_clients(&self, rows: &[(usize, NewClient)]) -> DomainResult<ImportOutcome>;
    /// Upserts clients whose reseller is given by name (see [`ClientImport`]).
    async fn import_clients_by_reseller_name(&self, rows: &[ClientImport]) -> DomainResult<ImportOutcome>;
    /// Upserts subscriptions.
    async fn import_subscriptions(&self, rows: &[(usize, NewSubscription)]) -> DomainResult<ImportOutcome>;
    /// Upserts receivables and their settlement.
    async fn import_receivables(&self, rows: &[(usize, NewReceivable)]) -> DomainResult<ImportOutcome>;
}

/// Working tickets and work orders after they are opened (Manutenção do
/// Atendimento, O.S. for technicians). Every change lands in the ticket's
/// history with who and when, in the same transaction as the change.
#[async_trait]
pub trait FollowUp: Send + Sync {
    /// Adds a note (interação) to a ticket.
    async fn add_note(&self, actor: &Actor, ticket: TicketId, note: &str) -> DomainResult<TicketDetail>;
    /// Changes an open ticket's status among Aberto, Em andamento and
    /// Aguardando cliente (resolving takes [`FollowUp::resolve`]).
    async fn set_status(&self, actor: &Actor, ticket: TicketId, status: TicketStatus) -> DomainResult<TicketDetail>;
    /// Reassigns a ticket to a user who serves the client's reseller, or to a role.
    async fn reassign(&self, actor: &Actor, ticket: TicketId, to: Assignee) -> DomainResult<TicketDetail>;
    /// Assumir: the actor takes a ticket assigned to one of their roles.
    /// Exactly one of several members racing wins; the others get
    /// [`DomainError::Conflict`] naming who took it.
    async fn take(&self, actor: &Actor, ticket: TicketId) -> DomainResult<TicketDetail>;
    /// Resolves an open ticket with how it was solved.
    async fn resolve(&self, actor: &Actor, ticket: TicketId, resolution: &str) -> DomainResult<TicketDetail>;
    /// Reopens a resolved ticket, saying why.
    async fn reopen(&self, actor: &Actor, ticket: TicketId, reason: &str) -> DomainResult<TicketDetail>;
    /// Responder ao cliente: a staff member's answer goes to the client by
    /// e-mail, in the ticket's thread, through the outbox; the history keeps
    /// it and the ticket waits for the client. Only for a ticket that came by
    /// e-mail or form (it knows the client's address) and with e-mail configured.
    async fn reply_to_client(&self, actor: &Actor, ticket: TicketId, text: &str) -> DomainResult<TicketDetail>;
    /// The actor's open work orders as technician (scheduled or in progress),
    /// by date and window: a visit missed on its day stays until it is done
    /// or given back.
    async fn my_work_orders(&self, actor: &Actor) -> DomainResult<Vec<WorkOrder>>;
    /// The technician starts their work order.
    async fn start_work_order(&self, actor: &Actor, id: WorkOrderId) -> DomainResult<WorkOrder>;
    /// The technician finishes their work order with what was done.
    async fn finish_work_order(&self, actor: &Actor, id: WorkOrderId, outcome: &str) -> DomainResult<WorkOrder>;
    /// The technician gives the work order back (it returns to scheduled with
    /// no technician), saying why.
    async fn give_back_work_order(&self, actor: &Actor, id: WorkOrderId, reason: &str) -> DomainResult<WorkOrder>;
    /// A work order of a client in the actor's scope.
    async fn work_order(&self, actor: &Actor, id: WorkOrderId) -> DomainResult<WorkOrder>;
    /// Gives a scheduled work order to a technician who serves the client's
    /// reseller (for one that has none, was given back, or changes hands);
    /// the technician is told.
    async fn assign_work_order(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        technician: StaffId,
    ) -> DomainResult<TicketDetail>;
    /// Asks for a new work order on an open ticket that has none scheduled
    /// or in progress (a reopened one, say); its technician, if any, is told.
    async fn request_work_order(
        &self,
        actor: &Actor,
        ticket: TicketId,
        work_order: &NewWorkOrder,
    ) -> DomainResult<TicketDetail>;
    /// Active staff who may act on the reseller's tickets (its own and
    /// provider-wide staff), by name; only for a reseller in the actor's scope.
    async fn assignable_staff(&self, actor: &Actor, reseller: ResellerId) -> DomainResult<Vec<Staff>>;
}

/// The chat front door: linking Telegram accounts to staff, and each chat's
/// conversation state, so a restart or a second instance continues where
/// every user was.
#[async_trait]
pub trait Chats: Send + Sync {
    /// Links `telegram_id` to the active staff member holding the invite code
    /// with this digest, if it has not expired at `now` nor been used; the code
    /// stops working. `None` when no such code exists.
    async fn link_telegram(
        &self,
        code_digest: &str,
        telegram_id: i64,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<Staff>>;
    /// A staff member marked unreachable (they had blocked the bot) wrote to
    /// the bot again: notifications reach them again.
    async fn mark_reachable(&self, staff: StaffId) -> DomainResult<()>;
    /// The saved state of a chat (opaque to the store), if any.
    async fn conversation(&self, chat_id: i64) -> DomainResult<Option<String>>;
    /// Saves the state of a chat.
    async fn save_conversation(&self, chat_id: i64, state: &str) -> DomainResult<()>;
}

/// Telegram updates received by our webhook, stored before Telegram is told
/// "ok" and handled afterwards, so an acknowledged update is never lost.
#[async_trait]
pub trait UpdateInbox: Send + Sync {
    /// Stores an update under its Telegram id, with the Telegram user it
    /// comes from when it has one; `false` when it was already stored
    /// (Telegram resends until it hears "ok").
    async fn store_update(&self, update_id: i64, sender: Option<i64>, payload: &str) -> DomainResult<bool>;
    /// Claims up to `limit` unhandled updates for `owner` (this instance),
    /// oldest first, for `lease` seconds; updates
    /// claimed by a worker that died are claimed again after it. An update
    /// waits while an older one of the same sender is not done, so one
    /// person's updates are handled in order, one at a time, whatever the
    /// number of instances.
    async fn claim_updates(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_seconds: i64,
        limit: i64,
    ) -> DomainResult<Vec<ClaimedUpdate>>;
    /// Counts one more attempt at handling an update, as it starts; the
    /// attempts so far, this one included.
    async fn start_update(&self, update_id: i64) -> DomainResult<i64>;
    /// Marks an update handled.
    async fn finish_update(&self, update_id: i64, now: DateTime<Utc>) -> DomainResult<()>;
    /// Sets an update aside as failed, with the reason an operator reads; it
    /// is never claimed again, and the same sender's later updates go on.
    async fn fail_update(&self, update_id: i64, now: DateTime<Utc>, reason: &str) -> DomainResult<()>;
    /// Holds a claimed update for `lease_seconds` more from `now`, while its
    /// handling waits (Telegram asked to slow down): no other worker takes it.
    async fn extend_claim(&self, update_id: i64, now: DateTime<Utc>, lease_seconds: i64) -> DomainResult<()>;
    /// Gives back every claim `owner` holds: an instance that starts again
    /// takes its unfinished updates back at once, not when the lease ends.
    async fn release_update_claims(&self, owner: &str) -> DomainResult<u64>;
    /// The updates set aside as failed, newest first.
    async fn failed_updates(&self, limit: i64) -> DomainResult<Vec<FailedUpdate>>;
    /// How many updates wait, and how many were set aside as failed.
    async fn update_counts(&self) -> DomainResult<UpdateCounts>;
}

/// An update a worker claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedUpdate {
    /// Telegram's update id.
    pub update_id: i64,
    /// The update as Telegram sent it.
    pub payload: String,
    /// Attempts at handling it before this claim.
    pub attempts: i64,
}

/// An update set aside as failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedUpdate {
    /// Telegram's update id.
    pub update_id: i64,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// When it was set aside.
    pub failed_at: DateTime<Utc>,
    /// How many times its handling was started.
    pub attempts: i64,
    /// Why, for the operator.
    pub reason: String,
}

/// The inbox at a glance, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdateCounts {
    /// Stored and not yet handled.
    pub pending: i64,
    /// Set aside as failed.
    pub failed: i64,
}

/// The notification outbox: rows are written by the stores' use cases in
/// their own transactions; the dispatcher claims, sends and records.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Claims up to `limit` pending notifications due at `now`, oldest first,
    /// for `lease_seconds` (only urgent ones when `urgent_only`, in quiet
    /// hours); a claim whose dispatcher died expires and the row is claimed
    /// again, so nothing is skipped.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_seconds: i64,
        limit: i64,
        urgent_only: bool,
    ) -> DomainResult<Vec<Notification>>;
    /// Records the delivery and the channel's id of the message.
    async fn mark_sent(&self, id: NotificationId, external_id: &str, now: DateTime<Utc>) -> DomainResult<()>;
    /// Records a temporary failure; the next attempt is at `next_at`.
    /// `counts` says whether this attempt counts toward giving up (a 429 does not).
    async fn mark_retry(
        &self,
        id: NotificationId,
        error: &str,
        next_at: DateTime<Utc>,
        counts: bool,
    ) -> DomainResult<()>;
    /// Gives claimed notifications back to the queue untouched, for the next claim.
    async fn release(&self, ids: &[NotificationId]) -> DomainResult<()>;
    /// Gives back the pending notifications this instance claimed before it
    /// stopped (a crash, a kill): they go out at once, not when the lease
    /// ends. Only for an instance with a name of its own; the count given back.
    async fn release_own_claims(&self) -> DomainResult<u64>;
    /// Gives up on a notification, saying why.
    async fn mark_dead(&self, id: NotificationId, reason: &str) -> DomainResult<()>;
    /// The channel's id of the assignment notice of `ticket` delivered to
    /// `recipient`, if one was (the message an Assumir edits).
    async fn delivered_assignment(&self, ticket: TicketId, recipient: Recipient) -> DomainResult<Option<String>>;
    /// Claims, for `lease_seconds`, the other assignment notices waiting for
    /// the same group, due or held by back-off, oldest first: a burst held up
    /// by an outage goes out as one digest.
    async fn claim_group_backlog(
        &self,
        group: RoleGroupId,
        now: DateTime<Utc>,
        lease_seconds: i64,
        limit: i64,
    ) -> DomainResult<Vec<Notification>>;
    /// The tickets announced together in the message with this channel id (a digest), oldest first.
    async fn tickets_in_message(&self, external_id: &str) -> DomainResult<Vec<TicketId>>;
    /// A role group by id.
    async fn role_group(&self, id: RoleGroupId) -> DomainResult<RoleGroup>;
    /// Marks a staff member as unreachable on Telegram (they blocked the bot).
    async fn mark_unreachable(&self, staff: StaffId) -> DomainResult<()>;
    /// Counts per channel and status, and how many needed more than one attempt.
    async fn outbox_stats(&self) -> DomainResult<Vec<OutboxStat>>;
    /// The most recent notifications, or only the dead ones.
    async fn notifications(&self, dead_only: bool, limit: i64) -> DomainResult<Vec<Notification>>;
    /// Puts dead notifications back in the queue: one, or all (`None`);
    /// returns how many.
    async fn retry_dead(&self, id: Option<NotificationId>, now: DateTime<Utc>) -> DomainResult<usize>;
}

/// Every port at once, for the composition root.
pub trait Store: Directory + Clients + Finance + Tickets + FollowUp + Imports + Chats + UpdateInbox + Outbox {}

impl<T: Directory + Clients + Finance + Tickets + FollowUp + Imports + Chats + UpdateInbox + Outbox> Store for T {}

/// Intake's inbox: contacts stored as they came, before the sender hears "ok".
#[async_trait]
pub trait Intake: Send + Sync {
    /// Stores a contact at `now` unless one with the same key is stored
    /// already; either way, once this returns, the contact is durable.
    async fn store_delivery(
        &self,
        new: &crate::intake::NewDelivery,
        now: DateTime<Utc>,
    ) -> DomainResult<crate::intake::Stored>;
    /// Stored contacts, newest first: all, or only those that need a person
    /// (failed, or with no client).
    async fn deliveries(&self, failed_only: bool, limit: i64) -> DomainResult<Vec<crate::intake::Delivery>>;
    /// Contacts waiting to be processed, oldest first, with their channel and bytes.
    async fn pending_deliveries(
        &self,
        limit: i64,
    ) -> DomainResult<Vec<(crate::ids::DeliveryId, crate::intake::IntakeChannel, Vec<u8>)>>;
    /// Turns a waiting contact into what it is, in one transaction with its
    /// outcome: ignored (mail no program should answer), the client's reply
    /// on the ticket our Message-ID (or, from the client, the protocol in the
    /// subject) names, or a new ticket for the client it came from (by
    /// e-mail, phone, then CPF/CNPJ), routed by the setup's rules and
    /// acknowledged by e-mail when `acknowledge`. Past the sender's hourly
    /// limit it joins their latest ticket. A contact no client matches waits
    /// as unmatched, saying what was tried. One already processed (by another
    /// instance) is left as it is.
    async fn process_delivery(
        &self,
        id: crate::ids::DeliveryId,
        contact: &crate::intake::Contact,
        setup: &crate::intake::IntakeSetup,
        today: NaiveDate,
    ) -> DomainResult<crate::intake::Delivery>;
    /// Sets a waiting contact aside as failed, saying why.
    async fn fail_delivery(&self, id: crate::ids::DeliveryId, reason: &str) -> DomainResult<()>;
    /// The contacts no client matched that `actor` may triage, oldest first:
    /// provider staff, all; a reseller's staff, those sent to its mailbox.
    async fn unmatched(&self, actor: &Actor, limit: i64) -> DomainResult<Vec<crate::intake::Delivery>>;
    /// One contact `actor` may triage, with its channel and bytes; `NotFound`
    /// when it is not theirs or no longer waits for a client.
    async fn unmatched_one(
        &self,
        actor: &Actor,
        id: crate::ids::DeliveryId,
    ) -> DomainResult<(crate::intake::Delivery, crate::intake::IntakeChannel, Vec<u8>)>;
    /// A person says whose contact it is: it becomes a ticket for `client`
    /// (which must be in `actor`'s scope), routed and acknowledged like any
    /// other, and the list says who linked it. `Conflict` when someone else
    /// dealt with it first.
    async fn link_delivery(
        &self,
        actor: &Actor,
        id: crate::ids::DeliveryId,
        client: ClientId,
        contact: &crate::intake::Contact,
        setup: &crate::intake::IntakeSetup,
        today: NaiveDate,
    ) -> DomainResult<crate::intake::Delivery>;
    /// A person sets a contact aside as nobody's (spam, a wrong address): it
    /// is recorded as ignored, saying who did it.
    async fn discard_delivery(&self, actor: &Actor, id: crate::ids::DeliveryId) -> DomainResult<()>;
    /// Puts a failed or unmatched contact back to be processed again; whether it was.
    async fn retry_delivery(&self, id: crate::ids::DeliveryId) -> DomainResult<bool>;
}
