//! Notifications by e-mail end to end: the real App (store, dispatcher,
//! lettre's pooled SMTP client) against an SMTP server on 127.0.0.1 that
//! speaks the protocol (`support/smtp_sink.rs`), beside the fake Telegram Bot
//! API, on SQLite and on PostgreSQL (when `BALCAO_TEST_POSTGRES_URL` is set).
//! Each e-mail is read back with a real MIME parser.

mod support;

use std::time::Duration;

use balcao::App;
use balcao::settings::Settings;
use balcao_domain::callback::Callback;
use balcao_domain::client::{Address, ClientKind, ClientStatus, NewClient};
use balcao_domain::document::Document;
use balcao_domain::notify::{Channel, DeliveryStatus, Notification};
use balcao_domain::phone::Phone;
use balcao_domain::ports::{Clients, Directory, FollowUp, Imports, Outbox, Tickets};
use balcao_domain::staff::{Actor, NewStaff};
use balcao_domain::ticket::{Assignee, NewTicket};
use balcao_domain::{ClientId, TicketId};
use support::db::{Store, TestDb};
use support::fake_telegram::FakeTelegram;
use support::smtp_sink::{Received, SmtpSink, Verdict};

const WAIT: Duration = Duration::from_secs(20);
/// Long enough for the first back-off (8 to 13 s) and the retry after it.
const AFTER_BACKOFF: Duration = Duration::from_secs(40);
const CARLA_TG: i64 = 7003;
/// The provider's supervisor, who triages contacts nobody matched.
const PAULA_TG: i64 = 7009;
const INTAKE_SECRET: &str = "segredo-da-entrada-0123456789";
const CPF: &str = "529.982.247-25";
const PHONE: &str = "(12) 98765-4321";

/// The running App with both channels, its SMTP sink and fake Telegram.
struct MailApp {
    sink: SmtpSink,
    tg: FakeTelegram,
    db: TestDb,
    store: balcao_storage::Db,
    maria: ClientId,
    addr: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

fn settings(db: &str, tg: &FakeTelegram, sink: &SmtpSink) -> Settings {
    let env = [
        ("BALCAO_DATABASE__URL", db.to_owned()),
        ("BALCAO_TELEGRAM__TOKEN", tg.token().to_owned()),
        ("BALCAO_TELEGRAM__API_URL", tg.api_url()),
        ("BALCAO_SMTP__URL", sink.url()),
        ("BALCAO_SMTP__FROM", "Balcão Litoral <balcao@provedor.test>".to_owned()),
        ("BALCAO_SMTP__POOL_SIZE", "3".to_owned()),
        ("BALCAO_HTTP__ADDR", "127.0.0.1:0".to_owned()),
        ("BALCAO_WEBHOOKS__SECRET", INTAKE_SECRET.to_owned()),
        ("BALCAO_INTAKE__TRIAGE_ROLE", "Supervisor".to_owned()),
        // The corpus below writes more than the default 5 contacts an hour from one client.
        ("BALCAO_INTAKE__MAX_NEW_PER_HOUR", "100".to_owned()),
        ("BALCAO_INTAKE__ACK_TEXT", "Olá, {nome}! Seu protocolo é {protocolo}.\nEquipe {provedor}".to_owned()),
    ];
    Settings::load_from(None, env.into_iter().map(|(k, v)| (k.to_owned(), v))).unwrap()
}

impl MailApp {
    async fn start(store: Store) -> Option<MailApp> {
        let db = TestDb::new(store).await?;
        let tg = FakeTelegram::start().await;
        let sink = SmtpSink::start().await;
        let app = App::open(settings(&db.url, &tg, &sink)).await.unwrap();
        let litoral = app.db.ensure_reseller("Litoral Net").await.unwrap().id;
        app.db
            .import_clients(&[(
                2,
                NewClient {
                    code: "1001".into(),
                    reseller_id: litoral,
                    kind: ClientKind::Person,
                    name: "Maria da Conceição Souza".into(),
                    trade_name: String::new(),
                    document: Some(Document::parse(CPF).unwrap()),
                    rg_ie: String::new(),
                    birth_date: None,
                    address: Address { city: "Santos".into(), state: "SP".into(), ..Address::default() },
                    phones: vec![Phone::parse(PHONE).unwrap()],
                    emails: vec!["maria@cliente.test".into()],
                    notes: String::new(),
                    status: ClientStatus::Active,
                    unverified: Vec::new(),
                },
            )])
            .await
            .unwrap();
        let maria = app.db.client_by_code(&Actor::admin(), "1001").await.unwrap().id;
        app.db.ensure_reseller("Serra Fibra").await.unwrap();
        for (name, reseller, role, email, telegram_id) in [
            ("Carla Plantão", "Litoral Net", "Suporte N1", Some("carla@provedor.test"), Some(CARLA_TG)),
            ("Bruno Atendente", "Litoral Net", "Suporte N1", Some("bruno@provedor.test"), None),
            ("Sérgio Serra", "Serra Fibra", "Suporte N1", Some("sergio@serra.test"), None),
            ("Lia Sem E-mail", "Litoral Net", "Suporte N1", None, None),
            ("Téo Técnico", "Litoral Net", "Técnico de campo", Some("teo@provedor.test"), None),
            ("Paula Supervisora", "", "Supervisor", None, Some(PAULA_TG)),
        ] {
            app.add_staff(&NewStaff {
                name: name.into(),
                reseller: Some(reseller.to_owned()).filter(|r| !r.is_empty()),
                roles: vec![role.into()],
                email: email.map(str::to_owned),
                telegram_id,
            })
            .await
            .unwrap();
        }
        // Tickets opened by the test write the outbox as the App would: both channels are configured.
        let channels = balcao_storage::Channels { telegram: true, email: true };
        let store = balcao_storage::Db::connect(&db.url, 2).await.unwrap().with_channels(channels);
        let mut t = MailApp { sink, tg, db, store, maria, addr: String::new(), stop: None, task: None };
        t.run(app).await;
        Some(t)
    }

