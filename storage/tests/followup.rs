//! The follow-up contract: working tickets after they are opened (notes,
//! status, reassignment, Assumir, resolving, reopening) and the technician's
//! side of work orders, run on SQLite always and on PostgreSQL when
//! `BALCAO_TEST_POSTGRES_URL` is set, each test on a database of its own.
//!
//! It proves that each change lands with its history entry (kind, pt-BR
//! detail, who); that refused changes write nothing; that another reseller's
//! staff find none of these tickets or work orders, exactly as ids that do not
//! exist; that of two members racing to take a ticket exactly one wins and the
//! other learns who; and that only the technician assigned acts on an O.S.
//!
//! Opening tickets and scheduling work orders are proved in `contract.rs`.

#[expect(dead_code, reason = "each test binary uses part of the shared harness")]
mod common;

use balcao_domain::client::Client;
use balcao_domain::notify::{Channel, NotificationKind, Recipient};
use balcao_domain::ports::{Clients, FollowUp, Outbox, Tickets};
use balcao_domain::staff::{Actor, Staff};
use balcao_domain::ticket::{Assignee, NewWorkOrder, TicketDetail, TicketStatus, WorkOrderStatus, parse_time};
use balcao_domain::{DomainError, DomainResult, ResellerId, RoleId, StaffId, TicketId, WorkOrderId};
use balcao_storage::Db;
use chrono::NaiveDate;
use common::*;

/// The day tickets are opened in these tests.
fn opening_day() -> NaiveDate {
    day(2026, 11, 28)
}

/// Two resellers' desks, a client of A with a ticket assigned to Suporte N1,
/// and a client of B with one too.
struct Scene {
    a: Desk,
    b: Desk,
    client_a: Client,
    ticket: TicketId,
    ticket_b: TicketId,
}

async fn scene(db: &Db) -> Scene {
    let a = desk(db, "Revenda A").await;
    let b = desk(db, "Revenda B").await;
    let mut new_client = person(a.reseller.id, "Cliente da Revenda A");
    new_client.address = address();
    let client_a = db.create_client(&a.actor, &new_client).await.expect("client of A registered");
    let client_b =
        db.create_client(&b.actor, &person(b.reseller.id, "Cliente da Revenda B")).await.expect("client of B");
    let ticket = open(db, &a.actor, &client_a).await;
    let ticket_b = open(db, &b.actor, &client_b).await;
    Scene { a, b, client_a, ticket, ticket_b }
}

/// Opens a ticket for `client` assigned to Suporte N1.
async fn open(db: &Db, actor: &Actor, client: &Client) -> TicketId {
    db.open_ticket(actor, &ticket_for(db, client.id).await, opening_day()).await.expect("ticket opened").id
}

/// Opens a ticket for `client` with a visit on `date` in the window, for `technician`.
async fn open_with_visit(
    db: &Db,
    actor: &Actor,
    client: &Client,
    date: NaiveDate,
    window: (&str, &str),
    technician: Option<StaffId>,
) -> (TicketId, WorkOrderId) {
    let mut new = ticket_for(db, client.id).await;
    new.work_order = Some(NewWorkOrder {
        date,
        window_start: parse_time(window.0).expect("a time"),
        window_end: parse_time(window.1).expect("a time"),
        technician,
        address: String::new(),
        task: "Trocar o conector da ONU".into(),
    });
    let ticket = db.open_ticket(actor, &new, opening_day()).await.expect("ticket with visit opened").id;
    let detail = db.ticket(actor, ticket).await.expect("ticket read");
    (ticket, detail.work_orders[0].id)
}

/// The kinds of a ticket's history, oldest first.
fn kinds(detail: &TicketDetail) -> Vec<&str> {
    detail.history.iter().map(|e| e.kind.as_str()).collect()
}

/// The newest history entry as (kind, detail, who, who's name).
fn newest(detail: &TicketDetail) -> (&str, &str, Option<StaffId>, &str) {
    let e = detail.history.last().expect("a history entry");
    (e.kind.as_str(), e.detail.as_str(), e.actor, e.actor_name.as_str())
}

/// The ticket as the provider sees it.
async fn read(db: &Db, ticket: TicketId) -> TicketDetail {
    db.ticket(&Actor::admin(), ticket).await.expect("ticket read")
}

/// Sets a ticket's `updated_at` far in the past, so a change shows.
async fn age(db: &Db, ticket: TicketId) {
    sqlx::query("UPDATE tickets SET updated_at = '2000-01-01T00:00:00.000Z' WHERE id = $1")
        .bind(ticket.0)
        .execute(db.pool())
        .await
        .expect("ticket aged");
}

/// Whether the ticket's `updated_at` moved since [`age`].
async fn touched(db: &Db, ticket: TicketId) -> bool {
    let (at,): (String,) = sqlx::query_as("SELECT updated_at FROM tickets WHERE id = $1")
        .bind(ticket.0)
        .fetch_one(db.pool())
        .await
        .expect("ticket found");
    at.as_str() > "2000-01-01T00:00:00.000Z"
}

/// Asserts the result is `NotFound(what)`.
#[track_caller]
fn assert_not_found_as<T: std::fmt::Debug>(result: DomainResult<T>, what: &str) {
    match result {
        Err(DomainError::NotFound(w)) if w == what => {}
        other => panic!("expected NotFound({what}), got {other:?}"),
    }
}

