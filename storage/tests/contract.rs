//! The storage contract: what every store behind balcão's ports must do, run
//! on SQLite always and on PostgreSQL when `BALCAO_TEST_POSTGRES_URL` is set,
//! each test on a database of its own.
//!
//! It proves that migrations and defaults are idempotent; that resellers and
//! staff are found by name the way people type them; that search ignores case,
//! accents and punctuation, finds phones in any shape, ranks exact before
//! prefix before word-start before the rest, pages, and stays bounded; that a
//! reseller's staff never reach another reseller's clients, plans,
//! receivables or tickets, which look exactly like what does not exist; that
//! client codes are assigned and kept unique; that imports upsert and report
//! line by line; that receivables filter by period; and that tickets open
//! atomically with protocol, history and work order.
//!
//! It does not test the domain's parsers and rules on their own (those have
//! unit tests in `balcao-domain`), nor the bot or the webhooks.

#[expect(dead_code, reason = "each test binary uses part of the shared harness")]
mod common;

use balcao_domain::client::{ClientKind, ClientStatus, Unverified, UnverifiedField};
use balcao_domain::finance::{Period, Settlement};
use balcao_domain::phone::Phone;
use balcao_domain::ports::{ClientImport, Clients, Directory, Finance, ImportOutcome, Imports, Tickets};
use balcao_domain::search::{MAX_CANDIDATES, SearchFilter, SearchPage, SearchTerm};
use balcao_domain::staff::{Actor, DEFAULT_ROLES, NewStaff, Scope};
use balcao_domain::subscription::{DEFAULT_PLANS, Salesperson};
use balcao_domain::ticket::{Assignee, DEFAULT_CHANNELS, DEFAULT_TICKET_TYPES, NewWorkOrder, TicketStatus, parse_time};
use balcao_domain::{ClientId, DomainError, Money, ReceivableId, ResellerId, TicketId};
use balcao_storage::Db;
use common::*;

const CPF_A: &str = "529.982.247-25";
const CPF_B: &str = "111.444.777-35";
/// A CPF no fixture uses.
const CPF_NEW: &str = "935.411.347-80";
const CNPJ: &str = "11.222.333/0001-81";

/// Searches with `actor` for `typed` in `filter`, first page of 20.
async fn search(db: &Db, actor: &Actor, filter: SearchFilter, typed: &str) -> SearchPage {
    let term = SearchTerm::parse(filter, typed).expect("a searchable term");
    db.search(actor, &term, 0, 20).await.expect("search runs")
}

/// The names on a search page, in order.
fn names(page: &SearchPage) -> Vec<&str> {
    page.items.iter().map(|c| c.name.as_str()).collect()
}

/// Registers `name` in the desk's reseller, as its own staff would.
async fn register(db: &Db, desk: &Desk, name: &str) -> balcao_domain::client::Client {
    db.create_client(&desk.actor, &person(desk.reseller.id, name)).await.expect("client registered")
}

// ---------------------------------------------------------------- migrations

async fn migrating_again_applies_nothing_and_keeps_data(db: &Db) {
    let before = db.ensure_reseller("Revenda Centro").await.unwrap();
    assert_eq!(db.migrate().await.unwrap(), Vec::<i64>::new());
    assert_eq!(db.migrate().await.unwrap(), Vec::<i64>::new());
    assert_eq!(db.resellers().await.unwrap(), vec![before]);
}

async fn ensuring_defaults_twice_keeps_one_of_each(db: &Db) {
    db.ensure_defaults().await.unwrap();
    db.ensure_defaults().await.unwrap();

    let roles = db.roles().await.unwrap();
    let mut expected: Vec<(&str, bool)> = DEFAULT_ROLES.to_vec();
    expected.sort_by(|a, b| a.0.cmp(b.0));
    let got: Vec<(&str, bool)> = roles.iter().map(|r| (r.name.as_str(), r.sees_documents)).collect();
    assert_eq!(got, expected);

    let types: Vec<String> = db.ticket_types().await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(types, DEFAULT_TICKET_TYPES);

    let channels: Vec<String> = db.channels().await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(channels, DEFAULT_CHANNELS);

    let mut plans: Vec<(String, Money)> = db.plans().await.unwrap().into_iter().map(|p| (p.name, p.price)).collect();
    plans.sort();
    let mut expected: Vec<(String, Money)> = DEFAULT_PLANS.iter().map(|(n, c)| ((*n).to_owned(), Money(*c))).collect();
    expected.sort();
    assert_eq!(plans, expected);
}

// ----------------------------------------------------------------- directory

async fn reseller_names_ignore_case_and_accents(db: &Db) {
    let first = db.ensure_reseller("Revenda São Jorge").await.unwrap();
    let again = db.ensure_reseller("revenda sao jorge").await.unwrap();
    assert_eq!(again, first);
    assert_eq!(first.name, "Revenda São Jorge");
    assert_eq!(db.resellers().await.unwrap(), vec![first.clone()]);
    assert_eq!(db.reseller_by_name("REVENDA SÃO-JORGE").await.unwrap(), Some(first));
    assert_eq!(db.reseller_by_name("Revenda Norte").await.unwrap(), None);
    invalid_message(db.ensure_reseller(" - ").await);
}

