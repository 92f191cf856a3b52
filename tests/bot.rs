//! The staff bot end to end: the real App (store, HTTP service, teloxide
//! client polling) against a fake Telegram Bot API on loopback, on SQLite and
//! on PostgreSQL (when `BALCAO_TEST_POSTGRES_URL` is set). Each test reads as
//! a staff member using Telegram.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use balcao::App;
use balcao::settings::Settings;
use balcao_domain::callback::{Callback, PeriodCode};
use balcao_domain::client::{Address, ClientKind, ClientStatus, NewClient};
use balcao_domain::document::Document;
use balcao_domain::finance::{NewReceivable, parse_date};
use balcao_domain::phone::Phone;
use balcao_domain::ports::{Clients, Directory, Imports, Outbox, Tickets, UpdateInbox};
use balcao_domain::staff::{Actor, NewStaff};
use balcao_domain::ticket::{Assignee, NewTicket, NewWorkOrder, parse_time};
use balcao_domain::{ClientId, Money, ResellerId};
use support::db::{Store, TestDb};
use support::fake_telegram::{Call, FakeTelegram};

const WAIT: Duration = Duration::from_secs(20);
const BRUNO: i64 = 5001;
const STRANGER: i64 = 6666;
/// Suporte N1 at Litoral Net, already linked.
const CARLA: i64 = 5003;
/// Suporte N1 at Serra Fibra, already linked: must never hear of Litoral Net's clients.
const SERGIO: i64 = 5004;
/// Técnico de campo at Litoral Net, already linked, with a scheduled O.S.
const TEO: i64 = 5005;
/// A Telegram group of Suporte N1.
const GROUP: i64 = -100_500;

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
    /// Where the HTTP service listens.
    http: String,
    /// Whether the bot runs in webhook mode.
    webhook: bool,
    /// While set, the App's clock panics: a fault in the middle of a handler.
    poison: Arc<AtomicBool>,
}

/// An App whose clock panics while `poison` is set.
fn open_app(settings: Settings, poison: &Arc<AtomicBool>) -> impl std::future::Future<Output = App> {
    let poison = poison.clone();
    async move {
        let mut app = App::open(settings).await.unwrap();
        app.clock = balcao::Clock::new(move || {
            assert!(!poison.load(Ordering::SeqCst), "relógio de teste envenenado");
            chrono::Utc::now()
        });
        app
    }
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
            unverified: Vec::new(),
        },
    )
}

/// The secret Telegram sends our webhook route in the webhook-mode tests.
const WEBHOOK_SECRET: &str = "segredo_de_teste-1";

fn settings(url: &str, tg: &FakeTelegram, webhook: bool) -> Settings {
    let mut env = vec![
        ("BALCAO_DATABASE__URL", url.to_owned()),
        ("BALCAO_TELEGRAM__TOKEN", tg.token().to_owned()),
        ("BALCAO_TELEGRAM__API_URL", tg.api_url()),
        ("BALCAO_HTTP__ADDR", "127.0.0.1:0".to_owned()),
    ];
    if webhook {
        env.push(("BALCAO_TELEGRAM__MODE", "webhook".to_owned()));
        env.push(("BALCAO_TELEGRAM__WEBHOOK_URL", "https://balcao.example/telegram/webhook".to_owned()));
        env.push(("BALCAO_TELEGRAM__WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()));
    }
    Settings::load_from(None, env.into_iter().map(|(k, v)| (k.to_owned(), v))).unwrap()
}

impl TestApp {
    async fn start(store: Store) -> Option<TestApp> {
        TestApp::start_in(store, false).await
    }

    async fn start_in(store: Store, webhook: bool) -> Option<TestApp> {
        let db = TestDb::new(store).await?;
        let tg = FakeTelegram::start().await;
        let poison = Arc::new(AtomicBool::new(false));
        let app = open_app(settings(&db.url, &tg, webhook), &poison).await;
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
        let admin = Actor::admin();
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
        let mut technician = None;
        for (name, reseller, role, telegram_id) in [
            ("Carla Plantão", "Litoral Net", "Suporte N1", CARLA),
            ("Sérgio Serra", "Serra Fibra", "Suporte N1", SERGIO),
            ("Téo Técnico", "Litoral Net", "Técnico de campo", TEO),
        ] {
            let added = app
                .add_staff(&NewStaff {
                    name: name.into(),
                    reseller: Some(reseller.into()),
                    roles: vec![role.into()],
                    email: None,
                    telegram_id: Some(telegram_id),
                })
                .await
                .unwrap();
            if telegram_id == TEO {
                technician = Some(added.staff.id);
            }
        }
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
                    work_order: Some(NewWorkOrder {
                        date: chrono::Utc::now().date_naive() + chrono::Duration::days(1),
                        window_start: parse_time("08:00").unwrap(),
                        window_end: parse_time("12:00").unwrap(),
                        technician,
                        address: String::new(),
                        task: "Trocar o conector da ONU".into(),
                    }),
                },
                chrono::Utc::now().date_naive(),
            )
            .await
            .unwrap();
        let mut t = TestApp {
            tg,
            url: db.url.clone(),
            db,
            stop: None,
            task: None,
            maria,
            jose,
            invite,
            http: String::new(),
            webhook,
            poison,
        };
        t.run(app).await;
        // The seeded ticket's notice reaches Carla (Suporte N1, linked) first,
        // so that later waits see only what each test causes.
        t.tg.wait_for(0, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(CARLA) && !c.failed).await;
        // And its O.S. reaches Téo, the technician.
        t.tg.wait_for(0, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(TEO) && !c.failed).await;
        Some(t)
    }

    async fn run(&mut self, app: App) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.http = listener.local_addr().unwrap().to_string();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.stop = Some(tx);
        self.task = Some(tokio::spawn(app.serve_on(listener, async {
            let _ = rx.await;
        })));
    }

    /// Stops the App and starts a new one on the same database, as a restart.
    async fn restart(&mut self) {
        self.shutdown().await;
        let app = open_app(settings(&self.url, &self.tg, self.webhook), &self.poison).await;
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
    let answer = t.tap(STRANGER, &reply, &Callback::Registration(t.maria).encode()).await;
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
    assert_eq!(names, ["menu", "buscar", "meus", "contatos", "ajuda", "cancelar"]);
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
    assert!(short.text().unwrap().starts_with("Digite pelo menos 3 letras"), "{short:?}");
    t.finish().await;
}