/// The message of a [`DomainError::Conflict`]; panics on anything else.
#[track_caller]
fn conflict_message<T: std::fmt::Debug>(result: DomainResult<T>) -> String {
    match result {
        Err(DomainError::Conflict(message)) => message,
        other => panic!("expected Conflict, got {other:?}"),
    }
}

// --------------------------------------------------------------------- notes

async fn a_note_lands_in_the_history_with_its_author(db: &Db) {
    let s = scene(db).await;
    age(db, s.ticket).await;
    let detail = db.add_note(&s.a.actor, s.ticket, "  Cliente reiniciou a ONU, sem efeito  ").await.unwrap();
    assert_eq!(kinds(&detail), ["opened", "note"]);
    assert_eq!(
        newest(&detail),
        ("note", "Cliente reiniciou a ONU, sem efeito", Some(s.a.staff.id), "Atendente Revenda A")
    );
    assert_eq!(detail.ticket.status, TicketStatus::Open, "a note changes no status");
    assert!(touched(db, s.ticket).await);
    assert_eq!(read(db, s.ticket).await, detail);

    let detail = db.add_note(&Actor::admin(), s.ticket, "Ligação retornada").await.unwrap();
    assert_eq!(newest(&detail), ("note", "Ligação retornada", None, "Sistema"));
}

async fn a_note_too_short_is_refused_and_writes_nothing(db: &Db) {
    let s = scene(db).await;
    for note in ["", "   ", " x "] {
        assert_eq!(invalid_message(db.add_note(&s.a.actor, s.ticket, note).await), "escreva a anotação");
    }
    assert_eq!(kinds(&read(db, s.ticket).await), ["opened"]);
    let detail = db.add_note(&s.a.actor, s.ticket, "ok").await.unwrap();
    assert_eq!(newest(&detail).1, "ok", "two characters are enough");
}

async fn a_resolved_ticket_still_takes_notes(db: &Db) {
    let s = scene(db).await;
    db.resolve(&s.a.actor, s.ticket, "Troca de cabo").await.unwrap();
    let detail = db.add_note(&s.a.actor, s.ticket, "Cliente confirmou que voltou").await.unwrap();
    assert_eq!(kinds(&detail), ["opened", "resolved", "note"]);
    assert_eq!(detail.ticket.status, TicketStatus::Resolved);
}

// -------------------------------------------------------------------- status

async fn status_moves_among_the_open_states_with_history(db: &Db) {
    let s = scene(db).await;
    age(db, s.ticket).await;
    let detail = db.set_status(&s.a.actor, s.ticket, TicketStatus::InProgress).await.unwrap();
    assert_eq!(detail.ticket.status, TicketStatus::InProgress);
    assert_eq!(newest(&detail), ("status", "Situação: Em andamento", Some(s.a.staff.id), "Atendente Revenda A"));
    assert!(touched(db, s.ticket).await);

    let detail = db.set_status(&s.a.actor, s.ticket, TicketStatus::WaitingClient).await.unwrap();
    assert_eq!(detail.ticket.status, TicketStatus::WaitingClient);
    assert_eq!(newest(&detail).1, "Situação: Aguardando cliente");

    let detail = db.set_status(&s.a.actor, s.ticket, TicketStatus::Open).await.unwrap();
    assert_eq!(detail.ticket.status, TicketStatus::Open);
    assert_eq!(newest(&detail).1, "Situação: Aberto");
    assert_eq!(kinds(&detail), ["opened", "status", "status", "status"]);
    assert_eq!(detail.ticket.resolved_at, None);
}

async fn setting_the_same_status_changes_nothing(db: &Db) {
    let s = scene(db).await;
    age(db, s.ticket).await;
    let detail = db.set_status(&s.a.actor, s.ticket, TicketStatus::Open).await.unwrap();
    assert_eq!(kinds(&detail), ["opened"]);
    assert!(!touched(db, s.ticket).await);
}

async fn status_cannot_resolve_nor_change_a_resolved_ticket(db: &Db) {
    let s = scene(db).await;
    invalid_message(db.set_status(&s.a.actor, s.ticket, TicketStatus::Resolved).await);
    assert_eq!(read(db, s.ticket).await.ticket.status, TicketStatus::Open);

    db.resolve(&s.a.actor, s.ticket, "Troca de cabo").await.unwrap();
    for status in [TicketStatus::Open, TicketStatus::InProgress, TicketStatus::WaitingClient] {
        assert_eq!(
            invalid_message(db.set_status(&s.a.actor, s.ticket, status).await),
            "o atendimento está resolvido; reabra-o antes"
        );
    }
    let detail = read(db, s.ticket).await;
    assert_eq!(detail.ticket.status, TicketStatus::Resolved);
    assert_eq!(kinds(&detail), ["opened", "resolved"]);
}

// ---------------------------------------------------------------- reassigning

