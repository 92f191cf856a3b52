//! The staff bot end to end: the real App (store, HTTP service, teloxide
//! client polling) against a fake Telegram Bot API on loopback, on SQLite and
//! on PostgreSQL (when `BALCAO_TEST_POSTGRES_URL` is set). Each test reads as
//! a staff member using Telegram.

mod support;

use std::time::Duration;

use balcao::App;
use balcao::settings::Settings;
use balcao_domain::client::{Address, ClientKind, ClientStatus, NewClient};
use balcao_domain::document::Document;
use balcao_domain::finance::{NewReceivable, parse_date};
use balcao_domain::phone::Phone;
use balcao_domain::ports::{Clients, Directory, Imports, Tickets};
use balcao_domain::staff::{Actor, NewStaff};
use balcao_domain::ticket::{Assignee, NewTicket};
use balcao_domain::{ClientId, Money, ResellerId};
use support::db::{Store, TestDb};
use support::fake_telegram::{Call, FakeTelegram};

const WAIT: Duration = Duration::from_secs(20);
const BRUNO: i64 = 5001;
const STRANGER: i64 = 6666;

/// The running App, the fake Telegram, and the data the tests look for.
struct TestApp {
    tg: FakeTelegram,
    db: TestDb,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// Litoral Net's client in São José dos Campos, with an overdue debit and a ticket.
    maria: ClientId,
    /// Serra Fibra's client in São José dos Campos: never to be seen by Litoral Net's staff.
    jose: ClientId,
    /// Bruno's invite code (Suporte N1 at Litoral Net).
    invite: String,
}

fn client(code: &str, reseller: ResellerId, name: &str, doc: &str, city: &str, phone: &str) -> (usize, NewClient) {
    (
        0,
        NewClient {
            code: code.into(),
            reseller_id: reseller,
            kind: ClientKind::Person,
            name: name.into(),
            trade_name: String::new(),
            document: Some(Document::parse(doc).unwrap()),
            rg_ie: String::new(),
            birth_date: None,
            address: Address {
                street: "Rua das Flores".into(),
                number: "12".into(),
                city: city.into(),
                state: "SP".into(),
                ..Address::default()
            },
            phones: vec![Phone::parse(phone).unwrap()],
            emails: vec![],
            notes: String::new(),
            status: ClientStatus::Active,
        },
    )
}

fn settings(url: &str, tg: &FakeTelegram) -> Settings {
    let env = [
        ("BALCAO_DATABASE__URL", url.to_owned()),
        ("BALCAO_TELEGRAM__TOKEN", tg.token().to_owned()),
        ("BALCAO_TELEGRAM__API_URL", tg.api_url()),
        ("BALCAO_HTTP__ADDR", "127.0.0.1:0".to_owned()),
    ];
    Settings::load_from(None, env.into_iter().map(|(k, v)| (k.to_owned(), v))).unwrap()
}

impl TestApp {
    async fn start(store: Store) -> Option<TestApp> {
        let db = TestDb::new(store).await?;
        let tg = FakeTelegram::start().await;
        let app = App::open(settings(&db.url, &tg)).await.unwrap();
        let litoral = app.db.ensure_reseller("Litoral Net").await.unwrap().id;
        let serra = app.db.ensure_reseller("Serra Fibra").await.unwrap().id;
        let rows = [
            client(
                "1001",
                litoral,
                "Maria da Conceição Souza",
                "529.982.247-25",
                "São José dos Campos",
                "(12) 98765-4321",
            ),
            client("1002", litoral, "João Pedro Araújo", "111.444.777-35", "Santos", "(13) 99876-5432"),
            client("2001", serra, "José da Conceição", "123.456.789-09", "São José dos Campos", "(12) 99999-1111"),
        ];
        app.db.import_clients(&rows).await.unwrap();
        let admin = Actor::system();
        let maria = app.db.client_by_code(&admin, "1001").await.unwrap().id;
        let jose = app.db.client_by_code(&admin, "2001").await.unwrap().id;
        let debit = |due: &str, settlement| {
            (
                0,
                NewReceivable {
                    client_code: "1001".into(),
                    due_date: parse_date(due).unwrap(),
                    description: format!("Mensalidade Fibra 300 Mega - {}", &due[3..]),
                    amount: Money(9_990),
                    settlement,
                },
            )
        };
        app.db
            .import_receivables(&[
                debit("10/09/2026", Some((parse_date("10/09/2026").unwrap(), Money(9_990)))),
                debit("10/10/2026", None),
            ])
            .await
            .unwrap();
        let invite = app
            .add_staff(&NewStaff {
                name: "Bruno Atendente".into(),
                reseller: Some("Litoral Net".into()),
                roles: vec!["Suporte N1".into()],
                email: None,
                telegram_id: None,
            })
            .await
            .unwrap()
            .invite_code
            .unwrap();
        let role = app.db.roles().await.unwrap().into_iter().find(|r| r.name == "Suporte N1").unwrap().id;
        let types = app.db.ticket_types().await.unwrap();
        let channels = app.db.channels().await.unwrap();
        app.db
            .open_ticket(
                &admin,
                &NewTicket {
                    client_id: maria,
                    subscription_id: None,
                    routing_point_id: None,
                    contact_name: "Maria".into(),
                    problem: "Internet caiu desde ontem à noite.".into(),
                    channel_id: channels[3].id,
                    ticket_type_id: types[0].id,
                    assignee: Assignee::Role(role),
                    checks: String::new(),
                    resolution: None,
                    work_order: None,
                },
                chrono::Utc::now().date_naive(),
            )
            .await
            .unwrap();
        let mut t = TestApp { tg, url: db.url.clone(), db, stop: None, task: None, maria, jose, invite };
        t.run(app).await;
        Some(t)
    }