async fn provider_staff_act_everywhere_with_their_roles(db: &Db) {
    let staff = db
        .add_staff(
            &NewStaff {
                name: "Ana Lima".into(),
                reseller: None,
                roles: vec!["suporte n1".into(), "Financeiro".into()],
                email: Some("Ana@Exemplo.com.br".into()),
                telegram_id: Some(1001),
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(staff.name, "Ana Lima");
    assert_eq!(staff.scope, Scope::Provider);
    let roles: Vec<&str> = staff.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(roles, ["Financeiro", "Suporte N1"]);
    assert_eq!(staff.email.as_deref(), Some("ana@exemplo.com.br"));
    assert_eq!(staff.telegram_id, Some(1001));
    assert!(staff.active);
    assert!(Actor::of(&staff).sees_documents, "Financeiro sees documents");
    assert_eq!(db.staff(staff.id).await.unwrap(), staff);
}

async fn reseller_staff_act_only_for_their_reseller(db: &Db) {
    let norte = db.ensure_reseller("Revenda Norte").await.unwrap();
    let staff = db
        .add_staff(
            &NewStaff {
                name: "Bruno Dias".into(),
                reseller: Some("revenda NORTE".into()),
                roles: vec!["Técnico de campo".into()],
                email: None,
                telegram_id: None,
            },
            Some(("hash-of-code".into(), chrono::Utc::now())),
        )
        .await
        .unwrap();
    assert_eq!(staff.scope, Scope::Reseller(norte.id));
    assert_eq!(staff.roles.len(), 1);
    assert_eq!(staff.roles[0].name, "Técnico de campo");
    assert!(!Actor::of(&staff).sees_documents);
}

async fn an_unknown_role_is_refused_listing_the_roles(db: &Db) {
    let message = invalid_message(
        db.add_staff(
            &NewStaff {
                name: "Carla Reis".into(),
                reseller: None,
                roles: vec!["Suporte N1".into(), "Gerente".into()],
                email: None,
                telegram_id: Some(2002),
            },
            None,
        )
        .await,
    );
    assert!(message.contains("Gerente"), "{message}");
    for (role, _) in DEFAULT_ROLES {
        assert!(message.contains(role), "{message} lists {role}");
    }
    assert_eq!(db.staff_by_telegram(2002).await.unwrap(), None, "nothing was added");
}

async fn an_unknown_reseller_is_refused(db: &Db) {
    let message = invalid_message(
        db.add_staff(
            &NewStaff {
                name: "Davi Rocha".into(),
                reseller: Some("Revenda Fantasma".into()),
                roles: vec!["Suporte N1".into()],
                email: None,
                telegram_id: Some(3003),
            },
            None,
        )
        .await,
    );
    assert!(message.contains("Revenda Fantasma"), "{message}");
    assert_eq!(db.staff_by_telegram(3003).await.unwrap(), None);
}

async fn staff_by_telegram_finds_only_active_staff(db: &Db) {
    let add = |name: &str, telegram_id: i64| NewStaff {
        name: name.into(),
        reseller: None,
        roles: vec!["Suporte N2".into()],
        email: None,
        telegram_id: Some(telegram_id),
    };
    let active = db.add_staff(&add("Eva Melo", 4004), None).await.unwrap();
    let leaving = db.add_staff(&add("Fábio Neri", 5005), None).await.unwrap();
    deactivate(db, leaving.id).await;

    let found = db.staff_by_telegram(4004).await.unwrap().expect("active staff found");
    assert_eq!(found.id, active.id);
    assert_eq!(db.staff_by_telegram(5005).await.unwrap(), None);
    assert_eq!(db.staff_by_telegram(6006).await.unwrap(), None);
    assert!(!db.staff(leaving.id).await.unwrap().active);
}

async fn a_telegram_account_links_to_one_staff_member_only(db: &Db) {
    let new = NewStaff {
        name: "Gil Prado".into(),
        reseller: None,
        roles: vec!["Suporte N1".into()],
        email: None,
        telegram_id: Some(7007),
    };
    db.add_staff(&new, None).await.unwrap();
    let again = db.add_staff(&NewStaff { name: "Outro Gil".into(), ..new }, None).await;
    assert!(matches!(again, Err(DomainError::Conflict(_))), "{again:?}");
}

// -------------------------------------------------------------------- search

async fn search_by_name_ignores_case_and_accents(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    for name in ["João da Silva", "Maria da Conceição", "Pedro Álvares"] {
        register(db, &sul, name).await;
    }
    for actor in [&sul.actor, &Actor::admin()] {
        let page = search(db, actor, SearchFilter::Name, "joao").await;
        assert_eq!(names(&page), ["João da Silva"]);
        assert_eq!(page.total, 1);
        assert!(!page.more_than_total);
        assert_eq!(page.items[0].reseller_name, "Revenda Sul");

        let page = search(db, actor, SearchFilter::Name, "conceicao").await;
        assert_eq!(names(&page), ["Maria da Conceição"]);

        let page = search(db, actor, SearchFilter::Name, "ÁLVARES").await;
        assert_eq!(names(&page), ["Pedro Álvares"]);
    }
}

async fn search_by_city_ignores_accents(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let mut sjc = person(sul.reseller.id, "Cliente de São José");
    sjc.address = address();
    let mut sp = person(sul.reseller.id, "Cliente de São Paulo");
    sp.address.city = "São Paulo".into();
    for c in [&sjc, &sp] {
        db.create_client(&sul.actor, c).await.unwrap();
    }
    for actor in [&sul.actor, &Actor::admin()] {
        let page = search(db, actor, SearchFilter::City, "sao jose").await;
        assert_eq!(names(&page), ["Cliente de São José"]);
        assert_eq!(page.items[0].city, "São José dos Campos");
        assert_eq!(page.items[0].state, "SP");

        let page = search(db, actor, SearchFilter::City, "SÃO").await;
        assert_eq!(page.total, 2);
    }
}

async fn search_by_trade_name_ignores_accents_and_punctuation(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let mut bakery = person(sul.reseller.id, "Padaria Pão Quente Ltda");
    bakery.kind = ClientKind::Company;
    bakery.trade_name = "Padaria Pão Quente".into();
    bakery.document = Some(document(CNPJ));
    db.create_client(&sul.actor, &bakery).await.unwrap();
    register(db, &sul, "Pão de Açúcar Silva").await;

    for actor in [&sul.actor, &Actor::admin()] {
        for typed in ["pao quente", "Pão-Quente!", "PADARIA PAO"] {
            let page = search(db, actor, SearchFilter::TradeName, typed).await;
            assert_eq!(names(&page), ["Padaria Pão Quente Ltda"], "{typed}");
            assert_eq!(page.items[0].trade_name, "Padaria Pão Quente");
        }
    }
}

async fn search_by_phone_accepts_every_common_shape(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let mut joana = person(sul.reseller.id, "Joana Prado");
    joana.phones = vec![Phone::parse("(11) 98765-4321").unwrap()];
    let mut other = person(sul.reseller.id, "Outro Número");
    other.phones = vec![Phone::parse("(11) 91234-5678").unwrap()];
    for c in [&joana, &other] {
        db.create_client(&sul.actor, c).await.unwrap();
    }
    for actor in [&sul.actor, &Actor::admin()] {
        for typed in ["(11) 98765-4321", "11987654321", "987654321", "98765-4321", "+55 11 98765 4321", "4321"] {
            let page = search(db, actor, SearchFilter::Phone, typed).await;
            assert_eq!(names(&page), ["Joana Prado"], "{typed}");
            assert_eq!(page.items[0].phones, joana.phones);
        }
    }
}

async fn search_by_phone_finds_a_clients_second_phone(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let mut two = person(sul.reseller.id, "Dois Telefones");
    two.phones = vec![Phone::parse("(11) 98765-4321").unwrap(), Phone::parse("(19) 3333-4444").unwrap()];
    db.create_client(&sul.actor, &two).await.unwrap();
    register(db, &sul, "Sem Telefone").await;
    for typed in ["(19) 3333-4444", "33334444", "3333-4444", "1933334444"] {
        let page = search(db, &sul.actor, SearchFilter::Phone, typed).await;
        assert_eq!(names(&page), ["Dois Telefones"], "{typed}");
        assert_eq!(page.items[0].phones, two.phones);
    }
}

async fn search_ranks_exact_then_prefix_then_word_start_then_inside(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    // Registered in the reverse of the expected order, so insertion order
    // cannot pass for ranking.
    for name in ["Ana Dasilva", "João da Silva", "Silvana Souza", "Silva", "João Souza"] {
        register(db, &sul, name).await;
    }
    for actor in [&sul.actor, &Actor::admin()] {
        let page = search(db, actor, SearchFilter::Name, "silva").await;
        assert_eq!(names(&page), ["Silva", "Silvana Souza", "João da Silva", "Ana Dasilva"]);
        assert_eq!(page.total, 4);
    }
}

async fn search_pages_the_ranked_matches(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    for n in [3, 5, 1, 4, 2] {
        register(db, &sul, &format!("Paula Souza {n}")).await;
    }
    register(db, &sul, "Outra Pessoa").await;
    let term = SearchTerm::parse(SearchFilter::Name, "paula souza").unwrap();
    let mut seen = Vec::new();
    for page in 0..3 {
        let p = db.search(&sul.actor, &term, page, 2).await.unwrap();
        assert_eq!(p.total, 5);
        assert_eq!(p.pages(), 3);
        assert_eq!((p.page, p.per_page), (page, 2));
        assert!(!p.more_than_total);
        assert_eq!(p.items.len(), if page < 2 { 2 } else { 1 });
        seen.extend(p.items.into_iter().map(|c| c.name));
    }
    assert_eq!(seen, (1..=5).map(|n| format!("Paula Souza {n}")).collect::<Vec<_>>());
    let past = db.search(&sul.actor, &term, 3, 2).await.unwrap();
    assert!(past.items.is_empty());
    assert_eq!(past.total, 5);
}

async fn a_term_without_matches_finds_nothing(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    register(db, &sul, "João da Silva").await;
    for (filter, typed) in [
        (SearchFilter::Name, "xavier"),
        (SearchFilter::TradeName, "joao"),
        (SearchFilter::City, "joao"),
        (SearchFilter::Phone, "5555"),
    ] {
        let page = search(db, &Actor::admin(), filter, typed).await;
        assert_eq!(page.total, 0, "{filter:?} {typed}");
        assert!(page.items.is_empty());
        assert!(!page.more_than_total);
    }
}

async fn terms_too_short_are_refused_before_searching(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    register(db, &sul, "João da Silva").await;
    invalid_message(SearchTerm::parse(SearchFilter::Name, "jo"));
    invalid_message(SearchTerm::parse(SearchFilter::City, "s. j"));
    invalid_message(SearchTerm::parse(SearchFilter::Phone, "123"));
    // Three letters are enough.
    let page = search(db, &sul.actor, SearchFilter::Name, "joã").await;
    assert_eq!(names(&page), ["João da Silva"]);
}

async fn search_past_max_candidates_says_more_than_and_keeps_exact_first(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let mut rows: Vec<_> =
        (1..=600).map(|n| coded(sul.reseller.id, &format!("T{n}"), &format!("Cliente Teste {n}"))).collect();
    rows.push(coded(sul.reseller.id, "T-EXACT", "Cliente Teste"));
    rows.push(coded(sul.reseller.id, "TESTE", "Teste"));
    // Last, so a scan in insertion order meets it after the 600 others.
    rows.push(coded(sul.reseller.id, "T-PREFIX", "Testemunha Silva"));
    let outcome = db.import_clients(&lines(&rows)).await.unwrap();
    assert_eq!(outcome.created, 603);
    assert!(outcome.refused.is_empty());

    for actor in [&sul.actor, &Actor::admin()] {
        let page = search(db, actor, SearchFilter::Name, "cliente teste").await;
        assert!(page.more_than_total);
        assert_eq!(page.total, MAX_CANDIDATES);
        assert_eq!(page.items.len(), 20);
        assert_eq!(page.items[0].name, "Cliente Teste");

        // All 603 contain "teste"; the exact and the prefix match still lead,
        // never crowded out by the 601 that merely contain it.
        let page = search(db, actor, SearchFilter::Name, "TESTE").await;
        assert!(page.more_than_total);
        assert_eq!(page.total, MAX_CANDIDATES);
        assert_eq!(names(&page)[..2], ["Teste", "Testemunha Silva"]);

        let page = search(db, actor, SearchFilter::Name, "cliente teste 599").await;
        assert_eq!(names(&page), ["Cliente Teste 599"]);
        assert!(!page.more_than_total);
    }
}

// --------------------------------------------------------------------- scope

/// Two resellers, each with a client that has a document, a subscription, a
/// receivable and a ticket; the clients look alike in every searched field.
struct TwoResellers {
    a: Desk,
    b: Desk,
    client_a: balcao_domain::client::Client,
    client_b: balcao_domain::client::Client,
    receivable_b: ReceivableId,
    ticket_b: TicketId,
}

async fn two_resellers(db: &Db) -> TwoResellers {
    let a = desk(db, "Revenda A").await;
    let b = desk(db, "Revenda B").await;
    let make = |desk: &Desk, code: &str, cpf: &str| {
        let mut c = coded(desk.reseller.id, code, "Joana Prado");
        c.trade_name = "Mercado Prado".into();
        c.address = address();
        c.phones = vec![Phone::parse("(19) 99876-5432").unwrap()];
        c.document = Some(document(cpf));
        c
    };
    let client_a = db.create_client(&a.actor, &make(&a, "A-1", CPF_A)).await.unwrap();
    let client_b = db.create_client(&b.actor, &make(&b, "B-1", CPF_B)).await.unwrap();
    let subs = [subscription("A-1", "Fibra 300 Mega"), subscription("B-1", "Fibra 300 Mega")];
    assert_eq!(db.import_subscriptions(&lines(&subs)).await.unwrap().created, 2);
    let due = day(2026, 3, 10);
    let recs = [receivable("A-1", due, "Mensalidade", 9_990, None), receivable("B-1", due, "Mensalidade", 9_990, None)];
    assert_eq!(db.import_receivables(&lines(&recs)).await.unwrap().created, 2);
    let receivable_b = db.receivables(&b.actor, client_b.id, &Period::default()).await.unwrap()[0].id;
    let ticket_b = db.open_ticket(&b.actor, &ticket_for(db, client_b.id).await, due).await.unwrap().id;
    TwoResellers { a, b, client_a, client_b, receivable_b, ticket_b }
}

async fn reseller_search_never_returns_another_resellers_clients(db: &Db) {
    let w = two_resellers(db).await;
    for (filter, typed) in [
        (SearchFilter::Name, "joana prado"),
        (SearchFilter::Name, "prado"),
        (SearchFilter::TradeName, "mercado prado"),
        (SearchFilter::TradeName, "prado"),
        (SearchFilter::City, "sao jose dos campos"),
        (SearchFilter::City, "campos"),
        (SearchFilter::Phone, "(19) 99876-5432"),
        (SearchFilter::Phone, "5432"),
    ] {
        for (desk, own) in [(&w.a, &w.client_a), (&w.b, &w.client_b)] {
            let page = search(db, &desk.actor, filter, typed).await;
            let ids: Vec<ClientId> = page.items.iter().map(|c| c.id).collect();
            assert_eq!(ids, [own.id], "{} searching {filter:?} {typed}", desk.reseller.name);
            assert_eq!(page.total, 1);
        }
        let page = search(db, &Actor::admin(), filter, typed).await;
        assert_eq!(page.total, 2, "provider searching {filter:?} {typed}");
    }
}

async fn reseller_staff_cannot_read_another_resellers_client(db: &Db) {
    let w = two_resellers(db).await;
    let a = &w.a.actor;
    let b_id = w.client_b.id;
    assert_not_found(db.client(a, b_id).await);
    assert_not_found(db.client_by_code(a, "B-1").await);
    assert_eq!(db.client_by_document(a, &document(CPF_B)).await.unwrap(), None);
    assert_not_found(db.subscriptions(a, b_id).await);
    assert_not_found(db.receivables(a, b_id, &Period::default()).await);
    assert_not_found(db.receivable(a, w.receivable_b).await);

    // Their own is there, so the refusals above are about scope.
    assert_eq!(db.client(a, w.client_a.id).await.unwrap(), w.client_a);
    assert_eq!(db.client_by_code(a, "A-1").await.unwrap().id, w.client_a.id);
    let own = db.client_by_document(a, &document(CPF_A)).await.unwrap();
    assert_eq!(own.map(|c| c.id), Some(w.client_a.id));
    assert_eq!(db.subscriptions(a, w.client_a.id).await.unwrap().len(), 1);
    assert_eq!(db.receivables(a, w.client_a.id, &Period::default()).await.unwrap().len(), 1);

    // The provider sees both.
    let system = Actor::admin();
    assert_eq!(db.client(&system, b_id).await.unwrap(), w.client_b);
    assert_eq!(db.client_by_code(&system, "B-1").await.unwrap().id, b_id);
    let doc = db.client_by_document(&system, &document(CPF_B)).await.unwrap();
    assert_eq!(doc.map(|c| c.id), Some(b_id));
    assert_eq!(db.subscriptions(&system, b_id).await.unwrap().len(), 1);
    let (rec, _) = db.receivable(&system, w.receivable_b).await.unwrap();
    assert_eq!(rec.client_id, b_id);
}

async fn reseller_staff_cannot_see_or_open_another_resellers_tickets(db: &Db) {
    let w = two_resellers(db).await;
    let a = &w.a.actor;
    let b_id = w.client_b.id;
    assert_not_found(db.ticket(a, w.ticket_b).await);
    assert_not_found(db.client_tickets(a, b_id).await);
    let new = ticket_for(db, b_id).await;
    assert_not_found(db.open_ticket(a, &new, day(2026, 3, 10)).await);

    let system = Actor::admin();
    let b_tickets = db.client_tickets(&system, b_id).await.unwrap();
    assert_eq!(b_tickets.iter().map(|t| t.id).collect::<Vec<_>>(), [w.ticket_b], "the refused ticket was not opened");
    assert_eq!(db.ticket(&system, w.ticket_b).await.unwrap().ticket.client_id, b_id);
    assert_eq!(db.ticket(&w.b.actor, w.ticket_b).await.unwrap().ticket.client_id, b_id);
    assert!(db.client_tickets(a, w.client_a.id).await.unwrap().is_empty());
}

async fn reseller_staff_cannot_register_a_client_in_another_reseller(db: &Db) {
    let w = two_resellers(db).await;
    let intruder = person(w.b.reseller.id, "Cliente Intruso");
    assert_not_found(db.create_client(&w.a.actor, &intruder).await);
    let page = search(db, &Actor::admin(), SearchFilter::Name, "intruso").await;
    assert_eq!(page.total, 0, "nothing was registered");

    let allowed = db.create_client(&Actor::admin(), &intruder).await.unwrap();
    assert_eq!(allowed.reseller_id, w.b.reseller.id);
}

async fn registering_into_a_reseller_that_does_not_exist_is_not_found(db: &Db) {
    let w = two_resellers(db).await;
    let ghost = ResellerId(w.a.reseller.id.0 + w.b.reseller.id.0 + 1000);
    let new = person(ghost, "Cliente Sem Revenda");
    assert_not_found(db.create_client(&Actor::admin(), &new).await);
    assert_not_found(db.create_client(&w.a.actor, &new).await);
}

// ------------------------------------------------------------ registration

async fn a_document_already_registered_in_the_reseller_is_refused_even_when_both_race(db: &Db) {
    let w = two_resellers(db).await;
    let mut first = person(w.a.reseller.id, "Maria da Conceição");
    first.document = Some(document(CPF_NEW));
    let mut second = person(w.a.reseller.id, "Maria C. Souza");
    second.document = Some(document(CPF_NEW));
    let (one, two) = tokio::join!(db.create_client(&w.a.actor, &first), db.create_client(&w.a.actor, &second));
    let refused = [&one, &two].iter().filter(|r| matches!(r, Err(DomainError::Conflict(_)))).count();
    assert_eq!((one.is_ok() as usize + two.is_ok() as usize, refused), (1, 1), "{one:?} {two:?}");
    // Another reseller may have the same person as its client.
    let mut elsewhere = person(w.b.reseller.id, "Maria da Conceição");
    elsewhere.document = Some(document(CPF_NEW));
    db.create_client(&w.b.actor, &elsewhere).await.unwrap();
}

async fn a_registered_client_reads_back_whole(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let mut new = person(sul.reseller.id, "  Maria da Conceição  ");
    new.code = "C-100".into();
    new.document = Some(document(CPF_A));
    new.rg_ie = "12.345.678-9".into();
    new.birth_date = Some(day(1980, 2, 29));
    new.address = address();
    new.phones = vec![Phone::parse("(11) 98765-4321").unwrap(), Phone::parse("(11) 3456-7890").unwrap()];
    new.emails = vec!["maria@exemplo.com.br".into(), "m.c@exemplo.com".into()];
    new.notes = "Prefere contato à tarde".into();
    new.status = ClientStatus::Suspended;
    let client = db.create_client(&sul.actor, &new).await.unwrap();

    assert_eq!(client.code, "C-100");
    assert_eq!(client.reseller_id, sul.reseller.id);
    assert_eq!(client.reseller_name, "Revenda Sul");
    assert_eq!(client.kind, ClientKind::Person);
    assert_eq!(client.name, "Maria da Conceição");
    assert_eq!(client.document, new.document);
    assert_eq!(client.rg_ie, new.rg_ie);
    assert_eq!(client.birth_date, new.birth_date);
    assert_eq!(client.address, new.address);
    assert_eq!(client.phones, new.phones);
    assert_eq!(client.emails, new.emails);
    assert_eq!(client.notes, new.notes);
    assert_eq!(client.status, ClientStatus::Suspended);
    assert_eq!(db.client(&sul.actor, client.id).await.unwrap(), client);
    assert_eq!(db.client_by_code(&sul.actor, " C-100 ").await.unwrap(), client);
}

async fn new_clients_codes_continue_after_the_highest_one(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let imported = [coded(sul.reseller.id, "1", "Importado Um"), coded(sul.reseller.id, "3", "Importado Três")];
    db.import_clients(&lines(&imported)).await.unwrap();
    let mut codes = Vec::new();
    for name in ["Novo Um", "Novo Dois", "Novo Três"] {
        codes.push(register(db, &sul, name).await.code);
    }
    assert_eq!(codes, ["4", "5", "6"], "after the highest code, not in the gaps");
    let explicit = db.create_client(&sul.actor, &coded(sul.reseller.id, "10", "Com Código")).await.unwrap();
    assert_eq!(explicit.code, "10");
    assert_eq!(register(db, &sul, "Novo Quatro").await.code, "11");
    // A later import with higher codes moves the next one past them; text codes do not count.
    let later = [coded(sul.reseller.id, "2000", "Importado Dois Mil"), coded(sul.reseller.id, "X-9", "Letras")];
    db.import_clients(&lines(&later)).await.unwrap();
    assert_eq!(register(db, &sul, "Novo Cinco").await.code, "2001");
}

async fn a_duplicate_code_is_a_conflict(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let first = db.create_client(&sul.actor, &coded(sul.reseller.id, "ABC", "Primeiro Cliente")).await.unwrap();
    let again = db.create_client(&sul.actor, &coded(sul.reseller.id, "ABC", "Segundo Cliente")).await;
    assert!(matches!(again, Err(DomainError::Conflict(_))), "{again:?}");
    assert_eq!(db.client_by_code(&sul.actor, "ABC").await.unwrap(), first);
}

async fn invalid_clients_are_refused_as_invalid(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let short = person(sul.reseller.id, "A");
    let mut wrong_document = person(sul.reseller.id, "Pessoa Com CNPJ");
    wrong_document.document = Some(document(CNPJ));
    let mut wrong_state = person(sul.reseller.id, "Estado Errado");
    wrong_state.address.state = "XX".into();
    let mut wrong_postal_code = person(sul.reseller.id, "CEP Errado");
    wrong_postal_code.address.postal_code = "123".into();
    for bad in [short, wrong_document, wrong_state, wrong_postal_code] {
        invalid_message(db.create_client(&sul.actor, &bad).await);
    }
    let page = search(db, &Actor::admin(), SearchFilter::Name, "errado").await;
    assert_eq!(page.total, 0, "nothing was registered");
    let by_document = db.client_by_document(&Actor::admin(), &document(CNPJ)).await;
    assert_eq!(by_document.unwrap(), None);
}

// ------------------------------------------------------------------- imports

async fn reimporting_clients_changes_only_what_changed(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let mut rows = vec![
        coded(sul.reseller.id, "10", "Ana Beatriz"),
        coded(sul.reseller.id, "11", "Bruno Carvalho"),
        coded(sul.reseller.id, "12", "Carla Dias"),
    ];
    rows[1].phones = vec![Phone::parse("(11) 98765-4321").unwrap()];
    rows[2].address = address();
    let first = db.import_clients(&lines(&rows)).await.unwrap();
    assert_eq!(first, ImportOutcome { created: 3, ..ImportOutcome::default() });
    let again = db.import_clients(&lines(&rows)).await.unwrap();
    assert_eq!(again, ImportOutcome { unchanged: 3, ..ImportOutcome::default() });

    rows[1].name = "Bruno Carvalho Neto".into();
    rows[1].phones = vec![Phone::parse("(21) 3333-4444").unwrap()];
    let changed = db.import_clients(&lines(&rows)).await.unwrap();
    assert_eq!(changed, ImportOutcome { updated: 1, unchanged: 2, ..ImportOutcome::default() });
    let bruno = db.client_by_code(&sul.actor, "11").await.unwrap();
    assert_eq!(bruno.name, "Bruno Carvalho Neto");
    // The search keys follow the change.
    let page = search(db, &sul.actor, SearchFilter::Name, "neto").await;
    assert_eq!(names(&page), ["Bruno Carvalho Neto"]);
    let page = search(db, &sul.actor, SearchFilter::Phone, "3333-4444").await;
    assert_eq!(names(&page), ["Bruno Carvalho Neto"]);
    let page = search(db, &sul.actor, SearchFilter::Phone, "98765-4321").await;
    assert_eq!(page.total, 0, "the old phone no longer finds him");
}

async fn a_client_moved_to_another_reseller_by_import_takes_its_tickets_along(db: &Db) {
    let w = two_resellers(db).await;
    let mut row = coded(w.a.reseller.id, "MOVE-1", "Cliente Que Muda");
    db.import_clients(&lines(std::slice::from_ref(&row))).await.unwrap();
    let client = db.client_by_code(&w.a.actor, "MOVE-1").await.unwrap();
    let ticket = db.open_ticket(&w.a.actor, &ticket_for(db, client.id).await, day(2026, 11, 28)).await.unwrap();
    row.reseller_id = w.b.reseller.id;
    db.import_clients(&lines(std::slice::from_ref(&row))).await.unwrap();
    let moved = db.ticket(&w.b.actor, ticket.id).await.unwrap();
    assert_eq!(moved.ticket.reseller_id, w.b.reseller.id);
    assert_not_found(db.ticket(&w.a.actor, ticket.id).await);
}

async fn a_code_repeated_in_one_batch_keeps_the_last_row(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let rows = [
        coded(sul.reseller.id, "7", "Primeiro Nome"),
        coded(sul.reseller.id, "8", "Outra Pessoa"),
        coded(sul.reseller.id, "7", "Segundo Nome"),
    ];
    let outcome = db.import_clients(&lines(&rows)).await.unwrap();
    // Counts say what changed in the store; the earlier row of code 7 is
    // reported as repeated by the line that replaced it.
    assert_eq!(outcome, ImportOutcome { created: 2, repeated: vec![(2, 4)], ..ImportOutcome::default() });
    assert_eq!(db.client_by_code(&sul.actor, "7").await.unwrap().name, "Segundo Nome");
    let page = search(db, &sul.actor, SearchFilter::Name, "primeiro").await;
    assert_eq!(page.total, 0);
    // Importing the same rows again changes nothing, and says so.
    let again = db.import_clients(&lines(&rows)).await.unwrap();
    assert_eq!(again, ImportOutcome { unchanged: 2, repeated: vec![(2, 4)], ..ImportOutcome::default() });
}

async fn an_identical_row_repeated_in_one_batch_is_applied_once(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let row = coded(sul.reseller.id, "9", "Mesma Pessoa");
    let outcome = db.import_clients(&lines(&[row.clone(), row])).await.unwrap();
    assert_eq!(outcome, ImportOutcome { created: 1, repeated: vec![(2, 3)], ..ImportOutcome::default() });
}

async fn a_key_repeated_in_subscriptions_and_receivables_counts_what_changed(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    db.import_clients(&lines(&[coded(sul.reseller.id, "21", "Assinante Dois")])).await.unwrap();
    let mut cheap = subscription("21", "Fibra 300 Mega");
    cheap.price = Some(Money(8_990));
    let subs = vec![(2, subscription("21", "Fibra 300 Mega")), (3, cheap)];
    let first = db.import_subscriptions(&subs).await.unwrap();
    assert_eq!(first, ImportOutcome { created: 1, repeated: vec![(2, 3)], ..ImportOutcome::default() });
    let again = db.import_subscriptions(&subs).await.unwrap();
    assert_eq!(again, ImportOutcome { unchanged: 1, repeated: vec![(2, 3)], ..ImportOutcome::default() });

    let rows = vec![
        (2, receivable("21", day(2026, 9, 10), "Mensalidade Fibra", 9_990, None)),
        (3, receivable("21", day(2026, 9, 10), "mensalidade fibra", 8_990, None)),
    ];
    let first = db.import_receivables(&rows).await.unwrap();
    assert_eq!(first, ImportOutcome { created: 1, repeated: vec![(2, 3)], ..ImportOutcome::default() });
    let again = db.import_receivables(&rows).await.unwrap();
    assert_eq!(again, ImportOutcome { unchanged: 1, repeated: vec![(2, 3)], ..ImportOutcome::default() });
}

async fn values_kept_aside_come_back_with_the_client_and_a_reimport_finds_them_unchanged(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let mut row = coded(sul.reseller.id, "22", "Cliente Sujo");
    row.unverified = vec![
        Unverified { field: UnverifiedField::Phone, raw: "98765-4321".into() },
        Unverified { field: UnverifiedField::State, raw: "Sao Paolo".into() },
    ];
    let first = db.import_clients(&lines(std::slice::from_ref(&row))).await.unwrap();
    assert_eq!(first.created, 1);
    let client = db.client_by_code(&sul.actor, "22").await.unwrap();
    assert_eq!(client.unverified, row.unverified);
    let again = db.import_clients(&lines(std::slice::from_ref(&row))).await.unwrap();
    assert_eq!(again, ImportOutcome { unchanged: 1, ..ImportOutcome::default() });
    row.unverified.pop();
    let fixed = db.import_clients(&lines(std::slice::from_ref(&row))).await.unwrap();
    assert_eq!(fixed, ImportOutcome { updated: 1, ..ImportOutcome::default() });
    assert_eq!(db.client_by_code(&sul.actor, "22").await.unwrap().unverified, row.unverified);
}

async fn nul_characters_are_dropped_alike_on_both_stores(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let mut row = coded(sul.reseller.id, "23", "Ana\0 Nula");
    row.address.city = "San\0tos".into();
    row.notes = "linha\0 1".into();
    let outcome = db.import_clients(&lines(&[row])).await.unwrap();
    assert_eq!(outcome, ImportOutcome { created: 1, ..ImportOutcome::default() });
    let client = db.client_by_code(&sul.actor, "23").await.unwrap();
    assert_eq!((client.name.as_str(), client.address.city.as_str()), ("Ana Nula", "Santos"));
    assert_eq!(client.notes, "linha 1");
}

async fn a_reseller_named_in_an_import_is_created_only_with_a_client_that_is_written(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let before = db.resellers().await.unwrap().len();
    let named = |line: usize, reseller: &str, code: &str, name: &str| ClientImport {
        line,
        reseller: reseller.into(),
        client: coded(ResellerId(0), code, name),
    };
    let rows = [
        named(2, "Revenda Nova", "24", "Cliente Novo"),
        named(3, "Revenda Recusada", "25", "X"),
        named(4, "revenda sul", "26", "Cliente Antigo"),
    ];
    let outcome = db.import_clients_by_reseller_name(&rows).await.unwrap();
    assert_eq!(outcome.created, 2, "{outcome:?}");
    assert_eq!(outcome.refused, [(3, "informe o nome do cliente".to_owned())]);
    let names: Vec<String> = db.resellers().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names.len(), before + 1, "{names:?}");
    assert!(names.contains(&"Revenda Nova".to_owned()) && !names.contains(&"Revenda Recusada".to_owned()));
    assert_eq!(db.client_by_code(&sul.actor, "26").await.unwrap().reseller_id, sul.reseller.id);
}

async fn importing_subscriptions_creates_missing_plans_and_routing_points(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    db.import_clients(&lines(&[coded(sul.reseller.id, "20", "Assinante Um")])).await.unwrap();
    let mut catalog = subscription("20", "fibra 300 mega");
    catalog.routing_point = Some("OLT Centro".into());
    catalog.salesperson = Some(Salesperson::Name("Vendedor Externo".into()));
    let mut radio = subscription("20", "Rádio 10 Mega");
    radio.price = Some(Money(5_990));
    radio.routing_point = Some("OLT Centro".into());
    let rows = vec![(4, catalog.clone()), (5, radio.clone())];
    let outcome = db.import_subscriptions(&rows).await.unwrap();
    assert_eq!(outcome, ImportOutcome { created: 2, ..ImportOutcome::default() });

    let plans = db.plans().await.unwrap();
    assert_eq!(plans.len(), DEFAULT_PLANS.len() + 1, "one plan added: {plans:?}");
    let added = plans.iter().find(|p| p.name == "Rádio 10 Mega").expect("plan added");
    assert_eq!(added.price, Money(5_990));
    let points = db.routing_points().await.unwrap();
    assert_eq!(points.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["OLT Centro"]);

    let client = db.client_by_code(&sul.actor, "20").await.unwrap();
    let subs = db.subscriptions(&sul.actor, client.id).await.unwrap();
    assert_eq!(subs.len(), 2);
    let fiber = subs.iter().find(|s| s.plan_name == "Fibra 300 Mega").expect("fiber plan");
    assert_eq!(fiber.price, Money(9_990), "the catalog's price");
    assert_eq!(fiber.salesperson.as_deref(), Some("Vendedor Externo"));
    assert_eq!(fiber.due_day.get(), 10);
    assert_eq!(fiber.routing_point.as_ref(), Some(&points[0]));
    let radio_sub = subs.iter().find(|s| s.plan_name == "Rádio 10 Mega").expect("radio plan");
    assert_eq!(radio_sub.price, Money(5_990));

    let again = db.import_subscriptions(&rows).await.unwrap();
    assert_eq!(again, ImportOutcome { unchanged: 2, ..ImportOutcome::default() });

    radio.price = Some(Money(6_990));
    let mut stranger = subscription("999", "Fibra 100 Mega");
    stranger.routing_point = Some("OLT Norte".into());
    let changed = db.import_subscriptions(&[(4, catalog), (5, radio), (7, stranger)]).await.unwrap();
    assert_eq!((changed.created, changed.updated, changed.unchanged), (0, 1, 1));
    assert_eq!(changed.refused.len(), 1);
    assert_eq!(changed.refused[0].0, 7);
    assert!(changed.refused[0].1.contains("999"), "{:?}", changed.refused);
    let subs = db.subscriptions(&sul.actor, client.id).await.unwrap();
    assert_eq!(subs.len(), 2);
    assert!(subs.iter().any(|s| s.price == Money(6_990)));
    assert_eq!(db.routing_points().await.unwrap(), points, "a refused row leaves no trace");
}

async fn importing_receivables_records_settlements(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    db.import_clients(&lines(&[coded(sul.reseller.id, "30", "Devedor Um")])).await.unwrap();
    let client = db.client_by_code(&sul.actor, "30").await.unwrap();
    let rows = vec![
        (2, receivable("30", day(2026, 1, 10), "Mensalidade janeiro", 9_990, Some((day(2026, 1, 9), 9_990)))),
        (3, receivable("30", day(2026, 2, 10), "Mensalidade fevereiro", 9_990, Some((day(2026, 2, 15), 4_000)))),
        (4, receivable("30", day(2026, 3, 10), "Mensalidade março", 9_990, None)),
        (9, receivable("404", day(2026, 3, 10), "Mensalidade março", 9_990, None)),
    ];
    let outcome = db.import_receivables(&rows).await.unwrap();
    assert_eq!((outcome.created, outcome.updated, outcome.unchanged), (3, 0, 0));
    assert_eq!(outcome.refused.len(), 1);
    assert_eq!(outcome.refused[0].0, 9);
    assert!(outcome.refused[0].1.contains("404"), "{:?}", outcome.refused);

    let list = db.receivables(&sul.actor, client.id, &Period::default()).await.unwrap();
    let summary: Vec<(&str, Money, Option<chrono::NaiveDate>)> =
        list.iter().map(|r| (r.description.as_str(), r.paid, r.settled_on)).collect();
    assert_eq!(
        summary,
        [
            ("Mensalidade janeiro", Money(9_990), Some(day(2026, 1, 9))),
            ("Mensalidade fevereiro", Money(4_000), None),
            ("Mensalidade março", Money(0), None),
        ]
    );
    assert!(list.iter().all(|r| r.client_id == client.id && r.amount == Money(9_990)));

    let again = db.import_receivables(&rows).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3));
    assert_eq!(again.refused.len(), 1);

    // February paid in full on a later export: one settlement, not two.
    let mut later = rows[..3].to_vec();
    later[1].1.settlement = Some((day(2026, 2, 20), Money(9_990)));
    let changed = db.import_receivables(&later).await.unwrap();
    assert_eq!((changed.created, changed.updated, changed.unchanged), (0, 1, 2));
    let (february, settlements) = db.receivable(&sul.actor, list[1].id).await.unwrap();
    assert_eq!(february.settled_on, Some(day(2026, 2, 20)));
    assert_eq!(february.paid, Money(9_990));
    assert_eq!(settlements.len(), 1, "{settlements:?}");
    assert_eq!(settlements[0].amount, Money(9_990));
}