async fn a_ticket_is_forwarded_to_a_role_with_history(db: &Db) {
    let s = scene(db).await;
    let n2 = role_id(db, "Suporte N2").await;
    age(db, s.ticket).await;
    let detail = db.reassign(&s.a.actor, s.ticket, Assignee::Role(n2)).await.unwrap();
    assert_eq!(detail.ticket.assignee, Assignee::Role(n2));
    assert_eq!(
        newest(&detail),
        ("assigned", "Encaminhado para Cargo Suporte N2", Some(s.a.staff.id), "Atendente Revenda A")
    );
    assert!(touched(db, s.ticket).await);
    assert_eq!(read(db, s.ticket).await.ticket.assignee, Assignee::Role(n2));
}

async fn a_ticket_is_forwarded_to_a_user_of_its_reseller_or_of_the_provider(db: &Db) {
    let s = scene(db).await;
    let ana = hire(db, "Ana Souza", Some("Revenda A"), &["Suporte N2"], None).await;
    let central = hire(db, "Carlos Central", None, &["Supervisor"], None).await;
    let detail = db.reassign(&s.a.actor, s.ticket, Assignee::User(ana.id)).await.unwrap();
    assert_eq!(detail.ticket.assignee, Assignee::User(ana.id));
    assert_eq!(newest(&detail), ("assigned", "Encaminhado para Ana Souza", Some(s.a.staff.id), "Atendente Revenda A"));

    let detail = db.reassign(&s.a.actor, s.ticket, Assignee::User(central.id)).await.unwrap();
    assert_eq!(detail.ticket.assignee, Assignee::User(central.id));
    assert_eq!(newest(&detail).1, "Encaminhado para Carlos Central");

    let n1 = role_id(db, "Suporte N1").await;
    let detail = db.reassign(&s.a.actor, s.ticket, Assignee::Role(n1)).await.unwrap();
    assert_eq!(detail.ticket.assignee, Assignee::Role(n1), "back to a role, the user is cleared");
    assert_eq!(kinds(&detail), ["opened", "assigned", "assigned", "assigned"]);
}

async fn a_user_who_does_not_serve_the_clients_reseller_cannot_receive_the_ticket(db: &Db) {
    let s = scene(db).await;
    let leaving = hire(db, "Diego Saindo", Some("Revenda A"), &["Suporte N2"], None).await;
    deactivate(db, leaving.id).await;
    for user in [s.b.staff.id, leaving.id, StaffId(999_999)] {
        for actor in [&s.a.actor, &Actor::admin()] {
            assert_eq!(
                invalid_message(db.reassign(actor, s.ticket, Assignee::User(user)).await),
                "este usuário não atende a revenda do cliente"
            );
        }
    }
    let detail = read(db, s.ticket).await;
    assert_eq!(detail.ticket.assignee, Assignee::Role(role_id(db, "Suporte N1").await));
    assert_eq!(kinds(&detail), ["opened"]);
}

async fn forwarding_to_a_role_that_does_not_exist_is_not_found(db: &Db) {
    let s = scene(db).await;
    assert_not_found_as(db.reassign(&s.a.actor, s.ticket, Assignee::Role(RoleId(999_999))).await, "cargo");
    assert_eq!(kinds(&read(db, s.ticket).await), ["opened"]);
}

async fn forwarding_to_whoever_has_the_ticket_changes_nothing(db: &Db) {
    let s = scene(db).await;
    let n1 = role_id(db, "Suporte N1").await;
    age(db, s.ticket).await;
    let detail = db.reassign(&s.a.actor, s.ticket, Assignee::Role(n1)).await.unwrap();
    assert_eq!(kinds(&detail), ["opened"]);
    assert!(!touched(db, s.ticket).await);
}

// --------------------------------------------------------------------- taking

async fn a_member_of_the_role_takes_the_ticket(db: &Db) {
    let s = scene(db).await;
    let bruno = hire(db, "Bruno Atendente", Some("Revenda A"), &["Suporte N1"], None).await;
    age(db, s.ticket).await;
    let detail = db.take(&Actor::of(&bruno), s.ticket).await.unwrap();
    assert_eq!(detail.ticket.assignee, Assignee::User(bruno.id));
    assert_eq!(detail.ticket.status, TicketStatus::InProgress);
    assert_eq!(newest(&detail), ("taken", "Assumido por Bruno Atendente", Some(bruno.id), "Bruno Atendente"));
    assert!(touched(db, s.ticket).await);
    let mine: Vec<TicketId> = db.my_tickets(&Actor::of(&bruno)).await.unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(mine, [s.ticket]);
    assert!(db.my_tickets(&s.a.actor).await.unwrap().is_empty(), "no longer with the role");

    let again = db.take(&Actor::of(&bruno), s.ticket).await.unwrap();
    assert_eq!(kinds(&again), ["opened", "taken"], "taking one's own ticket again changes nothing");
}

async fn only_a_member_of_the_assigned_role_can_take_it(db: &Db) {
    let s = scene(db).await;
    let n2_member = hire(db, "Nívea Nível Dois", Some("Revenda A"), &["Suporte N2"], None).await;
    assert_eq!(
        invalid_message(db.take(&Actor::of(&n2_member), s.ticket).await),
        "este atendimento não está com um cargo seu"
    );
    assert_eq!(invalid_message(db.take(&Actor::admin(), s.ticket).await), "só um usuário pode assumir um atendimento");
    let detail = read(db, s.ticket).await;
    assert_eq!(detail.ticket.assignee, Assignee::Role(role_id(db, "Suporte N1").await));
    assert_eq!(detail.ticket.status, TicketStatus::Open);
    assert_eq!(kinds(&detail), ["opened"]);
}