async fn a_forged_button_for_another_resellers_client_shows_nothing(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let welcome = t.linked_bruno().await;
    for data in [
        Callback::Registration(t.jose).encode(),
        Callback::Plans(t.jose).encode(),
        Callback::Finance(t.jose, PeriodCode::All, None).encode(),
        Callback::ClientTickets(t.jose, 0).encode(),
        Callback::AskPeriod(t.jose).encode(),
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
    assert_eq!(answer.params["show_alert"], true, "a refusal must be read");
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
    // Asked for a period, what is typed answers it: "desde março" is asked again, never a search.
    let again = press(&t, &good, "Desde / Até").await;
    assert!(again.text().unwrap().contains("Digite o período"), "{again:?}");
    let words = t.say(BRUNO, "desde março").await;
    assert!(words.text().unwrap().starts_with("Isso não é um período."), "{words:?}");
    assert!(words.text().unwrap().contains("Digite o período"), "{words:?}");
    let later = t.say(BRUNO, "01/10/2026 31/10/2026").await;
    assert!(later.text().unwrap().contains("desde 01/10/2026 até 31/10/2026"), "still the question: {later:?}");
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

/// Taps the button whose label contains `label` on `screen`; returns the edit.
async fn press(t: &TestApp, screen: &Call, label: &str) -> Call {
    let data = has_button(screen, label).unwrap_or_else(|| panic!("no button \"{label}\" in {:?}", screen.buttons()));
    t.tap_edit(BRUNO, screen, &data).await
}

async fn novo_cliente_checks_each_answer_and_lands_on_the_new_card(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let menu = t.linked_bruno().await;
    let kind = press(&t, &menu, "Novo Cliente").await;
    // Twelve at most (a company's trade name, a whole address); fewer once a person without address.
    assert!(kind.text().unwrap().starts_with("Novo Cliente - passo 1 de 12"), "{kind:?}");
    assert!(has_button(&kind, "Voltar").is_some() && has_button(&kind, "Cancelar").is_some());
    let name = press(&t, &kind, "Pessoa física").await;
    assert!(name.text().unwrap().starts_with("Novo Cliente - passo 2 de 11"), "{name:?}");
    assert!(name.text().unwrap().contains("Digite o nome completo"), "{name:?}");
    let doc = t.say(BRUNO, "Ana Paula Simões").await;
    assert!(doc.text().unwrap().contains("Digite o CPF"), "a person has no trade name step: {doc:?}");
    let bad = t.say(BRUNO, "111.111.111-11").await;
    assert!(bad.text().unwrap().starts_with("CPF inválido"), "{bad:?}");
    assert!(bad.text().unwrap().contains("Digite o CPF"), "asked again: {bad:?}");
    let phone = t.say(BRUNO, "935.411.347-80").await;
    assert!(phone.text().unwrap().contains("telefone com DDD"), "{phone:?}");
    let bad = t.say(BRUNO, "91234-5678").await;
    assert!(bad.text().unwrap().starts_with("Informe o telefone com DDD"), "{bad:?}");
    let email = t.say(BRUNO, "(12) 91234-5678").await;
    let cep = press(&t, &email, "Pular").await;
    assert!(cep.text().unwrap().contains("Digite o CEP"), "{cep:?}");
    let street = t.say(BRUNO, "12245000").await;
    assert!(street.text().unwrap().contains("logradouro") && has_button(&street, "Pular").is_some(), "{street:?}");
    let number = t.say(BRUNO, "Rua Sete de Setembro").await;
    assert!(number.text().unwrap().contains("Digite o número"), "a street asks its number: {number:?}");
    let district = t.say(BRUNO, "100").await;
    assert!(district.text().unwrap().contains("Digite o bairro"), "and its district: {district:?}");
    t.say(BRUNO, "Centro").await;
    let state = t.say(BRUNO, "São José dos Campos").await;
    let bad = t.say(BRUNO, "XX").await;
    assert!(bad.text().unwrap().starts_with("UF inválida"), "{bad:?}");
    let _ = state;
    let summary = t.say(BRUNO, "sp").await;
    let text = summary.text().unwrap();
    assert!(text.starts_with("Novo Cliente - confira e confirme"), "reseller staff are not asked the reseller: {text}");
    // The CPF in full to whoever typed it; the UF and CEP as understood.
    assert!(text.contains("Nome: Ana Paula Simões") && text.contains("CPF/CNPJ: 935.411.347-80"), "{text}");
    assert!(text.contains("E-mail: -") && text.contains("UF: SP") && text.contains("CEP: 12245-000"), "{text}");
    assert!(text.contains("Telefone: (12) 91234-5678") && text.contains("Número: 100"), "{text}");
    let card = press(&t, &summary, "Confirmar").await;
    let text = card.text().unwrap();
    assert!(text.contains("Ana Paula Simões - Litoral Net") && text.contains("(12) 91234-5678"), "{text}");
    assert!(text.contains("Rua Sete de Setembro, 100") && text.contains("Centro"), "{text}");
    assert!(text.contains("CEP 12245-000") && text.contains("São José dos Campos/SP"), "{text}");
    // The new client's código follows the highest one (1001, 1002 and 2001 exist).
    assert!(text.contains("(cód. 2002)"), "{text}");
    let found = t.say(BRUNO, "ana paula").await;
    assert!(found.text().unwrap().starts_with("Nome \"ana paula\": 1 cliente"), "{found:?}");
    t.finish().await;
}

async fn a_wizard_left_half_way_waits_on_the_menu_to_be_continued(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let menu = t.linked_bruno().await;
    let kind = press(&t, &menu, "Novo Cliente").await;
    press(&t, &kind, "Pessoa física").await;
    let doc = t.say(BRUNO, "Ana Paula Simões").await;
    assert!(doc.text().unwrap().contains("Digite o CPF"), "{doc:?}");
    // A call comes in: Bruno searches someone else; the wizard is set aside, not lost.
    let results = t.say(BRUNO, "/buscar").await;
    assert!(has_button(&results, "Nome").is_some(), "{results:?}");
    let menu = t.say(BRUNO, "/menu").await;
    let resume = has_button(&menu, "Continuar Novo Cliente").expect("the menu offers to continue");
    let again = t.tap_edit(BRUNO, &menu, &resume).await;
    assert!(again.text().unwrap().contains("Digite o CPF"), "back where it was: {again:?}");
    let phone = t.say(BRUNO, "935.411.347-80").await;
    assert!(phone.text().unwrap().contains("telefone com DDD"), "{phone:?}");
    // Set aside again, then /cancelar: dropped for good.
    let menu = t.say(BRUNO, "/menu").await;
    assert!(has_button(&menu, "Continuar Novo Cliente").is_some(), "{menu:?}");
    t.say(BRUNO, "/cancelar").await;
    let menu = t.say(BRUNO, "/menu").await;
    assert!(has_button(&menu, "Continuar").is_none(), "{menu:?}");
    t.finish().await;
}

async fn novo_cliente_offers_the_client_already_registered_with_the_document(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let menu = t.linked_bruno().await;
    let kind = press(&t, &menu, "Novo Cliente").await;
    press(&t, &kind, "Pessoa física").await;
    t.say(BRUNO, "Maria C. Souza").await;
    let dup = t.say(BRUNO, "52998224725").await;
    assert!(dup.text().unwrap().starts_with("Já existe um cliente com este CPF/CNPJ"), "{dup:?}");
    let card = press(&t, &dup, "Abrir cliente existente").await;
    assert!(card.text().unwrap().contains("Maria da Conceição Souza"), "{card:?}");
    // The abandoned wizard does not swallow what is typed next.
    let results = t.say(BRUNO, "joao").await;
    assert!(results.text().unwrap().starts_with("Nome \"joao\""), "{results:?}");
    t.finish().await;
}

async fn adicionar_plano_adds_the_chosen_plan(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let results = t.say(BRUNO, "maria").await;
    let card = t.tap_edit(BRUNO, &results, &has_button(&results, "Maria").unwrap()).await;
    let plans = press(&t, &card, "Planos").await;
    assert!(plans.text().unwrap().contains("Nenhum plano"), "{plans:?}");
    let pick = press(&t, &plans, "Adicionar Plano").await;
    let billing = press(&t, &pick, "Fibra 300 Mega").await;
    let due = press(&t, &billing, "PIX").await;
    let bad = t.say(BRUNO, "32").await;
    assert!(bad.text().unwrap().starts_with("Dia de vencimento inválido"), "{bad:?}");
    let seller = t.say(BRUNO, "12").await;
    assert!(has_button(&seller, "Bruno Atendente").is_some(), "{seller:?}");
    let point = press(&t, &seller, "Bruno Atendente").await;
    assert!(point.text().unwrap().contains("Ponto de Roteamento"), "{point:?}");
    let summary = press(&t, &point, "Nenhum").await;
    assert!(summary.text().unwrap().contains("Dia de vencimento: 12"), "{summary:?}");
    let done = press(&t, &summary, "Confirmar").await;
    let text = done.text().unwrap();
    assert!(text.starts_with("✅ Plano adicionado."), "{text}");
    assert!(text.contains("Fibra 300 Mega - R$ 99,90/mês (Ativo)"), "{text}");
    assert!(text.contains("PIX - vencimento dia 12") && text.contains("Vendedor: Bruno Atendente"), "{text}");
    let _ = due;
    t.finish().await;
}

async fn long_lists_of_people_are_paged_in_wizards_and_in_encaminhar(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    for i in 0..30 {
        let new = NewStaff {
            name: format!("Atendente {i:02}"),
            reseller: Some("Litoral Net".into()),
            roles: vec!["Suporte N2".into()],
            email: None,
            telegram_id: None,
        };
        db.add_staff(&new, None).await.unwrap();
    }
    db.close().await;
    t.linked_bruno().await;
    // Adicionar Plano's Vendedor: 34 people, 16 a page.
    let results = t.say(BRUNO, "maria").await;
    let card = t.tap_edit(BRUNO, &results, &has_button(&results, "Maria").unwrap()).await;
    let plans = press(&t, &card, "Planos").await;
    let pick = press(&t, &plans, "Adicionar Plano").await;
    let billing = press(&t, &pick, "Fibra 300 Mega").await;
    press(&t, &billing, "PIX").await;
    let seller = t.say(BRUNO, "12").await;
    assert!(seller.text().unwrap().contains("(página 1 de 3)"), "{seller:?}");
    assert!(seller.buttons().len() <= 16 + 4, "{seller:?}");
    assert!(has_button(&seller, "Atendente 20").is_none(), "not on the first page");
    let second = press(&t, &seller, "▶").await;
    assert!(second.text().unwrap().contains("(página 2 de 3)"), "{second:?}");
    let point = press(&t, &second, "Atendente 20").await;
    let summary = press(&t, &point, "Nenhum").await;
    assert!(summary.text().unwrap().contains("Vendedor: Atendente 20"), "{summary:?}");
    press(&t, &summary, "Confirmar").await;

    // Encaminhar: the roles, then the users a page at a time.
    let since = t.tg.call_count();
    let ticket = open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    // The ticket's notice reaches Bruno (Suporte N1) first, so that it is not
    // taken for the menu's answer.
    t.tg.wait_for(since, WAIT, |c| {
        c.is("sendMessage") && c.chat_id() == Some(BRUNO) && c.text().unwrap_or("").contains("Novo atendimento")
    })
    .await;
    let menu = t.say(BRUNO, "/menu").await;
    let screen = t.tap_edit(BRUNO, &menu, &Callback::Ticket(ticket).encode()).await;
    let to = press(&t, &screen, "Encaminhar").await;
    assert!(to.text().unwrap().contains("(usuários: página 1 de 3)"), "{to:?}");
    assert!(has_button(&to, "Cargo Suporte N2").is_some(), "{to:?}");
    let last = t.tap_edit(BRUNO, &to, &Callback::Forward(ticket, 2).encode()).await;
    assert!(last.text().unwrap().contains("(usuários: página 3 de 3)"), "{last:?}");
    assert!(has_button(&last, "Atendente").is_none(), "the last page holds what sorts last: {last:?}");
    let done = press(&t, &last, "Téo Técnico").await;
    assert!(done.text().unwrap().contains("Destino: Téo Técnico"), "{done:?}");
    t.finish().await;
}

async fn novo_atendimento_with_o_s_reaches_the_role_and_forged_choices_are_refused(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let welcome = t.linked_bruno().await;
    let results = t.say(BRUNO, "maria").await;
    let card = t.tap_edit(BRUNO, &results, &has_button(&results, "Maria").unwrap()).await;
    // Maria has no plan: the ticket is about none, and its ponto is asked.
    let point = press(&t, &card, "Novo Atendimento").await;
    assert!(point.text().unwrap().contains("Ponto de Roteamento"), "{point:?}");
    // A forged option index changes nothing.
    let answer = t.tap(BRUNO, &point, "fw:v:99").await;
    assert_eq!(answer.params["text"], "Esta tela não vale mais. Use /menu para recomeçar.");
    // Nor does a wizard button on an older message.
    let answer = t.tap(BRUNO, &welcome, "fw:v:0").await;
    assert_eq!(answer.params["text"], "Esta tela não vale mais. Use /menu para recomeçar.");
    let contact = press(&t, &point, "Nenhum").await;
    assert!(contact.text().unwrap().contains("Nome da Pessoa"), "{contact:?}");
    t.say(BRUNO, "Maria").await;
    // Typed here by a staff member: a Telegram contact, not asked.
    let kind = t.say(BRUNO, "Sem internet desde a chuva de ontem.").await;
    assert!(kind.text().unwrap().contains("Tipo de Atendimento"), "{kind:?}");
    let dest = press(&t, &kind, "Sem conexão").await;
    let checks = press(&t, &dest, "Cargo Suporte N1").await;
    let outcome = press(&t, &checks, "Pular").await;
    let date = press(&t, &outcome, "Pedir O.S.").await;
    assert!(date.text().unwrap().contains("Data da visita"), "{date:?}");
    let bad = t.say(BRUNO, "31/02/2027").await;
    assert!(bad.text().unwrap().starts_with("Data inexistente"), "{bad:?}");
    let day =
        |days: i64| (chrono::Local::now().date_naive() + chrono::Duration::days(days)).format("%d/%m/%Y").to_string();
    let past = t.say(BRUNO, &day(-2)).await;
    assert!(past.text().unwrap().starts_with("A data da visita já passou"), "{past:?}");
    let visit = day(5);
    let window = t.say(BRUNO, &visit).await;
    let tech = press(&t, &window, "08:00 às 12:00").await;
    let task = press(&t, &tech, "Definir depois").await;
    let summary = t.say(BRUNO, "Trocar o conector da caixa.").await;
    let text = summary.text().unwrap();
    assert!(text.contains("Tipo de Atendimento: Sem conexão") && text.contains("Para: Cargo Suporte N1"), "{text}");
    assert!(text.contains("Tipo de Contato: Telegram") && text.contains("Técnico: Definir depois"), "{text}");
    assert!(has_button(&summary, "Alterar Tipo de Contato").is_some(), "{summary:?}");
    let since = t.tg.call_count();
    let done = press(&t, &summary, "Confirmar").await;
    let text = done.text().unwrap();
    assert!(text.starts_with("✅ Atendimento aberto. Protocolo: "), "{text}");
    assert!(text.contains("O.S.") && text.contains(&format!("{visit} das 08:00 às 12:00")), "{text}");
    // The ticket itself, with its actions: the O.S. left without a technician offers one.
    assert!(
        has_button(&done, "Definir técnico da O.S.").is_some() && has_button(&done, "Anotar").is_some(),
        "{done:?}"
    );
    // Everyone else holding the role at Litoral Net is told; Serra Fibra's staff and Bruno himself are not.
    let notice = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(CARLA)).await;
    let text = notice.text().unwrap();
    assert!(text.starts_with("📥 Novo atendimento") && text.contains("Maria da Conceição Souza"), "{text}");
    assert!(has_button(&notice, "Ver atendimento").is_some(), "{notice:?}");
    let told: Vec<i64> = t.tg.calls()[since..]
        .iter()
        .filter(|c| c.is("sendMessage") && c.text().unwrap_or("").starts_with("📥"))
        .filter_map(|c| c.chat_id())
        .collect();
    assert_eq!(told, [CARLA]);
    let _ = task;
    t.finish().await;
}

/// `user` taps the button whose label contains `label`; returns the edit.
async fn press_as(t: &TestApp, user: i64, screen: &Call, label: &str) -> Call {
    let data = has_button(screen, label).unwrap_or_else(|| panic!("no button \"{label}\" in {:?}", screen.buttons()));
    t.tap_edit(user, screen, &data).await
}

async fn manutencao_do_atendimento_records_every_change_with_who_and_when(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let mine = t.say(BRUNO, "/meus").await;
    let ticket = press(&t, &mine, "Maria").await;
    let tk = has_button(&ticket, "Assumir").expect("a ticket of Bruno's role offers Assumir");
    let taken = t.tap_edit(BRUNO, &ticket, &tk).await;
    let text = taken.text().unwrap();
    assert!(text.contains("Destino: Bruno Atendente") && text.contains("Situação: Em andamento"), "{text}");
    assert!(has_button(&taken, "Assumir").is_none(), "{taken:?}");
    // Carla, of the same role, is too late: she is told who took it.
    let carla_menu = t.say(CARLA, "/menu").await;
    let answer = t.tap(CARLA, &carla_menu, &tk).await;
    assert_eq!(answer.params["text"], "Bruno Atendente já assumiu este atendimento");

    let ask = press(&t, &taken, "Anotar").await;
    assert!(ask.text().unwrap().contains("Digite a anotação"), "{ask:?}");
    let noted = t.say(BRUNO, "Cliente pediu retorno à tarde.").await;
    let text = noted.text().unwrap();
    assert!(
        text.starts_with("Anotação registrada.") && text.contains("Bruno Atendente: Cliente pediu retorno"),
        "{text}"
    );
    let statuses = press(&t, &noted, "Situação").await;
    let waiting = press(&t, &statuses, "Aguardando cliente").await;
    assert!(waiting.text().unwrap().contains("Situação: Aguardando cliente"), "{waiting:?}");
    let to = press(&t, &waiting, "Encaminhar").await;
    let passed = press(&t, &to, "Cargo Suporte N2").await;
    assert!(passed.text().unwrap().contains("Destino: Cargo Suporte N2"), "{passed:?}");
    press(&t, &passed, "Atendimento Resolvido").await;
    let short = t.say(BRUNO, "ok").await;
    assert!(short.text().unwrap().contains("como o atendimento foi resolvido"), "{short:?}");
    let resolved = t.say(BRUNO, "Conector trocado pelo técnico.").await;
    let text = resolved.text().unwrap();
    assert!(text.starts_with("Atendimento resolvido.") && text.contains("Situação: Resolvido"), "{text}");
    press(&t, &resolved, "Reabrir").await;
    let reopened = t.say(BRUNO, "Voltou a cair à noite.").await;
    let text = reopened.text().unwrap();
    assert!(text.starts_with("Atendimento reaberto.") && text.contains("Situação: Aberto"), "{text}");
    for entry in ["Assumido por Bruno Atendente", "Situação: Aguardando cliente", "Encaminhado para Cargo Suporte N2"]
    {
        assert!(text.contains(entry), "history lacks {entry}: {text}");
    }
    // Serra Fibra's staff cannot act on it, whatever the button says.
    let sergio_menu = t.say(SERGIO, "/menu").await;
    for data in [tk.replace("tt:", "tn:"), tk.clone(), tk.replace("tt:", "tk:")] {
        let answer = t.tap(SERGIO, &sergio_menu, &data).await;
        assert_eq!(answer.params["text"], "Não encontrado, ou fora do seu acesso.", "{data}");
    }
    t.finish().await;
}

async fn a_technician_starts_and_finishes_their_o_s(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let menu = t.say(TEO, "/menu").await;
    let list = press_as(&t, TEO, &menu, "Minhas O.S.").await;
    assert!(list.text().unwrap().starts_with("Minhas O.S. (1)"), "{list:?}");
    let wo = press_as(&t, TEO, &list, "O.S.").await;
    let text = wo.text().unwrap();
    assert!(
        text.contains("Agendada") && text.contains("Trocar o conector da ONU") && text.contains("Rua das Flores"),
        "{text}"
    );
    let started = press_as(&t, TEO, &wo, "Iniciar").await;
    assert!(started.text().unwrap().contains("Em execução"), "{started:?}");
    let finish = has_button(&started, "Concluir").unwrap();
    // Nobody else may finish Téo's O.S.
    t.linked_bruno().await;
    let bruno_menu = t.say(BRUNO, "/menu").await;
    let answer = t.tap(BRUNO, &bruno_menu, &finish).await;
    assert_eq!(answer.params["text"], "Não encontrado, ou fora do seu acesso.");
    press_as(&t, TEO, &started, "Concluir").await;
    let since = t.tg.call_count();
    t.tg.send_text(TEO, "Téo", "ok");
    let short = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(TEO)).await;
    assert!(short.text().unwrap().starts_with("Descreva o que foi feito"), "{short:?}");
    let since = t.tg.call_count();
    t.tg.send_text(TEO, "Téo", "Conector trocado, sinal -18 dBm.");
    let done = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(TEO)).await;
    let text = done.text().unwrap();
    assert!(text.starts_with("O.S. concluída.") && text.contains("Resultado: Conector trocado"), "{text}");
    // The ticket's history shows it.
    let ticket = press_as(&t, TEO, &done, "Ver atendimento").await;
    assert!(ticket.text().unwrap().contains("Téo Técnico: O.S."), "{ticket:?}");
    t.finish().await;
}