    async fn run(&mut self, app: App) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.addr = listener.local_addr().unwrap().to_string();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.stop = Some(tx);
        self.task = Some(tokio::spawn(app.serve_on(listener, async {
            let _ = rx.await;
        })));
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT, task).await.expect("the App stops").unwrap().unwrap();
        }
    }

    async fn restart(&mut self) {
        self.shutdown().await;
        let app = App::open(settings(&self.db.url, &self.tg, &self.sink)).await.unwrap();
        self.run(app).await;
    }

    async fn finish(mut self) {
        self.shutdown().await;
        self.store.close().await;
        self.tg.stop().await;
        self.db.drop_it().await;
    }

    /// Opens a ticket for Maria, for a role or for the staff member named.
    async fn open_ticket(&self, assignee: &str, problem: &str) -> TicketId {
        self.open_ticket_with_visit(assignee, problem, None).await
    }

    /// Opens a ticket with an O.S. for the technician named, when one is.
    async fn open_ticket_with_visit(&self, assignee: &str, problem: &str, technician: Option<&str>) -> TicketId {
        let work_order = match technician {
            Some(name) => Some(balcao_domain::ticket::NewWorkOrder {
                date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                window_start: balcao_domain::ticket::parse_time("13:00").unwrap(),
                window_end: balcao_domain::ticket::parse_time("17:00").unwrap(),
                technician: Some(self.staff_id(name).await),
                address: "Rua das Flores, 12 - Santos".into(),
                task: "Trocar a ONU".into(),
            }),
            None => None,
        };
        let assignee = match self.store.roles().await.unwrap().into_iter().find(|r| r.name == assignee) {
            Some(role) => Assignee::Role(role.id),
            None => Assignee::User(self.staff_id(assignee).await),
        };
        let types = self.store.ticket_types().await.unwrap();
        let channels = self.store.channels().await.unwrap();
        let new = NewTicket {
            client_id: self.maria,
            subscription_id: None,
            routing_point_id: None,
            contact_name: "Maria".into(),
            problem: problem.into(),
            channel_id: channels[0].id,
            ticket_type_id: types[0].id,
            assignee,
            checks: String::new(),
            resolution: None,
            work_order,
        };
        self.store.open_ticket(&Actor::admin(), &new, chrono::Utc::now().date_naive()).await.unwrap().id
    }

    async fn staff_id(&self, name: &str) -> balcao_domain::StaffId {
        let mut id = 1;
        loop {
            let staff = self.store.staff_member(balcao_domain::StaffId(id)).await.expect("staff member exists");
            if staff.name == name {
                return staff.id;
            }
            id += 1;
        }
    }

    /// The e-mail notifications of `ticket`, once none is pending any more.
    async fn settled_emails(&self, ticket: TicketId, timeout: Duration) -> Vec<Notification> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let rows: Vec<Notification> = self
                .store
                .notifications(false, 1_000)
                .await
                .unwrap()
                .into_iter()
                .filter(|n| n.ticket == Some(ticket) && n.channel == Channel::Email)
                .collect();
            if !rows.is_empty() && rows.iter().all(|n| n.status != DeliveryStatus::Pending) {
                return rows;
            }
            assert!(tokio::time::Instant::now() < deadline, "still pending: {rows:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn parse(mail: &Received) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(&mail.data).expect("a well-formed message")
}

fn header<'a>(m: &'a mail_parser::Message<'a>, name: &str) -> String {
    m.header_raw(name).unwrap_or_default().trim().to_owned()
}

fn recipients(mails: &[Received]) -> Vec<String> {
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    to
}

async fn a_role_s_ticket_reaches_each_member_by_e_mail_and_telegram_once(store: Store) {
    let Some(t) = MailApp::start(store).await else { return };
    let ticket = t.open_ticket("Suporte N1", "Internet caiu desde ontem à noite.\nJá reiniciou o roteador.").await;
    let rows = t.settled_emails(ticket, WAIT).await;
    let mails = t.sink.wait_for(2, WAIT).await;
    // Carla and Bruno of Litoral Net; not Sérgio (another reseller), not Lia (no address), not Téo (another role).
    assert_eq!(recipients(&mails), ["bruno@provedor.test", "carla@provedor.test"]);
    assert!(rows.iter().all(|n| n.status == DeliveryStatus::Sent && n.attempts == 1), "{rows:?}");
    // Carla is also linked on Telegram and gets the message there too.
    t.tg.wait_for(0, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(CARLA_TG) && !c.failed).await;
    let detail = t.store.ticket(&Actor::admin(), ticket).await.unwrap().ticket;
    for mail in &mails {
        assert_eq!(mail.from, "balcao@provedor.test");
        let m = parse(mail);
        let row =
            rows.iter().find(|n| n.external_id.as_deref() == m.message_id().map(|id| format!("<{id}>")).as_deref());
        assert!(row.is_some(), "the outbox keeps the Message-ID it sent: {rows:?}");
        let id = m.message_id().unwrap();
        assert!(id.starts_with("balcao.n") && id.ends_with(&format!(".t{}@provedor.test", ticket.0)), "{id}");
        assert_eq!(header(&m, "In-Reply-To"), format!("<balcao.t{}@provedor.test>", ticket.0));
        assert_eq!(header(&m, "References"), format!("<balcao.t{}@provedor.test>", ticket.0));
        assert_eq!(header(&m, "Auto-Submitted"), "auto-generated");
        let subject = m.subject().unwrap();
        assert!(subject.contains(&detail.protocol) && subject.contains("Maria da Conceição Souza"), "{subject}");
        let text = m.body_text(0).unwrap();
        assert!(text.contains("Novo atendimento para o cargo Suporte N1."), "{text}");
        assert!(text.contains(&format!("Protocolo: {}", detail.protocol)), "{text}");
        assert!(text.contains("Já reiniciou o roteador."), "{text}");
        let html = m.body_html(0).unwrap();
        assert!(html.contains("Maria da Conceição Souza") && html.contains("<table"), "{html}");
        // Nothing the ticket screen does not show: no document, phone, or the client's address.
        let raw = String::from_utf8_lossy(&mail.data);
        for secret in ["529.982.247-25", "52998224725", "98765-4321", "987654321", "maria@cliente.test"] {
            assert!(!raw.contains(secret) && !text.contains(secret) && !html.contains(secret), "{secret} leaked");
        }
    }
    // A ticket for one user reaches that user alone, addressed to them.
    let mine = t.open_ticket("Téo Técnico", "Trocar o conector da ONU.").await;
    t.settled_emails(mine, WAIT).await;
    let mails = t.sink.wait_for(3, WAIT).await;
    assert_eq!(mails[2].to, ["teo@provedor.test"]);
    assert!(parse(&mails[2]).body_text(0).unwrap().contains("Novo atendimento para você."));
    // Nothing goes twice.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(t.sink.received().len(), 3);
    t.finish().await;
}

async fn a_technician_gets_an_e_mail_of_the_o_s_scheduled_for_them(store: Store) {
    let Some(t) = MailApp::start(store).await else { return };
    let ticket = t.open_ticket_with_visit("Suporte N1", "Sem sinal.", Some("Téo Técnico")).await;
    t.settled_emails(ticket, WAIT).await;
    let mails = t.sink.wait_for(3, WAIT).await;
    let to_teo: Vec<&Received> = mails.iter().filter(|m| m.to == ["teo@provedor.test"]).collect();
    assert_eq!(to_teo.len(), 1, "{mails:?}");
    let m = parse(to_teo[0]);
    assert!(m.subject().unwrap().starts_with("Nova O.S. 01/12/2026 – Maria da Conceição Souza"), "{:?}", m.subject());
    let text = m.body_text(0).unwrap();
    assert!(
        text.contains("Quando: 01/12/2026, das 13:00 às 17:00") && text.contains("Onde: Rua das Flores, 12 - Santos")
    );
    assert!(text.contains("Trocar a ONU"), "{text}");
    assert_eq!(header(&m, "In-Reply-To"), format!("<balcao.t{}@provedor.test>", ticket.0), "threads with the ticket");
    t.finish().await;
}

