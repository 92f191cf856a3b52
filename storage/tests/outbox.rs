//! The outbox contract: who is told of a ticket's assignment, and how the
//! dispatcher claims, records and retries notifications, run on SQLite always
//! and on PostgreSQL when `BALCAO_TEST_POSTGRES_URL` is set, each test on a
//! database of its own.
//!
//! It proves that opening and reassigning a ticket write, in the same step,
//! one pending notification per configured channel for each active member of
//! the role who serves the client's reseller (or for the one user assigned) who
//! can be reached there (Telegram linked and reachable, an e-mail address),
//! never for the actor, under an event of its own that reaches each recipient
//! once; that claims take due rows oldest first, hold them for their lease and
//! never hand one row to two claimers; and that sent, retried and dead rows
//! read back as recorded, dead ones going back to the queue when asked.
//!
//! Time is passed in as `now`: no test waits for a clock. The dispatcher's
//! use of these rows (rendering, Telegram's and the SMTP relay's answers) is proved
//! in `tests/bot.rs` and `tests/email.rs`.

#[expect(dead_code, reason = "each test binary uses part of the shared harness")]
mod common;

use std::collections::BTreeSet;

use balcao_domain::client::Client;
use balcao_domain::notify::{Channel, DeliveryStatus, Notification, NotificationKind, Recipient};
use balcao_domain::ports::{Clients, Directory, FollowUp, Outbox, Tickets};
use balcao_domain::staff::{Actor, Staff};
use balcao_domain::ticket::Assignee;
use balcao_domain::{NotificationId, RoleId, StaffId, TicketId};
use balcao_storage::Db;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::*;

/// The day tickets are opened in these tests.
fn opening_day() -> NaiveDate {
    day(2026, 11, 28)
}

/// Seconds after `t`.
fn after(t: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    t + Duration::seconds(seconds)
}

/// An instant a dispatcher could pass as `now` once every row written so far is due.
fn soon() -> DateTime<Utc> {
    after(Utc::now(), 1)
}

/// Two resellers, their clients and the people who could hear of their tickets.
struct Team {
    /// Revenda A's desk: "Atendente Revenda A", Suporte N1, never linked.
    a: Desk,
    /// Revenda B's desk: "Atendente Revenda B", Suporte N1, never linked.
    b: Desk,
    /// Lia, of A, Suporte N1, linked: she opens and forwards the tickets.
    lia: Staff,
    /// Ana, of A, Suporte N1, linked.
    ana: Staff,
    /// Carla, provider-wide, Suporte N1, linked.
    carla: Staff,
    /// Bruno, of B, Suporte N1, linked.
    bruno: Staff,
    /// Nina, of A, Suporte N2, linked.
    nina: Staff,
    /// Dino, of A, Suporte N1, linked but disabled.
    dino: Staff,
    client_a: Client,
    client_b: Client,
    n1: RoleId,
    n2: RoleId,
}

impl Team {
    fn lia_acts(&self) -> Actor {
        Actor::of(&self.lia)
    }
}

async fn team(db: &Db) -> Team {
    let a = desk(db, "Revenda A").await;
    let b = desk(db, "Revenda B").await;
    let lia = hire(db, "Lia Atendente", Some("Revenda A"), &["Suporte N1"], Some(7001)).await;
    let ana = hire(db, "Ana Souza", Some("Revenda A"), &["Suporte N1"], Some(7002)).await;
    let carla = hire(db, "Carla Central", None, &["Suporte N1"], Some(7003)).await;
    let bruno = hire(db, "Bruno da B", Some("Revenda B"), &["Suporte N1"], Some(7004)).await;
    let nina = hire(db, "Nina Nível Dois", Some("Revenda A"), &["Suporte N2"], Some(7005)).await;
    let dino = hire(db, "Dino Saindo", Some("Revenda A"), &["Suporte N1"], Some(7006)).await;
    deactivate(db, dino.id).await;
    let client_a = db.create_client(&a.actor, &person(a.reseller.id, "Cliente da Revenda A")).await.expect("client");
    let client_b = db.create_client(&b.actor, &person(b.reseller.id, "Cliente da Revenda B")).await.expect("client");
    let n1 = role_id(db, "Suporte N1").await;
    let n2 = role_id(db, "Suporte N2").await;
    Team { a, b, lia, ana, carla, bruno, nina, dino, client_a, client_b, n1, n2 }
}

/// Opens a ticket for `client` assigned to `assignee`.
async fn open(db: &Db, actor: &Actor, client: &Client, assignee: Assignee) -> TicketId {
    let mut new = ticket_for(db, client.id).await;
    new.assignee = assignee;
    db.open_ticket(actor, &new, opening_day()).await.expect("ticket opened").id
}

/// Every notification, oldest first.
async fn everything(db: &Db) -> Vec<Notification> {
    let mut all = db.notifications(false, 10_000).await.expect("notifications listed");
    all.reverse();
    all
}

/// The notifications of one ticket, oldest first.
async fn of_ticket(db: &Db, ticket: TicketId) -> Vec<Notification> {
    everything(db).await.into_iter().filter(|n| n.ticket == Some(ticket)).collect()
}

/// One notification, as listed.
async fn notification(db: &Db, id: NotificationId) -> Notification {
    everything(db).await.into_iter().find(|n| n.id == id).unwrap_or_else(|| panic!("notification {id} exists"))
}

/// The recipients of the rows written for `event`, by id.
async fn told_of(db: &Db, event: &str) -> Vec<StaffId> {
    let mut who: Vec<StaffId> =
        everything(db).await.iter().filter(|n| n.event == event).filter_map(|n| n.recipient.staff()).collect();
    who.sort();
    who
}