// ------------------------------------------------------------------- finance

async fn receivables_filter_by_period_and_open_only(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    db.import_clients(&lines(&[coded(sul.reseller.id, "40", "Cliente Financeiro")])).await.unwrap();
    let client_id = db.client_by_code(&sul.actor, "40").await.unwrap().id;
    let rows = [
        receivable("40", day(2026, 1, 10), "Janeiro", 9_990, None),
        receivable("40", day(2026, 2, 10), "Fevereiro", 9_990, Some((day(2026, 2, 10), 9_990))),
        receivable("40", day(2026, 3, 10), "Março", 9_990, Some((day(2026, 3, 1), 1_000))),
        receivable("40", day(2026, 4, 10), "Abril", 9_990, None),
    ];
    db.import_receivables(&lines(&rows)).await.unwrap();
    let list = |period: Period| {
        let actor = sul.actor.clone();
        async move {
            db.receivables(&actor, client_id, &period)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.description)
                .collect::<Vec<_>>()
        }
    };
    let period = |from, to, open_only| Period { from, to, open_only };
    assert_eq!(list(Period::default()).await, ["Janeiro", "Fevereiro", "Março", "Abril"]);
    assert_eq!(
        list(period(Some(day(2026, 2, 10)), Some(day(2026, 3, 10)), false)).await,
        ["Fevereiro", "Março"],
        "both ends are inclusive"
    );
    assert_eq!(list(period(Some(day(2026, 2, 11)), None, false)).await, ["Março", "Abril"]);
    assert_eq!(list(period(None, Some(day(2026, 2, 9)), false)).await, ["Janeiro"]);
    assert_eq!(list(period(None, None, true)).await, ["Janeiro", "Março", "Abril"]);
    assert_eq!(list(period(Some(day(2026, 2, 1)), Some(day(2026, 3, 31)), true)).await, ["Março"]);
    assert_eq!(list(Period::month_of(day(2026, 5, 1))).await, Vec::<String>::new());
}