/// A private-chat text message as Telegram posts it to a webhook.
fn message_update(update_id: i64, user: i64, text: &str) -> String {
    let date = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": date,
            "chat": { "id": user, "type": "private", "first_name": "Fulano" },
            "from": { "id": user, "is_bot": false, "first_name": "Fulano", "language_code": "pt-br" },
            "text": text,
        }
    })
    .to_string()
}

async fn post_update(t: &TestApp, secret: &str, body: String) -> (u16, String) {
    let addr = t.http.clone();
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || {
        support::http::request(
            &addr,
            "POST",
            "/telegram/webhook",
            &[("Content-Type", "application/json"), ("X-Telegram-Bot-Api-Secret-Token", &secret)],
            &body,
        )
    })
    .await
    .unwrap()
}

async fn webhook_mode_stores_each_update_once_and_refuses_wrong_secrets(store: Store) {
    let Some(t) = TestApp::start_in(store, true).await else { return };
    let set = t.tg.wait_for(0, WAIT, |c| c.is("setWebhook")).await;
    assert_eq!(set.params["url"], "https://balcao.example/telegram/webhook");
    assert_eq!(set.params["secret_token"], WEBHOOK_SECRET);

    let (status, body) = post_update(&t, "errado", message_update(900, STRANGER, "oi")).await;
    assert_eq!((status, body.as_str()), (401, r#"{"error":"token secreto inválido"}"#));
    let (status, body) = post_update(&t, WEBHOOK_SECRET, "{não é json".into()).await;
    assert_eq!((status, body.as_str()), (400, r#"{"error":"JSON inválido"}"#));

    let since = t.tg.call_count();
    let (status, body) =
        post_update(&t, WEBHOOK_SECRET, message_update(901, BRUNO, &format!("/start {}", t.invite))).await;
    assert_eq!((status, body.as_str()), (200, r#"{"ok":true}"#));
    let welcome = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(BRUNO)).await;
    assert!(welcome.text().unwrap().starts_with("Bem-vindo(a), Bruno Atendente!"), "{welcome:?}");
    // Telegram resends what it did not hear "ok" for: the same update is handled once.
    let (status, _) = post_update(&t, WEBHOOK_SECRET, message_update(902, BRUNO, "maria")).await;
    assert_eq!(status, 200);
    let (status, _) = post_update(&t, WEBHOOK_SECRET, message_update(902, BRUNO, "maria")).await;
    assert_eq!(status, 200);
    t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.text().is_some_and(|x| x.starts_with("Nome \"maria\"")))
        .await;
    let (status, _) = post_update(&t, WEBHOOK_SECRET, message_update(903, BRUNO, "/ajuda")).await;
    assert_eq!(status, 200);
    t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.text().is_some_and(|x| x.starts_with("Comandos:"))).await;
    let searches = t.tg.calls()[since..]
        .iter()
        .filter(|c| c.is("sendMessage") && c.text().is_some_and(|x| x.starts_with("Nome \"maria\"")))
        .count();
    assert_eq!(searches, 1);
    assert!(t.tg.calls_of("getUpdates").is_empty(), "webhook mode must not poll");

    // When the update cannot be stored, Telegram hears 5xx and will resend.
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    sqlx::raw_sql("DROP TABLE telegram_updates").execute(db.pool()).await.unwrap();
    db.close().await;
    let (status, body) = post_update(&t, WEBHOOK_SECRET, message_update(904, BRUNO, "maria")).await;
    assert_eq!((status, body.as_str()), (503, r#"{"error":"não foi possível guardar a atualização"}"#));
    t.finish().await;
}

async fn disabled_staff_lose_access_at_once(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let bruno = db.staff_by_telegram(BRUNO).await.unwrap().unwrap();
    db.set_staff_active(bruno.id, false).await.unwrap();
    db.close().await;
    let refused = t.say(BRUNO, "maria").await;
    assert!(refused.text().unwrap().contains("só para a equipe"), "{refused:?}");
    t.finish().await;
}

async fn long_lists_are_paged_with_arrows_and_keep_the_period(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let debits: Vec<(usize, NewReceivable)> = (0..25)
        .map(|i| {
            let due = chrono::NaiveDate::from_ymd_opt(2024 + (i / 12) as i32, (i % 12) as u32 + 1, 10).unwrap();
            (
                i,
                NewReceivable {
                    client_code: "1002".into(),
                    due_date: due,
                    description: format!("Mensalidade {:02}/{}", due.format("%m"), due.format("%Y")),
                    amount: Money(9_990),
                    settlement: None,
                },
            )
        })
        .collect();
    db.import_receivables(&debits).await.unwrap();
    db.close().await;
    t.linked_bruno().await;
    let results = t.say(BRUNO, "joao").await;
    let card = t.tap_edit(BRUNO, &results, &has_button(&results, "João").unwrap()).await;
    let open = press(&t, &card, "Financeiro").await;
    let text = open.text().unwrap();
    assert!(text.contains("(página 1 de 3, 25 débitos"), "the newest debits first: {text}");
    assert!(text.contains("10/01/2026") && !text.contains("10/01/2024"), "{text}");
    let older = press(&t, &open, "▶").await;
    assert!(older.text().unwrap().contains("(página 2 de 3"), "{older:?}");
    let ask = press(&t, &older, "Desde / Até").await;
    assert!(ask.text().unwrap().contains("Digite o período"), "{ask:?}");
    let year = t.say(BRUNO, "01/01/2025 31/12/2025").await;
    let text = year.text().unwrap();
    assert!(text.contains("desde 01/01/2025 até 31/12/2025") && text.contains("(página 1 de 2, 12 débitos"), "{text}");
    assert!(text.contains("10/12/2025") && !text.contains("10/01/2025"), "{text}");
    let second = press(&t, &year, "▶").await;
    let text = second.text().unwrap();
    assert!(text.contains("desde 01/01/2025 até 31/12/2025") && text.contains("(página 2 de 2"), "{text}");
    assert!(text.contains("10/01/2025") && !text.contains("10/12/2025"), "{text}");
    t.finish().await;
}

/// João's 2026: twelve monthly debits; February paid in two baixas (PIX
/// through the gateway, then cash at the desk), January paid in part.
async fn joaos_year_with_a_paid_and_a_part_paid_bill(t: &TestApp) {
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let debits: Vec<(usize, NewReceivable)> = (1..=12)
        .map(|m| {
            let due = chrono::NaiveDate::from_ymd_opt(2026, m, 10).unwrap();
            let description = format!("Mensalidade {m:02}/2026");
            (
                m as usize,
                NewReceivable {
                    client_code: "1002".into(),
                    due_date: due,
                    description,
                    amount: Money(9_990),
                    settlement: None,
                },
            )
        })
        .collect();
    db.import_receivables(&debits).await.unwrap();
    let id_of = |due: &'static str| {
        let pool = db.pool().clone();
        async move {
            let (id,): (i64,) = sqlx::query_as(
                "SELECT id FROM receivables WHERE due_date = $1 AND description LIKE 'Mensalidade%/2026'",
            )
            .bind(due)
            .fetch_one(&pool)
            .await
            .unwrap();
            id
        }
    };
    let (january, february) = (id_of("2026-01-10").await, id_of("2026-02-10").await);
    for (receivable, paid_on, cents, method, by) in [
        (february, "2026-02-10", 5_000_i64, "PIX", "Asaas"),
        (february, "2026-02-15", 4_990, "Dinheiro", "Ana Financeiro"),
        (january, "2026-01-12", 4_000, "Boleto", "Asaas"),
    ] {
        sqlx::query(
            "INSERT INTO settlements (receivable_id, paid_on, amount_cents, method, recorded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, '2026-02-15T12:00:00Z')",
        )
        .bind(receivable)
        .bind(paid_on)
        .bind(cents)
        .bind(method)
        .bind(by)
        .execute(db.pool())
        .await
        .unwrap();
    }
    sqlx::query("UPDATE receivables SET paid_cents = 9990, settled_on = '2026-02-15' WHERE id = $1")
        .bind(february)
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE receivables SET paid_cents = 4000 WHERE id = $1")
        .bind(january)
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
}

async fn financeiro_explains_a_paid_bill_and_voltar_returns_to_the_same_page(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    joaos_year_with_a_paid_and_a_part_paid_bill(&t).await;
    t.linked_bruno().await;
    let results = t.say(BRUNO, "joao").await;
    let card = press(&t, &results, "João").await;
    let open = press(&t, &card, "Financeiro").await;
    // "Tudo" opens on the first page, newest first.
    let all = press(&t, &open, "Tudo").await;
    let text = all.text().unwrap();
    assert!(text.contains("Financeiro - todo o período") && text.contains("(página 1 de 2, 12 débitos"), "{text}");
    let (december, march) = (text.find("10/12/2026").unwrap(), text.find("10/03/2026").unwrap());
    assert!(december < march && !text.contains("10/02/2026"), "newest first: {text}");
    // Every line opens its detail, not only the open ones.
    assert_eq!(all.buttons().iter().filter(|(_, d)| d.starts_with("cr:")).count(), 10, "{:?}", all.buttons());

    let older = press(&t, &all, "▶").await;
    let text = older.text().unwrap();
    assert!(text.contains("(página 2 de 2"), "{text}");
    assert!(
        text.contains("10/02/2026 - Mensalidade 02/2026\nV. Lançado R$ 99,90 | Dt. Baixa 15/02/2026 | Saldo R$ 0,00"),
        "the paid line: {text}"
    );
    assert!(
        text.contains(
            "10/01/2026 - Mensalidade 01/2026\nV. Lançado R$ 99,90 | Última baixa 12/01/2026 R$ 40,00 | Resta R$ 59,90"
        ),
        "the part-paid line shows its last baixa and the rest: {text}"
    );

    // The paid bill explained: each baixa, how and by whom.
    let paid = press(&t, &older, "10/02/2026 ✅ pago").await;
    let text = paid.text().unwrap();
    assert!(text.contains("Mensalidade 02/2026") && text.contains("Dt. Baixa: 15/02/2026"), "{text}");
    assert!(text.contains("10/02/2026 R$ 50,00 - PIX, registrada por Asaas"), "{text}");
    assert!(text.contains("15/02/2026 R$ 49,90 - Dinheiro, registrada por Ana Financeiro"), "{text}");
    assert!(text.contains("Saldo: R$ 0,00") && !text.contains("Multa"), "{text}");
    // Voltar: the same period, the same page.
    let back = press(&t, &paid, "Voltar").await;
    let text = back.text().unwrap();
    assert!(text.contains("Financeiro - todo o período") && text.contains("(página 2 de 2"), "{text}");

    let part = press(&t, &back, "10/01/2026 R$ 59,90").await;
    let text = part.text().unwrap();
    assert!(text.contains("12/01/2026 R$ 40,00 - Boleto, registrada por Asaas"), "{text}");
    assert!(text.contains("Saldo: R$ 59,90") && text.contains("Multa: R$ 1,20"), "{text}");
    let back = press(&t, &part, "Voltar").await;
    assert!(back.text().unwrap().contains("(página 2 de 2"), "{back:?}");

    // From a typed period too: Voltar keeps it.
    let ask = press(&t, &back, "Desde / Até").await;
    let typed = t.say(BRUNO, "01/01/2026 28/02/2026").await;
    assert!(ask.text().unwrap().contains("Digite o período"), "{ask:?}");
    let detail = press(&t, &typed, "10/02/2026").await;
    let back = press(&t, &detail, "Voltar").await;
    assert!(back.text().unwrap().contains("Financeiro - desde 01/01/2026 até 28/02/2026"), "{back:?}");
    t.finish().await;
}

async fn a_phone_a_cpf_or_a_protocol_typed_anywhere_finds_the_client_or_the_ticket(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    // A phone in any shape: the one client who has it, at once.
    for typed in ["12987654321", "(12) 98765-4321", "+55 12 98765 4321", "98765-4321"] {
        let card = t.say(BRUNO, typed).await;
        assert!(card.text().unwrap().contains("Maria da Conceição Souza"), "{typed}: {card:?}");
        assert!(has_button(&card, "Financeiro").is_some(), "{typed}: the card: {card:?}");
    }
    // A CPF, with or without punctuation.
    for typed in ["111.444.777-35", "11144477735"] {
        let card = t.say(BRUNO, typed).await;
        assert!(card.text().unwrap().contains("João Pedro Araújo"), "{typed}: {card:?}");
    }
    // Another reseller's client, by CPF or phone: nothing, as if it did not exist.
    let other = t.say(BRUNO, "123.456.789-09").await;
    assert!(!other.text().unwrap().contains("José da Conceição"), "{other:?}");
    let other = t.say(BRUNO, "(12) 99999-1111").await;
    assert!(other.text().unwrap().starts_with("Nenhum cliente encontrado"), "{other:?}");
    // A protocol opens its ticket; one outside the scope, or unknown, says so.
    let since = t.tg.call_count();
    let ticket = open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    // Its notice reaches Bruno (Suporte N1) first, so that it is not taken for the answer.
    notice_to(&t, since, BRUNO, "📥").await;
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let protocol = db.ticket(&Actor::admin(), ticket).await.unwrap().ticket.protocol;
    db.close().await;
    let screen = t.say(BRUNO, &protocol).await;
    assert!(screen.text().unwrap().contains(&protocol) && has_button(&screen, "Anotar").is_some(), "{screen:?}");
    let none = t.say(BRUNO, "20990101-0001").await;
    assert_eq!(none.text().unwrap(), "Nenhum atendimento com o protocolo 20990101-0001 no seu acesso.");
    // Words still search names.
    let names = t.say(BRUNO, "joao pedro").await;
    assert!(names.text().unwrap().starts_with("Nome \"joao pedro\""), "{names:?}");
    t.finish().await;
}

async fn a_ticket_shows_the_plan_and_the_routing_point_it_was_opened_with(store: Store) {
    use balcao_domain::subscription::{BillingMethod, DueDay, PlanChoice};
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let admin = Actor::admin();
    let plan = db.plans().await.unwrap().into_iter().find(|p| p.active).unwrap();
    let choice = PlanChoice {
        plan: plan.id,
        billing_method: BillingMethod::ALL[0],
        due_day: DueDay::parse("10").unwrap(),
        salesperson: None,
        routing_point: None,
    };
    let subscription = db.add_subscription(&admin, t.maria, &choice).await.unwrap();
    let point = db.ensure_routing_point("OLT Centro - PON 3").await.unwrap();
    let role = db.roles().await.unwrap().into_iter().find(|r| r.name == "Suporte N1").unwrap().id;
    let ticket = db
        .open_ticket(
            &admin,
            &NewTicket {
                client_id: t.maria,
                subscription_id: Some(subscription.id),
                routing_point_id: Some(point.id),
                contact_name: "Maria".into(),
                problem: "Sem sinal.".into(),
                channel_id: db.channels().await.unwrap()[0].id,
                ticket_type_id: db.ticket_types().await.unwrap()[0].id,
                assignee: Assignee::Role(role),
                checks: String::new(),
                resolution: None,
                work_order: None,
            },
            chrono::Utc::now().date_naive(),
        )
        .await
        .unwrap();
    db.close().await;
    let screen = t.say(BRUNO, &ticket.protocol).await;
    let text = screen.text().unwrap();
    assert!(text.contains(&format!("Plano: {} (", plan.name)), "{text}");
    assert!(text.contains("Ponto de Roteamento: OLT Centro - PON 3"), "{text}");
    t.finish().await;
}

/// Gives Maria a plan of the catalog (the first active one) at `point`; returns the plan's name.
async fn give_maria_a_plan(t: &TestApp, point: &str) -> String {
    use balcao_domain::subscription::{BillingMethod, DueDay, PlanChoice};
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let plan = db.plans().await.unwrap().into_iter().find(|p| p.active).unwrap();
    let point = db.ensure_routing_point(point).await.unwrap();
    let choice = PlanChoice {
        plan: plan.id,
        billing_method: BillingMethod::ALL[0],
        due_day: DueDay::parse("10").unwrap(),
        salesperson: None,
        routing_point: Some(point.id),
    };
    db.add_subscription(&Actor::admin(), t.maria, &choice).await.unwrap();
    db.close().await;
    plan.name
}

/// "passo N de M" in a wizard's screen.
fn step_of(screen: &Call) -> Option<(usize, usize)> {
    let text = screen.text()?;
    let rest = &text[text.find("passo ")? + 6..];
    let (n, rest) = rest.split_once(" de ")?;
    let m: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((n.parse().ok()?, m.parse().ok()?))
}

async fn a_ticket_for_a_client_found_by_phone_takes_nine_actions_or_fewer(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let plan = give_maria_a_plan(&t, "OLT Vila Industrial").await;
    t.linked_bruno().await;
    let mut actions = 0;
    // 1: the phone, typed on the menu, opens her card.
    let card = t.say(BRUNO, "12 98765-4321").await;
    actions += 1;
    // 2: Novo Atendimento. Her one plan and its ponto are taken; the contact type is Telegram.
    let who = press(&t, &card, "Novo Atendimento").await;
    actions += 1;
    assert!(who.text().unwrap().contains("Nome da Pessoa"), "{who:?}");
    // 3: the person is Maria herself: one tap.
    let problem = press(&t, &who, "Maria da Conceição Souza").await;
    actions += 1;
    // 4: the problem.
    let kind = t.say(BRUNO, "Sem sinal desde a madrugada.").await;
    actions += 1;
    // 5, 6, 7, 8: the type, the destination, no checks, left open.
    let dest = press(&t, &kind, "Sem conexão").await;
    let checks = press(&t, &dest, "Cargo Suporte N1").await;
    let outcome = press(&t, &checks, "Pular").await;
    let summary = press(&t, &outcome, "Fica em aberto").await;
    actions += 4;
    let text = summary.text().unwrap();
    // Nothing the seed asks for is left out: what was taken shows, and can be changed.
    for line in [
        &format!("Plano: {plan} (Ativo) - OLT Vila Industrial"),
        "Ponto de Roteamento: OLT Vila Industrial",
        "Nome da Pessoa: Maria da Conceição Souza",
        "Problema: Sem sinal desde a madrugada.",
        "Tipo de Contato: Telegram",
        "Tipo de Atendimento: Sem conexão",
        "Para: Cargo Suporte N1",
        "Verificações: -",
        "Situação: Aberto",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    for change in ["Alterar Plano", "Alterar Ponto de Roteamento", "Alterar Tipo de Contato"] {
        assert!(has_button(&summary, change).is_some(), "{change}: {summary:?}");
    }
    // 9: Confirmar.
    let done = press(&t, &summary, "Confirmar").await;
    actions += 1;
    assert!(done.text().unwrap().starts_with("✅ Atendimento aberto. Protocolo: "), "{done:?}");
    assert!(actions <= 9, "{actions} actions");
    let _ = problem;
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let opened = db.client_tickets(&Actor::admin(), t.maria).await.unwrap();
    let newest = opened.iter().max_by_key(|x| x.id.0).unwrap();
    assert!(newest.subscription_id.is_some() && newest.routing_point_id.is_some(), "{newest:?}");
    assert_eq!(newest.channel.name, "Telegram");
    db.close().await;
    t.finish().await;
}

async fn every_wizard_step_names_the_client_and_the_summary_shows_values(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    // Two subscriptions of the same plan, at different pontos.
    let plan = give_maria_a_plan(&t, "POP Centro").await;
    give_maria_a_plan(&t, "Torre Norte").await;
    t.linked_bruno().await;
    let card = t.say(BRUNO, "(12) 98765-4321").await;
    let pick = press(&t, &card, "Novo Atendimento").await;
    let labels: Vec<String> = pick.buttons().into_iter().map(|(l, _)| l).filter(|l| l.starts_with(&plan)).collect();
    assert_eq!(labels.len(), 2, "{pick:?}");
    assert!(labels[0] != labels[1] && labels.iter().all(|l| l.contains(" - desde ")), "{labels:?}");
    let mut screen = pick;
    let mut seen = Vec::new();
    let mut step = |screen: &Call| {
        let text = screen.text().unwrap();
        assert!(text.contains("Cliente: Maria da Conceição Souza (cód. 1001)"), "{text}");
        seen.push(step_of(screen).unwrap_or_else(|| panic!("a step: {text}")));
    };
    step(&screen);
    let torre = labels.iter().find(|l| l.contains("Torre Norte")).unwrap().clone();
    for action in [
        format!("tap:{torre}"),
        "say:Joaquim (filho)".into(),
        "say:Lento à noite.".into(),
        "tap:Lentidão".into(),
        "tap:Cargo Suporte N2".into(),
        "say:Reiniciou a ONU.".into(),
        "tap:Pedir O.S.".into(),
    ] {
        screen = match action.split_once(':').unwrap() {
            ("tap", label) => press(&t, &screen, label).await,
            (_, typed) => t.say(BRUNO, typed).await,
        };
        step(&screen);
    }
    let visit = (chrono::Local::now().date_naive() + chrono::Duration::days(3)).format("%d/%m/%Y").to_string();
    for action in [format!("say:{visit}"), "tap:13:00 às 18:00".into(), "tap:Téo Técnico".into()] {
        screen = match action.split_once(':').unwrap() {
            ("tap", label) => press(&t, &screen, label).await,
            (_, typed) => t.say(BRUNO, typed).await,
        };
        step(&screen);
    }
    // The counter goes up one at a time, and its total never grows.
    for pair in seen.windows(2) {
        assert_eq!(pair[1].0, pair[0].0 + 1, "{seen:?}");
        assert!(pair[1].1 <= pair[0].1, "{seen:?}");
    }
    let summary = t.say(BRUNO, "Trocar o roteador.").await;
    let text = summary.text().unwrap();
    assert!(text.contains("Cliente: Maria da Conceição Souza (cód. 1001)"), "{text}");
    // Values, not the buttons' words.
    assert!(text.contains("Ponto de Roteamento: Torre Norte") && !text.contains("Manter"), "{text}");
    assert!(text.contains("Situação: Aberto, com O.S. pedida") && !text.contains("Pedir O.S.: "), "{text}");
    assert!(text.contains(&format!("Data da O.S.: {visit}")) && text.contains("Janela: 13:00 às 18:00"), "{text}");
    assert!(text.contains("Técnico: Téo Técnico") && !text.contains("Solução"), "{text}");
    press(&t, &summary, "Confirmar").await;
    // Adicionar Plano names her too.
    let card = t.say(BRUNO, "(12) 98765-4321").await;
    let plans = press(&t, &card, "Planos").await;
    let first = press(&t, &plans, "Adicionar Plano").await;
    assert!(first.text().unwrap().contains("Cliente: Maria da Conceição Souza (cód. 1001)"), "{first:?}");
    assert_eq!(step_of(&first), Some((1, 5)), "{first:?}");
    t.finish().await;
}

async fn adicionar_plano_offers_who_sells_asks_the_ponto_and_confirms_a_second_same_plan(store: Store) {
    use balcao_domain::subscription::{BillingMethod, DueDay, NewSubscription, Salesperson};
    let Some(t) = TestApp::start(store).await else { return };
    let plan = give_maria_a_plan(&t, "POP Centro").await;
    // A shop sold João's plan (Litoral Net); a Serra Fibra seller sold José's.
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let sold = |code: &str, by: &str| NewSubscription {
        client_code: code.into(),
        plan_name: plan.clone(),
        price: None,
        billing_method: BillingMethod::ALL[1],
        due_day: DueDay::parse("5").unwrap(),
        salesperson: Some(Salesperson::Name(by.into())),
        routing_point: None,
    };
    db.import_subscriptions(&[(1, sold("1002", "Loja Centro")), (2, sold("2001", "Vendas Serra"))]).await.unwrap();
    db.close().await;
    t.linked_bruno().await;
    let card = t.say(BRUNO, "(12) 98765-4321").await;
    let plans = press(&t, &card, "Planos").await;
    let pick = press(&t, &plans, "Adicionar Plano").await;
    let billing = press(&t, &pick, &plan).await;
    let due = press(&t, &billing, "Boleto").await;
    let seller = press(&t, &due, "Dia 20").await;
    // The people of the reseller and who else sold there; never another reseller's.
    assert!(has_button(&seller, "Bruno Atendente").is_some() && has_button(&seller, "Loja Centro").is_some());
    assert!(has_button(&seller, "Vendas Serra").is_none(), "{seller:?}");
    // Or typed: a new sales channel.
    let point = t.say(BRUNO, "Feira de Santos").await;
    assert!(point.text().unwrap().contains("Ponto de Roteamento"), "{point:?}");
    let summary = press(&t, &point, "POP Centro").await;
    let text = summary.text().unwrap();
    assert!(text.contains("Vendedor: Feira de Santos") && text.contains("Ponto de Roteamento: POP Centro"), "{text}");
    // She has this plan active: said, and confirmed on purpose.
    assert!(text.contains(&format!("já tem o plano {plan} ativo")), "{text}");
    let done = press(&t, &summary, "Confirmar mesmo assim").await;
    let text = done.text().unwrap();
    assert!(text.starts_with("✅ Plano adicionado.") && text.contains("Planos"), "{text}");
    assert!(text.contains("Vendedor: Feira de Santos") && text.contains("vencimento dia 20"), "{text}");
    t.finish().await;
}

/// The next message `user` gets that starts with `prefix`, after call number `since`.
async fn notice_to(t: &TestApp, since: usize, user: i64, prefix: &str) -> Call {
    t.tg.wait_for(since, WAIT, |c| {
        c.is("sendMessage") && c.chat_id() == Some(user) && c.text().unwrap_or("").starts_with(prefix)
    })
    .await
}

async fn the_technician_sees_whom_and_why_and_the_owner_hears_back(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    // Minhas O.S.: who, the contact to call, and the problem, before opening anything.
    let menu = t.say(TEO, "/menu").await;
    let list = press_as(&t, TEO, &menu, "Minhas O.S.").await;
    let text = list.text().unwrap();
    assert!(text.contains("Maria da Conceição Souza") && text.contains("Contato: Maria - +5512987654321"), "{text}");
    assert!(text.contains("Problema: Internet caiu desde ontem à noite."), "{text}");
    let wo = press_as(&t, TEO, &list, "O.S.").await;
    let text = wo.text().unwrap();
    for line in [
        "Cliente: Maria da Conceição Souza",
        "Contato: Maria",
        "Telefone: +5512987654321",
        "Problema: Internet caiu desde ontem à noite.",
        "O que fazer: Trocar o conector da ONU",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    // The ticket from the O.S., and Voltar back to the O.S.
    let ticket = press_as(&t, TEO, &wo, "Ver atendimento").await;
    assert!(ticket.text().unwrap().starts_with("Atendimento "), "{ticket:?}");
    let back = press_as(&t, TEO, &ticket, "Voltar").await;
    assert!(back.text().unwrap().starts_with("O.S. "), "{back:?}");
    // Téo gives it back: the ticket's role (Bruno and Carla, at Litoral Net) hears why.
    press_as(&t, TEO, &back, "Devolver").await;
    let since = t.tg.call_count();
    t.say(TEO, "Cliente não estava em casa.").await;
    for who in [BRUNO, CARLA] {
        let heard = notice_to(&t, since, who, "🔔").await;
        let text = heard.text().unwrap();
        assert!(text.starts_with("🔔 Téo Técnico devolveu a O.S. do atendimento"), "{text}");
        assert!(text.contains("Cliente não estava em casa.") && has_button(&heard, "Ver atendimento").is_some());
    }
    // Carla gives it to Téo again from the notice; he goes and finishes it: both hear.
    let heard = notice_to(&t, since, CARLA, "🔔").await;
    let since = t.tg.call_count();
    t.tg.tap(CARLA, heard.result_message_id().unwrap(), &has_button(&heard, "Ver atendimento").unwrap());
    let ticket = notice_to(&t, since, CARLA, "Atendimento ").await;
    let pick = press_as(&t, CARLA, &ticket, "Definir técnico").await;
    press_as(&t, CARLA, &pick, "Téo Técnico").await;
    let menu = t.say(TEO, "/menu").await;
    let list = press_as(&t, TEO, &menu, "Minhas O.S.").await;
    let wo = press_as(&t, TEO, &list, "O.S.").await;
    let started = press_as(&t, TEO, &wo, "Iniciar").await;
    press_as(&t, TEO, &started, "Concluir").await;
    let since = t.tg.call_count();
    t.say(TEO, "Voltei e troquei o conector.").await;
    for who in [BRUNO, CARLA] {
        let heard = notice_to(&t, since, who, "🔔").await;
        let text = heard.text().unwrap();
        assert!(text.starts_with("🔔 Téo Técnico concluiu a O.S. do atendimento"), "{text}");
        assert!(text.contains("Voltei e troquei o conector."), "{text}");
    }
    // Bruno resolves it: Carla hears, Bruno does not hear of his own doing.
    let menu = t.say(BRUNO, "/menu").await;
    let tickets = press(&t, &menu, "Meus atendimentos").await;
    let ticket = press(&t, &tickets, "Maria").await;
    press(&t, &ticket, "Atendimento Resolvido").await;
    let since = t.tg.call_count();
    let resolved = t.say(BRUNO, "Reconfigurado por acesso remoto.").await;
    let heard = notice_to(&t, since, CARLA, "🔔").await;
    assert!(heard.text().unwrap().starts_with("🔔 Bruno Atendente resolveu o atendimento"), "{heard:?}");
    // Carla reopens it: Bruno hears; the reopened ticket can ask for a new O.S.
    // "Ver atendimento" on the notice opens the ticket below it.
    let since = t.tg.call_count();
    t.tg.tap(CARLA, heard.result_message_id().unwrap(), &has_button(&heard, "Ver atendimento").unwrap());
    let opened = notice_to(&t, since, CARLA, "Atendimento ").await;
    let _ = resolved;
    let ask = press_as(&t, CARLA, &opened, "Reabrir").await;
    let since = t.tg.call_count();
    let reopened = t.say(CARLA, "Caiu de novo.").await;
    let heard = notice_to(&t, since, BRUNO, "🔔").await;
    assert!(heard.text().unwrap().starts_with("🔔 Carla Plantão reabriu o atendimento"), "{heard:?}");
    let _ = ask;
    let date = press_as(&t, CARLA, &reopened, "Pedir O.S.").await;
    assert!(date.text().unwrap().starts_with("Pedir O.S. - passo 1 de 4"), "{date:?}");
    assert!(date.text().unwrap().contains("Maria da Conceição Souza - atendimento "), "{date:?}");
    let visit = (chrono::Local::now().date_naive() + chrono::Duration::days(2)).format("%d/%m/%Y").to_string();
    let window = t.say(CARLA, &visit).await;
    let tech = press_as(&t, CARLA, &window, "08:00 às 12:00").await;
    let task = press_as(&t, CARLA, &tech, "Téo Técnico").await;
    let summary = t.say(CARLA, "Trocar a ONU.").await;
    let since = t.tg.call_count();
    let done = press_as(&t, CARLA, &summary, "Confirmar").await;
    let text = done.text().unwrap();
    assert!(text.starts_with("✅ O.S. pedida.") && text.contains("Trocar a ONU."), "{text}");
    assert!(has_button(&done, "Pedir O.S.").is_none(), "one O.S. going at a time: {done:?}");
    let _ = task;
    // Téo hears of the new visit.
    let told = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(TEO)).await;
    assert!(told.text().unwrap().contains("Trocar a ONU."), "{told:?}");
    t.finish().await;
}

/// Opens a ticket for Maria as the system, assigned to `assignee` (by role name or staff Telegram id).
async fn open_ticket_for_maria(t: &TestApp, role: Option<&str>, user_telegram: Option<i64>) -> balcao_domain::TicketId {
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let assignee = match (role, user_telegram) {
        (Some(name), _) => Assignee::Role(db.roles().await.unwrap().into_iter().find(|r| r.name == name).unwrap().id),
        (None, Some(tg)) => Assignee::User(db.staff_by_telegram(tg).await.unwrap().unwrap().id),
        _ => unreachable!(),
    };
    let types = db.ticket_types().await.unwrap();
    let channels = db.channels().await.unwrap();
    let ticket = db
        .open_ticket(
            &Actor::admin(),
            &NewTicket {
                client_id: t.maria,
                subscription_id: None,
                routing_point_id: None,
                contact_name: "Maria".into(),
                problem: "Lentidão à noite.".into(),
                channel_id: channels[0].id,
                ticket_type_id: types[1].id,
                assignee,
                checks: String::new(),
                resolution: None,
                work_order: None,
            },
            chrono::Utc::now().date_naive(),
        )
        .await
        .unwrap();
    db.close().await;
    ticket.id
}

fn notices_to(t: &TestApp, since: usize) -> Vec<i64> {
    let mut chats: Vec<i64> = t.tg.calls()[since..]
        .iter()
        .filter(|c| c.is("sendMessage") && !c.failed && c.text().unwrap_or("").starts_with("📥"))
        .filter_map(|c| c.chat_id())
        .collect();
    chats.sort_unstable();
    chats
}

async fn a_role_s_ticket_reaches_every_member_of_the_reseller_once(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let since = t.tg.call_count();
    let ticket = open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    let first = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.text().unwrap_or("").starts_with("📥")).await;
    assert!(first.text().unwrap().contains("para o cargo Suporte N1"), "{first:?}");
    assert_eq!(
        first.buttons(),
        [
            ("Ver atendimento".to_owned(), Callback::Ticket(ticket).encode()),
            ("🙋 Assumir".to_owned(), Callback::Take(ticket).encode())
        ]
    );
    for chat in [BRUNO, CARLA] {
        t.tg.wait_for(since, WAIT, |c| {
            c.is("sendMessage") && c.chat_id() == Some(chat) && c.text().unwrap_or("").starts_with("📥")
        })
        .await;
    }
    // Bruno and Carla, of Litoral Net; not Sérgio (Serra Fibra) nor Téo (another role).
    let mut want = vec![BRUNO, CARLA];
    want.sort_unstable();
    assert_eq!(notices_to(&t, since), want);
    // A ticket for one user reaches that user alone, without Assumir.
    let since = t.tg.call_count();
    open_ticket_for_maria(&t, None, Some(TEO)).await;
    let notice = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(TEO)).await;
    assert!(notice.text().unwrap().contains("para você") && has_button(&notice, "Assumir").is_none(), "{notice:?}");
    t.say(BRUNO, "/ajuda").await;
    assert_eq!(notices_to(&t, since), [TEO]);
    t.finish().await;
}

async fn telegram_429_is_waited_out_and_403_marks_the_member_unreachable(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    // The first notice meets a 429 (retry after 1 s), the second a 403 (blocked).
    t.tg.fail_next("sendMessage", 1, 429, Some(1));
    let since = t.tg.call_count();
    open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    let refused = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.failed).await;
    t.tg.fail_next("sendMessage", 1, 403, None);
    let blocked =
        t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.failed && c.chat_id() != refused.chat_id()).await;
    // The one asked to wait gets it after retry_after; the one who blocked the bot does not.
    let delivered =
        t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && !c.failed && c.chat_id() == refused.chat_id()).await;
    assert!(delivered.at.duration_since(refused.at) >= Duration::from_millis(900), "retry_after honoured");
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let dead = db.notifications(true, 10).await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(dead[0].last_error.contains("bloqueou o bot"), "{dead:?}");
    // Nothing more is queued for the unreachable member.
    let since = t.tg.call_count();
    open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    let next = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.text().unwrap_or("").starts_with("📥")).await;
    assert_eq!(next.chat_id(), refused.chat_id());
    t.say(BRUNO, "/ajuda").await;
    let blocked_chat = blocked.chat_id().unwrap();
    assert!(!notices_to(&t, since).contains(&blocked_chat));
    // Writing to the bot again makes them reachable: the next ticket reaches them.
    t.say(blocked_chat, "/menu").await;
    let since = t.tg.call_count();
    open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    t.tg.wait_for(since, WAIT, |c| {
        c.is("sendMessage")
            && !c.failed
            && c.chat_id() == Some(blocked_chat)
            && c.text().unwrap_or("").starts_with("📥")
    })
    .await;
    db.close().await;
    t.finish().await;
}