/// The ids, in order.
fn ids(rows: &[Notification]) -> Vec<NotificationId> {
    rows.iter().map(|n| n.id).collect()
}

/// Staff ids, sorted, as [`told_of`] gives them.
fn staff(people: &[&Staff]) -> Vec<StaffId> {
    let mut ids: Vec<StaffId> = people.iter().map(|s| s.id).collect();
    ids.sort();
    ids
}

/// The event under which opening `ticket` is announced.
fn opened(ticket: TicketId) -> String {
    format!("ticket:{}:opened", ticket.0)
}

/// The event under which the ticket's latest reassignment is announced.
async fn latest_assignment(db: &Db, ticket: TicketId) -> String {
    let (id,): (i64,) = sqlx::query_as(
        "SELECT id FROM ticket_events WHERE ticket_id = $1 AND kind = 'assigned' ORDER BY id DESC LIMIT 1",
    )
    .bind(ticket.0)
    .fetch_one(db.pool())
    .await
    .expect("the ticket was reassigned");
    format!("ticket:{}:assigned:{id}", ticket.0)
}

/// Asserts `n` is a fresh assignment notice of `ticket` under `event`.
#[track_caller]
fn assert_fresh(n: &Notification, ticket: TicketId, event: &str, since: DateTime<Utc>) {
    assert_eq!(n.event, event);
    assert_eq!(n.ticket, Some(ticket));
    assert_eq!(n.channel, Channel::Telegram);
    assert_eq!(n.kind, NotificationKind::TicketAssigned);
    assert_eq!(n.status, DeliveryStatus::Pending);
    assert_eq!(n.attempts, 0);
    assert_eq!(n.last_error, "");
    assert_eq!(n.external_id, None);
    assert_eq!(n.sent_at, None);
    assert!(n.created_at >= since && n.created_at <= soon(), "created at {}", n.created_at);
}

// ----------------------------------------------------------- opening tickets

async fn a_ticket_for_a_role_notifies_its_linked_active_members_who_serve_the_clients_reseller(db: &Db) {
    let t = team(db).await;
    // Lia acts; the desk is not linked; Bruno serves B; Nina holds another
    // role; Dino is disabled: only Ana and provider-wide Carla hear of it.
    let since = after(Utc::now(), -1);
    let ticket = open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    let rows = of_ticket(db, ticket).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    for n in &rows {
        assert_fresh(n, ticket, &opened(ticket), since);
    }
    assert_eq!(told_of(db, &opened(ticket)).await, staff(&[&t.ana, &t.carla]));

    // B's ticket reaches B's member and the provider's, never A's.
    let of_b = open(db, &t.b.actor, &t.client_b, Assignee::Role(t.n1)).await;
    assert_eq!(told_of(db, &opened(of_b)).await, staff(&[&t.bruno, &t.carla]));

    // Opened by the system, nobody is left out as the actor.
    let by_system = open(db, &Actor::admin(), &t.client_a, Assignee::Role(t.n1)).await;
    assert_eq!(told_of(db, &opened(by_system)).await, staff(&[&t.lia, &t.ana, &t.carla]));

    let n2 = open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n2)).await;
    assert_eq!(told_of(db, &opened(n2)).await, staff(&[&t.nina]));
    assert_eq!(everything(db).await.len(), 2 + 2 + 3 + 1, "nothing else was written");
}

async fn a_ticket_for_a_user_notifies_exactly_that_user_when_linked(db: &Db) {
    let t = team(db).await;
    let since = after(Utc::now(), -1);
    let to_ana = open(db, &t.lia_acts(), &t.client_a, Assignee::User(t.ana.id)).await;
    let rows = of_ticket(db, to_ana).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_fresh(&rows[0], to_ana, &opened(to_ana), since);
    assert_eq!(rows[0].recipient, Recipient::Staff(t.ana.id));

    let to_carla = open(db, &t.lia_acts(), &t.client_a, Assignee::User(t.carla.id)).await;
    assert_eq!(told_of(db, &opened(to_carla)).await, staff(&[&t.carla]));

    // The desk never linked Telegram; Lia does not hear of what she assigns herself.
    let to_desk = open(db, &t.lia_acts(), &t.client_a, Assignee::User(t.a.staff.id)).await;
    assert!(of_ticket(db, to_desk).await.is_empty());
    let to_herself = open(db, &t.lia_acts(), &t.client_a, Assignee::User(t.lia.id)).await;
    assert!(of_ticket(db, to_herself).await.is_empty());
    let to_lia = open(db, &Actor::admin(), &t.client_a, Assignee::User(t.lia.id)).await;
    assert_eq!(told_of(db, &opened(to_lia)).await, staff(&[&t.lia]));
    assert_eq!(everything(db).await.len(), 3);
}

async fn a_ticket_resolved_on_first_contact_notifies_nobody(db: &Db) {
    let t = team(db).await;
    for assignee in [Assignee::Role(t.n1), Assignee::User(t.ana.id)] {
        let mut new = ticket_for(db, t.client_a.id).await;
        new.assignee = assignee;
        new.resolution = Some("Reiniciou a ONU e voltou".into());
        db.open_ticket(&t.lia_acts(), &new, opening_day()).await.expect("ticket opened resolved");
    }
    assert_eq!(db.count(balcao_storage::Counted::Tickets).await.unwrap(), 2);
    assert!(everything(db).await.is_empty());
}

// --------------------------------------------------------------- reassigning

