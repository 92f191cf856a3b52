//! Intake's contract on both stores: a client's addresses are indexed as the
//! registration lists them (Novo Cliente, imports, re-imports), and a stored
//! e-mail is processed once into its outcome by the domain's rules.

#[expect(dead_code, reason = "each test binary uses part of the shared harness")]
mod common;

use balcao_domain::intake::{Contact, IntakeChannel, IntakeSetup, IntakeStatus, NewDelivery, Stored};
use balcao_domain::ports::{Clients, Imports, Intake, Tickets};
use balcao_domain::staff::Actor;
use balcao_domain::{DeliveryId, ResellerId};
use balcao_storage::Db;
use common::*;

async fn indexed(db: &Db) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT email, client_id FROM client_emails ORDER BY email, client_id")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

fn with_emails(reseller: ResellerId, code: &str, emails: &[&str]) -> balcao_domain::client::NewClient {
    let mut c = person(reseller, "Maria da Conceição Souza");
    c.code = code.into();
    c.emails = emails.iter().map(|e| (*e).to_owned()).collect();
    c
}

async fn a_client_s_addresses_follow_the_registration(db: &Db) {
    let a = desk(db, "Revenda A").await;
    db.import_clients(&[(2, with_emails(a.reseller.id, "1001", &["Maria@Cliente.test", "outro@cliente.test"]))])
        .await
        .unwrap();
    let maria = db.client_by_code(&Actor::admin(), "1001").await.unwrap().id.0;
    assert_eq!(indexed(db).await, [("maria@cliente.test".into(), maria), ("outro@cliente.test".into(), maria)]);
    db.import_clients(&[(2, with_emails(a.reseller.id, "1001", &["nova@cliente.test"]))]).await.unwrap();
    assert_eq!(indexed(db).await, [("nova@cliente.test".into(), maria)], "a re-import replaces them");
    let created = db.create_client(&a.actor, &with_emails(a.reseller.id, "", &["Ze@Loja.test"])).await.unwrap();
    assert!(indexed(db).await.contains(&("ze@loja.test".into(), created.id.0)));
}

fn email(from: &str, marks: &[(&str, &str)]) -> Contact {
    Contact {
        from_address: from.into(),
        from_name: String::new(),
        subject: "Sem conexão".into(),
        text: "Caiu de novo.".into(),
        references: Vec::new(),
        marks: marks.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
    }
}

async fn store(db: &Db, key: &str) -> DeliveryId {
    let new = NewDelivery {
        key: key.into(),
        channel: IntakeChannel::Email,
        raw: b"From: x\r\n\r\ny".to_vec(),
        sender: String::new(),
        subject: String::new(),
    };
    match db.store_delivery(&new, chrono::Utc::now()).await.unwrap() {
        Stored::New(id) => id,
        Stored::Duplicate(id) => panic!("{id} stored before"),
    }
}

async fn a_stored_e_mail_is_processed_once_into_its_outcome(db: &Db) {
    let a = desk(db, "Revenda A").await;
    let b = desk(db, "Revenda B").await;
    db.import_clients(&[(2, with_emails(a.reseller.id, "1001", &["maria@cliente.test"]))]).await.unwrap();
    let setup = IntakeSetup { role: "Suporte N1".into(), ticket_type: "Outros".into(), acknowledge: true };
    let today = day(2026, 12, 4);

    let id = store(db, "k1").await;
    let d = db.process_delivery(id, &email("maria@cliente.test", &[]), &setup, today).await.unwrap();
    assert_eq!(d.status, IntakeStatus::Ticket);
    let ticket = db.ticket(&a.actor, d.ticket.unwrap()).await.unwrap();
    assert_eq!(d.protocol.as_deref(), Some(ticket.ticket.protocol.as_str()));
    assert!(db.ticket(&b.actor, d.ticket.unwrap()).await.is_err(), "another reseller never sees it");
    // Processed again (a second instance, a retry): nothing changes.
    let again = db.process_delivery(id, &email("maria@cliente.test", &[]), &setup, today).await.unwrap();
    assert_eq!(again, d);
    let maria = db.client_by_code(&Actor::admin(), "1001").await.unwrap().id;
    assert_eq!(db.client_tickets(&Actor::admin(), maria).await.unwrap().len(), 1);

    // Dirty text (a NUL that PostgreSQL refuses in text, a page-long display name) still opens a ticket.
    let dirty = store(db, "k\0dirty").await;
    let mut contact = email("maria@cliente.test", &[]);
    contact.subject = "Sem\0 sinal".into();
    contact.text = "Caiu\0 de novo.".into();
    contact.from_name = "M".repeat(5_000);
    let d = db.process_delivery(dirty, &contact, &setup, today).await.unwrap();
    assert_eq!(d.status, IntakeStatus::Ticket);
    let opened = db.ticket(&a.actor, d.ticket.unwrap()).await.unwrap().ticket;
    assert_eq!((opened.problem.as_str(), opened.contact_name.chars().count()), ("Sem sinal\n\nCaiu de novo.", 120));
    assert_eq!(db.client_tickets(&Actor::admin(), maria).await.unwrap().len(), 2);

    let auto = store(db, "k2").await;
    let d = db.process_delivery(auto, &email("maria@cliente.test", &[("precedence", "bulk")]), &setup, today).await;
    assert_eq!(d.unwrap().status, IntakeStatus::Ignored);
    let stranger = store(db, "k3").await;
    let d = db.process_delivery(stranger, &email("quem@x.test", &[]), &setup, today).await.unwrap();
    assert_eq!((d.status, d.ticket), (IntakeStatus::Failed, None));
    assert_eq!(db.deliveries(true, 10).await.unwrap().len(), 1, "listed among the failed");
    assert!(db.retry_delivery(stranger).await.unwrap());
    let waiting = db.pending_deliveries(10).await.unwrap();
    assert!(!db.retry_delivery(stranger).await.unwrap(), "only a failed one goes back");
    assert_eq!(waiting.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [stranger]);
    assert_eq!(db.client_tickets(&Actor::admin(), maria).await.unwrap().len(), 2);
}

common::contract_tests!(
    a_client_s_addresses_follow_the_registration,
    a_stored_e_mail_is_processed_once_into_its_outcome,
);