async fn a_permanent_failure_goes_dead_and_retry_delivers_it_once(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.tg.fail_next_with("sendMessage", 1, 400, "Bad Request: chat not found", None);
    let since = t.tg.call_count();
    open_ticket_for_maria(&t, None, Some(TEO)).await;
    t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.failed).await;
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let dead = loop {
        let dead = db.notifications(true, 10).await.unwrap();
        if !dead.is_empty() {
            break dead;
        }
        tokio::task::yield_now().await;
    };
    assert!(dead[0].last_error.starts_with("Telegram recusou"), "{dead:?}");
    let before = metrics_text(&t).await;
    assert!(before.contains("balcao_outbox_dead{channel=\"telegram\"} 1\n"), "{before}");
    assert_eq!(db.retry_dead(None, chrono::Utc::now()).await.unwrap(), 1);
    let sent = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && !c.failed && c.chat_id() == Some(TEO)).await;
    assert!(sent.text().unwrap().starts_with("📥"), "{sent:?}");
    assert!(db.notifications(true, 10).await.unwrap().is_empty());
    let metrics = metrics_text(&t).await;
    assert!(metrics.contains("balcao_outbox_dead{channel=\"telegram\"} 0\n"), "{metrics}");
    assert!(metrics.contains("# TYPE balcao_outbox_depth gauge"), "{metrics}");
    db.close().await;
    t.finish().await;
}