async fn reassigning_notifies_the_new_assignees_under_a_new_event(db: &Db) {
    let t = team(db).await;
    let lia = t.lia_acts();
    let ticket = open(db, &lia, &t.client_a, Assignee::Role(t.n1)).await;
    let first = of_ticket(db, ticket).await;
    assert_eq!(first.len(), 2);

    let since = after(Utc::now(), -1);
    db.reassign(&lia, ticket, Assignee::Role(t.n2)).await.unwrap();
    let to_n2 = latest_assignment(db, ticket).await;
    assert_eq!(told_of(db, &to_n2).await, staff(&[&t.nina]));
    let rows = of_ticket(db, ticket).await;
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[..2], first[..], "what was written before stays as it was");
    assert_fresh(&rows[2], ticket, &to_n2, since);

    db.reassign(&lia, ticket, Assignee::User(t.ana.id)).await.unwrap();
    let to_ana = latest_assignment(db, ticket).await;
    assert_ne!(to_ana, to_n2);
    assert_eq!(told_of(db, &to_ana).await, staff(&[&t.ana]));

    // Back to the role: its members are told again, under the new event.
    db.reassign(&lia, ticket, Assignee::Role(t.n1)).await.unwrap();
    let back = latest_assignment(db, ticket).await;
    assert_eq!(told_of(db, &back).await, staff(&[&t.ana, &t.carla]));
    assert_eq!(told_of(db, &opened(ticket)).await, staff(&[&t.ana, &t.carla]));

    // Lia forwarding to herself is in the history, but she is not told.
    db.reassign(&lia, ticket, Assignee::User(t.lia.id)).await.unwrap();
    assert!(told_of(db, &latest_assignment(db, ticket).await).await.is_empty());

    let rows = of_ticket(db, ticket).await;
    assert_eq!(rows.len(), 2 + 1 + 1 + 2);
    let events: BTreeSet<&str> = rows.iter().map(|n| n.event.as_str()).collect();
    assert_eq!(events.len(), 4, "{events:?}");
}

async fn reassigning_to_whoever_has_the_ticket_writes_nothing(db: &Db) {
    let t = team(db).await;
    let lia = t.lia_acts();
    let ticket = open(db, &lia, &t.client_a, Assignee::Role(t.n1)).await;
    db.reassign(&lia, ticket, Assignee::Role(t.n1)).await.unwrap();
    db.reassign(&Actor::admin(), ticket, Assignee::Role(t.n1)).await.unwrap();
    assert_eq!(ids(&everything(db).await), ids(&of_ticket(db, ticket).await));
    assert_eq!(everything(db).await.len(), 2);

    db.reassign(&lia, ticket, Assignee::User(t.carla.id)).await.unwrap();
    assert_eq!(everything(db).await.len(), 3);
    db.reassign(&lia, ticket, Assignee::User(t.carla.id)).await.unwrap();
    db.reassign(&Actor::admin(), ticket, Assignee::User(t.carla.id)).await.unwrap();
    assert_eq!(everything(db).await.len(), 3);
}

async fn each_event_reaches_each_recipient_once_per_channel(db: &Db) {
    let t = team(db).await;
    let lia = t.lia_acts();
    for _ in 0..2 {
        let ticket = open(db, &lia, &t.client_a, Assignee::Role(t.n1)).await;
        for to in [Assignee::Role(t.n2), Assignee::Role(t.n1), Assignee::User(t.ana.id), Assignee::Role(t.n1)] {
            db.reassign(&lia, ticket, to).await.unwrap();
        }
    }
    let all = everything(db).await;
    assert_eq!(all.len(), 2 * (2 + 1 + 2 + 1 + 2));
    let keys: BTreeSet<(&str, Recipient, &str)> =
        all.iter().map(|n| (n.event.as_str(), n.recipient, n.channel.as_str())).collect();
    assert_eq!(keys.len(), all.len(), "no (event, recipient, channel) twice");

    // Nor can anything else write one twice: the schema refuses it.
    let twice = sqlx::query(
        "INSERT INTO outbox (event, recipient_id, channel, kind, ticket_id, urgent, status, attempts, \
         next_attempt_at, created_at) SELECT event, recipient_id, channel, kind, ticket_id, urgent, 'pending', 0, \
         next_attempt_at, created_at FROM outbox WHERE id = $1",
    )
    .bind(all[0].id.0)
    .execute(db.pool())
    .await;
    match twice {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {}
        other => panic!("expected a unique violation, got {other:?}"),
    }
    assert_eq!(everything(db).await, all);
}

// ------------------------------------------------------------------ claiming

async fn claims_take_due_rows_oldest_first_up_to_the_limit(db: &Db) {
    let t = team(db).await;
    for _ in 0..4 {
        open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    }
    let all = everything(db).await;
    assert_eq!(all.len(), 8);
    let now = soon();
    assert_eq!(db.claim_due(now, 60, 3, false).await.unwrap(), all[0..3], "the rows as they are, oldest first");
    assert_eq!(db.claim_due(now, 60, 3, false).await.unwrap(), all[3..6]);
    assert_eq!(db.claim_due(now, 60, 3, false).await.unwrap(), all[6..8]);
    assert!(db.claim_due(now, 60, 3, false).await.unwrap().is_empty());
    assert_eq!(everything(db).await, all, "a claim changes nothing anyone reads");
}

async fn a_claimed_row_is_claimed_again_only_once_its_lease_expires(db: &Db) {
    let t = team(db).await;
    for _ in 0..2 {
        open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    }
    let all = ids(&everything(db).await);
    let now = soon();
    assert_eq!(ids(&db.claim_due(now, 60, 10, false).await.unwrap()), all);
    for later in [0, 1, 30, 59] {
        assert!(db.claim_due(after(now, later), 60, 10, false).await.unwrap().is_empty(), "{later} s into the lease");
    }
    // The dispatcher that claimed them died: they are claimed again, for a new lease.
    assert_eq!(ids(&db.claim_due(after(now, 61), 60, 10, false).await.unwrap()), all);
    assert!(db.claim_due(after(now, 90), 60, 10, false).await.unwrap().is_empty());
    assert_eq!(ids(&db.claim_due(after(now, 122), 60, 10, false).await.unwrap()), all);
    // Given back before the lease ends (the dispatcher ran out of time), they are claimed at once.
    db.mark_sent(all[0], "7002:1", after(now, 123)).await.unwrap();
    db.release(&all).await.unwrap();
    assert_eq!(ids(&db.claim_due(after(now, 124), 60, 10, false).await.unwrap()), all[1..]);
    assert_eq!(notification(db, all[0]).await.status, DeliveryStatus::Sent, "a sent row stays sent");
}