    async fn run(&mut self, app: App) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.stop = Some(tx);
        self.task = Some(tokio::spawn(app.serve_on(listener, async {
            let _ = rx.await;
        })));
    }

    /// Stops the App and starts a new one on the same database, as a restart.
    async fn restart(&mut self) {
        self.shutdown().await;
        let app = App::open(settings(&self.url, &self.tg)).await.unwrap();
        self.run(app).await;
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT, task).await.expect("the App stops").unwrap().unwrap();
        }
    }

    async fn finish(mut self) {
        self.shutdown().await;
        self.tg.stop().await;
        self.db.drop_it().await;
    }

    /// `user` types `text`; returns the bot's next message to them.
    async fn say(&self, user: i64, text: &str) -> Call {
        let since = self.tg.call_count();
        self.tg.send_text(user, "Fulano", text);
        self.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(user)).await
    }

    /// `user` taps the button with `data` on `message`; returns the answer to the tap.
    async fn tap(&self, user: i64, message: &Call, data: &str) -> Call {
        let since = self.tg.call_count();
        let id = message.result_message_id().or(message.message_id()).unwrap();
        self.tg.tap(user, id, data);
        self.tg.wait_for(since, WAIT, |c| c.is("answerCallbackQuery")).await
    }

    /// `user` taps and the bot edits the tapped message: returns the edit.
    async fn tap_edit(&self, user: i64, message: &Call, data: &str) -> Call {
        let since = self.tg.call_count();
        let id = message.result_message_id().or(message.message_id()).unwrap();
        self.tg.tap(user, id, data);
        let edit = self.tg.wait_for(since, WAIT, |c| c.is("editMessageText") && c.chat_id() == Some(user)).await;
        assert!(!edit.failed, "{edit:?}");
        edit
    }

    /// Whether any message was edited after call number `since`.
    fn edits_since(&self, since: usize) -> usize {
        self.tg.calls()[since..].iter().filter(|c| c.is("editMessageText")).count()
    }

    async fn linked_bruno(&self) -> Call {
        let welcome = self.say(BRUNO, &format!("/start {}", self.invite)).await;
        assert!(welcome.text().unwrap().starts_with("Bem-vindo(a), Bruno Atendente!"), "{welcome:?}");
        welcome
    }
}

fn has_button(call: &Call, label_part: &str) -> Option<String> {
    call.buttons().into_iter().find(|(l, _)| l.contains(label_part)).map(|(_, d)| d)
}

async fn a_stranger_is_refused_and_learns_nothing(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let reply = t.say(STRANGER, "maria").await;
    let text = reply.text().unwrap();
    assert!(text.contains("só para a equipe") && text.contains("/start CÓDIGO"), "{text}");
    assert!(!text.contains("Maria") && reply.buttons().is_empty(), "{reply:?}");
    // A forged button from a stranger opens nothing.
    let since = t.tg.call_count();
    let answer = t.tap(STRANGER, &reply, &format!("cc:{}", t.maria.0)).await;
    assert!(answer.params["text"].as_str().unwrap().contains("só para a equipe"), "{answer:?}");
    t.say(STRANGER, "/menu").await;
    assert_eq!(t.edits_since(since), 0);
    // A wrong code links nothing.
    let bad = t.say(STRANGER, "/start AAAA-BBBB").await;
    assert!(bad.text().unwrap().starts_with("Código de convite inválido"), "{bad:?}");
    t.finish().await;
}