async fn taking_a_ticket_someone_holds_names_them(db: &Db) {
    let s = scene(db).await;
    let bruno = hire(db, "Bruno Atendente", Some("Revenda A"), &["Suporte N1"], None).await;
    db.take(&Actor::of(&bruno), s.ticket).await.unwrap();
    assert_eq!(conflict_message(db.take(&s.a.actor, s.ticket).await), "Bruno Atendente já assumiu este atendimento");
    let detail = read(db, s.ticket).await;
    assert_eq!(detail.ticket.assignee, Assignee::User(bruno.id));
    assert_eq!(kinds(&detail), ["opened", "taken"]);
}

async fn of_two_members_racing_to_take_a_ticket_exactly_one_wins(db: &Db) {
    let s = scene(db).await;
    let bruno = hire(db, "Bruno Atendente", Some("Revenda A"), &["Suporte N1"], None).await;
    let carla = hire(db, "Carla Atendente", None, &["Suporte N1"], None).await;
    let (bruno_acts, carla_acts) = (Actor::of(&bruno), Actor::of(&carla));
    for _ in 0..4 {
        let ticket = open(db, &s.a.actor, &s.client_a).await;
        let (by_bruno, by_carla) = tokio::join!(db.take(&bruno_acts, ticket), db.take(&carla_acts, ticket));
        let (winner, loser) = match (by_bruno, by_carla) {
            (Ok(_), lost) => (&bruno, lost),
            (lost, Ok(_)) => (&carla, lost),
            (first, second) => panic!("nobody took the ticket: {first:?}, {second:?}"),
        };
        assert_eq!(conflict_message(loser), format!("{} já assumiu este atendimento", winner.name));
        let detail = read(db, ticket).await;
        assert_eq!(detail.ticket.assignee, Assignee::User(winner.id));
        assert_eq!(detail.ticket.status, TicketStatus::InProgress);
        assert_eq!(kinds(&detail), ["opened", "taken"]);
        assert_eq!(newest(&detail).1, format!("Assumido por {}", winner.name));
    }
}

async fn a_resolved_ticket_cannot_be_taken(db: &Db) {
    let s = scene(db).await;
    db.resolve(&s.a.actor, s.ticket, "Troca de cabo").await.unwrap();
    assert_eq!(invalid_message(db.take(&s.a.actor, s.ticket).await), "o atendimento está resolvido; reabra-o antes");
    let detail = read(db, s.ticket).await;
    assert_eq!(detail.ticket.status, TicketStatus::Resolved);
    assert_eq!(kinds(&detail), ["opened", "resolved"]);
}

// ------------------------------------------------------- resolving, reopening

async fn resolving_records_how_and_when(db: &Db) {
    let s = scene(db).await;
    age(db, s.ticket).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let detail = db.resolve(&s.a.actor, s.ticket, "  Troca do conector na caixa  ").await.unwrap();
    let t = &detail.ticket;
    assert_eq!(t.status, TicketStatus::Resolved);
    assert_eq!(t.resolution, "Troca do conector na caixa");
    assert!(t.resolved_at.is_some_and(|at| at >= before), "{:?}", t.resolved_at);
    assert!(!t.resolved_on_first_contact);
    assert_eq!(newest(&detail), ("resolved", "Troca do conector na caixa", Some(s.a.staff.id), "Atendente Revenda A"));
    assert!(touched(db, s.ticket).await);
    assert!(db.my_tickets(&s.a.actor).await.unwrap().is_empty(), "resolved tickets leave the queue");
}

async fn resolving_needs_a_description_and_an_unresolved_ticket(db: &Db) {
    let s = scene(db).await;
    for text in ["", "  ok  "] {
        assert_eq!(
            invalid_message(db.resolve(&s.a.actor, s.ticket, text).await),
            "descreva como o atendimento foi resolvido"
        );
    }
    assert_eq!(read(db, s.ticket).await.ticket.status, TicketStatus::Open);
    db.resolve(&s.a.actor, s.ticket, "Troca de cabo").await.unwrap();
    assert_eq!(
        invalid_message(db.resolve(&s.a.actor, s.ticket, "Outra solução").await),
        "o atendimento já está resolvido"
    );
    let detail = read(db, s.ticket).await;
    assert_eq!(detail.ticket.resolution, "Troca de cabo");
    assert_eq!(kinds(&detail), ["opened", "resolved"]);
}

async fn reopening_a_resolved_ticket_opens_it_again_saying_why(db: &Db) {
    let s = scene(db).await;
    db.resolve(&s.a.actor, s.ticket, "Troca de cabo").await.unwrap();
    age(db, s.ticket).await;
    let detail = db.reopen(&s.a.actor, s.ticket, "  Caiu de novo à noite ").await.unwrap();
    let t = &detail.ticket;
    assert_eq!(t.status, TicketStatus::Open);
    assert_eq!(t.resolved_at, None);
    assert_eq!(t.resolution, "", "the old resolution stays in the history only");
    assert_eq!(kinds(&detail), ["opened", "resolved", "reopened"]);
    assert_eq!(
        newest(&detail),
        ("reopened", "Reaberto: Caiu de novo à noite", Some(s.a.staff.id), "Atendente Revenda A")
    );
    assert_eq!(detail.history[1].detail, "Troca de cabo");
    assert!(touched(db, s.ticket).await);

    let detail = db.resolve(&s.a.actor, s.ticket, "Troca da ONU").await.unwrap();
    assert_eq!(detail.ticket.resolution, "Troca da ONU", "a reopened ticket resolves again");
}