async fn an_o_s_given_back_before_its_notice_went_out_is_not_announced(store: Store) {
    let Some(mut t) = MailApp::start(store).await else { return };
    t.shutdown().await;
    let ticket = t.open_ticket_with_visit("Téo Técnico", "Sem sinal.", Some("Téo Técnico")).await;
    // Téo gives it back (from another device) before the dispatcher ran.
    let teo = t.store.staff_member(t.staff_id("Téo Técnico").await).await.unwrap();
    let wo = t.store.ticket(&Actor::admin(), ticket).await.unwrap().work_orders[0].id;
    t.store.give_back_work_order(&Actor::of(&teo), wo, "Cliente viajou").await.unwrap();
    t.restart().await;
    let rows = t.settled_emails(ticket, WAIT).await;
    let stale: Vec<&Notification> = rows.iter().filter(|n| n.event.starts_with("work_order:")).collect();
    assert_eq!(stale.len(), 1, "{rows:?}");
    assert_eq!(stale[0].status, DeliveryStatus::Dead);
    assert!(stale[0].last_error.contains("O.S. agendada para este técnico"), "{stale:?}");
    let mails = t.sink.received();
    assert!(mails.iter().all(|m| !parse(m).subject().unwrap_or("").starts_with("Nova O.S.")), "{mails:?}");
    t.finish().await;
}

async fn a_relay_that_is_down_gets_the_e_mail_once_when_it_is_back(store: Store) {
    let Some(mut t) = MailApp::start(store).await else { return };
    t.sink.down().await;
    let ticket = t.open_ticket("Téo Técnico", "Sem sinal na ONU.").await;
    // The first attempt finds nobody listening: a temporary failure, kept for later.
    let failed = loop {
        let rows = t.store.notifications(false, 10).await.unwrap();
        if let Some(n) = rows.into_iter().find(|n| n.ticket == Some(ticket) && n.attempts == 1) {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(failed.status, DeliveryStatus::Pending, "{failed:?}");
    assert!(failed.last_error.contains("inacessível"), "{failed:?}");
    t.sink.up().await;
    let rows = t.settled_emails(ticket, AFTER_BACKOFF).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].status, rows[0].attempts), (DeliveryStatus::Sent, 2), "{rows:?}");
    let mails = t.sink.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(t.sink.received().len(), 1, "delivered once: {mails:?}");
    assert_eq!(mails[0].to, ["teo@provedor.test"]);
    t.finish().await;
}

async fn a_relay_refusing_for_good_leaves_the_e_mail_dead_with_the_reason(store: Store) {
    let Some(t) = MailApp::start(store).await else { return };
    t.sink.set_verdict(Verdict::Permanent);
    let ticket = t.open_ticket("Téo Técnico", "Sem sinal na ONU.").await;
    let rows = t.settled_emails(ticket, WAIT).await;
    assert_eq!(rows[0].status, DeliveryStatus::Dead, "{rows:?}");
    assert!(rows[0].last_error.contains("550"), "{rows:?}");
    assert_eq!(t.sink.refused(), 1, "one try only: 5xx is permanent");
    // Once the address is fixed at the relay, `balcao outbox retry` delivers it, once.
    t.sink.set_verdict(Verdict::Accept);
    assert_eq!(t.store.retry_dead(Some(rows[0].id), chrono::Utc::now()).await.unwrap(), 1);
    let rows = t.settled_emails(ticket, WAIT).await;
    assert_eq!(rows[0].status, DeliveryStatus::Sent, "{rows:?}");
    assert_eq!(t.sink.wait_for(1, WAIT).await.len(), 1);
    t.finish().await;
}

async fn a_dispatcher_that_dies_mid_dispatch_loses_no_e_mail_and_sends_none_twice(store: Store) {
    let Some(mut t) = MailApp::start(store).await else { return };
    let sent = t.open_ticket("Téo Técnico", "Primeiro.").await;
    t.settled_emails(sent, WAIT).await;
    t.shutdown().await;
    // A dispatcher claims the next e-mails and dies before sending or recording.
    let ticket = t.open_ticket("Suporte N1", "Segundo.").await;
    let claimed = t.store.claim_due(chrono::Utc::now(), 1, 10, false).await.unwrap();
    assert_eq!(claimed.iter().filter(|n| n.channel == Channel::Email).count(), 2, "{claimed:?}");
    t.restart().await;
    t.settled_emails(ticket, WAIT).await;
    let mails = t.sink.wait_for(3, WAIT).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(t.sink.received().len(), 3, "{mails:?}");
    assert_eq!(recipients(&mails), ["bruno@provedor.test", "carla@provedor.test", "teo@provedor.test"]);
    t.finish().await;
}

/// The relay's verdicts as the mailer reads them, without the outbox.
#[tokio::test]
async fn the_mailer_tells_a_temporary_refusal_from_a_permanent_one() {
    use balcao_notify::mail::{Email, MailFailure, Mailer};
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&sink.url(), "balcao@provedor.test", 2).unwrap();
    let email = Email {
        to_name: "Téo".into(),
        to_address: "teo@provedor.test".into(),
        subject: "Teste".into(),
        text: "linha\n.linha que começa com ponto\n".into(),
        html: "<p>linha</p>".into(),
        message_key: "balcao.n1.t1".into(),
        thread_key: "balcao.t1".into(),
        automatic: Some("auto-generated"),
    };
    mailer.send(&email).await.unwrap();
    let got = sink.wait_for(1, WAIT).await;
    assert!(
        parse(&got[0]).body_text(0).unwrap().contains("\n.linha que começa com ponto"),
        "a line that starts with a dot arrives whole"
    );
    sink.set_verdict(Verdict::Temporary);
    match mailer.send(&email).await {
        Err(MailFailure::Temporary(e)) => assert!(e.contains("451"), "{e}"),
        other => panic!("expected a temporary failure, got {other:?}"),
    }
    sink.set_verdict(Verdict::Permanent);
    match mailer.send(&email).await {
        Err(MailFailure::Permanent(e)) => assert!(e.contains("550"), "{e}"),
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    let nobody = Mailer::new("smtp://127.0.0.1:9?tls=none", "balcao@provedor.test", 1).unwrap();
    assert!(matches!(nobody.send(&email).await, Err(MailFailure::Temporary(_))));
}