async fn an_invite_code_links_once_and_registers_commands(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let commands = t.tg.wait_for(0, WAIT, |c| c.is("setMyCommands")).await;
    let names: Vec<&str> =
        commands.params["commands"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap()).collect();
    assert_eq!(names, ["menu", "buscar", "meus", "ajuda", "cancelar"]);
    assert_eq!(commands.params["commands"][1]["description"], "Buscar cliente");
    let welcome = t.linked_bruno().await;
    assert!(has_button(&welcome, "Buscar cliente").is_some(), "{welcome:?}");
    // The same code does not work twice, even lowercased and without the dash.
    let again = t.say(STRANGER, &format!("/start {}", t.invite.to_lowercase().replace('-', ""))).await;
    assert!(again.text().unwrap().starts_with("Código de convite inválido"), "{again:?}");
    t.finish().await;
}

async fn staff_search_by_city_and_read_the_whole_client_card(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let menu = t.say(BRUNO, "/buscar").await;
    assert_eq!(menu.text().unwrap(), "Buscar cliente por:");
    let ask = t.tap_edit(BRUNO, &menu, &has_button(&menu, "Cidade").unwrap()).await;
    assert!(ask.text().unwrap().starts_with("Digite o cidade") || ask.text().unwrap().contains("cidade"), "{ask:?}");
    let results = t.say(BRUNO, "sao jose").await;
    let text = results.text().unwrap();
    assert!(text.starts_with("Cidade \"sao jose\": 1 cliente"), "{text}");
    let labels: Vec<String> = results.buttons().into_iter().map(|(l, _)| l).collect();
    assert!(labels.iter().any(|l| l.contains("Maria da Conceição Souza")), "{labels:?}");
    assert!(!labels.iter().any(|l| l.contains("José da Conceição")), "another reseller's client leaked: {labels:?}");

    let card = t.tap_edit(BRUNO, &results, &has_button(&results, "Maria").unwrap()).await;
    let text = card.text().unwrap();
    assert!(text.contains("Cadastro") && text.contains("(12) 98765-4321"), "{text}");
    assert!(text.contains("***.982.247-**"), "Suporte N1 must see the CPF masked: {text}");

    let finance = t.tap_edit(BRUNO, &card, &has_button(&card, "Financeiro").unwrap()).await;
    let text = finance.text().unwrap();
    assert!(text.contains("Financeiro - em aberto") && text.contains("10/10/2026"), "{text}");
    assert!(text.contains("VENCIDO") && text.contains("Saldo R$ 99,90"), "{text}");
    let all = t.tap_edit(BRUNO, &finance, &has_button(&finance, "Tudo").unwrap()).await;
    assert!(all.text().unwrap().contains("10/09/2026") && all.text().unwrap().contains("Total lançado: R$ 199,80"));
    let detail = t.tap_edit(BRUNO, &all, &has_button(&all, "10/10/2026").unwrap()).await;
    let text = detail.text().unwrap();
    assert!(text.contains("Multa: R$ 2,00") && text.contains("Valor atualizado em"), "{text}");

    let card = t.tap_edit(BRUNO, &detail, &has_button(&detail, "Voltar").unwrap()).await;
    let tickets = t.tap_edit(BRUNO, &card, &has_button(&card, "Atendimentos").unwrap()).await;
    assert!(tickets.text().unwrap().contains("Internet caiu"), "{tickets:?}");
    let ticket = t.tap_edit(BRUNO, &tickets, &has_button(&tickets, "Aberto").unwrap()).await;
    let text = ticket.text().unwrap();
    assert!(text.contains("Destino: Cargo Suporte N1") && text.contains("Histórico"), "{text}");

    // Meus atendimentos: the ticket assigned to Bruno's role.
    let mine = t.say(BRUNO, "/meus").await;
    assert!(mine.text().unwrap().starts_with("Meus atendimentos (1 abertos)"), "{mine:?}");
    t.finish().await;
}

async fn typing_a_name_searches_by_name(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let results = t.say(BRUNO, "conceicao").await;
    assert!(results.text().unwrap().starts_with("Nome \"conceicao\": 1 cliente"), "{results:?}");
    let short = t.say(BRUNO, "jo").await;
    assert!(short.text().unwrap().starts_with("digite pelo menos 3 letras"), "{short:?}");
    t.finish().await;
}