async fn a_receivable_detail_returns_its_settlements(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    db.import_clients(&lines(&[coded(sul.reseller.id, "41", "Cliente Pagador")])).await.unwrap();
    let client = db.client_by_code(&sul.actor, "41").await.unwrap();
    let rows = [
        receivable("41", day(2026, 5, 10), "Maio", 12_990, Some((day(2026, 5, 8), 12_990))),
        receivable("41", day(2026, 6, 10), "Junho", 12_990, None),
    ];
    db.import_receivables(&lines(&rows)).await.unwrap();
    let list = db.receivables(&sul.actor, client.id, &Period::default()).await.unwrap();

    let (may, settlements) = db.receivable(&sul.actor, list[0].id).await.unwrap();
    assert_eq!(may, list[0]);
    assert_eq!(may.amount, Money(12_990));
    assert_eq!(may.balance(), Money::ZERO);
    assert_eq!(may.last_paid, Some((day(2026, 5, 8), Money(12_990))));
    assert_eq!(list[1].last_paid, None);
    assert_eq!(
        settlements,
        [Settlement {
            paid_on: day(2026, 5, 8),
            amount: Money(12_990),
            method: String::new(),
            recorded_by: "Importação".into()
        }]
    );
    let (june, settlements) = db.receivable(&sul.actor, list[1].id).await.unwrap();
    assert_eq!(june.description, "Junho");
    assert!(settlements.is_empty());
    assert_not_found(db.receivable(&sul.actor, ReceivableId(list[1].id.0 + 1000)).await);
}

