//! Intake's contract on both stores: a client's addresses are indexed as the
//! registration lists them (Novo Cliente, imports, re-imports), and a stored
//! e-mail is processed once into its outcome by the domain's rules.

#[expect(dead_code, reason = "each test binary uses part of the shared harness")]
mod common;

use balcao_domain::intake::{Contact, IntakeChannel, IntakeSetup, IntakeStatus, NewDelivery, Stored};
use balcao_domain::ports::{Clients, Imports, Intake, Tickets};
use balcao_domain::staff::Actor;
use balcao_domain::{DeliveryId, DomainError, ResellerId};
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
        subject: "Sem conexão".into(),
        text: "Caiu de novo.".into(),
        marks: marks.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        ..Contact::default()
    }
}

async fn store(db: &Db, key: &str) -> DeliveryId {
    let new = NewDelivery {
        key: key.into(),
        channel: IntakeChannel::Email,
        raw: b"From: x\r\n\r\ny".to_vec(),
        sender: String::new(),
        subject: String::new(),
        rejected: None,
    };
    match db.store_delivery(&new, chrono::Utc::now()).await.unwrap() {
        Stored::New(id) => id,
        Stored::Duplicate(id) => panic!("{id} stored before"),
    }
}

/// Stores `contact` as the webhook would, its sender being its address or phone, and processes it.
async fn take(db: &Db, key: &str, contact: &Contact, setup: &IntakeSetup) -> balcao_domain::intake::Delivery {
    let sender = if contact.from_address.is_empty() { contact.phone.clone() } else { contact.from_address.clone() };
    let new = NewDelivery {
        key: key.into(),
        channel: contact.channel,
        raw: b"From: x\r\n\r\ny".to_vec(),
        sender,
        subject: contact.subject.clone(),
        rejected: None,
    };
    let Stored::New(id) = db.store_delivery(&new, chrono::Utc::now()).await.unwrap() else {
        panic!("{key} stored before")
    };
    db.process_delivery(id, contact, setup, day(2026, 12, 5)).await.unwrap()
}

async fn a_stored_e_mail_is_processed_once_into_its_outcome(db: &Db) {
    let a = desk(db, "Revenda A").await;
    let b = desk(db, "Revenda B").await;
    db.import_clients(&[(2, with_emails(a.reseller.id, "1001", &["maria@cliente.test"]))]).await.unwrap();
    let setup = IntakeSetup::new("Suporte N1", "Outros");
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
    assert_eq!((d.status, d.ticket), (IntakeStatus::Unmatched, None));
    assert!(d.reason.contains("nenhum cliente tem este e-mail"), "{}", d.reason);
    assert_eq!(db.deliveries(true, 10).await.unwrap().len(), 1, "listed among those that need a person");
    assert!(db.retry_delivery(stranger).await.unwrap());
    let waiting = db.pending_deliveries(10).await.unwrap();
    assert!(!db.retry_delivery(stranger).await.unwrap(), "only a failed or unmatched one goes back");
    assert_eq!(waiting.iter().map(|(id, _, _)| *id).collect::<Vec<_>>(), [stranger]);
    assert_eq!(db.client_tickets(&Actor::admin(), maria).await.unwrap().len(), 2);
}

async fn outbox_to(db: &Db, address: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE address = $1 AND kind = 'contact_received'")
        .bind(address)
        .fetch_one(db.pool())
        .await
        .unwrap();
    n
}