async fn metrics_text(t: &TestApp) -> String {
    let addr = t.http.clone();
    let (status, body) = tokio::task::spawn_blocking(move || support::http::get(&addr, "/metrics")).await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits until Bruno and Carla (Suporte N1) were both sent the notice of the
/// "Lentidão" ticket after call number `since`.
async fn bruno_and_carla_hear_of_lentidao(t: &TestApp, since: usize) {
    for chat in [BRUNO, CARLA] {
        t.tg.wait_for(since, WAIT, |c| {
            c.is("sendMessage") && !c.failed && c.chat_id() == Some(chat) && c.text().unwrap_or("").contains("Lentidão")
        })
        .await;
    }
}

async fn a_dispatcher_that_dies_mid_dispatch_loses_nothing_and_sends_nothing_twice(store: Store) {
    let Some(mut t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    // Delivered before the crash: must not be sent again.
    let since = t.tg.call_count();
    open_ticket_for_maria(&t, None, Some(TEO)).await;
    t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(TEO) && !c.failed).await;
    t.shutdown().await;
    // A dispatcher claims the next notices and dies before sending or recording.
    let ticket = open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let claimed = db.claim_due(chrono::Utc::now(), 1, 10, false).await.unwrap();
    assert_eq!(claimed.len(), 2, "{claimed:?}");
    db.close().await;
    let since = t.tg.call_count();
    t.restart().await;
    bruno_and_carla_hear_of_lentidao(&t, since).await;
    t.say(BRUNO, "/ajuda").await;
    let lentidao: Vec<i64> = t.tg.calls()[since..]
        .iter()
        .filter(|c| c.is("sendMessage") && !c.failed && c.text().unwrap_or("").contains("Lentidão à noite"))
        .filter_map(|c| c.chat_id())
        .collect();
    let mut sorted = lentidao.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [BRUNO, CARLA], "each once, and Téo's earlier notice not again: {lentidao:?}");
    let _ = ticket;
    t.finish().await;
}