async fn a_period_that_ends_before_it_starts_is_invalid(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let client = register(db, &sul, "Cliente Qualquer").await;
    let backwards = Period { from: Some(day(2026, 3, 1)), to: Some(day(2026, 2, 1)), open_only: false };
    invalid_message(db.receivables(&sul.actor, client.id, &backwards).await);
}

// ------------------------------------------------------------------- tickets

async fn a_ticket_assigned_to_a_role_opens_with_its_history(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let client = register(db, &sul, "Cliente Sem Internet").await;
    let mut new = ticket_for(db, client.id).await;
    let n2 = role_id(db, "Suporte N2").await;
    new.assignee = Assignee::Role(n2);
    new.checks = "Luz da ONU apagada".into();
    let ticket = db.open_ticket(&sul.actor, &new, day(2026, 11, 28)).await.unwrap();

    assert_eq!(ticket.client_id, client.id);
    assert_eq!(ticket.client_name, "Cliente Sem Internet");
    assert_eq!(ticket.reseller_id, sul.reseller.id);
    assert_eq!(ticket.assignee, Assignee::Role(n2));
    assert_eq!(ticket.status, TicketStatus::Open);
    assert_eq!(ticket.contact_name, "Maria");
    assert_eq!(ticket.problem, "Sem conexão desde ontem");
    assert_eq!(ticket.checks, "Luz da ONU apagada");
    assert_eq!(ticket.channel.id, new.channel_id);
    assert_eq!(ticket.ticket_type.id, new.ticket_type_id);
    assert_eq!(ticket.opened_by, Some(sul.staff.id));
    assert!(!ticket.resolved_on_first_contact);
    assert_eq!(ticket.resolved_at, None);

    let detail = db.ticket(&sul.actor, ticket.id).await.unwrap();
    assert_eq!(detail.ticket, ticket);
    assert_eq!(detail.history.len(), 1);
    assert_eq!(detail.history[0].kind, "opened");
    assert_eq!(detail.history[0].actor, Some(sul.staff.id));
    assert_eq!(detail.history[0].actor_name, sul.staff.name);
    assert!(detail.work_orders.is_empty());
}