async fn rows_not_yet_due_are_not_claimed(db: &Db) {
    let t = team(db).await;
    let before = after(Utc::now(), -60);
    open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    assert!(db.claim_due(before, 60, 10, false).await.unwrap().is_empty(), "written after that instant");

    let all = ids(&everything(db).await);
    let now = soon();
    db.mark_retry(all[0], "falha de rede", after(now, 3_600), false).await.unwrap();
    // The rest are claimed for longer than the wait, so that they stay out of the way.
    assert_eq!(ids(&db.claim_due(now, 7_200, 10, false).await.unwrap()), all[1..]);
    assert!(db.claim_due(after(now, 3_599), 60, 10, false).await.unwrap().is_empty());
    assert_eq!(ids(&db.claim_due(after(now, 3_600), 60, 10, false).await.unwrap()), [all[0]]);
}

async fn a_row_due_longer_is_claimed_before_a_newer_one(db: &Db) {
    let t = team(db).await;
    open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    let all = ids(&everything(db).await);
    let now = soon();
    // The older row failed and waits until now + 60; the newer one is due since it was written.
    db.mark_retry(all[0], "falha de rede", after(now, 60), true).await.unwrap();
    assert_eq!(ids(&db.claim_due(after(now, 120), 60, 1, false).await.unwrap()), [all[1]]);
    assert_eq!(ids(&db.claim_due(after(now, 120), 60, 1, false).await.unwrap()), [all[0]]);
}

async fn two_claimers_at_once_never_get_the_same_row(db: &Db) {
    let t = team(db).await;
    for _ in 0..6 {
        open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    }
    let all: BTreeSet<NotificationId> = ids(&everything(db).await).into_iter().collect();
    assert_eq!(all.len(), 12);
    let start = soon();
    // Each round starts once the previous round's leases expired, so every row is up for grabs again.
    for round in 0..5 {
        let now = after(start, round * 100);
        let mut claimed = BTreeSet::new();
        loop {
            let (first, second) = tokio::join!(db.claim_due(now, 60, 5, false), db.claim_due(now, 60, 5, false));
            let (first, second) = (ids(&first.unwrap()), ids(&second.unwrap()));
            assert!(first.len() <= 5 && second.len() <= 5);
            if first.is_empty() && second.is_empty() {
                break;
            }
            for id in first.iter().chain(&second) {
                assert!(claimed.insert(*id), "round {round}: {id} claimed twice ({first:?}, {second:?})");
            }
        }
        assert_eq!(claimed, all, "round {round}: every row claimed once");
    }
}

// -------------------------------------------------------------- the outcomes

async fn a_sent_row_records_the_message_and_is_not_claimed_again(db: &Db) {
    let t = team(db).await;
    let ticket = open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    let now = soon();
    let claimed = db.claim_due(now, 60, 10, false).await.unwrap();
    let to_ana = claimed.iter().find(|n| n.recipient == Recipient::Staff(t.ana.id)).expect("Ana's row claimed").clone();
    let to_carla =
        claimed.iter().find(|n| n.recipient == Recipient::Staff(t.carla.id)).expect("Carla's row claimed").clone();
    assert_eq!(db.delivered_assignment(ticket, Recipient::Staff(t.ana.id)).await.unwrap(), None, "not sent yet");

    let sent_at = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
    db.mark_sent(to_ana.id, "7002:77", sent_at).await.unwrap();
    let sent = notification(db, to_ana.id).await;
    assert_eq!(
        sent,
        Notification {
            status: DeliveryStatus::Sent,
            external_id: Some("7002:77".into()),
            sent_at: Some(sent_at),
            attempts: 1,
            ..to_ana.clone()
        }
    );
    assert_eq!(notification(db, to_carla.id).await, to_carla, "the other row is untouched");
    assert_eq!(db.delivered_assignment(ticket, Recipient::Staff(t.ana.id)).await.unwrap(), Some("7002:77".into()));
    assert_eq!(db.delivered_assignment(ticket, Recipient::Staff(t.carla.id)).await.unwrap(), None);

    // Long after the lease, only the unsent row is claimed.
    assert_eq!(ids(&db.claim_due(after(now, 3_600), 60, 10, false).await.unwrap()), [to_carla.id]);
}

async fn a_retry_that_counts_adds_an_attempt_and_waits_until_its_time(db: &Db) {
    let t = team(db).await;
    open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    let now = soon();
    let claimed = db.claim_due(now, 600, 10, false).await.unwrap();
    let row = claimed[0].clone();

    db.mark_retry(row.id, "Telegram: Bad Gateway", after(now, 30), true).await.unwrap();
    let retried = notification(db, row.id).await;
    assert_eq!(
        retried,
        Notification { attempts: 1, last_error: "Telegram: Bad Gateway".into(), ..row.clone() },
        "still pending"
    );
    assert!(db.claim_due(after(now, 29), 600, 10, false).await.unwrap().is_empty(), "not before its time");
    // Its time comes before the claim's lease ends: the retry released it.
    assert_eq!(ids(&db.claim_due(after(now, 31), 600, 10, false).await.unwrap()), [row.id]);

    db.mark_retry(row.id, "Telegram: Too Many Requests", after(now, 100), false).await.unwrap();
    let waited = notification(db, row.id).await;
    assert_eq!(waited.attempts, 1, "a 429 does not count toward giving up");
    assert_eq!(waited.last_error, "Telegram: Too Many Requests");
    assert_eq!(waited.status, DeliveryStatus::Pending);
    assert!(db.claim_due(after(now, 99), 600, 10, false).await.unwrap().is_empty());
    assert_eq!(ids(&db.claim_due(after(now, 101), 600, 10, false).await.unwrap()), [row.id]);

    db.mark_retry(row.id, "falha de rede: timeout", after(now, 200), true).await.unwrap();
    assert_eq!(notification(db, row.id).await.attempts, 2);
}