async fn assumir_race_has_one_winner_and_both_messages_say_who(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let since = t.tg.call_count();
    let ticket = open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    // This ticket's notice (the seeded one may reach Carla too).
    let notice = |chat: i64| {
        t.tg.wait_for(since, WAIT, move |c| {
            c.is("sendMessage")
                && !c.failed
                && c.chat_id() == Some(chat)
                && c.text().unwrap_or("").contains("Lentidão à noite")
        })
    };
    let (bruno_notice, carla_notice) = (notice(BRUNO).await, notice(CARLA).await);
    let data = Callback::Take(ticket).encode();
    let race = t.tg.call_count();
    t.tg.tap(BRUNO, bruno_notice.result_message_id().unwrap(), &data);
    t.tg.tap(CARLA, carla_notice.result_message_id().unwrap(), &data);
    // Both taps are answered: one winner, one told who won.
    let winner_answer =
        t.tg.wait_for(race, WAIT, |c| c.is("answerCallbackQuery") && c.params["text"] == "Você assumiu o atendimento.")
            .await;
    let loser_answer =
        t.tg.wait_for(race, WAIT, |c| {
            c.is("answerCallbackQuery") && c.params["text"].as_str().is_some_and(|x| x.contains("já assumiu"))
        })
        .await;
    assert_ne!(winner_answer.params["callback_query_id"], loser_answer.params["callback_query_id"]);
    assert_eq!(winner_answer.params["show_alert"], false, "news of what was done fades by itself");
    assert_eq!(loser_answer.params["show_alert"], true, "a refusal must be read");
    let text = loser_answer.params["text"].as_str().unwrap().to_owned();
    let (winner, loser, loser_notice) = if text.starts_with("Bruno") {
        ("Bruno Atendente", CARLA, &carla_notice)
    } else {
        assert!(text.starts_with("Carla Plantão"), "{text}");
        ("Carla Plantão", BRUNO, &bruno_notice)
    };
    // The loser's notice is edited to say who took it, with no Assumir left.
    let edited =
        t.tg.wait_for(race, WAIT, |c| {
            c.is("editMessageText")
                && c.chat_id() == Some(loser)
                && c.message_id() == loser_notice.result_message_id()
                && c.text().unwrap_or("").contains("Assumido por")
        })
        .await;
    assert!(edited.text().unwrap().contains(&format!("✅ Assumido por {winner}")), "{edited:?}");
    assert!(has_button(&edited, "Assumir").is_none(), "{edited:?}");
    t.finish().await;
}

async fn viewing_a_ticket_from_its_notice_keeps_the_notice_for_later_news(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    let since = t.tg.call_count();
    let ticket = open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    let notice =
        t.tg.wait_for(since, WAIT, |c| {
            c.is("sendMessage") && !c.failed && c.chat_id() == Some(BRUNO) && c.text().unwrap_or("").starts_with("📥")
        })
        .await;
    // Bruno looks at the ticket: it opens in a new message; the notice stays as it was.
    let looked = t.tg.call_count();
    t.tg.tap(BRUNO, notice.result_message_id().unwrap(), &Callback::Ticket(ticket).encode());
    let screen = t.tg.wait_for(looked, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(BRUNO)).await;
    assert!(screen.text().unwrap().contains("Lentidão à noite"), "{screen:?}");
    assert_eq!(t.edits_since(looked), 0, "the notice is not turned into the screen");
    // The screen works as any other: its buttons edit it in place.
    let back = t.tap_edit(BRUNO, &screen, "menu").await;
    assert_eq!(back.message_id(), screen.result_message_id());
    // Carla takes the ticket: the news lands on Bruno's notice, not on his screen.
    let carla_notice =
        t.tg.wait_for(since, WAIT, |c| {
            c.is("sendMessage")
                && !c.failed
                && c.chat_id() == Some(CARLA)
                && c.text().unwrap_or("").contains("Lentidão")
        })
        .await;
    let taken = t.tg.call_count();
    t.tg.tap(CARLA, carla_notice.result_message_id().unwrap(), &Callback::Take(ticket).encode());
    let news = t.tg.wait_for(taken, WAIT, |c| c.is("editMessageText") && c.chat_id() == Some(BRUNO)).await;
    assert_eq!(news.message_id(), notice.result_message_id());
    assert!(news.text().unwrap().contains("✅ Assumido por Carla Plantão"), "{news:?}");
    t.finish().await;
}

async fn a_technician_hears_of_the_o_s_scheduled_for_them_and_opens_it(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let notice =
        t.tg.calls()
            .into_iter()
            .find(|c| c.is("sendMessage") && c.chat_id() == Some(TEO) && !c.failed)
            .expect("Téo was told at start-up");
    let text = notice.text().unwrap();
    let tomorrow = balcao_domain::finance::format_date(chrono::Utc::now().date_naive() + chrono::Duration::days(1));
    assert!(text.starts_with("🛠 Nova O.S. para você"), "{text}");
    assert!(text.contains(&format!("Quando: {tomorrow}, das 08:00 às 12:00")), "{text}");
    assert!(text.contains("Cliente: Maria da Conceição Souza") && text.contains("Tarefa: Trocar o conector da ONU"));
    assert!(!text.contains("98765") && !text.contains("529.982"), "no phone, no document: {text}");
    let open = has_button(&notice, "Ver O.S.").expect("a button to the O.S.");
    let screen = t.tap_edit(TEO, &notice, &open).await;
    assert!(screen.text().unwrap().contains("Trocar o conector da ONU"), "{screen:?}");
    assert!(has_button(&screen, "Iniciar").is_some(), "{screen:?}");
    t.finish().await;
}