async fn a_ticket_assigned_to_a_user_names_them(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let client = register(db, &sul, "Cliente Lento").await;
    let colleague = db
        .add_staff(
            &NewStaff {
                name: "Técnica Sul".into(),
                reseller: Some("Revenda Sul".into()),
                roles: vec!["Técnico de campo".into()],
                email: None,
                telegram_id: None,
            },
            None,
        )
        .await
        .unwrap();
    let provider = db
        .add_staff(
            &NewStaff {
                name: "Suporte Central".into(),
                reseller: None,
                roles: vec!["Suporte N2".into()],
                email: None,
                telegram_id: None,
            },
            None,
        )
        .await
        .unwrap();
    for assignee in [colleague.id, provider.id] {
        let mut new = ticket_for(db, client.id).await;
        new.assignee = Assignee::User(assignee);
        let ticket = db.open_ticket(&sul.actor, &new, day(2026, 11, 28)).await.unwrap();
        assert_eq!(ticket.assignee, Assignee::User(assignee));
        let detail = db.ticket(&Actor::admin(), ticket.id).await.unwrap();
        assert_eq!(detail.ticket.assignee, Assignee::User(assignee));
    }
}

async fn protocols_count_up_within_each_day(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let client = register(db, &sul, "Cliente Frequente").await;
    let new = ticket_for(db, client.id).await;
    let mut protocols = Vec::new();
    for today in [day(2026, 11, 28), day(2026, 11, 28), day(2026, 11, 29), day(2026, 11, 28)] {
        protocols.push(db.open_ticket(&sul.actor, &new, today).await.unwrap().protocol);
    }
    assert_eq!(protocols, ["20261128-0001", "20261128-0002", "20261129-0001", "20261128-0003"]);
}