async fn only_a_resolved_ticket_is_reopened_and_only_with_a_reason(db: &Db) {
    let s = scene(db).await;
    assert_eq!(
        invalid_message(db.reopen(&s.a.actor, s.ticket, "Caiu de novo").await),
        "o atendimento não está resolvido"
    );
    db.resolve(&s.a.actor, s.ticket, "Troca de cabo").await.unwrap();
    invalid_message(db.reopen(&s.a.actor, s.ticket, " ab ").await);
    let detail = read(db, s.ticket).await;
    assert_eq!(detail.ticket.status, TicketStatus::Resolved);
    assert_eq!(kinds(&detail), ["opened", "resolved"]);
}

// ---------------------------------------------------------------------- scope

async fn another_resellers_staff_find_none_of_these_tickets(db: &Db) {
    let s = scene(db).await;
    let b = &s.b.actor;
    let n2 = role_id(db, "Suporte N2").await;
    let before = read(db, s.ticket).await;
    // B's desk holds Suporte N1, the ticket's role: only the scope stands in the way.
    assert_not_found_as(db.add_note(b, s.ticket, "Anotação indevida").await, "atendimento");
    assert_not_found_as(db.set_status(b, s.ticket, TicketStatus::InProgress).await, "atendimento");
    assert_not_found_as(db.reassign(b, s.ticket, Assignee::Role(n2)).await, "atendimento");
    assert_not_found_as(db.reassign(b, s.ticket, Assignee::User(s.b.staff.id)).await, "atendimento");
    assert_not_found_as(db.take(b, s.ticket).await, "atendimento");
    assert_not_found_as(db.resolve(b, s.ticket, "Resolvido por engano").await, "atendimento");
    assert_not_found_as(db.reopen(b, s.ticket, "Reaberto por engano").await, "atendimento");
    assert_eq!(read(db, s.ticket).await, before, "nothing changed");

    db.resolve(&s.a.actor, s.ticket, "Troca de cabo").await.unwrap();
    let resolved = read(db, s.ticket).await;
    assert_not_found_as(db.reopen(b, s.ticket, "Reaberto por engano").await, "atendimento");
    assert_not_found_as(db.add_note(b, s.ticket, "Anotação indevida").await, "atendimento");
    assert_eq!(read(db, s.ticket).await, resolved, "nothing changed");

    // And the other way round, while B works its own ticket.
    db.add_note(b, s.ticket_b, "Anotação de B").await.unwrap();
    assert_not_found_as(db.add_note(&s.a.actor, s.ticket_b, "Anotação indevida").await, "atendimento");
}

async fn a_ticket_that_does_not_exist_is_not_found_for_every_change(db: &Db) {
    let s = scene(db).await;
    let missing = TicketId(999_999);
    let n2 = role_id(db, "Suporte N2").await;
    for actor in [&s.a.actor, &Actor::admin()] {
        assert_not_found_as(db.add_note(actor, missing, "Anotação").await, "atendimento");
        assert_not_found_as(db.set_status(actor, missing, TicketStatus::InProgress).await, "atendimento");
        assert_not_found_as(db.reassign(actor, missing, Assignee::Role(n2)).await, "atendimento");
        assert_not_found_as(db.take(actor, missing).await, "atendimento");
        assert_not_found_as(db.resolve(actor, missing, "Resolvido").await, "atendimento");
        assert_not_found_as(db.reopen(actor, missing, "Reaberto").await, "atendimento");
    }
}

// ---------------------------------------------------------------- work orders

/// A's client with a visit on 01/12/2026 08:00–12:00 for a technician of A.
struct Visit {
    s: Scene,
    technician: Staff,
    ticket: TicketId,
    work_order: WorkOrderId,
}

async fn visit(db: &Db) -> Visit {
    let s = scene(db).await;
    let technician = hire(db, "Tiago Técnico", Some("Revenda A"), &["Técnico de campo"], None).await;
    let (ticket, work_order) =
        open_with_visit(db, &s.a.actor, &s.client_a, day(2026, 12, 1), ("08:00", "12:00"), Some(technician.id)).await;
    Visit { s, technician, ticket, work_order }
}

async fn the_technician_starts_and_finishes_their_work_order_with_history(db: &Db) {
    let v = visit(db).await;
    let me = Actor::of(&v.technician);
    let id = v.work_order.0;
    age(db, v.ticket).await;
    let started = db.start_work_order(&me, v.work_order).await.unwrap();
    assert_eq!(started.status, WorkOrderStatus::InProgress);
    assert_eq!(started.technician, Some(v.technician.id));
    assert_eq!((started.ticket_id, started.client_id), (v.ticket, v.s.client_a.id));
    let detail = read(db, v.ticket).await;
    assert_eq!(
        newest(&detail),
        ("work_order_started", format!("O.S. {id} em execução").as_str(), Some(v.technician.id), "Tiago Técnico")
    );
    assert!(touched(db, v.ticket).await);

    let done = db.finish_work_order(&me, v.work_order, "  troquei o conector ").await.unwrap();
    assert_eq!(done.status, WorkOrderStatus::Done);
    assert_eq!(done.outcome, "troquei o conector");
    assert_eq!(done.technician, Some(v.technician.id));
    let detail = read(db, v.ticket).await;
    assert_eq!(kinds(&detail), ["opened", "work_order", "work_order_started", "work_order_done"]);
    assert_eq!(
        newest(&detail),
        (
            "work_order_done",
            format!("O.S. {id} concluída: troquei o conector").as_str(),
            Some(v.technician.id),
            "Tiago Técnico"
        )
    );
    assert_eq!(detail.work_orders, [done]);
    assert_eq!(detail.ticket.status, TicketStatus::Open, "the ticket is resolved by its own step");
}