async fn a_technician_gives_an_o_s_back_with_a_reason(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let menu = t.say(TEO, "/menu").await;
    let list = press_as(&t, TEO, &menu, "Minhas O.S.").await;
    let wo = press_as(&t, TEO, &list, "O.S.").await;
    press_as(&t, TEO, &wo, "Devolver").await;
    let since = t.tg.call_count();
    t.tg.send_text(TEO, "Téo", "Cliente viajou; remarcar.");
    let back = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(TEO)).await;
    let text = back.text().unwrap();
    assert!(text.starts_with("O.S. devolvida.") && text.contains("Nenhuma O.S. para você"), "{text}");

    // At the desk, Bruno gives it to a technician again from the ticket's screen.
    t.linked_bruno().await;
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let ticket = db.client_tickets(&Actor::admin(), t.maria).await.unwrap()[0].id;
    let detail = db.ticket(&Actor::admin(), ticket).await.unwrap();
    let wo = detail.work_orders[0].id;
    assert_eq!(detail.work_orders[0].technician, None, "given back");
    let sergio = db.staff_by_telegram(SERGIO).await.unwrap().unwrap().id;
    db.close().await;
    let menu = t.say(BRUNO, "/menu").await;
    let screen = t.tap_edit(BRUNO, &menu, &Callback::Ticket(ticket).encode()).await;
    let pick = press_as(&t, BRUNO, &screen, "Definir técnico").await;
    assert!(pick.text().unwrap().contains("Para qual técnico?"), "{pick:?}");
    assert_eq!(pick.buttons().len(), 2, "Téo, and Voltar: {pick:?}");
    // A forged choice (Sérgio is of another reseller, and no technician) changes nothing.
    let forged = t.tap(BRUNO, &pick, &Callback::AssignTechnician(wo, sergio).encode()).await;
    assert!(forged.params["show_alert"] == true, "{forged:?}");
    let since = t.tg.call_count();
    let done = press_as(&t, BRUNO, &pick, "Téo Técnico").await;
    assert!(done.text().unwrap().contains(&format!("O.S. {}", wo.0)), "{done:?}");
    assert!(has_button(&done, "Trocar técnico").is_some(), "{done:?}");
    let notice =
        t.tg.wait_for(since, WAIT, |c| {
            c.is("sendMessage") && c.chat_id() == Some(TEO) && c.text().unwrap_or("").starts_with("🛠 Nova O.S.")
        })
        .await;
    assert!(has_button(&notice, "Ver O.S.").is_some(), "{notice:?}");
    t.finish().await;
}

async fn a_screen_that_can_no_longer_be_edited_comes_as_a_new_message(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let welcome = t.linked_bruno().await;
    t.tg.fail_next_with("editMessageText", 1, 400, "Bad Request: message to edit not found", None);
    let since = t.tg.call_count();
    t.tg.tap(BRUNO, welcome.result_message_id().unwrap(), &has_button(&welcome, "Buscar").unwrap());
    let sent = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(BRUNO)).await;
    assert_eq!(sent.text().unwrap(), "Buscar cliente por:");
    // It is the screen now: its buttons work.
    let ask = t.tap_edit(BRUNO, &sent, &has_button(&sent, "Cidade").unwrap()).await;
    assert!(ask.text().unwrap().contains("Digite a cidade"), "{ask:?}");
    t.finish().await;
}

/// Sends Suporte N1's tickets to [`GROUP`]: Litoral Net's only, or every reseller's.
async fn group_for_suporte_n1(t: &TestApp, only_litoral: bool) {
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let role = db.roles().await.unwrap().into_iter().find(|r| r.name == "Suporte N1").unwrap().id;
    let litoral = db.reseller_by_name("Litoral Net").await.unwrap().unwrap().id;
    db.set_role_group(role, only_litoral.then_some(litoral), GROUP).await.unwrap();
    db.close().await;
}

async fn a_role_s_group_hears_of_its_tickets_and_assumir_there_takes_it(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    // Added to the group, the bot tells staff the group's id when asked.
    let since = t.tg.call_count();
    t.tg.send_text_in(GROUP, BRUNO, "Bruno", "/grupo");
    let hint = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(GROUP)).await;
    assert!(hint.text().unwrap().contains("O id deste grupo é -100500"), "{hint:?}");
    group_for_suporte_n1(&t, true).await;

    let since = t.tg.call_count();
    let ticket = open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    let notice = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(GROUP) && !c.failed).await;
    assert!(notice.text().unwrap().starts_with("📥 Novo atendimento para o cargo Suporte N1"), "{notice:?}");
    assert_eq!(
        notice.buttons(),
        [
            ("Ver atendimento".to_owned(), Callback::Ticket(ticket).encode()),
            ("🙋 Assumir".to_owned(), Callback::Take(ticket).encode())
        ]
    );
    let in_group = notice.result_message_id().unwrap();

    // Sérgio, of another reseller, is in the group too: its buttons neither take nor show him the ticket.
    for data in [Callback::Take(ticket).encode(), Callback::Ticket(ticket).encode()] {
        let tapped = t.tg.call_count();
        t.tg.tap_in(GROUP, SERGIO, in_group, &data);
        let refused = t.tg.wait_for(tapped, WAIT, |c| c.is("answerCallbackQuery")).await;
        assert!(refused.text().unwrap().contains("Você não tem acesso a este atendimento"), "{refused:?}");
    }
    // Nor do a stranger's.
    let tapped = t.tg.call_count();
    t.tg.tap_in(GROUP, STRANGER, in_group, &Callback::Take(ticket).encode());
    let refused = t.tg.wait_for(tapped, WAIT, |c| c.is("answerCallbackQuery")).await;
    assert!(refused.text().unwrap().contains("só para a equipe"), "{refused:?}");

    // Carla takes it from the group: the ticket comes to her privately and the group's message says so.
    let tapped = t.tg.call_count();
    t.tg.tap_in(GROUP, CARLA, in_group, &Callback::Take(ticket).encode());
    let answer = t.tg.wait_for(tapped, WAIT, |c| c.is("answerCallbackQuery")).await;
    assert!(answer.text().unwrap().starts_with("Você assumiu o atendimento"), "{answer:?}");
    let screen = t.tg.wait_for(tapped, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(CARLA)).await;
    assert!(screen.text().unwrap().contains("Maria da Conceição Souza"), "{screen:?}");
    let edited = t.tg.wait_for(tapped, WAIT, |c| c.is("editMessageText") && c.chat_id() == Some(GROUP)).await;
    assert_eq!(edited.message_id(), Some(in_group));
    assert!(edited.text().unwrap().contains("✅ Assumido por Carla Plantão"), "{edited:?}");
    assert!(has_button(&edited, "Assumir").is_none(), "{edited:?}");
    t.say(BRUNO, "/ajuda").await;
    assert!(t.tg.calls().iter().all(|c| c.chat_id() != Some(SERGIO) || !c.is("sendMessage") || c.at < notice.at));
    // The members were not told privately: the group was.
    assert_eq!(notices_to(&t, since), [GROUP]);
    t.finish().await;
}

async fn a_burst_to_a_group_while_telegram_holds_it_back_becomes_one_digest(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    group_for_suporte_n1(&t, false).await;
    // Telegram refuses the group's first notice for 3 s; three more tickets come meanwhile.
    t.tg.fail_next("sendMessage", 1, 429, Some(3));
    let since = t.tg.call_count();
    let mut tickets = vec![open_ticket_for_maria(&t, Some("Suporte N1"), None).await];
    let refused = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.failed).await;
    for _ in 0..3 {
        tickets.push(open_ticket_for_maria(&t, Some("Suporte N1"), None).await);
    }
    let digest = t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && !c.failed && c.chat_id() == Some(GROUP)).await;
    assert!(digest.at.duration_since(refused.at) >= Duration::from_millis(2_900), "retry_after honoured");
    let text = digest.text().unwrap();
    assert!(text.starts_with("📥 4 novos atendimentos para o cargo Suporte N1"), "{text}");
    let takes: Vec<String> = digest.buttons().into_iter().map(|(_, data)| data).collect();
    assert_eq!(takes, tickets.iter().map(|id| Callback::Take(*id).encode()).collect::<Vec<_>>());

    // Bruno takes the second: the digest is edited whole, its other tickets still up for grabs.
    let tapped = t.tg.call_count();
    t.tg.tap_in(GROUP, BRUNO, digest.result_message_id().unwrap(), &Callback::Take(tickets[1]).encode());
    let edited = t.tg.wait_for(tapped, WAIT, |c| c.is("editMessageText") && c.chat_id() == Some(GROUP)).await;
    assert!(edited.text().unwrap().contains("✅ Assumido por Bruno Atendente"), "{edited:?}");
    assert_eq!(edited.buttons().len(), 3, "{edited:?}");
    t.say(BRUNO, "/ajuda").await;
    let to_group =
        t.tg.calls()[since..].iter().filter(|c| c.is("sendMessage") && !c.failed && c.chat_id() == Some(GROUP)).count();
    assert_eq!(to_group, 1, "one message for the burst");
    t.finish().await;
}

support::on_both_stores!(
    the_technician_sees_whom_and_why_and_the_owner_hears_back,
    a_ticket_for_a_client_found_by_phone_takes_nine_actions_or_fewer,
    every_wizard_step_names_the_client_and_the_summary_shows_values,
    adicionar_plano_offers_who_sells_asks_the_ponto_and_confirms_a_second_same_plan,
    a_ticket_shows_the_plan_and_the_routing_point_it_was_opened_with,
    a_phone_a_cpf_or_a_protocol_typed_anywhere_finds_the_client_or_the_ticket,
    a_reply_cut_off_by_the_network_is_sent_again_until_it_arrives,
    an_instance_killed_mid_dispatch_sends_its_notices_at_once_when_it_starts_again,
    a_card_longer_than_telegram_allows_is_cut_to_fit_and_still_shown,
    a_flood_of_wrong_invite_codes_is_held_back_and_learns_nothing,
    a_panic_in_one_update_is_answered_and_the_desk_goes_on,
    a_panicking_webhook_update_is_set_aside_and_the_worker_goes_on,
    amounts_too_large_to_add_up_get_a_clear_answer_not_a_crash,
    a_wizard_left_half_way_waits_on_the_menu_to_be_continued,
    long_lists_of_people_are_paged_in_wizards_and_in_encaminhar,
    viewing_a_ticket_from_its_notice_keeps_the_notice_for_later_news,
    a_technician_hears_of_the_o_s_scheduled_for_them_and_opens_it,
    a_role_s_group_hears_of_its_tickets_and_assumir_there_takes_it,
    a_burst_to_a_group_while_telegram_holds_it_back_becomes_one_digest,
    a_stranger_is_refused_and_learns_nothing,
    an_invite_code_links_once_and_registers_commands,
    staff_search_by_city_and_read_the_whole_client_card,
    typing_a_name_searches_by_name,
    a_forged_button_for_another_resellers_client_shows_nothing,
    a_stale_button_gets_a_clear_answer_and_changes_nothing,
    a_bad_date_is_explained_and_asked_again,
    a_restart_continues_where_the_user_was,
    telegram_asking_to_slow_down_delays_but_loses_nothing,
    novo_cliente_checks_each_answer_and_lands_on_the_new_card,
    novo_cliente_offers_the_client_already_registered_with_the_document,
    adicionar_plano_adds_the_chosen_plan,
    novo_atendimento_with_o_s_reaches_the_role_and_forged_choices_are_refused,
    manutencao_do_atendimento_records_every_change_with_who_and_when,
    a_technician_starts_and_finishes_their_o_s,
    webhook_mode_stores_each_update_once_and_refuses_wrong_secrets,
    disabled_staff_lose_access_at_once,
    long_lists_are_paged_with_arrows_and_keep_the_period,
    financeiro_explains_a_paid_bill_and_voltar_returns_to_the_same_page,
    a_role_s_ticket_reaches_every_member_of_the_reseller_once,
    telegram_429_is_waited_out_and_403_marks_the_member_unreachable,
    a_permanent_failure_goes_dead_and_retry_delivers_it_once,
    assumir_race_has_one_winner_and_both_messages_say_who,
    a_dispatcher_that_dies_mid_dispatch_loses_nothing_and_sends_nothing_twice,
    a_technician_gives_an_o_s_back_with_a_reason,
    a_screen_that_can_no_longer_be_edited_comes_as_a_new_message,
);