async fn a_dead_row_keeps_its_reason_and_is_never_claimed(db: &Db) {
    let t = team(db).await;
    open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    let now = soon();
    let row = db.claim_due(now, 60, 1, false).await.unwrap().remove(0);
    db.mark_dead(row.id, "Telegram recusou: chat not found").await.unwrap();
    let dead = notification(db, row.id).await;
    assert_eq!(dead.status, DeliveryStatus::Dead);
    assert_eq!(dead.last_error, "Telegram recusou: chat not found");
    assert_eq!((dead.external_id, dead.sent_at), (None, None));
    for later in [61, 86_400] {
        let claimed = db.claim_due(after(now, later), 60, 10, false).await.unwrap();
        assert!(!ids(&claimed).contains(&row.id), "claimed {later} s later");
    }
}

async fn the_list_shows_the_newest_first_and_can_keep_to_the_dead(db: &Db) {
    let t = team(db).await;
    for _ in 0..3 {
        open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    }
    let oldest_first = ids(&everything(db).await);
    assert_eq!(oldest_first.len(), 6);
    db.mark_dead(oldest_first[1], "Telegram recusou: chat not found").await.unwrap();
    db.mark_dead(oldest_first[4], "falha de rede (após 10 tentativas)").await.unwrap();
    db.mark_sent(oldest_first[2], "7003:1", soon()).await.unwrap();

    let newest_first: Vec<NotificationId> = oldest_first.iter().rev().copied().collect();
    assert_eq!(ids(&db.notifications(false, 100).await.unwrap()), newest_first);
    assert_eq!(ids(&db.notifications(false, 2).await.unwrap()), newest_first[..2]);
    let dead = db.notifications(true, 100).await.unwrap();
    assert_eq!(ids(&dead), [oldest_first[4], oldest_first[1]]);
    assert!(dead.iter().all(|n| n.status == DeliveryStatus::Dead));
    assert_eq!(dead[0].last_error, "falha de rede (após 10 tentativas)");
    assert_eq!(ids(&db.notifications(true, 1).await.unwrap()), [oldest_first[4]]);
}

async fn retrying_dead_rows_puts_them_back_in_the_queue_and_leaves_the_rest(db: &Db) {
    let t = team(db).await;
    for _ in 0..3 {
        open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    }
    let all = ids(&everything(db).await);
    let (d1, d2, d3, sent, pending) = (all[0], all[1], all[2], all[3], all[4]);
    let now = soon();
    for id in [d1, d2, d3] {
        db.mark_retry(id, "falha de rede", now, true).await.unwrap();
        db.mark_dead(id, "Telegram recusou: chat not found").await.unwrap();
        assert!(notification(db, id).await.attempts >= 2);
    }
    db.mark_sent(sent, "7002:9", now).await.unwrap();
    let sent_before = notification(db, sent).await;
    let pending_before = notification(db, pending).await;

    // One, put back due at an instant of the caller's choosing.
    let back_at = after(now, 3_600);
    assert_eq!(db.retry_dead(Some(d1), back_at).await.unwrap(), 1);
    let back = notification(db, d1).await;
    assert_eq!((back.status, back.attempts), (DeliveryStatus::Pending, 0));
    assert!(!ids(&db.claim_due(after(back_at, -1), 60, 10, false).await.unwrap()).contains(&d1), "not before its time");
    assert!(ids(&db.claim_due(back_at, 60, 10, false).await.unwrap()).contains(&d1));
    assert_eq!(notification(db, d2).await.status, DeliveryStatus::Dead, "only the one asked");

    // Rows that are not dead, or do not exist, are left alone.
    for id in [d1, sent, pending, NotificationId(999_999)] {
        assert_eq!(db.retry_dead(Some(id), now).await.unwrap(), 0, "{id}");
    }
    assert_eq!(notification(db, sent).await, sent_before);

    // All the rest.
    assert_eq!(db.retry_dead(None, now).await.unwrap(), 2);
    for id in [d2, d3] {
        let back = notification(db, id).await;
        assert_eq!((back.status, back.attempts), (DeliveryStatus::Pending, 0), "{id}");
    }
    assert!(db.notifications(true, 100).await.unwrap().is_empty());
    assert_eq!(notification(db, sent).await, sent_before, "a sent row is never sent again");
    assert_eq!(notification(db, pending).await.status, pending_before.status);
    assert_eq!(db.retry_dead(None, now).await.unwrap(), 0);
}

// -------------------------------------------------------------- unreachable