async fn a_scheduled_work_order_can_be_finished_at_once(db: &Db) {
    let v = visit(db).await;
    let done = db.finish_work_order(&Actor::of(&v.technician), v.work_order, "Ajustei a fibra").await.unwrap();
    assert_eq!(done.status, WorkOrderStatus::Done);
    assert_eq!(done.outcome, "Ajustei a fibra");
}

async fn work_order_steps_out_of_order_are_refused(db: &Db) {
    let v = visit(db).await;
    let me = Actor::of(&v.technician);
    assert_eq!(
        invalid_message(db.finish_work_order(&me, v.work_order, " ok ").await),
        "descreva o que foi feito na visita"
    );
    invalid_message(db.give_back_work_order(&me, v.work_order, " ab ").await);
    db.start_work_order(&me, v.work_order).await.unwrap();
    assert_eq!(invalid_message(db.start_work_order(&me, v.work_order).await), "a O.S. já está em execução");
    db.finish_work_order(&me, v.work_order, "Troquei o conector").await.unwrap();
    assert_eq!(invalid_message(db.start_work_order(&me, v.work_order).await), "a O.S. já foi concluída");
    assert_eq!(invalid_message(db.finish_work_order(&me, v.work_order, "De novo").await), "a O.S. já foi concluída");
    assert_eq!(
        invalid_message(db.give_back_work_order(&me, v.work_order, "Sem tempo").await),
        "a O.S. já foi concluída"
    );

    sqlx::query("UPDATE work_orders SET status = 'cancelled' WHERE id = $1")
        .bind(v.work_order.0)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(invalid_message(db.start_work_order(&me, v.work_order).await), "a O.S. foi cancelada");

    let detail = read(db, v.ticket).await;
    assert_eq!(kinds(&detail), ["opened", "work_order", "work_order_started", "work_order_done"]);
    assert_eq!(detail.work_orders[0].outcome, "Troquei o conector");
}

async fn a_technician_gives_a_work_order_back(db: &Db) {
    let v = visit(db).await;
    let me = Actor::of(&v.technician);
    let id = v.work_order.0;
    db.start_work_order(&me, v.work_order).await.unwrap();
    age(db, v.ticket).await;
    let back = db.give_back_work_order(&me, v.work_order, "  Cliente ausente ").await.unwrap();
    assert_eq!(back.status, WorkOrderStatus::Scheduled);
    assert_eq!(back.technician, None);
    let detail = read(db, v.ticket).await;
    assert_eq!(
        newest(&detail),
        (
            "work_order_returned",
            format!("O.S. {id} devolvida: Cliente ausente").as_str(),
            Some(v.technician.id),
            "Tiago Técnico"
        )
    );
    assert!(touched(db, v.ticket).await);
    assert!(db.my_work_orders(&me).await.unwrap().is_empty());
    assert_not_found_as(db.start_work_order(&me, v.work_order).await, "O.S.");

    // A scheduled one goes back too.
    let (_, scheduled) =
        open_with_visit(db, &v.s.a.actor, &v.s.client_a, day(2026, 12, 2), ("08:00", "10:00"), me.staff_id()).await;
    let back = db.give_back_work_order(&me, scheduled, "Agenda cheia").await.unwrap();
    assert_eq!((back.status, back.technician), (WorkOrderStatus::Scheduled, None));
}

async fn only_the_assigned_technician_acts_on_a_work_order(db: &Db) {
    let v = visit(db).await;
    let colleague = hire(db, "Outro Técnico", Some("Revenda A"), &["Técnico de campo"], None).await;
    let provider = hire(db, "Supervisora Central", None, &["Supervisor", "Técnico de campo"], None).await;
    for actor in [&Actor::of(&colleague), &Actor::of(&provider), &v.s.a.actor, &Actor::admin()] {
        assert_not_found_as(db.start_work_order(actor, v.work_order).await, "O.S.");
        assert_not_found_as(db.finish_work_order(actor, v.work_order, "Troquei o conector").await, "O.S.");
        assert_not_found_as(db.give_back_work_order(actor, v.work_order, "Sem tempo").await, "O.S.");
        assert!(db.my_work_orders(actor).await.unwrap().is_empty());
    }
    let detail = read(db, v.ticket).await;
    assert_eq!(kinds(&detail), ["opened", "work_order"]);
    assert_eq!(detail.work_orders[0].status, WorkOrderStatus::Scheduled);
    assert_eq!(detail.work_orders[0].technician, Some(v.technician.id));

    let missing = WorkOrderId(999_999);
    let me = Actor::of(&v.technician);
    assert_not_found_as(db.start_work_order(&me, missing).await, "O.S.");
    assert_not_found_as(db.finish_work_order(&me, missing, "Troquei o conector").await, "O.S.");
    assert_not_found_as(db.give_back_work_order(&me, missing, "Sem tempo").await, "O.S.");
}