async fn a_staff_reply_reaches_the_client_in_the_ticket_s_thread_signed_by_the_provider(store: Store) {
    let Some(t) = MailApp::start(store).await else { return };
    let ticket = t.open_ticket("Carla Plantão", "Internet lenta à noite.").await;
    // As intake records it for a ticket that came by e-mail.
    sqlx::query("UPDATE tickets SET contact_email = 'maria.souza@cliente.test' WHERE id = $1")
        .bind(ticket.0)
        .execute(t.store.pool())
        .await
        .unwrap();
    let carla = t.store.staff_member(t.staff_id("Carla Plantão").await).await.unwrap();
    let answer = "Olá, Maria. Ajustamos o canal do seu roteador; veja se melhorou hoje à noite.";
    let detail = t.store.reply_to_client(&Actor::of(&carla), ticket, answer).await.unwrap();
    assert_eq!(detail.ticket.status, balcao_domain::ticket::TicketStatus::WaitingClient);
    let rows = t.settled_emails(ticket, WAIT).await;
    let mails = t.sink.wait_for(1, WAIT).await;
    let to_client: Vec<&Received> = mails.iter().filter(|m| m.to == ["maria.souza@cliente.test"]).collect();
    assert_eq!(to_client.len(), 1, "{mails:?}");
    let m = parse(to_client[0]);
    assert_eq!(header(&m, "In-Reply-To"), format!("<balcao.t{}@provedor.test>", ticket.0));
    assert_eq!(header(&m, "Auto-Submitted"), "", "a person wrote it: the client's auto-replies may answer");
    let subject = m.subject().unwrap();
    assert!(subject.contains(&detail.ticket.protocol), "the protocol names the ticket: {subject}");
    let text = m.body_text(0).unwrap();
    assert!(text.contains(answer) && text.contains("Balcão Litoral"), "{text}");
    assert!(!text.contains("carla@provedor.test"), "no staff address reaches the client");
    assert!(!String::from_utf8_lossy(&to_client[0].data).contains("carla@provedor.test"));
    let row = rows.iter().find(|n| n.address.as_deref() == Some("maria.souza@cliente.test")).unwrap();
    assert_eq!((row.status, row.attempts), (DeliveryStatus::Sent, 1));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(t.sink.received().iter().filter(|m| m.to == ["maria.souza@cliente.test"]).count(), 1, "once");
    t.finish().await;
}

impl MailApp {
    /// Posts a raw e-mail to intake, signed; the HTTP status.
    async fn post_email(&self, raw: &[u8]) -> u16 {
        let signature = format!(
            "sha256={}",
            balcao_domain::intake::hex(&balcao_domain::intake::hmac_sha256(INTAKE_SECRET.as_bytes(), raw))
        );
        let (addr, raw) = (self.addr.clone(), raw.to_vec());
        tokio::task::spawn_blocking(move || {
            let headers = [("Content-Type", "message/rfc822"), ("X-Balcao-Signature", signature.as_str())];
            support::http::request_bytes(&addr, "POST", "/webhooks/email/raw", &headers, &raw).0
        })
        .await
        .unwrap()
    }