async fn a_member_who_blocked_the_bot_is_not_notified_of_later_tickets(db: &Db) {
    let t = team(db).await;
    let lia = t.lia_acts();
    let earlier = open(db, &lia, &t.client_a, Assignee::Role(t.n1)).await;
    let before = everything(db).await;
    db.mark_unreachable(t.ana.id).await.unwrap();
    assert_eq!(everything(db).await, before, "what was written stays");

    let ticket = open(db, &lia, &t.client_a, Assignee::Role(t.n1)).await;
    assert_eq!(told_of(db, &opened(ticket)).await, staff(&[&t.carla]), "the rest of the role still is");
    let to_ana = open(db, &lia, &t.client_a, Assignee::User(t.ana.id)).await;
    assert!(of_ticket(db, to_ana).await.is_empty());
    db.reassign(&lia, earlier, Assignee::User(t.ana.id)).await.unwrap();
    assert!(told_of(db, &latest_assignment(db, earlier).await).await.is_empty());
    db.reassign(&lia, earlier, Assignee::Role(t.n1)).await.unwrap();
    assert_eq!(told_of(db, &latest_assignment(db, earlier).await).await, staff(&[&t.carla]));

    // Only Ana: the others of her reseller and the provider's are still reachable.
    let by_system = open(db, &Actor::admin(), &t.client_a, Assignee::Role(t.n1)).await;
    assert_eq!(told_of(db, &opened(by_system)).await, staff(&[&t.lia, &t.carla]));
    assert!(!everything(db).await.iter().any(|n| n.recipient == Recipient::Staff(t.dino.id)), "disabled staff never");
}

async fn assumir_tells_the_others_with_non_urgent_rows_held_in_quiet_hours(db: &Db) {
    let t = team(db).await;
    let ticket = open(db, &Actor::admin(), &t.client_a, Assignee::Role(t.n1)).await;
    let now = soon();
    for n in db.claim_due(now, 60, 10, false).await.unwrap() {
        db.mark_sent(n.id, &format!("{}:1", n.recipient.staff().map_or(0, |s| s.0)), now).await.unwrap();
    }
    db.take(&t.lia_acts(), ticket).await.unwrap();
    let taken: Vec<Notification> =
        of_ticket(db, ticket).await.into_iter().filter(|n| n.kind == NotificationKind::TicketTaken).collect();
    let told: BTreeSet<StaffId> = taken.iter().filter_map(|n| n.recipient.staff()).collect();
    assert_eq!(told, staff(&[&t.ana, &t.carla]).into_iter().collect(), "everyone told of it but the taker");
    assert_eq!(
        db.delivered_assignment(ticket, Recipient::Staff(t.ana.id)).await.unwrap().as_deref(),
        Some(&*format!("{}:1", t.ana.id))
    );
    // The edits are not urgent: in quiet hours they wait.
    assert!(db.claim_due(after(now, 1), 60, 10, true).await.unwrap().is_empty());
    assert_eq!(db.claim_due(after(now, 1), 60, 10, false).await.unwrap().len(), 2);
}