async fn a_contact_finds_its_client_and_its_way_by_the_rules(db: &Db) {
    use balcao_domain::intake::{RouteTo, Rule};
    use balcao_domain::ticket::Assignee;
    let db = &db.clone().with_channels(balcao_storage::Channels { telegram: false, email: true });
    let a = desk(db, "Revenda A").await;
    let b = desk(db, "Revenda B").await;
    let financeiro = hire(db, "Fernanda Financeiro", Some("Revenda A"), &["Financeiro"], None).await;
    let mut joana = person(a.reseller.id, "Joana Prado");
    joana.code = "2001".into();
    joana.phones = vec![balcao_domain::phone::Phone::parse("(11) 98765-4321").unwrap()];
    joana.document = Some(document("529.982.247-25"));
    joana.emails = vec!["joana@cliente.test".into()];
    let mut homonym = person(b.reseller.id, "Joana Prado");
    homonym.code = "3001".into();
    homonym.emails = vec!["joana@cliente.test".into()];
    db.import_clients(&[(2, joana), (3, homonym)]).await.unwrap();
    let joana = db.client_by_code(&Actor::admin(), "2001").await.unwrap().id;
    let mut setup = IntakeSetup::new("Suporte N1", "Outros");
    setup.max_new_per_hour = 2;

    // Two clients share the address: no guess, it waits for a person, saying why.
    let d = take(db, "m1", &email("joana@cliente.test", &[]), &setup).await;
    assert_eq!(d.status, IntakeStatus::Unmatched);
    assert!(d.reason.starts_with("2 clientes têm este e-mail"), "{}", d.reason);
    // Sent to the mailbox of Revenda A: only its clients count.
    setup.mailboxes = vec![("contato@revenda-a.test".into(), "Revenda A".into())];
    let mut to_a = email("joana@cliente.test", &[]);
    to_a.to = vec!["contato@revenda-a.test".into()];
    let first = take(db, "m2", &to_a, &setup).await;
    assert_eq!(first.status, IntakeStatus::Ticket);
    assert_eq!(db.ticket(&a.actor, first.ticket.unwrap()).await.unwrap().ticket.client_id, joana);
    assert_eq!(outbox_to(db, "joana@cliente.test").await, 1, "acknowledged");

    // A form with only a phone, then only a CPF in the text: the same client.
    let by_phone = Contact {
        channel: IntakeChannel::Form,
        phone: "11987654321".into(),
        subject: "Contato pelo site".into(),
        text: "Quero mudar de plano.".into(),
        ..Contact::default()
    };
    let d = take(db, "f1", &by_phone, &setup).await;
    assert_eq!(d.status, IntakeStatus::Ticket);
    let opened = db.ticket(&a.actor, d.ticket.unwrap()).await.unwrap().ticket;
    assert_eq!((opened.client_id, opened.channel.name.as_str()), (joana, "Formulário"));
    let by_document = Contact {
        from_address: "outro-endereco@cliente.test".into(),
        subject: "Meu CPF é 529.982.247-25".into(),
        text: "Sem sinal.".into(),
        ..Contact::default()
    };
    setup.rules = vec![
        Rule {
            name: "financeiro".into(),
            to: Vec::new(),
            words: vec!["boleto".into()],
            topics: Vec::new(),
            assignee: RouteTo::User("Fernanda Financeiro".into()),
            ticket_type: None,
        },
        Rule {
            name: "resto".into(),
            to: Vec::new(),
            words: Vec::new(),
            topics: Vec::new(),
            assignee: RouteTo::Role("Suporte N2".into()),
            ticket_type: None,
        },
    ];
    let d = take(db, "m3", &by_document, &setup).await;
    let opened = db.ticket(&a.actor, d.ticket.unwrap()).await.unwrap().ticket;
    assert_eq!(opened.client_id, joana);
    assert_eq!(opened.assignee, Assignee::Role(role_id(db, "Suporte N2").await), "the catch-all rule");
    assert_eq!(outbox_to(db, "outro-endereco@cliente.test").await, 1);

    // The protocol in the subject joins that ticket, from the client only.
    let mut follow = email("joana@cliente.test", &[]);
    follow.to = vec!["contato@revenda-a.test".into()];
    follow.subject =
        format!("Re: protocolo {}", db.ticket(&a.actor, first.ticket.unwrap()).await.unwrap().ticket.protocol);
    let d = take(db, "m4", &follow, &setup).await;
    assert_eq!((d.status, d.ticket), (IntakeStatus::Reply, first.ticket));
    let mut stranger = email("quem@x.test", &[]);
    stranger.subject = follow.subject.clone();
    let d = take(db, "m5", &stranger, &setup).await;
    assert_eq!(d.status, IntakeStatus::Unmatched, "a stranger naming a protocol joins nothing");

    // Words route to a user; past the hourly limit a sender joins their latest ticket, unacknowledged.
    let mut boleto = to_a.clone();
    boleto.subject = "Segunda via do boleto".into();
    let second = take(db, "m6", &boleto, &setup).await;
    assert_eq!(second.status, IntakeStatus::Ticket);
    let opened = db.ticket(&a.actor, second.ticket.unwrap()).await.unwrap().ticket;
    assert_eq!(opened.assignee, Assignee::User(financeiro.id));
    assert_eq!(outbox_to(db, "joana@cliente.test").await, 1, "one acknowledgement per ack_every_minutes");
    let third = take(db, "m7", &to_a, &setup).await;
    assert_eq!((third.status, third.ticket), (IntakeStatus::Reply, second.ticket));
    assert!(third.reason.contains("limite de 2"), "{}", third.reason);
    assert_eq!(db.client_tickets(&Actor::admin(), joana).await.unwrap().len(), 4);

    // The routed user does not serve the client's reseller: the default role gets it, and the list says so.
    let mut b_client = person(b.reseller.id, "Bruno");
    b_client.code = "3002".into();
    b_client.emails = vec!["bruno@b.test".into()];
    db.import_clients(&[(2, b_client)]).await.unwrap();
    let mut from_b = email("bruno@b.test", &[]);
    from_b.text = "Cadê meu boleto?".into();
    let d = take(db, "m8", &from_b, &setup).await;
    let opened = db.ticket(&b.actor, d.ticket.unwrap()).await.unwrap().ticket;
    assert_eq!(opened.assignee, Assignee::Role(role_id(db, "Suporte N1").await));
    assert!(d.reason.contains("não atende a revenda"), "{}", d.reason);
}