async fn a_technician_of_another_reseller_cannot_act_even_when_named(db: &Db) {
    let v = visit(db).await;
    let outsider = hire(db, "Técnico da B", Some("Revenda B"), &["Técnico de campo"], None).await;
    // Only a broken import or a hand edit could name them; the scope still holds.
    sqlx::query("UPDATE work_orders SET technician_id = $1 WHERE id = $2")
        .bind(outsider.id.0)
        .bind(v.work_order.0)
        .execute(db.pool())
        .await
        .unwrap();
    let them = Actor::of(&outsider);
    assert_not_found_as(db.start_work_order(&them, v.work_order).await, "O.S.");
    assert_not_found_as(db.finish_work_order(&them, v.work_order, "Troquei o conector").await, "O.S.");
    assert_not_found_as(db.give_back_work_order(&them, v.work_order, "Sem tempo").await, "O.S.");
    assert!(db.my_work_orders(&them).await.unwrap().is_empty());
    assert_eq!(kinds(&read(db, v.ticket).await), ["opened", "work_order"]);
}

async fn my_work_orders_lists_every_open_visit_by_date_and_window_missed_ones_first(db: &Db) {
    let v = visit(db).await; // 01/12 08:00, scheduled
    let me = Actor::of(&v.technician);
    let a = &v.s.a.actor;
    let client = &v.s.client_a;
    let mine = me.staff_id();
    let (_, afternoon) = open_with_visit(db, a, client, day(2026, 12, 1), ("13:00", "17:00"), mine).await;
    let (_, early) = open_with_visit(db, a, client, day(2026, 12, 1), ("07:00", "08:00"), mine).await;
    let (_, later) = open_with_visit(db, a, client, day(2026, 12, 5), ("08:00", "12:00"), mine).await;
    let (_, missed) = open_with_visit(db, a, client, day(2026, 11, 20), ("08:00", "12:00"), mine).await;
    let (_, running) = open_with_visit(db, a, client, day(2026, 11, 25), ("08:00", "12:00"), mine).await;
    db.start_work_order(&me, running).await.unwrap();
    let (_, finished) = open_with_visit(db, a, client, day(2026, 12, 2), ("08:00", "12:00"), mine).await;
    db.finish_work_order(&me, finished, "Feito").await.unwrap();
    let colleague = hire(db, "Outro Técnico", Some("Revenda A"), &["Técnico de campo"], None).await;
    let (_, theirs) = open_with_visit(db, a, client, day(2026, 12, 3), ("08:00", "12:00"), Some(colleague.id)).await;
    open_with_visit(db, a, client, day(2026, 12, 3), ("08:00", "12:00"), None).await;

    let listed = db.my_work_orders(&me).await.unwrap();
    let ids: Vec<WorkOrderId> = listed.iter().map(|w| w.id).collect();
    // A visit missed on its day stays on the list until it is done or given back.
    assert_eq!(ids, [missed, running, early, v.work_order, afternoon, later]);
    assert!(listed.iter().all(|w| w.technician == mine && w.client_id == client.id));
    assert_eq!(listed[3].address, client.address.one_line());
    assert_eq!(listed[3].task, "Trocar o conector da ONU");
    assert_eq!(listed[3].status, WorkOrderStatus::Scheduled);
    assert_eq!(listed[1].status, WorkOrderStatus::InProgress);

    let theirs_listed: Vec<WorkOrderId> =
        db.my_work_orders(&Actor::of(&colleague)).await.unwrap().iter().map(|w| w.id).collect();
    assert_eq!(theirs_listed, [theirs]);
}

// ----------------------------------------------------------- assignable staff

async fn assignable_staff_are_the_resellers_and_the_providers_active_staff_by_name(db: &Db) {
    let s = scene(db).await; // "Atendente Revenda A" (A), "Atendente Revenda B" (B)
    let alvaro = hire(db, "Álvaro Lima", Some("Revenda A"), &["Técnico de campo", "Suporte N2"], None).await;
    let bia = hire(db, "bia Nunes", None, &["Supervisor"], None).await;
    let zeca = hire(db, "Zeca Prado", Some("Revenda A"), &["Suporte N1"], None).await;
    let leaving = hire(db, "Beto Saindo", Some("Revenda A"), &["Suporte N1"], None).await;
    deactivate(db, leaving.id).await;

    for actor in [&s.a.actor, &Actor::admin()] {
        let staff = db.assignable_staff(actor, s.a.reseller.id).await.unwrap();
        let names: Vec<&str> = staff.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Álvaro Lima", "Atendente Revenda A", "bia Nunes", "Zeca Prado"]);
        assert_eq!(staff[0], alvaro, "whole, with roles");
        assert_eq!(staff[1], s.a.staff);
        assert_eq!(staff[2], bia);
        assert_eq!(staff[3], zeca);
        let roles: Vec<&str> = staff[0].roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(roles, ["Suporte N2", "Técnico de campo"]);
    }
    let of_b: Vec<StaffId> =
        db.assignable_staff(&s.b.actor, s.b.reseller.id).await.unwrap().iter().map(|m| m.id).collect();
    assert_eq!(of_b, [s.b.staff.id, bia.id]);
}