async fn e_mail_rows_are_written_only_when_e_mail_is_configured_and_assumir_edits_only_telegram(db: &Db) {
    let t = team(db).await;
    let with_email = |name: &str, telegram: Option<i64>| balcao_domain::staff::NewStaff {
        name: name.to_owned(),
        reseller: Some("Revenda A".to_owned()),
        roles: vec!["Suporte N1".to_owned()],
        email: Some(format!("{}@revenda-a.test", name.to_lowercase())),
        telegram_id: telegram,
    };
    let eva = db.add_staff(&with_email("Eva", None), None).await.unwrap();
    let rui = db.add_staff(&with_email("Rui", Some(7101)), None).await.unwrap();
    // Telegram only (the default): Eva, who has no Telegram, hears nothing.
    let telegram_only = open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    assert!(of_ticket(db, telegram_only).await.iter().all(|n| n.channel == Channel::Telegram));
    assert_eq!(told_of(db, &opened(telegram_only)).await, staff(&[&t.ana, &t.carla, &rui]));

    // With e-mail configured: one e-mail row per member with an address, beside the Telegram rows.
    let both = db.clone().with_channels(balcao_storage::Channels { telegram: true, email: true });
    let ticket = open(&both, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    let rows = of_ticket(db, ticket).await;
    let on = |channel: Channel| {
        let mut who: Vec<StaffId> =
            rows.iter().filter(|n| n.channel == channel).filter_map(|n| n.recipient.staff()).collect();
        who.sort();
        who
    };
    assert_eq!(on(Channel::Email), staff(&[&eva, &rui]));
    assert_eq!(on(Channel::Telegram), staff(&[&t.ana, &t.carla, &rui]));
    assert!(rows.iter().all(|n| n.event == opened(ticket) && n.status == DeliveryStatus::Pending));

    // E-mail only: nothing for Telegram.
    let email_only = db.clone().with_channels(balcao_storage::Channels { telegram: false, email: true });
    let by_mail = open(&email_only, &t.lia_acts(), &t.client_a, Assignee::User(rui.id)).await;
    let rows = of_ticket(db, by_mail).await;
    assert_eq!(
        rows.iter().map(|n| (n.recipient, n.channel)).collect::<Vec<_>>(),
        [(Recipient::Staff(rui.id), Channel::Email)]
    );

    // Assumir edits the Telegram messages; an e-mail cannot be edited and gets no follow-up.
    let now = soon();
    for n in db.claim_due(now, 60, 100, false).await.unwrap() {
        let external = match n.channel {
            Channel::Telegram => format!("{}:1", n.recipient.staff().map_or(0, |s| s.0)),
            Channel::Email => format!("<balcao.n{}@revenda-a.test>", n.id),
        };
        db.mark_sent(n.id, &external, now).await.unwrap();
    }
    // Rui got both: the message Assumir edits is his Telegram one.
    assert_eq!(db.delivered_assignment(ticket, Recipient::Staff(rui.id)).await.unwrap(), Some(format!("{}:1", rui.id)));
    db.take(&Actor::of(&t.ana), ticket).await.unwrap();
    let taken: Vec<Notification> =
        of_ticket(db, ticket).await.into_iter().filter(|n| n.kind == NotificationKind::TicketTaken).collect();
    assert!(taken.iter().all(|n| n.channel == Channel::Telegram), "{taken:?}");
    let told: BTreeSet<StaffId> = taken.iter().filter_map(|n| n.recipient.staff()).collect();
    assert_eq!(told, staff(&[&t.carla, &rui]).into_iter().collect());
}

async fn a_role_with_a_group_chat_hears_of_its_tickets_there_once(db: &Db) {
    let t = team(db).await;
    assert!(db.set_role_group(t.n1, Some(t.a.reseller.id), 42).await.is_err(), "a group's id is negative");
    let of_a = db.set_role_group(t.n1, Some(t.a.reseller.id), -1001).await.unwrap();
    let everyone = db.set_role_group(t.n1, None, -1002).await.unwrap();
    assert_eq!(
        (of_a.role_name.as_str(), of_a.reseller_name.as_deref(), of_a.chat_id),
        ("Suporte N1", Some("Revenda A"), -1001)
    );
    assert_eq!(db.role_groups().await.unwrap().len(), 2);
    let group_rows = |rows: &[Notification]| {
        rows.iter().filter(|n| matches!(n.recipient, Recipient::Group(_))).map(|n| n.recipient).collect::<Vec<_>>()
    };

    // A's ticket goes to A's group, once, and to no member privately.
    let ticket = open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    let rows = of_ticket(db, ticket).await;
    assert_eq!(group_rows(&rows), [Recipient::Group(of_a.id)]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    // B has no group of its own: the role's group for every reseller hears of it.
    let of_b = open(db, &t.b.actor, &t.client_b, Assignee::Role(t.n1)).await;
    assert_eq!(group_rows(&of_ticket(db, of_b).await), [Recipient::Group(everyone.id)]);
    // A user's ticket is still for the user.
    let to_ana = open(db, &t.lia_acts(), &t.client_a, Assignee::User(t.ana.id)).await;
    assert_eq!(
        of_ticket(db, to_ana).await.iter().map(|n| n.recipient).collect::<Vec<_>>(),
        [Recipient::Staff(t.ana.id)]
    );

    // Ana takes it from the group: the group's message is to be edited.
    let now = soon();
    for n in db.claim_due(now, 60, 100, false).await.unwrap() {
        db.mark_sent(n.id, "-1001:77", now).await.unwrap();
    }
    assert_eq!(db.tickets_in_message("-1001:77").await.unwrap().len(), 3);
    assert_eq!(db.delivered_assignment(ticket, Recipient::Group(of_a.id)).await.unwrap().as_deref(), Some("-1001:77"));
    db.take(&Actor::of(&t.ana), ticket).await.unwrap();
    let taken: Vec<Notification> =
        of_ticket(db, ticket).await.into_iter().filter(|n| n.kind == NotificationKind::TicketTaken).collect();
    assert_eq!(taken.iter().map(|n| n.recipient).collect::<Vec<_>>(), [Recipient::Group(of_a.id)]);

    // Another chat for A: later tickets go there, and so do notices not sent yet;
    // the old group stays for what was sent to it (the Assumir edit goes there).
    let unsent = open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    let moved = db.set_role_group(t.n1, Some(t.a.reseller.id), -1003).await.unwrap();
    assert_ne!(moved.id, of_a.id);
    assert_eq!(db.role_group(of_a.id).await.unwrap().chat_id, -1001);
    assert_eq!(group_rows(&of_ticket(db, unsent).await), [Recipient::Group(moved.id)]);
    assert_eq!(taken[0].recipient, Recipient::Group(of_a.id), "the edit stays with the message");
    assert_eq!(notification(db, taken[0].id).await.recipient, Recipient::Group(of_a.id));
    let later = open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    assert_eq!(group_rows(&of_ticket(db, later).await), [Recipient::Group(moved.id)]);
    // Without groups, the members hear of it privately again.
    assert!(db.remove_role_group(t.n1, Some(t.a.reseller.id)).await.unwrap());
    assert!(db.remove_role_group(t.n1, None).await.unwrap());
    assert!(!db.remove_role_group(t.n1, None).await.unwrap());
    assert!(db.role_groups().await.unwrap().is_empty());
    let private = open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await;
    assert_eq!(told_of(db, &opened(private)).await, staff(&[&t.ana, &t.carla]));
}

async fn a_group_s_backlog_is_claimed_whole_even_while_held_by_back_off(db: &Db) {
    let t = team(db).await;
    let group = db.set_role_group(t.n1, None, -1009).await.unwrap();
    let mut tickets = Vec::new();
    for _ in 0..4 {
        tickets.push(open(db, &t.lia_acts(), &t.client_a, Assignee::Role(t.n1)).await);
    }
    let now = soon();
    let first = db.claim_due(now, 60, 1, false).await.unwrap();
    assert_eq!(first.len(), 1);
    // Two more failed and wait for their back-off; one is due.
    let others = db.claim_due(now, 60, 2, false).await.unwrap();
    for n in &others {
        db.mark_retry(n.id, "Telegram fora do ar", after(now, 3_600), true).await.unwrap();
    }
    let backlog = db.claim_group_backlog(group.id, now, 60, 100).await.unwrap();
    assert_eq!(backlog.len(), 3, "all but the one already claimed: {backlog:?}");
    assert!(backlog.iter().all(|n| n.recipient == Recipient::Group(group.id)));
    assert!(db.claim_group_backlog(group.id, now, 60, 100).await.unwrap().is_empty(), "held by the claim");
    assert_eq!(
        db.claim_group_backlog(group.id, after(now, 61), 60, 100).await.unwrap().len(),
        4,
        "every lease ran out"
    );
}

async fn a_work_order_scheduled_for_a_technician_tells_them_when_it_is_not_quiet(db: &Db) {
    let t = team(db).await;
    let teo = hire(db, "Téo Técnico", Some("Revenda A"), &["Técnico de campo"], Some(7201)).await;
    let visit = |technician: Option<StaffId>| balcao_domain::ticket::NewWorkOrder {
        date: day(2026, 12, 1),
        window_start: balcao_domain::ticket::parse_time("08:00").unwrap(),
        window_end: balcao_domain::ticket::parse_time("12:00").unwrap(),
        technician,
        address: String::new(),
        task: "Trocar o conector da ONU".into(),
    };
    let mut new = ticket_for(db, t.client_a.id).await;
    new.work_order = Some(visit(Some(teo.id)));
    let ticket = db.open_ticket(&t.lia_acts(), &new, opening_day()).await.unwrap();
    let detail = db.ticket(&Actor::admin(), ticket.id).await.unwrap();
    let rows: Vec<Notification> =
        of_ticket(db, ticket.id).await.into_iter().filter(|n| n.kind == NotificationKind::WorkOrderScheduled).collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].recipient, Recipient::Staff(teo.id));
    assert_eq!(rows[0].event, format!("work_order:{}:scheduled", detail.work_orders[0].id.0));
    assert_eq!(
        balcao_domain::notify::work_order_of_event(&rows[0].event),
        Some(detail.work_orders[0].id),
        "the dispatcher finds the O.S. from the event"
    );
    // Not urgent: quiet hours hold it; the ticket's own notices still go.
    let quiet = db.claim_due(soon(), 60, 100, true).await.unwrap();
    assert!(quiet.iter().all(|n| n.kind == NotificationKind::TicketAssigned) && !quiet.is_empty(), "{quiet:?}");
    assert_eq!(ids(&db.claim_due(soon(), 60, 100, false).await.unwrap()), ids(&rows));

    // Nobody is told of an O.S. they scheduled for themselves, or of one without a technician.
    let mut own = ticket_for(db, t.client_a.id).await;
    own.work_order = Some(visit(Some(teo.id)));
    let own = db.open_ticket(&Actor::of(&teo), &own, opening_day()).await.unwrap();
    let mut later = ticket_for(db, t.client_a.id).await;
    later.work_order = Some(visit(None));
    let later = db.open_ticket(&t.lia_acts(), &later, opening_day()).await.unwrap();
    for id in [own.id, later.id] {
        assert!(of_ticket(db, id).await.iter().all(|n| n.kind != NotificationKind::WorkOrderScheduled));
    }

    // The O.S. without a technician gets one later: they are told, once.
    let wo = db.ticket(&Actor::admin(), later.id).await.unwrap().work_orders[0].id;
    let other_tech = hire(db, "Bia Técnica da B", Some("Revenda B"), &["Técnico de campo"], Some(7202)).await;
    let refused = db.assign_work_order(&t.lia_acts(), wo, other_tech.id).await;
    assert!(invalid_message(refused).contains("não atende a revenda"));
    assert_not_found(db.assign_work_order(&t.b.actor, wo, teo.id).await);
    let detail = db.assign_work_order(&t.lia_acts(), wo, teo.id).await.unwrap();
    assert_eq!(detail.work_orders[0].technician, Some(teo.id));
    assert!(
        detail.history.iter().any(|e| e.detail == format!("O.S. {} para Téo Técnico", wo.0)),
        "{:?}",
        detail.history
    );
    db.assign_work_order(&t.lia_acts(), wo, teo.id).await.unwrap();
    let told: Vec<Notification> =
        of_ticket(db, later.id).await.into_iter().filter(|n| n.kind == NotificationKind::WorkOrderScheduled).collect();
    assert_eq!(told.len(), 1, "the same technician again changes nothing: {told:?}");
    assert_eq!(balcao_domain::notify::work_order_of_event(&told[0].event), Some(wo));
    // Once started, the O.S. stays with its technician.
    db.start_work_order(&Actor::of(&teo), wo).await.unwrap();
    assert_eq!(invalid_message(db.assign_work_order(&t.lia_acts(), wo, t.ana.id).await), "a O.S. já está em execução");
}