async fn a_person_links_a_contact_nobody_matched_within_their_scope_once(db: &Db) {
    use balcao_domain::ports::Intake;
    let db = &db.clone().with_channels(balcao_storage::Channels { telegram: false, email: true });
    let a = desk(db, "Revenda A").await;
    let b = desk(db, "Revenda B").await;
    let boss = hire(db, "Paula Provedor", None, &["Suporte N1"], None).await;
    let boss = Actor::of(&boss);
    let mut cliente_a = person(a.reseller.id, "Rita Ramos");
    cliente_a.code = "4001".into();
    let mut cliente_b = person(b.reseller.id, "Beto Braga");
    cliente_b.code = "5001".into();
    db.import_clients(&[(2, cliente_a), (3, cliente_b)]).await.unwrap();
    let rita = db.client_by_code(&Actor::admin(), "4001").await.unwrap().id;
    let beto = db.client_by_code(&Actor::admin(), "5001").await.unwrap().id;
    let mut setup = IntakeSetup::new("Suporte N1", "Outros");
    setup.mailboxes = vec![("contato@revenda-a.test".into(), "Revenda A".into())];
    let mut to_a = email("rita.nova@x.test", &[]);
    to_a.to = vec!["contato@revenda-a.test".into()];
    let first = take(db, "u1", &to_a, &setup).await;
    let second = take(db, "u2", &email("alguem@y.test", &[]), &setup).await;
    assert_eq!((first.status, second.status), (IntakeStatus::Unmatched, IntakeStatus::Unmatched));

    // Revenda A's staff see only what was sent to its mailbox; B's, nothing; the provider, both.
    let ids = |list: Vec<balcao_domain::intake::Delivery>| list.into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(ids(db.unmatched(&a.actor, 50).await.unwrap()), vec![first.id]);
    assert!(db.unmatched(&b.actor, 50).await.unwrap().is_empty());
    assert_eq!(ids(db.unmatched(&boss, 50).await.unwrap()), vec![first.id, second.id]);
    assert!(matches!(db.unmatched_one(&b.actor, first.id).await, Err(DomainError::NotFound(_))));
    let (_, channel, raw) = db.unmatched_one(&a.actor, first.id).await.unwrap();
    assert_eq!((channel, raw.is_empty()), (IntakeChannel::Email, false));

    // A's staff cannot link it to B's client, nor link B's contact at all.
    let today = day(2026, 12, 5);
    let refused = db.link_delivery(&a.actor, first.id, beto, &to_a, &setup, today).await;
    assert!(matches!(refused, Err(DomainError::NotFound(_))), "{refused:?}");
    let refused = db.link_delivery(&a.actor, second.id, rita, &to_a, &setup, today).await;
    assert!(matches!(refused, Err(DomainError::NotFound(_))), "{refused:?}");
    // To its own client: a ticket, acknowledged, the list says who linked it.
    let linked = db.link_delivery(&a.actor, first.id, rita, &to_a, &setup, today).await.unwrap();
    assert_eq!(linked.status, IntakeStatus::Ticket);
    assert!(linked.reason.starts_with("vinculado ao cliente por Atendente Revenda A"), "{}", linked.reason);
    let ticket = db.ticket(&a.actor, linked.ticket.unwrap()).await.unwrap().ticket;
    assert_eq!((ticket.client_id, ticket.contact_email.as_deref()), (rita, Some("rita.nova@x.test")));
    assert_eq!(outbox_to(db, "rita.nova@x.test").await, 1, "acknowledged");
    // Linked once: a second person (or a second tap) is told, nothing doubles.
    let again = db.link_delivery(&boss, first.id, rita, &to_a, &setup, today).await;
    assert!(matches!(again, Err(DomainError::NotFound(_))), "no longer waiting: {again:?}");
    assert_eq!(db.client_tickets(&Actor::admin(), rita).await.unwrap().len(), 1);

    // The provider discards the other as nobody's.
    assert!(matches!(db.discard_delivery(&a.actor, second.id).await, Err(DomainError::NotFound(_))));
    db.discard_delivery(&boss, second.id).await.unwrap();
    let d = db.deliveries(false, 10).await.unwrap().into_iter().find(|d| d.id == second.id).unwrap();
    assert_eq!((d.status, d.reason.as_str()), (IntakeStatus::Ignored, "descartado por Paula Provedor"));
    assert!(db.unmatched(&boss, 50).await.unwrap().is_empty());
}

common::contract_tests!(
    a_person_links_a_contact_nobody_matched_within_their_scope_once,
    a_client_s_addresses_follow_the_registration,
    a_stored_e_mail_is_processed_once_into_its_outcome,
    a_contact_finds_its_client_and_its_way_by_the_rules,
);