async fn a_ticket_resolved_at_once_is_resolved_with_history(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let client = register(db, &sul, "Cliente Atendido").await;
    let mut new = ticket_for(db, client.id).await;
    new.resolution = Some("  Reiniciado o roteador  ".into());
    let ticket = db.open_ticket(&sul.actor, &new, day(2026, 11, 28)).await.unwrap();
    assert_eq!(ticket.status, TicketStatus::Resolved);
    assert!(ticket.resolved_on_first_contact);
    assert_eq!(ticket.resolution, "Reiniciado o roteador");
    assert!(ticket.resolved_at.is_some());

    let detail = db.ticket(&sul.actor, ticket.id).await.unwrap();
    let kinds: Vec<&str> = detail.history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["opened", "resolved"]);
    assert_eq!(detail.history[1].detail, "Reiniciado o roteador");
}

async fn a_work_order_request_schedules_a_visit_at_the_clients_address(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let mut new_client = person(sul.reseller.id, "Cliente Visitado");
    new_client.address = address();
    let client = db.create_client(&sul.actor, &new_client).await.unwrap();
    let technician = db
        .add_staff(
            &NewStaff {
                name: "Técnico Sul".into(),
                reseller: Some("Revenda Sul".into()),
                roles: vec!["Técnico de campo".into()],
                email: None,
                telegram_id: None,
            },
            None,
        )
        .await
        .unwrap();
    let visit = NewWorkOrder {
        date: day(2026, 12, 1),
        window_start: parse_time("08:00").unwrap(),
        window_end: parse_time("12:00").unwrap(),
        technician: Some(technician.id),
        address: String::new(),
        task: "Trocar ONU".into(),
    };
    let mut new = ticket_for(db, client.id).await;
    new.work_order = Some(visit.clone());
    let ticket = db.open_ticket(&sul.actor, &new, day(2026, 11, 28)).await.unwrap();
    assert_eq!(ticket.status, TicketStatus::Open);

    let detail = db.ticket(&sul.actor, ticket.id).await.unwrap();
    let kinds: Vec<&str> = detail.history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["opened", "work_order"]);
    assert_eq!(detail.work_orders.len(), 1);
    let wo = &detail.work_orders[0];
    assert_eq!(wo.ticket_id, ticket.id);
    assert_eq!(wo.client_id, client.id);
    assert_eq!(wo.address, client.address.one_line());
    assert_eq!((wo.date, wo.window_start, wo.window_end), (visit.date, visit.window_start, visit.window_end));
    assert_eq!(wo.technician, Some(technician.id));
    assert_eq!(wo.task, "Trocar ONU");

    let mut elsewhere = ticket_for(db, client.id).await;
    elsewhere.work_order = Some(NewWorkOrder { address: "Rua Nova, 99".into(), technician: None, ..visit });
    let ticket = db.open_ticket(&sul.actor, &elsewhere, day(2026, 11, 28)).await.unwrap();
    let detail = db.ticket(&sul.actor, ticket.id).await.unwrap();
    assert_eq!(detail.work_orders[0].address, "Rua Nova, 99");
    assert_eq!(detail.work_orders[0].technician, None);
}

async fn a_subscription_of_another_client_is_not_found(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let rows = [coded(sul.reseller.id, "50", "Dono do Plano"), coded(sul.reseller.id, "51", "Outro Cliente")];
    db.import_clients(&lines(&rows)).await.unwrap();
    db.import_subscriptions(&lines(&[subscription("50", "Fibra 1 Giga")])).await.unwrap();
    let owner = db.client_by_code(&sul.actor, "50").await.unwrap();
    let other = db.client_by_code(&sul.actor, "51").await.unwrap();
    let plan = db.subscriptions(&sul.actor, owner.id).await.unwrap()[0].id;

    let mut new = ticket_for(db, other.id).await;
    new.subscription_id = Some(plan);
    assert_not_found(db.open_ticket(&sul.actor, &new, day(2026, 11, 28)).await);
    assert!(db.client_tickets(&sul.actor, other.id).await.unwrap().is_empty());

    let mut own = ticket_for(db, owner.id).await;
    own.subscription_id = Some(plan);
    let ticket = db.open_ticket(&Actor::admin(), &own, day(2026, 11, 28)).await.unwrap();
    assert_eq!(ticket.subscription_id, Some(plan));
    assert_eq!(ticket.opened_by, None, "the system is nobody");
    let history = db.ticket(&sul.actor, ticket.id).await.unwrap().history;
    assert_eq!((history[0].actor, history[0].actor_name.as_str()), (None, "Sistema"));
}

async fn a_user_of_another_reseller_cannot_be_assigned(db: &Db) {
    let w = two_resellers(db).await;
    let mut new = ticket_for(db, w.client_a.id).await;
    new.assignee = Assignee::User(w.b.staff.id);
    invalid_message(db.open_ticket(&w.a.actor, &new, day(2026, 11, 28)).await);
    invalid_message(db.open_ticket(&Actor::admin(), &new, day(2026, 11, 28)).await);
    assert!(db.client_tickets(&w.a.actor, w.client_a.id).await.unwrap().is_empty());
}

async fn a_technician_of_another_reseller_cannot_be_sent(db: &Db) {
    let w = two_resellers(db).await;
    let mut new = ticket_for(db, w.client_a.id).await;
    new.work_order = Some(NewWorkOrder {
        date: day(2026, 12, 1),
        window_start: parse_time("08:00").unwrap(),
        window_end: parse_time("12:00").unwrap(),
        technician: Some(w.b.staff.id),
        address: String::new(),
        task: "Trocar ONU".into(),
    });
    invalid_message(db.open_ticket(&w.a.actor, &new, day(2026, 11, 28)).await);
    assert!(db.client_tickets(&w.a.actor, w.client_a.id).await.unwrap().is_empty());
}

async fn client_tickets_list_open_ones_first_newest_first(db: &Db) {
    let sul = desk(db, "Revenda Sul").await;
    let client = register(db, &sul, "Cliente Antigo").await;
    let mut opened = Vec::new();
    for resolved in [true, false, true, false] {
        let mut new = ticket_for(db, client.id).await;
        new.resolution = resolved.then(|| "Resolvido no telefone".to_owned());
        let ticket = db.open_ticket(&sul.actor, &new, day(2026, 11, 28)).await.unwrap();
        opened.push(ticket.id);
    }
    let listed: Vec<TicketId> =
        db.client_tickets(&sul.actor, client.id).await.unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(listed, [opened[3], opened[1], opened[2], opened[0]]);
}

/// The ids `owner` claims at `at`.
async fn claimed_ids(db: &Db, owner: &str, at: chrono::DateTime<chrono::Utc>) -> Vec<i64> {
    use balcao_domain::ports::UpdateInbox;
    db.claim_updates(owner, at, 60, 10).await.unwrap().into_iter().map(|u| u.update_id).collect()
}