common::contract_tests!(
    a_work_order_scheduled_for_a_technician_tells_them_when_it_is_not_quiet,
    a_role_with_a_group_chat_hears_of_its_tickets_there_once,
    a_group_s_backlog_is_claimed_whole_even_while_held_by_back_off,
    e_mail_rows_are_written_only_when_e_mail_is_configured_and_assumir_edits_only_telegram,
    assumir_tells_the_others_with_non_urgent_rows_held_in_quiet_hours,
    a_ticket_for_a_role_notifies_its_linked_active_members_who_serve_the_clients_reseller,
    a_ticket_for_a_user_notifies_exactly_that_user_when_linked,
    a_ticket_resolved_on_first_contact_notifies_nobody,
    reassigning_notifies_the_new_assignees_under_a_new_event,
    reassigning_to_whoever_has_the_ticket_writes_nothing,
    each_event_reaches_each_recipient_once_per_channel,
    claims_take_due_rows_oldest_first_up_to_the_limit,
    a_claimed_row_is_claimed_again_only_once_its_lease_expires,
    rows_not_yet_due_are_not_claimed,
    a_row_due_longer_is_claimed_before_a_newer_one,
    two_claimers_at_once_never_get_the_same_row,
    a_sent_row_records_the_message_and_is_not_claimed_again,
    a_retry_that_counts_adds_an_attempt_and_waits_until_its_time,
    a_dead_row_keeps_its_reason_and_is_never_claimed,
    the_list_shows_the_newest_first_and_can_keep_to_the_dead,
    retrying_dead_rows_puts_them_back_in_the_queue_and_leaves_the_rest,
    a_member_who_blocked_the_bot_is_not_notified_of_later_tickets,
);