/// A tap as Telegram posts it to a webhook: `user` taps `data` on the bot's message `message_id`.
fn callback_update(update_id: i64, user: i64, message_id: i64, data: &str) -> String {
    let date = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let chat = serde_json::json!({ "id": user, "type": "private", "first_name": "Fulano" });
    serde_json::json!({
        "update_id": update_id,
        "callback_query": {
            "id": format!("cq-w{update_id}"),
            "from": { "id": user, "is_bot": false, "first_name": "Fulano" },
            "message": { "message_id": message_id, "date": date, "chat": chat, "text": "...",
                         "from": { "id": 1, "is_bot": true, "first_name": "Balcão", "username": "balcao_bot" } },
            "chat_instance": format!("ci-{user}"),
            "data": data,
        }
    })
    .to_string()
}

async fn health(t: &TestApp) -> (u16, String) {
    let addr = t.http.clone();
    tokio::task::spawn_blocking(move || support::http::get(&addr, "/healthz")).await.unwrap()
}

/// Bruno linked, on Maria's card: returns the card.
async fn brunos_card_of_maria(t: &TestApp) -> Call {
    t.linked_bruno().await;
    let results = t.say(BRUNO, "maria").await;
    t.tap_edit(BRUNO, &results, &has_button(&results, "Maria").unwrap()).await
}

async fn a_panic_in_one_update_is_answered_and_the_desk_goes_on(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    let card = brunos_card_of_maria(&t).await;
    let finance = has_button(&card, "Financeiro").unwrap();
    t.poison.store(true, Ordering::SeqCst);
    let answer = t.tap(BRUNO, &card, &finance).await;
    assert_eq!(answer.params["text"], "Não consegui fazer isso agora. Tente de novo em instantes.", "{answer:?}");
    assert_eq!(answer.params["show_alert"], true);
    t.poison.store(false, Ordering::SeqCst);
    // Everyone else, and Bruno himself, are still answered.
    let results = t.say(CARLA, "joao").await;
    assert!(results.text().unwrap().starts_with("Nome \"joao\""), "{results:?}");
    let open = t.tap_edit(BRUNO, &card, &finance).await;
    assert!(open.text().unwrap().contains("Financeiro"), "{open:?}");
    let (status, body) = health(&t).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""bot":"ok""#) && body.contains(r#""dispatcher":"ok""#), "{body}");
    assert!(metrics_text(&t).await.contains("balcao_bot_updates_failed_total 1\n"));
    t.finish().await;
}

async fn a_panicking_webhook_update_is_set_aside_and_the_worker_goes_on(store: Store) {
    let Some(t) = TestApp::start_in(store, true).await else { return };
    let since = t.tg.call_count();
    post_update(&t, WEBHOOK_SECRET, message_update(1001, BRUNO, &format!("/start {}", t.invite))).await;
    post_update(&t, WEBHOOK_SECRET, message_update(1002, BRUNO, "maria")).await;
    let results = t
        .tg
        .wait_for(since, WAIT, |c| c.is("sendMessage") && c.text().is_some_and(|x| x.starts_with("Nome \"maria\"")))
        .await;
    let message = results.result_message_id().unwrap();
    post_update(&t, WEBHOOK_SECRET, callback_update(1003, BRUNO, message, &has_button(&results, "Maria").unwrap()))
        .await;
    let card = t.tg.wait_for(since, WAIT, |c| c.is("editMessageText") && c.chat_id() == Some(BRUNO)).await;
    let finance = has_button(&card, "Financeiro").unwrap();
    t.poison.store(true, Ordering::SeqCst);
    let before = t.tg.call_count();
    post_update(&t, WEBHOOK_SECRET, callback_update(1004, BRUNO, message, &finance)).await;
    let answer = t.tg.wait_for(before, WAIT, |c| c.is("answerCallbackQuery")).await;
    assert_eq!(answer.params["text"], "Não consegui fazer isso agora. Tente de novo em instantes.", "{answer:?}");
    t.poison.store(false, Ordering::SeqCst);
    // The worker is alive: the next update of the same person is handled.
    let before = t.tg.call_count();
    post_update(&t, WEBHOOK_SECRET, message_update(1005, BRUNO, "/ajuda")).await;
    t.tg.wait_for(before, WAIT, |c| c.is("sendMessage") && c.text().is_some_and(|x| x.starts_with("Comandos:"))).await;
    // The failed one is set aside, listed, and counted; it is never handled again.
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    let failed = db.failed_updates(10).await.unwrap();
    assert_eq!(failed.iter().map(|f| f.update_id).collect::<Vec<_>>(), [1004], "{failed:?}");
    assert!(failed[0].reason.starts_with("pânico"), "{failed:?}");
    let metrics = metrics_text(&t).await;
    assert!(metrics.contains("balcao_telegram_updates_failed 1\n"), "{metrics}");
    assert!(metrics.contains("balcao_worker_running{worker=\"bot\"} 1\n"), "{metrics}");

    // An update that killed its workers again and again (claimed 5 times
    // already, its last claim run out) is not handled again: its sender hears
    // that it was not done, and it is set aside.
    let received = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    sqlx::query(
        "INSERT INTO telegram_updates (update_id, payload, received_at, sender_id, attempts, claimed_until) \
         VALUES ($1, $2, $3, $4, 5, '2000-01-01T00:00:00.000000Z')",
    )
    .bind(1006_i64)
    .bind(message_update(1006, BRUNO, "maria"))
    .bind(received)
    .bind(BRUNO)
    .execute(db.pool())
    .await
    .unwrap();
    let before = t.tg.call_count();
    post_update(&t, WEBHOOK_SECRET, message_update(1007, CARLA, "/ajuda")).await;
    let told = t.tg.wait_for(before, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(BRUNO)).await;
    assert!(told.text().unwrap().starts_with("Não consegui fazer isso agora"), "{told:?}");
    // It is recorded just after the person is told.
    let deadline = tokio::time::Instant::now() + WAIT;
    let failed = loop {
        let failed = db.failed_updates(10).await.unwrap();
        if failed.len() == 2 || tokio::time::Instant::now() > deadline {
            break failed;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(failed[0].update_id, 1006, "{failed:?}");
    assert_eq!((failed[0].attempts, failed[0].reason.as_str()), (6, "abandonado após 5 tentativas"));
    db.close().await;
    t.finish().await;
}

async fn amounts_too_large_to_add_up_get_a_clear_answer_not_a_crash(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    // What an import accepted before amounts were bounded: two debits whose sum does not fit.
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    for (due, id) in [("2026-05-10", 9001_i64), ("2026-06-10", 9002)] {
        sqlx::query(
            "INSERT INTO receivables (id, client_id, due_date, description, amount_cents, paid_cents, created_at) \
             VALUES ($1, $2, $3, 'Mensalidade', 9223372036854775807, 0, '2026-01-01T00:00:00Z')",
        )
        .bind(id)
        .bind(t.maria.0)
        .bind(due)
        .execute(db.pool())
        .await
        .unwrap();
    }
    // And one of Serra Fibra's debits, out of Bruno's reach.
    sqlx::query(
        "INSERT INTO receivables (id, client_id, due_date, description, amount_cents, paid_cents, created_at) \
         VALUES (9003, $1, '2026-06-10', 'Mensalidade', 9990, 0, '2026-01-01T00:00:00Z')",
    )
    .bind(t.jose.0)
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;
    let card = brunos_card_of_maria(&t).await;
    let answer = t.tap(BRUNO, &card, &has_button(&card, "Financeiro").unwrap()).await;
    let text = answer.params["text"].as_str().unwrap();
    assert!(text.contains("passam do limite de R$ 99.999.999,99"), "{answer:?}");
    let detail = t.tap(BRUNO, &card, "cr:9001").await;
    assert!(detail.params["text"].as_str().unwrap().contains("passam do limite"), "{detail:?}");
    // Another reseller's debit is "not found", like every out-of-scope id.
    let forged = t.tap(BRUNO, &card, "cr:9003").await;
    assert_eq!(forged.params["text"], "Não encontrado, ou fora do seu acesso.", "{forged:?}");
    let results = t.say(CARLA, "joao").await;
    assert!(results.text().unwrap().starts_with("Nome \"joao\""), "{results:?}");
    t.finish().await;
}

async fn a_card_longer_than_telegram_allows_is_cut_to_fit_and_still_shown(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    // 3,000 emoji: under 4,096 characters, but 6,000 of Telegram's UTF-16 units.
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap();
    sqlx::query("UPDATE clients SET notes = $1 WHERE id = $2")
        .bind(format!("Cliente pediu: {}", "😀".repeat(3000)))
        .bind(t.maria.0)
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    t.linked_bruno().await;
    let results = t.say(BRUNO, "maria").await;
    let card = t.tap_edit(BRUNO, &results, &has_button(&results, "Maria").unwrap()).await;
    let text = card.text().unwrap();
    assert!(text.encode_utf16().count() <= 4096, "{}", text.encode_utf16().count());
    assert!(
        text.contains("Cliente pediu: 😀") && text.ends_with("Texto cortado: longo demais para o Telegram."),
        "{text}"
    );
    assert!(has_button(&card, "Financeiro").is_some(), "the card's buttons stay: {card:?}");
    t.finish().await;
}

async fn a_flood_of_wrong_invite_codes_is_held_back_and_learns_nothing(store: Store) {
    let Some(t) = TestApp::start(store).await else { return };
    for n in 0..5 {
        let refused = t.say(STRANGER, &format!("/start ERRA-DO{n:02}")).await;
        assert!(refused.text().unwrap().starts_with("Código de convite inválido"), "{refused:?}");
    }
    // Past five wrong codes even the right one is refused, with the same words.
    let held = t.say(STRANGER, &format!("/start {}", t.invite)).await;
    assert!(held.text().unwrap().starts_with("Código de convite inválido"), "{held:?}");
    let still = t.say(STRANGER, "maria").await;
    assert!(still.text().unwrap().contains("só para a equipe"), "not linked: {still:?}");
    // The code was not spent: its owner links with it.
    t.linked_bruno().await;
    t.finish().await;
}

async fn an_instance_killed_mid_dispatch_sends_its_notices_at_once_when_it_starts_again(store: Store) {
    let Some(mut t) = TestApp::start(store).await else { return };
    t.linked_bruno().await;
    t.shutdown().await;
    // This instance claimed the next notices for two minutes and was killed
    // before sending them.
    let ticket = open_ticket_for_maria(&t, Some("Suporte N1"), None).await;
    let db = balcao_storage::Db::connect(&t.url, 1).await.unwrap().with_owner(balcao::instance_name("127.0.0.1:0"));
    let claimed = db.claim_due(chrono::Utc::now(), 120, 10, false).await.unwrap();
    assert_eq!(claimed.len(), 2, "{claimed:?}");
    db.close().await;
    // Started again, it takes them back at once: well before the two minutes.
    let since = t.tg.call_count();
    t.restart().await;
    bruno_and_carla_hear_of_lentidao(&t, since).await;
    let _ = ticket;
    t.finish().await;
}

async fn a_reply_cut_off_by_the_network_is_sent_again_until_it_arrives(store: Store) {
    for webhook in [false, true] {
        let Some(t) = TestApp::start_in(store, webhook).await else { return };
        let since = t.tg.call_count();
        // Four failures in a row: about three seconds without Telegram.
        t.tg.cut_next("sendMessage", 4);
        let link = format!("/start {}", t.invite);
        if webhook {
            post_update(&t, WEBHOOK_SECRET, message_update(1101, BRUNO, &link)).await;
        } else {
            t.tg.send_text(BRUNO, "Bruno", &link);
        }
        let welcome =
            t.tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(BRUNO) && !c.failed).await;
        assert!(welcome.text().unwrap().starts_with("Bem-vindo(a), Bruno Atendente!"), "{welcome:?}");
        let cut = t.tg.calls()[since..].iter().filter(|c| c.is("sendMessage") && c.failed).count();
        assert_eq!(cut, 4, "webhook mode: {webhook}");
        t.finish().await;
    }
}