async fn webhook_updates_of_one_person_are_handled_in_order_one_at_a_time(db: &Db) {
    use balcao_domain::ports::UpdateInbox;
    let now = chrono::Utc::now();
    assert!(db.store_update(10, Some(5001), "{\"a\":1}").await.unwrap());
    assert!(!db.store_update(10, Some(5001), "{\"a\":1}").await.unwrap(), "Telegram's resend is stored once");
    db.store_update(11, Some(5001), "{\"a\":2}").await.unwrap();
    db.store_update(12, Some(5003), "{\"c\":1}").await.unwrap();
    db.store_update(13, None, "{\"x\":1}").await.unwrap();
    // One instance claims: the oldest of each person, and what has no sender.
    assert_eq!(claimed_ids(db, "a", now).await, [10, 12, 13]);
    // Another instance at the same time gets nothing: 11 waits for 10.
    assert!(claimed_ids(db, "b", now).await.is_empty());
    db.finish_update(10, now).await.unwrap();
    assert_eq!(claimed_ids(db, "b", now).await, [11]);
    // A worker still busy renews its claim: nobody takes 12 from it.
    db.extend_claim(12, now + chrono::Duration::seconds(50), 60).await.unwrap();
    assert_eq!(claimed_ids(db, "b", now + chrono::Duration::seconds(61)).await, [11, 13]);
    // A worker that died: after its lease, its updates are claimed again, still in order.
    let later = now + chrono::Duration::seconds(200);
    assert_eq!(claimed_ids(db, "b", later).await, [11, 12, 13]);
    db.finish_update(12, later).await.unwrap();
    db.extend_claim(12, later, 60).await.unwrap();
    assert_eq!(
        claimed_ids(db, "b", later + chrono::Duration::seconds(61)).await,
        [11, 13],
        "a handled update is never claimed again"
    );
}

async fn a_failed_update_is_set_aside_listed_and_counted_and_its_sender_goes_on(db: &Db) {
    use balcao_domain::ports::UpdateInbox;
    let now = chrono::Utc::now();
    db.store_update(20, Some(5001), "{\"a\":1}").await.unwrap();
    db.store_update(21, Some(5001), "{\"a\":2}").await.unwrap();
    db.store_update(22, Some(5003), "{\"c\":1}").await.unwrap();
    // A worker that dies on 20 again and again: each start counts, a claim alone does not.
    for (n, at) in [0, 61, 122].into_iter().enumerate() {
        let claimed = db.claim_updates("a", now + chrono::Duration::seconds(at), 60, 10).await.unwrap();
        let first = claimed.iter().find(|u| u.update_id == 20).unwrap();
        assert_eq!((first.attempts, first.payload.as_str()), (n as i64, "{\"a\":1}"));
        assert_eq!(db.start_update(20).await.unwrap(), n as i64 + 1);
    }
    let other = db.claim_updates("a", now + chrono::Duration::seconds(200), 60, 10).await.unwrap();
    assert_eq!(other.iter().find(|u| u.update_id == 22).unwrap().attempts, 0, "claimed beside it, never started");
    let counts = db.update_counts().await.unwrap();
    assert_eq!((counts.pending, counts.failed), (3, 0));
    let at = now + chrono::Duration::seconds(210);
    db.fail_update(20, at, "abandonado após 3 tentativas").await.unwrap();
    db.finish_update(22, at).await.unwrap();
    // Set aside: never claimed again, and the same person's next update goes on.
    assert_eq!(claimed_ids(db, "a", now + chrono::Duration::seconds(300)).await, [21]);
    let failed = db.failed_updates(10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].update_id, failed[0].attempts), (20, 3));
    assert_eq!(failed[0].reason, "abandonado após 3 tentativas");
    assert_eq!(failed[0].failed_at.timestamp(), at.timestamp());
    let counts = db.update_counts().await.unwrap();
    assert_eq!((counts.pending, counts.failed), (1, 1));
}

async fn an_instance_that_restarts_takes_back_its_own_claims_at_once(db: &Db) {
    use balcao_domain::ports::UpdateInbox;
    let now = chrono::Utc::now();
    db.store_update(30, Some(5001), "{}").await.unwrap();
    db.store_update(31, Some(5003), "{}").await.unwrap();
    let one = |owner: &'static str| async move {
        db.claim_updates(owner, now, 60, 1).await.unwrap().into_iter().map(|u| u.update_id).collect::<Vec<_>>()
    };
    assert_eq!(one("host-a:8080").await, [30]);
    assert_eq!(one("host-b:8080").await, [31]);
    // host-a was killed and starts again: what it held is free now, not in 60 s;
    // host-b's claim stays with host-b.
    assert_eq!(db.release_update_claims("host-a:8080").await.unwrap(), 1);
    assert_eq!(claimed_ids(db, "host-a:8080", now + chrono::Duration::seconds(1)).await, [30]);
    db.finish_update(30, now).await.unwrap();
    assert_eq!(db.release_update_claims("host-a:8080").await.unwrap(), 0, "a handled update is not given back");
}

common::contract_tests!(
    webhook_updates_of_one_person_are_handled_in_order_one_at_a_time,
    a_failed_update_is_set_aside_listed_and_counted_and_its_sender_goes_on,
    an_instance_that_restarts_takes_back_its_own_claims_at_once,
    a_client_moved_to_another_reseller_by_import_takes_its_tickets_along,
    a_document_already_registered_in_the_reseller_is_refused_even_when_both_race,
    migrating_again_applies_nothing_and_keeps_data,
    ensuring_defaults_twice_keeps_one_of_each,
    reseller_names_ignore_case_and_accents,
    provider_staff_act_everywhere_with_their_roles,
    reseller_staff_act_only_for_their_reseller,
    an_unknown_role_is_refused_listing_the_roles,
    an_unknown_reseller_is_refused,
    staff_by_telegram_finds_only_active_staff,
    a_telegram_account_links_to_one_staff_member_only,
    search_by_name_ignores_case_and_accents,
    search_by_city_ignores_accents,
    search_by_trade_name_ignores_accents_and_punctuation,
    search_by_phone_accepts_every_common_shape,
    search_by_phone_finds_a_clients_second_phone,
    search_ranks_exact_then_prefix_then_word_start_then_inside,
    search_pages_the_ranked_matches,
    a_term_without_matches_finds_nothing,
    terms_too_short_are_refused_before_searching,
    search_past_max_candidates_says_more_than_and_keeps_exact_first,
    reseller_search_never_returns_another_resellers_clients,
    reseller_staff_cannot_read_another_resellers_client,
    reseller_staff_cannot_see_or_open_another_resellers_tickets,
    reseller_staff_cannot_register_a_client_in_another_reseller,
    registering_into_a_reseller_that_does_not_exist_is_not_found,
    a_registered_client_reads_back_whole,
    new_clients_codes_continue_after_the_highest_one,
    a_duplicate_code_is_a_conflict,
    invalid_clients_are_refused_as_invalid,
    reimporting_clients_changes_only_what_changed,
    a_code_repeated_in_one_batch_keeps_the_last_row,
    an_identical_row_repeated_in_one_batch_is_applied_once,
    a_key_repeated_in_subscriptions_and_receivables_counts_what_changed,
    values_kept_aside_come_back_with_the_client_and_a_reimport_finds_them_unchanged,
    nul_characters_are_dropped_alike_on_both_stores,
    a_reseller_named_in_an_import_is_created_only_with_a_client_that_is_written,
    importing_subscriptions_creates_missing_plans_and_routing_points,
    importing_receivables_records_settlements,
    receivables_filter_by_period_and_open_only,
    a_receivable_detail_returns_its_settlements,
    a_period_that_ends_before_it_starts_is_invalid,
    a_ticket_assigned_to_a_role_opens_with_its_history,
    a_ticket_assigned_to_a_user_names_them,
    protocols_count_up_within_each_day,
    a_ticket_resolved_at_once_is_resolved_with_history,
    a_work_order_request_schedules_a_visit_at_the_clients_address,
    a_subscription_of_another_client_is_not_found,
    a_user_of_another_reseller_cannot_be_assigned,
    a_technician_of_another_reseller_cannot_be_sent,
    client_tickets_list_open_ones_first_newest_first,
);