async fn assignable_staff_of_a_reseller_out_of_scope_is_not_found(db: &Db) {
    let s = scene(db).await;
    assert_not_found_as(db.assignable_staff(&s.b.actor, s.a.reseller.id).await, "revenda");
    assert_not_found_as(db.assignable_staff(&s.a.actor, s.b.reseller.id).await, "revenda");
    assert_not_found_as(db.assignable_staff(&Actor::admin(), ResellerId(999_999)).await, "revenda");
    assert_not_found_as(db.assignable_staff(&s.a.actor, ResellerId(999_999)).await, "revenda");
}

async fn a_reply_to_the_client_goes_by_e_mail_to_the_address_the_ticket_came_from(db: &Db) {
    let s = scene(db).await;
    let mailing = db.clone().with_channels(balcao_storage::Channels { telegram: true, email: true });
    // A ticket opened at the desk knows no address to answer.
    assert_eq!(
        invalid_message(mailing.reply_to_client(&s.a.actor, s.ticket, "Reinicie o roteador").await),
        "este atendimento não tem o e-mail do cliente; responda por outro meio"
    );
    sqlx::query("UPDATE tickets SET contact_email = 'maria@cliente.test' WHERE id = $1")
        .bind(s.ticket.0)
        .execute(db.pool())
        .await
        .unwrap();
    assert!(
        invalid_message(db.reply_to_client(&s.a.actor, s.ticket, "Reinicie o roteador").await).contains("smtp.url"),
        "without e-mail configured nothing is promised"
    );
    assert_eq!(kinds(&read(db, s.ticket).await), ["opened"], "a refused reply writes nothing");
    assert_not_found_as(mailing.reply_to_client(&s.b.actor, s.ticket, "Olá").await, "atendimento");
    assert!(invalid_message(mailing.reply_to_client(&Actor::admin(), s.ticket, "Olá").await).contains("usuário"));

    let detail = mailing.reply_to_client(&s.a.actor, s.ticket, "  Reinicie o roteador, por favor.  ").await.unwrap();
    assert_eq!(detail.ticket.status, TicketStatus::WaitingClient);
    let (_, text, who, _) = newest(&detail);
    assert_eq!((text, who), ("Reinicie o roteador, por favor.", Some(s.a.staff.id)));
    let rows = db.notifications(false, 50).await.unwrap();
    let to_client: Vec<_> = rows.iter().filter(|n| n.kind == NotificationKind::ReplyToClient).collect();
    assert_eq!(to_client.len(), 1);
    let n = to_client[0];
    assert_eq!(n.recipient, Recipient::Client(s.client_a.id));
    assert_eq!(
        (n.channel, n.address.as_deref(), n.ticket),
        (Channel::Email, Some("maria@cliente.test"), Some(s.ticket))
    );
    assert_eq!(n.event, format!("ticket:{}:replied:{}", s.ticket.0, detail.history.last().unwrap().id));
}

common::contract_tests!(
    a_reply_to_the_client_goes_by_e_mail_to_the_address_the_ticket_came_from,
    a_note_lands_in_the_history_with_its_author,
    a_note_too_short_is_refused_and_writes_nothing,
    a_resolved_ticket_still_takes_notes,
    status_moves_among_the_open_states_with_history,
    setting_the_same_status_changes_nothing,
    status_cannot_resolve_nor_change_a_resolved_ticket,
    a_ticket_is_forwarded_to_a_role_with_history,
    a_ticket_is_forwarded_to_a_user_of_its_reseller_or_of_the_provider,
    a_user_who_does_not_serve_the_clients_reseller_cannot_receive_the_ticket,
    forwarding_to_a_role_that_does_not_exist_is_not_found,
    forwarding_to_whoever_has_the_ticket_changes_nothing,
    a_member_of_the_role_takes_the_ticket,
    only_a_member_of_the_assigned_role_can_take_it,
    taking_a_ticket_someone_holds_names_them,
    of_two_members_racing_to_take_a_ticket_exactly_one_wins,
    a_resolved_ticket_cannot_be_taken,
    resolving_records_how_and_when,
    resolving_needs_a_description_and_an_unresolved_ticket,
    reopening_a_resolved_ticket_opens_it_again_saying_why,
    only_a_resolved_ticket_is_reopened_and_only_with_a_reason,
    another_resellers_staff_find_none_of_these_tickets,
    a_ticket_that_does_not_exist_is_not_found_for_every_change,
    the_technician_starts_and_finishes_their_work_order_with_history,
    a_scheduled_work_order_can_be_finished_at_once,
    work_order_steps_out_of_order_are_refused,
    a_technician_gives_a_work_order_back,
    only_the_assigned_technician_acts_on_a_work_order,
    a_technician_of_another_reseller_cannot_act_even_when_named,
    my_work_orders_lists_every_open_visit_by_date_and_window_missed_ones_first,
    assignable_staff_are_the_resellers_and_the_providers_active_staff_by_name,
    assignable_staff_of_a_reseller_out_of_scope_is_not_found,
);