    /// The newest stored contact once it is no longer waiting.
    async fn processed(&self) -> balcao_domain::intake::Delivery {
        use balcao_domain::ports::Intake;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let newest = self.store.deliveries(false, 1).await.unwrap().pop().expect("a stored contact");
            if newest.status != balcao_domain::intake::IntakeStatus::Pending {
                return newest;
            }
            assert!(tokio::time::Instant::now() < deadline, "still waiting: {newest:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn a_client_s_e_mail_opens_a_ticket_and_the_client_s_answer_to_our_reply_joins_it(store: Store) {
    use balcao_domain::intake::IntakeStatus;
    let Some(t) = MailApp::start(store).await else { return };
    let first = b"From: =?ISO-8859-1?Q?Maria_da_Concei=E7=E3o?= <Maria@Cliente.test>\r\n\
To: suporte@provedor.test\r\nSubject: =?ISO-8859-1?Q?Sem_conex=E3o?=\r\nMessage-ID: <m1@cliente.test>\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
A internet caiu de novo =E0 noite.\r\n\r\nEnviado do meu iPhone\r\n";
    assert_eq!(t.post_email(first).await, 202);
    let opened = t.processed().await;
    assert_eq!(opened.status, IntakeStatus::Ticket, "{opened:?}");
    let ticket = opened.ticket.unwrap();
    let detail = t.store.ticket(&Actor::admin(), ticket).await.unwrap();
    assert_eq!(detail.ticket.client_id, t.maria);
    assert_eq!(detail.ticket.channel.name, "E-mail");
    assert_eq!(detail.ticket.contact_name, "Maria da Conceição");
    assert_eq!(detail.ticket.contact_email.as_deref(), Some("maria@cliente.test"));
    assert_eq!(detail.ticket.problem, "Sem conexão\n\nA internet caiu de novo à noite.", "the signature is cut");
    assert_eq!(detail.history[0].actor_name, "Entrada de contatos");
    // The client gets the protocol; Suporte N1 of the client's reseller hears.
    let mails = t.sink.wait_for(3, WAIT).await;
    let ack: Vec<&Received> = mails.iter().filter(|m| m.to == ["maria@cliente.test"]).collect();
    assert_eq!(ack.len(), 1, "{mails:?}");
    let m = parse(ack[0]);
    assert!(m.subject().unwrap().contains(&detail.ticket.protocol));
    assert_eq!(header(&m, "Auto-Submitted"), "auto-replied");
    assert_eq!(recipients(&mails), ["bruno@provedor.test", "carla@provedor.test", "maria@cliente.test"]);
    // The relay delivers it again: nothing new.
    assert_eq!(t.post_email(first).await, 200);

    // Carla takes it and answers from the desk; the client answers that e-mail.
    let carla = t.store.staff_member(t.staff_id("Carla Plantão").await).await.unwrap();
    t.store.take(&Actor::of(&carla), ticket).await.unwrap();
    t.store.reply_to_client(&Actor::of(&carla), ticket, "Trocamos a porta da OLT; veja se voltou.").await.unwrap();
    let mails = t.sink.wait_for(4, WAIT).await;
    let reply = parse(mails.iter().filter(|m| m.to == ["maria@cliente.test"]).nth(1).expect("the reply"));
    let reply_id = reply.message_id().unwrap().to_owned();
    let answer = format!(
        "From: Maria <maria@cliente.test>\r\nSubject: Re: [{p}] Resposta ao seu atendimento\r\n\
Message-ID: <m2@cliente.test>\r\nIn-Reply-To: <{reply_id}>\r\nReferences: <{reply_id}>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nContinua caindo.\r\n\r\nEm qui., 4 de dez., Balc\u{e3}o escreveu:\r\n> Trocamos a porta\r\n",
        p = detail.ticket.protocol
    );
    assert_eq!(t.post_email(answer.as_bytes()).await, 202);
    let joined = t.processed().await;
    assert_eq!((joined.status, joined.ticket), (IntakeStatus::Reply, Some(ticket)), "{joined:?}");
    let detail = t.store.ticket(&Actor::admin(), ticket).await.unwrap();
    let last = detail.history.last().unwrap();
    assert_eq!((last.kind.as_str(), last.detail.as_str()), ("client_wrote", "Continua caindo."));
    assert_eq!(detail.ticket.status, balcao_domain::ticket::TicketStatus::InProgress, "back from waiting");
    // Carla, who holds it, hears of the answer.
    let mails = t.sink.wait_for(5, WAIT).await;
    let heard = parse(mails.last().unwrap());
    assert_eq!(mails.last().unwrap().to, ["carla@provedor.test"]);
    assert!(heard.body_text(0).unwrap().contains("Continua caindo."));
    let opened_tickets = t.store.client_tickets(&Actor::admin(), t.maria).await.unwrap().len();
    assert_eq!(opened_tickets, 1, "the answer opened nothing new");

    // An out-of-office note from the client opens nothing and is not answered.
    let away = b"From: maria@cliente.test\r\nSubject: Ausente\r\nAuto-Submitted: auto-replied\r\n\
Message-ID: <m3@cliente.test>\r\n\r\nEstou de ferias.\r\n";
    assert_eq!(t.post_email(away).await, 202);
    let ignored = t.processed().await;
    assert_eq!((ignored.status, ignored.ticket), (IntakeStatus::Ignored, None));
    // A stranger's e-mail waits, without a client, with what to do.
    let stranger = b"From: quem@desconhecido.test\r\nSubject: Oi\r\nMessage-ID: <s1@x.test>\r\n\r\nQuero assinar.\r\n";
    assert_eq!(t.post_email(stranger).await, 202);
    let failed = t.processed().await;
    assert_eq!(failed.status, IntakeStatus::Unmatched);
    assert!(failed.reason.contains("balcao intake retry"), "{}", failed.reason);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(t.sink.received().len(), 5, "no answer to the note or the stranger");
    assert_eq!(t.store.client_tickets(&Actor::admin(), t.maria).await.unwrap().len(), 1);
    t.finish().await;
}

/// Carla taps the button whose label contains `label`; returns the screen
/// the bot shows her (an edit, or a new message under a notice).
async fn tap_and_see(
    tg: &FakeTelegram,
    message: &support::fake_telegram::Call,
    label: &str,
) -> support::fake_telegram::Call {
    tap_as(tg, CARLA_TG, message, label).await
}

async fn a_staff_member_answers_the_client_from_telegram_and_confirms_before_it_goes(store: Store) {
    let Some(t) = MailApp::start(store).await else { return };
    let email = b"From: Maria <maria@cliente.test>\r\nSubject: =?ISO-8859-1?Q?Lentid=E3o?=\r\nMessage-ID: <tg1@cliente.test>\r\n\
Content-Type: text/plain; charset=ISO-8859-1\r\n\r\nA internet est\xe1 lenta.\r\n";
    assert_eq!(t.post_email(email).await, 202);
    let ticket = t.processed().await.ticket.expect("a ticket");
    let notice =
        t.tg.wait_for(0, WAIT, |c| {
            c.is("sendMessage") && c.chat_id() == Some(CARLA_TG) && c.text().is_some_and(|x| x.starts_with("📥"))
        })
        .await;
    let screen = tap_and_see(&t.tg, &notice, "Ver atendimento").await;
    let ask = tap_and_see(&t.tg, &screen, "Responder ao cliente").await;
    assert!(ask.text().unwrap().contains("Digite a resposta ao cliente"), "{ask:?}");
    let typed_at = t.tg.call_count();
    t.tg.send_text(CARLA_TG, "Carla", "Vamos trocar seu plano de canal hoje à tarde.");
    let confirm = t.tg.wait_for(typed_at, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(CARLA_TG)).await;
    assert!(confirm.text().unwrap().contains("Enviar esta resposta ao cliente por e-mail?"), "{confirm:?}");
    assert!(
        t.sink
            .received()
            .iter()
            .all(|m| m.to != ["maria@cliente.test"] || parse(m).subject().unwrap().contains("Recebemos"))
    );
    let answered_at = t.tg.call_count();
    let sent = tap_and_see(&t.tg, &confirm, "Enviar").await;
    assert!(sent.text().unwrap().contains("Carla Plantão: Vamos trocar seu plano"), "the history shows it: {sent:?}");
    let toast = t.tg.wait_for(answered_at, WAIT, |c| c.is("answerCallbackQuery")).await;
    assert!(toast.params["text"].as_str().unwrap_or("").starts_with("Resposta registrada no atendimento"), "{toast:?}");
    let deadline = tokio::time::Instant::now() + WAIT;
    let reply = loop {
        let got = t.sink.received();
        if let Some(m) =
            got.iter().find(|m| m.to == ["maria@cliente.test"] && parse(m).subject().unwrap().contains("Resposta"))
        {
            break m.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "the reply never reached the sink");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(parse(&reply).body_text(0).unwrap().contains("Vamos trocar seu plano de canal hoje à tarde."));
    let detail = t.store.ticket(&Actor::admin(), ticket).await.unwrap();
    let last = detail.history.last().unwrap();
    assert_eq!((last.kind.as_str(), last.actor_name.as_str()), ("replied", "Carla Plantão"));
    // The confirmation's button again (a double tap): nothing goes twice.
    let again_at = t.tg.call_count();
    t.tg.tap(CARLA_TG, confirm.result_message_id().unwrap(), &Callback::SendReply(ticket).encode());
    t.tg.wait_for(again_at, WAIT, |c| c.is("answerCallbackQuery")).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let replies = t.sink.received().iter().filter(|m| parse(m).subject().unwrap().contains("Resposta")).count();
    assert_eq!(replies, 1);

    // Maria answers that e-mail from her mail program: the answer lands on the same ticket.
    let our_id = header(&parse(&reply), "Message-ID");
    let answer = format!(
        "From: Maria <maria@cliente.test>\r\nSubject: Re: {}\r\nMessage-ID: <tg2@cliente.test>\r\n\
In-Reply-To: {our_id}\r\nReferences: {our_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Agora ficou ótimo, obrigada!\r\n\r\nEm sáb., 5 de dez., Balcão Litoral escreveu:\r\n> Vamos trocar seu plano\r\n",
        parse(&reply).subject().unwrap()
    );
    assert_eq!(t.post_email(answer.as_bytes()).await, 202);
    let joined = t.processed().await;
    assert_eq!((joined.status, joined.ticket), (balcao_domain::intake::IntakeStatus::Reply, Some(ticket)));
    // Carla hears of it; the conversation, newest first: her answer, the reply, her first e-mail.
    let heard =
        t.tg.wait_for(0, WAIT, |c| c.chat_id() == Some(CARLA_TG) && c.text().is_some_and(|x| x.starts_with("📨")))
            .await;
    assert!(heard.text().unwrap().contains("Agora ficou ótimo, obrigada!"), "{heard:?}");
    let screen = tap_and_see(&t.tg, &sent, "Mensagens").await;
    let shown = screen.text().unwrap();
    let (answer_at, reply_at, first_at) = (
        shown.find("Agora ficou ótimo, obrigada!").expect("her answer"),
        shown
            .find("Carla Plantão (resposta):\nVamos trocar seu plano")
            .unwrap_or_else(|| panic!("the reply in {shown}")),
        shown.find("A internet está lenta.").expect("her first e-mail"),
    );
    assert!(answer_at < reply_at && reply_at < first_at, "{shown}");
    assert!(!shown.contains("> Vamos trocar"), "the quote is cut: {shown}");
    t.finish().await;
}

/// `user` taps the button labelled `label` on `message`; the next screen or message they get.
async fn tap_as(
    tg: &FakeTelegram,
    user: i64,
    message: &support::fake_telegram::Call,
    label: &str,
) -> support::fake_telegram::Call {
    let data = message
        .buttons()
        .into_iter()
        .find(|(text, _)| text.contains(label))
        .unwrap_or_else(|| panic!("no button \"{label}\" in {:?}", message.buttons()))
        .1;
    let since = tg.call_count();
    tg.tap(user, message.result_message_id().or(message.message_id()).unwrap(), &data);
    // The screen, not a notification that happens to arrive meanwhile.
    tg.wait_for(since, WAIT, |c| {
        c.chat_id() == Some(user)
            && (c.is("editMessageText") || (c.is("sendMessage") && !c.text().unwrap_or("").starts_with(['📥', '📨'])))
    })
    .await
}

/// `user` types `text`; the bot's answer.
async fn type_as(tg: &FakeTelegram, user: i64, text: &str) -> support::fake_telegram::Call {
    let since = tg.call_count();
    tg.send_text(user, "Paula", text);
    tg.wait_for(since, WAIT, |c| c.is("sendMessage") && c.chat_id() == Some(user)).await
}

async fn contacts_nobody_matched_are_linked_registered_or_discarded_from_telegram(store: Store) {
    use balcao_domain::intake::IntakeStatus;
    use balcao_domain::ports::Intake;
    let Some(t) = MailApp::start(store).await else { return };
    let joana =
        b"From: Joana Nova <joana@nova.test>\r\nSubject: Quero contratar\r\nMessage-ID: <tri1@nova.test>\r\n\r\n\
Quero contratar 300 mega. Moro perto da Maria.\r\n";
    assert_eq!(t.post_email(joana).await, 202);
    let first = t.processed().await;
    assert_eq!(first.status, IntakeStatus::Unmatched);
    let spam = b"From: Ofertas <promo@spam.test>\r\nSubject: Ganhe dinheiro\r\nMessage-ID: <tri2@spam.test>\r\n\r\nClique.\r\n";
    assert_eq!(t.post_email(spam).await, 202);
    let second = t.processed().await;
    assert_eq!(second.status, IntakeStatus::Unmatched);

    // Carla serves one reseller and is not of the triage role: no such button, no list.
    let menu = type_as(&t.tg, CARLA_TG, "/menu").await;
    assert!(menu.buttons().iter().all(|(label, _)| !label.contains("Contatos sem cliente")), "{menu:?}");
    let refused = type_as(&t.tg, CARLA_TG, "/contatos").await;
    assert!(refused.text().unwrap().contains("cargo de triagem"), "{refused:?}");

    // Paula, the provider's supervisor, finds both and reads the first.
    let menu = type_as(&t.tg, PAULA_TG, "/menu").await;
    let list = tap_as(&t.tg, PAULA_TG, &menu, "Contatos sem cliente").await;
    assert!(list.text().unwrap().starts_with("📥 Contatos sem cliente: 2"), "{list:?}");
    let detail = tap_as(&t.tg, PAULA_TG, &list, &format!("nº {} ·", first.id.0)).await;
    let shown = detail.text().unwrap();
    assert!(
        shown.contains("De: Joana Nova <joana@nova.test>") && shown.contains("Quero contratar 300 mega."),
        "{shown}"
    );
    assert!(shown.contains("nenhum cliente tem este e-mail"), "{shown}");

    // She links it to Maria, found by the usual search, and confirms.
    let search = tap_as(&t.tg, PAULA_TG, &detail, "Vincular a um cliente").await;
    assert!(search.text().unwrap().contains(&format!("Procure o cliente do contato nº {}", first.id.0)));
    let ask = tap_as(&t.tg, PAULA_TG, &search, "Nome").await;
    let results = type_as(&t.tg, PAULA_TG, "maria da conceicao").await;
    let _ = ask;
    let card = tap_as(&t.tg, PAULA_TG, &results, "Maria da Conceição Souza").await;
    let confirm = tap_as(&t.tg, PAULA_TG, &card, "Vincular o contato").await;
    assert!(confirm.text().unwrap().contains("ao cliente Maria da Conceição Souza (código 1001)"), "{confirm:?}");
    let linked_at = t.tg.call_count();
    let ticket_screen = tap_as(&t.tg, PAULA_TG, &confirm, "✔ Vincular").await;
    let toast = t.tg.wait_for(linked_at, WAIT, |c| c.is("answerCallbackQuery")).await;
    assert!(toast.params["text"].as_str().unwrap_or("").starts_with("Contato vinculado: atendimento "), "{toast:?}");
    let now = t.store.deliveries(false, 10).await.unwrap();
    let linked = now.iter().find(|d| d.id == first.id).unwrap();
    assert_eq!(linked.status, IntakeStatus::Ticket);
    assert!(linked.reason.starts_with("vinculado ao cliente por Paula Supervisora"), "{}", linked.reason);
    let opened = t.store.ticket(&Actor::admin(), linked.ticket.unwrap()).await.unwrap();
    assert_eq!(opened.ticket.client_id, t.maria);
    assert!(ticket_screen.text().unwrap().contains(&opened.ticket.protocol), "{ticket_screen:?}");
    // The sender gets the protocol.
    let deadline = tokio::time::Instant::now() + WAIT;
    while !t.sink.received().iter().any(|m| m.to == ["joana@nova.test"]) {
        assert!(tokio::time::Instant::now() < deadline, "no acknowledgement reached the sender");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The same confirmation again (a double tap): nothing opens twice.
    let again_at = t.tg.call_count();
    t.tg.tap(PAULA_TG, confirm.result_message_id().unwrap(), &Callback::Link(first.id, t.maria).encode());
    let toast = t.tg.wait_for(again_at, WAIT, |c| c.is("answerCallbackQuery")).await;
    assert!(toast.params["text"].as_str().unwrap_or("").contains("Não encontrado"), "{toast:?}");
    assert_eq!(t.store.client_tickets(&Actor::admin(), t.maria).await.unwrap().len(), 1);

    // The spam is discarded, after a confirmation.
    let list = type_as(&t.tg, PAULA_TG, "/contatos").await;
    assert!(list.text().unwrap().starts_with("📥 Contatos sem cliente: 1"), "{list:?}");
    let detail = tap_as(&t.tg, PAULA_TG, &list, &format!("nº {} ·", second.id.0)).await;
    let sure = tap_as(&t.tg, PAULA_TG, &detail, "Descartar").await;
    let empty = tap_as(&t.tg, PAULA_TG, &sure, "Sim, descartar").await;
    assert!(empty.text().unwrap().contains("Nenhum contato sem cliente"), "{empty:?}");

    // A new client's e-mail: registered from it, its name and e-mail offered, then linked.
    let lia = b"From: Lia Nova <lia@nova.test>\r\nSubject: Instalar internet\r\nMessage-ID: <tri3@nova.test>\r\n\r\n\
Quero instalar na Rua Azul, 10.\r\n";
    assert_eq!(t.post_email(lia).await, 202);
    let third = t.processed().await;
    let list = type_as(&t.tg, PAULA_TG, "/contatos").await;
    let detail = tap_as(&t.tg, PAULA_TG, &list, &format!("nº {} ·", third.id.0)).await;
    let step = tap_as(&t.tg, PAULA_TG, &detail, "Novo Cliente com estes dados").await;
    let step = tap_as(&t.tg, PAULA_TG, &step, "Pessoa física").await;
    assert!(step.text().unwrap().contains("nome completo"), "{step:?}");
    tap_as(&t.tg, PAULA_TG, &step, "Usar: Lia Nova").await;
    let step = type_as(&t.tg, PAULA_TG, "111.444.777-35").await;
    assert!(step.text().unwrap().contains("telefone"), "{step:?}");
    let step = type_as(&t.tg, PAULA_TG, "(13) 99123-4567").await;
    let step = tap_as(&t.tg, PAULA_TG, &step, "Usar: lia@nova.test").await;
    assert!(step.text().unwrap().contains("CEP"), "{step:?}");
    type_as(&t.tg, PAULA_TG, "11060-000").await;
    type_as(&t.tg, PAULA_TG, "Rua Azul").await;
    type_as(&t.tg, PAULA_TG, "10").await;
    type_as(&t.tg, PAULA_TG, "Gonzaga").await;
    type_as(&t.tg, PAULA_TG, "Santos").await;
    let step = type_as(&t.tg, PAULA_TG, "SP").await;
    let summary = tap_as(&t.tg, PAULA_TG, &step, "Litoral Net").await;
    assert!(summary.text().unwrap().contains("E-mail: lia@nova.test"), "{summary:?}");
    let done = tap_as(&t.tg, PAULA_TG, &summary, "Confirmar").await;
    let text = done.text().unwrap();
    assert!(text.starts_with("Cliente cadastrado.\nContato vinculado: atendimento "), "{text}");
    let linked = t.store.deliveries(false, 10).await.unwrap().into_iter().find(|d| d.id == third.id).unwrap();
    assert_eq!(linked.status, IntakeStatus::Ticket);
    let opened = t.store.ticket(&Actor::admin(), linked.ticket.unwrap()).await.unwrap().ticket;
    assert_eq!((opened.client_name.as_str(), opened.contact_email.as_deref()), ("Lia Nova", Some("lia@nova.test")));
    t.finish().await;
}

/// A message from Maria with these extra header lines and this body (bytes as given).
fn from_maria(message_id: Option<&str>, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut raw =
        b"From: Maria <maria@cliente.test>\r\nTo: suporte@provedor.test\r\nDate: Sat, 5 Dec 2026 09:00:00 -0300\r\n"
            .to_vec();
    if let Some(id) = message_id {
        raw.extend_from_slice(format!("Message-ID: <{id}>\r\n").as_bytes());
    }
    raw.extend_from_slice(headers.as_bytes());
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(body);
    raw
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    let one = base64::engine::general_purpose::STANDARD.encode(bytes);
    one.as_bytes().chunks(76).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\r\n")
}

async fn real_world_e_mails_become_the_tickets_a_person_would_expect(store: Store) {
    use balcao_domain::intake::IntakeStatus;
    use balcao_domain::ports::Intake;
    let Some(t) = MailApp::start(store).await else { return };
    let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".repeat(40);
    let big = vec![0x5au8; 3 * 1024 * 1024];
    let subject_utf8 = format!("=?UTF-8?B?{}?=", b64("Conexão lenta à noite".as_bytes()));
    let corpus: Vec<(&str, Vec<u8>, IntakeStatus, Vec<&str>)> = vec![
        (
            "UTF-8, base64, encoded subject",
            from_maria(
                Some("c1@cliente.test"),
                &format!("Subject: {subject_utf8}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"),
                format!("{}\r\n", b64("Olá! A conexão fica lenta à noite; ação urgente, por favor.".as_bytes())).as_bytes(),
            ),
            IntakeStatus::Ticket,
            vec!["Conexão lenta à noite", "A conexão fica lenta à noite; ação urgente"],
        ),
        (
            "Windows-1252 with curly quotes, 8bit",
            from_maria(
                Some("c2@cliente.test"),
                "Subject: Cobran\u{e7}a\r\nContent-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: 8bit\r\n",
                b"O boleto diz \x93pago\x94 mas a cobran\xe7a continua \x96 veja.\r\n",
            ),
            IntakeStatus::Ticket,
            vec!["O boleto diz “pago” mas a cobrança continua – veja."],
        ),
        (
            "ISO-8859-15 with the euro sign",
            from_maria(
                Some("c3@cliente.test"),
                "Subject: =?ISO-8859-15?Q?Pre=E7o?=\r\nContent-Type: text/plain; charset=iso-8859-15\r\nContent-Transfer-Encoding: quoted-printable\r\n",
                b"Vi o pre=E7o em =A4 no site, est=E1 certo?\r\n",
            ),
            IntakeStatus::Ticket,
            vec!["Preço", "Vi o preço em € no site, está certo?"],
        ),
        (
            "no MIME headers at all, plain ASCII, no Message-ID",
            from_maria(None, "Subject: sem mime\r\n", b"Oi, minha internet caiu de novo.\r\n"),
            IntakeStatus::Ticket,
            vec!["Oi, minha internet caiu de novo."],
        ),
        (
            "multipart/alternative: the text part, not the HTML",
            from_maria(
                Some("c5@cliente.test"),
                "Subject: Roteador\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n",
                b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nO roteador reinicia sozinho.\r\n--alt\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n<p>O <b>roteador</b> reinicia sozinho.</p>\r\n--alt--\r\n",
            ),
            IntakeStatus::Ticket,
            vec!["O roteador reinicia sozinho."],
        ),
        (
            "HTML only: its text",
            from_maria(
                Some("c6@cliente.test"),
                "Subject: Sinal\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n",
                "<html><body><div>Sem <b>sinal</b> desde as 14h.</div><div>Obrigada!</div></body></html>\r\n".as_bytes(),
            ),
            IntakeStatus::Ticket,
            vec!["Sem sinal desde as 14h."],
        ),
        (
            "a forward keeps what was forwarded",
            from_maria(
                Some("c7@cliente.test"),
                "Subject: Fwd: Fatura de novembro\r\nContent-Type: text/plain; charset=utf-8\r\n",
                "Veja abaixo, cobraram duas vezes.\r\n\r\n---------- Forwarded message ---------\r\n\
De: Provedor <cobranca@provedor.test>\r\nAssunto: Fatura de novembro\r\n\r\nValor: R$ 99,90 (2x)\r\n"
                    .as_bytes(),
            ),
            IntakeStatus::Ticket,
            vec!["Veja abaixo, cobraram duas vezes.", "Valor: R$ 99,90 (2x)"],
        ),
        (
            "attachments, one named in an encoded word, one of 3 MB",
            from_maria(
                Some("c8@cliente.test"),
                "Subject: Comprovantes\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n",
                format!(
                    "--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSeguem os comprovantes.\r\n--mix\r\n\
Content-Type: application/pdf; name=\"=?UTF-8?Q?relat=C3=B3rio.pdf?=\"\r\nContent-Disposition: attachment; filename=\"=?UTF-8?Q?relat=C3=B3rio.pdf?=\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--mix\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=\"backup.zip\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--mix--\r\n",
                    b64(&pdf),
                    b64(&big)
                )
                .as_bytes(),
            ),
            IntakeStatus::Ticket,
            vec!["Seguem os comprovantes.", "Anexos: relatório.pdf (", "backup.zip (3,0 MB)"],
        ),
        (
            "broken MIME: a boundary never closed, a part without headers",
            from_maria(
                Some("c9@cliente.test"),
                "Subject: Quebrado\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"nunca\"\r\n",
                b"--nunca\r\nContent-Type: text/plain\r\n\r\nA mensagem chegou cortada mas leia isto.\r\n--nunca\r\n\r\n\x00\xff\xfe lixo",
            ),
            IntakeStatus::Ticket,
            vec!["A mensagem chegou cortada mas leia isto."],
        ),
        (
            "a bounce: never a ticket, never answered",
            b"From: MAILER-DAEMON@mx.cliente.test\r\nTo: suporte@provedor.test\r\nSubject: Undelivered Mail Returned to Sender\r\n\
Message-ID: <c10@mx.cliente.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
--r\r\nContent-Type: text/plain\r\n\r\nmaria@cliente.test: mailbox full\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\n\
Final-Recipient: rfc822; maria@cliente.test\r\nAction: failed\r\nStatus: 5.2.2\r\n--r--\r\n"
                .to_vec(),
            IntakeStatus::Ignored,
            vec![],
        ),
        (
            "a newsletter from the client's address (Precedence: bulk)",
            from_maria(Some("c11@cliente.test"), "Subject: Ofertas da semana\r\nPrecedence: bulk\r\n", b"Promo\r\n"),
            IntakeStatus::Ignored,
            vec![],
        ),
        (
            "an out-of-office (X-Autoreply)",
            from_maria(Some("c12@cliente.test"), "Subject: Ausente\r\nX-Autoreply: yes\r\n", b"Volto segunda.\r\n"),
            IntakeStatus::Ignored,
            vec![],
        ),
    ];
    let mut opened = Vec::new();
    for (what, raw, expected, shown) in &corpus {
        assert_eq!(t.post_email(raw).await, 202, "{what}");
        let d = t.processed().await;
        assert_eq!(d.status, *expected, "{what}: {d:?}");
        if *expected == IntakeStatus::Ticket {
            let detail = t.store.ticket(&Actor::admin(), d.ticket.unwrap()).await.unwrap();
            assert_eq!(detail.ticket.client_id, t.maria, "{what}");
            assert_eq!(detail.ticket.channel.name, "E-mail", "{what}");
            for s in shown {
                assert!(detail.ticket.problem.contains(s), "{what}: {s:?} in {:?}", detail.ticket.problem);
            }
            let markup = ["<p>", "<b>", "<div", "<html"].iter().any(|m| detail.ticket.problem.contains(m));
            assert!(!markup, "{what}: no markup: {:?}", detail.ticket.problem);
            assert_eq!(detail.history.first().map(|h| h.kind.as_str()), Some("opened"), "{what}");
            opened.push(d.ticket.unwrap());
        } else {
            assert!(d.ticket.is_none() && !d.reason.is_empty(), "{what}: {d:?}");
        }
    }
    // The same bytes without a Message-ID, posted again: the same contact.
    let (_, again, _, _) = &corpus[3];
    assert_eq!(t.post_email(again).await, 200, "a duplicate");
    // One acknowledgement to Maria (one per sender every ack_every_minutes), none for the automatic mail.
    t.settled_emails(opened[0], WAIT).await;
    let to_maria: Vec<Notification> = t
        .store
        .notifications(false, 1_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.address.as_deref() == Some("maria@cliente.test"))
        .collect();
    assert_eq!(to_maria.len(), 1, "{to_maria:?}");
    assert_eq!(to_maria[0].ticket, Some(opened[0]));
    // In the provider's words (intake.ack_text), with the protocol.
    let protocol = t.store.ticket(&Actor::admin(), opened[0]).await.unwrap().ticket.protocol;
    let ack = t.sink.received().into_iter().find(|m| m.to == ["maria@cliente.test"]).expect("the acknowledgement");
    let ack = parse(&ack);
    assert_eq!(header(&ack, "Auto-Submitted"), "auto-replied");
    let body = ack.body_text(0).unwrap();
    assert!(
        body.contains(&format!("Olá, Maria! Seu protocolo é {protocol}.")) && body.contains("Equipe Balcão Litoral"),
        "{body}"
    );
    for ticket in &opened[1..] {
        let rows = t.store.ticket(&Actor::admin(), *ticket).await.unwrap();
        assert_eq!(rows.ticket.contact_email.as_deref(), Some("maria@cliente.test"));
    }
    assert_eq!(t.store.client_tickets(&Actor::admin(), t.maria).await.unwrap().len(), opened.len());
    let ignored = t.store.deliveries(false, 50).await.unwrap();
    assert_eq!(ignored.iter().filter(|d| d.status == IntakeStatus::Ignored).count(), 3);
    t.finish().await;
}

support::on_both_stores!(
    real_world_e_mails_become_the_tickets_a_person_would_expect,
    contacts_nobody_matched_are_linked_registered_or_discarded_from_telegram,
    a_staff_member_answers_the_client_from_telegram_and_confirms_before_it_goes,
    a_client_s_e_mail_opens_a_ticket_and_the_client_s_answer_to_our_reply_joins_it,
    a_staff_reply_reaches_the_client_in_the_ticket_s_thread_signed_by_the_provider,
    a_role_s_ticket_reaches_each_member_by_e_mail_and_telegram_once,
    a_technician_gets_an_e_mail_of_the_o_s_scheduled_for_them,
    an_o_s_given_back_before_its_notice_went_out_is_not_announced,
    a_relay_that_is_down_gets_the_e_mail_once_when_it_is_back,
    a_relay_refusing_for_good_leaves_the_e_mail_dead_with_the_reason,
    a_dispatcher_that_dies_mid_dispatch_loses_no_e_mail_and_sends_none_twice,
);