async fn a_forged_button_for_another_resellers_client_shows_nothing(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let welcome = t.linked_bruno().await;
    for data in [
        format!("cc:{}", t.jose.0),
        format!("cp:{}", t.jose.0),
        format!("cf:{}:a", t.jose.0),
        format!("ct:{}", t.jose.0),
        format!("cfd:{}", t.jose.0),
    ] {
        let since = t.tg.call_count();
        let answer = t.tap(BRUNO, &welcome, &data).await;
        assert_eq!(answer.params["text"], "Não encontrado, ou fora do seu acesso.", "{data}");
        t.say(BRUNO, "/ajuda").await;
        assert_eq!(t.edits_since(since), 0, "{data} changed a screen");
        let sent: Vec<String> = t.tg.texts_sent_to(BRUNO);
        assert!(!sent.iter().any(|s| s.contains("José da Conceição")), "{data} leaked the client");
    }
    t.finish().await;
}

async fn a_stale_button_gets_a_clear_answer_and_changes_nothing(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let welcome = t.linked_bruno().await;
    let since = t.tg.call_count();
    let answer = t.tap(BRUNO, &welcome, "sp:3").await;
    assert_eq!(answer.params["text"], "Esta tela não vale mais. Use /menu para recomeçar.");
    let answer = t.tap(BRUNO, &welcome, "zz:qualquer coisa").await;
    assert_eq!(answer.params["text"], "Esta tela não vale mais. Use /menu para recomeçar.");
    t.say(BRUNO, "/ajuda").await;
    assert_eq!(t.edits_since(since), 0);
    t.finish().await;
}

async fn a_bad_date_is_explained_and_asked_again(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let results = t.say(BRUNO, "maria").await;
    let card = t.tap_edit(BRUNO, &results, &has_button(&results, "Maria").unwrap()).await;
    let finance = t.tap_edit(BRUNO, &card, &has_button(&card, "Financeiro").unwrap()).await;
    let ask = t.tap_edit(BRUNO, &finance, &has_button(&finance, "Desde / Até").unwrap()).await;
    assert!(ask.text().unwrap().contains("Digite o período"), "{ask:?}");
    let bad = t.say(BRUNO, "31/02/2026 30/11/2026").await;
    assert!(bad.text().unwrap().starts_with("Desde: data inexistente \"31/02/2026\"."), "{bad:?}");
    assert!(bad.text().unwrap().contains("Digite o período"), "{bad:?}");
    let good = t.say(BRUNO, "01/10/2026 a 31/10/2026").await;
    let text = good.text().unwrap();
    assert!(text.contains("desde 01/10/2026 até 31/10/2026") && text.contains("10/10/2026"), "{text}");
    assert!(!text.contains("10/09/2026"), "{text}");
    t.finish().await;
}

async fn a_restart_continues_where_the_user_was(store: Store) {
    let Some(mut t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let menu = t.say(BRUNO, "/buscar").await;
    t.tap_edit(BRUNO, &menu, &has_button(&menu, "Cidade").unwrap()).await;
    t.restart().await;
    let results = t.say(BRUNO, "sao jose").await;
    assert!(results.text().unwrap().starts_with("Cidade \"sao jose\""), "{results:?}");
    t.finish().await;
}

async fn telegram_asking_to_slow_down_delays_but_loses_nothing(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    t.tg.fail_next("sendMessage", 1, 429, Some(1));
    let results = t.say(BRUNO, "maria").await;
    // The first try was refused with 429; the reply still arrives.
    let reply = if results.failed {
        t.tg.wait_for(0, WAIT, |c| {
            c.is("sendMessage") && !c.failed && c.text().is_some_and(|x| x.starts_with("Nome \"maria\""))
        })
        .await
    } else {
        results
    };
    assert!(reply.text().unwrap().starts_with("Nome \"maria\""), "{reply:?}");
    t.finish().await;
}

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Store::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if std::env::var("BALCAO_TEST_POSTGRES_URL").is_err() {
                    eprintln!("BALCAO_TEST_POSTGRES_URL not set: skipping the PostgreSQL run");
                    return;
                }
                super::$name(super::Store::Postgres).await
            })*
        }
    };
}

on_both_stores!(
    a_stranger_is_refused_and_learns_nothing,
    an_invite_code_links_once_and_registers_commands,
    staff_search_by_city_and_read_the_whole_client_card,
    typing_a_name_searches_by_name,
    a_forged_button_for_another_resellers_client_shows_nothing,
    a_stale_button_gets_a_clear_answer_and_changes_nothing,
    a_bad_date_is_explained_and_asked_again,
    a_restart_continues_where_the_user_was,
    telegram_asking_to_slow_down_delays_but_loses_nothing,
);
