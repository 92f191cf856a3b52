//! Intake's other doors end to end: the site's contact form (signed JSON from
//! the site's server, or a visitor's browser), Mailgun, Postmark and SendGrid,
//! through real HTTP on loopback against the real App, on SQLite and on
//! PostgreSQL (when `BALCAO_TEST_POSTGRES_URL` is set). Each door stores what
//! it takes before its 2xx, and the contact becomes a ticket for the right
//! client; what a door refuses gets its status and a JSON reason, and leaves
//! nothing stored, unless a provider must be told to stop retrying.

mod support;

use std::time::Duration;

use balcao::App;
use balcao::settings::Settings;
use balcao_domain::ClientId;
use balcao_domain::client::{Address, ClientKind, ClientStatus, NewClient};
use balcao_domain::document::Document;
use balcao_domain::intake::{Delivery, IntakeChannel, IntakeStatus, hex, hmac_sha256};
use balcao_domain::phone::Phone;
use balcao_domain::ports::{Clients, Directory, Imports, Intake, Tickets};
use balcao_domain::staff::{Actor, NewStaff};
use balcao_domain::ticket::{Assignee, TicketDetail};
use support::db::{Store, TestDb};
use support::http::exchange;

const SECRET: &str = "segredo-das-portas-0123456789";
const MAILGUN_KEY: &str = "key-mailgun-de-teste-42";
const SITE: &str = "https://www.litoral.test";
const WAIT: Duration = Duration::from_secs(15);

/// The App serving intake's doors, with one client (Maria) and her reseller's staff.
struct Doors {
    db: TestDb,
    store: balcao_storage::Db,
    maria: ClientId,
    addr: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    config: std::path::PathBuf,
}

/// An answer: status, header block, JSON body (or the text when not JSON).
struct Answer {
    status: u16,
    head: String,
    body: serde_json::Value,
    text: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_else(|| panic!("a JSON error, got {}: {}", self.status, self.text))
    }
}

impl Doors {
    async fn open(store: Store, extra: &[(&str, &str)]) -> Option<Doors> {
        let db = TestDb::new(store).await?;
        // A rule by the form's assunto: the site's visitor picks a topic, never a person.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let config = std::env::temp_dir().join(format!("balcao-doors-{}-{nanos}.toml", std::process::id()));
        std::fs::write(
            &config,
            "[[intake.rules]]\nname = \"cobranca\"\nassunto = [\"Cobrança\"]\nrole = \"Financeiro\"\nticket_type = \"Financeiro\"\n",
        )
        .unwrap();
        let mut env = vec![
            ("BALCAO_DATABASE__URL".to_owned(), db.url.clone()),
            ("BALCAO_HTTP__ADDR".to_owned(), "127.0.0.1:0".to_owned()),
            ("BALCAO_WEBHOOKS__SECRET".to_owned(), SECRET.to_owned()),
            ("BALCAO_WEBHOOKS__MAILGUN_SIGNING_KEY".to_owned(), MAILGUN_KEY.to_owned()),
            ("BALCAO_WEBHOOKS__FORM_ORIGINS".to_owned(), format!("https://outro.test,{SITE}")),
            ("BALCAO_WEBHOOKS__MAX_BODY_BYTES".to_owned(), "200000".to_owned()),
        ];
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let app = App::open(Settings::load_from(Some(&config), env).unwrap()).await.unwrap();
        let litoral = app.db.ensure_reseller("Litoral Net").await.unwrap().id;
        let maria = NewClient {
            code: "1001".into(),
            reseller_id: litoral,
            kind: ClientKind::Person,
            name: "Maria da Conceição Souza".into(),
            trade_name: String::new(),
            document: Some(Document::parse("529.982.247-25").unwrap()),
            rg_ie: String::new(),
            birth_date: None,
            address: Address { city: "Santos".into(), state: "SP".into(), ..Address::default() },
            phones: vec![Phone::parse("(13) 98765-4321").unwrap()],
            emails: vec!["maria@cliente.test".into()],
            notes: String::new(),
            status: ClientStatus::Active,
            unverified: Vec::new(),
        };
        app.db.import_clients(&[(2, maria)]).await.unwrap();
        let maria = app.db.client_by_code(&Actor::admin(), "1001").await.unwrap().id;
        app.add_staff(&NewStaff {
            name: "Carla Plantão".into(),
            reseller: Some("Litoral Net".into()),
            roles: vec!["Suporte N1".into()],
            email: None,
            telegram_id: None,
        })
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.serve_on(listener, async {
            let _ = stopped.await;
        }));
        let store = balcao_storage::Db::connect(&db.url, 2).await.unwrap();
        Some(Doors { db, store, maria, addr, stop, task, config })
    }

    async fn post(&self, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
        let (addr, path) = (self.addr.clone(), path.to_owned());
        let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let (status, head, text) = tokio::task::spawn_blocking(move || {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            exchange(&addr, "POST", &path, &headers, &body)
        })
        .await
        .unwrap();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Answer { status, head, body, text }
    }

    /// The site's server posting the form's fields, signed.
    async fn post_site(&self, fields: serde_json::Value) -> Answer {
        let body = serde_json::to_vec(&fields).unwrap();
        let signature = sign(SECRET, &body);
        self.post("/webhooks/form", &[("Content-Type", "application/json"), ("X-Balcao-Signature", &signature)], body)
            .await
    }

    /// A visitor's browser posting the form from `origin`.
    async fn post_browser(&self, origin: &str, fields: &[(&str, &str)], html: bool) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap().into_bytes();
        let accept = if html { "text/html,application/xhtml+xml" } else { "*/*" };
        let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Origin", origin), ("Accept", accept)];
        self.post("/webhooks/form", &headers, body).await
    }

    /// The stored contact `id` once processed.
    async fn processed(&self, id: i64) -> Delivery {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let found = self.store.deliveries(false, 100).await.unwrap().into_iter().find(|d| d.id.0 == id);
            let found = found.unwrap_or_else(|| panic!("contact {id} stored"));
            if found.status != IntakeStatus::Pending {
                return found;
            }
            assert!(tokio::time::Instant::now() < deadline, "still waiting: {found:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The ticket the stored contact `id` opened, which must be Maria's.
    async fn ticket_of(&self, id: i64) -> TicketDetail {
        let d = self.processed(id).await;
        assert_eq!(d.status, IntakeStatus::Ticket, "{d:?}");
        let detail = self.store.ticket(&Actor::admin(), d.ticket.unwrap()).await.unwrap();
        assert_eq!(detail.ticket.client_id, self.maria);
        detail
    }

    async fn stored(&self) -> usize {
        self.store.deliveries(false, 1000).await.unwrap().len()
    }

    async fn role(&self, name: &str) -> Assignee {
        Assignee::Role(self.store.roles().await.unwrap().into_iter().find(|r| r.name == name).unwrap().id)
    }

    async fn close(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
        self.store.close().await;
        self.db.drop_it().await;
        let _ = std::fs::remove_file(&self.config);
    }
}

fn sign(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex(&hmac_sha256(secret.as_bytes(), body)))
}

/// A multipart/form-data body of (name, file name, content type, bytes) parts.
fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----balcaoTesteFronteira7MA4YWxk";
    let mut body = Vec::new();
    for (name, file, ctype, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(file) = file {
            body.extend_from_slice(format!("; filename=\"{file}\"").as_bytes());
        }
        body.extend_from_slice(format!("\r\nContent-Type: {ctype}\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn basic(password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("postmark:{password}")))
}

/// Maria's e-mail, in Latin-1 quoted-printable, as a relay passes it on.
fn marias_email(message_id: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Maria <maria@cliente.test>\r\nTo: suporte@litoral.test\r\nSubject: {subject}\r\n\
Message-ID: <{message_id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\nA conex=E3o cai toda noite.\r\n\r\n-- \r\nMaria\r\n"
    )
    .into_bytes()
}

async fn the_site_s_server_posts_the_form_signed_and_the_form_never_picks_who_answers(store: Store) {
    let Some(t) = Doors::open(store, &[]).await else { return };
    let fields = serde_json::json!({
        "id": 9041,
        "nome": "Maria",
        "email": "",
        "telefone": "(13) 98765-4321",
        "assunto": "Sem sinal",
        "mensagem": "Desde ontem sem internet.\r\nJá reiniciei o roteador.",
        // Fields a site might add: ignored, routing decides.
        "cargo": "Financeiro",
        "responsavel": "Carla Plantão",
    });
    let a = t.post_site(fields.clone()).await;
    assert_eq!((a.status, a.body["status"].as_str()), (202, Some("stored")), "{}", a.text);
    let detail = t.ticket_of(a.body["id"].as_i64().unwrap()).await;
    assert_eq!(detail.ticket.channel.name, "Formulário");
    assert_eq!(detail.ticket.assignee, t.role("Suporte N1").await, "the default role, not what the form asked");
    assert!(detail.ticket.problem.contains("Já reiniciei o roteador."), "{}", detail.ticket.problem);
    // The site retries the same submission: nothing new.
    let again = t.post_site(fields).await;
    assert_eq!((again.status, again.body["status"].as_str()), (200, Some("duplicate")), "{}", again.text);
    assert_eq!(again.body["id"], a.body["id"]);
    // Its assunto takes the configured rule: Cobrança goes to Financeiro, by CPF.
    let cobranca = serde_json::json!({
        "nome": "Maria", "email": "outro@cliente.test", "cpf_cnpj": "529.982.247-25",
        "assunto": "Cobrança", "mensagem": "Paguei e consta em aberto.",
    });
    let a = t.post_site(cobranca).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let detail = t.ticket_of(a.body["id"].as_i64().unwrap()).await;
    assert_eq!(detail.ticket.assignee, t.role("Financeiro").await);
    assert_eq!(detail.ticket.ticket_type.name, "Financeiro");

    // Bad posts: each its status and a reason that names the field; nothing stored.
    let before = t.stored().await;
    let unsigned = t
        .post(
            "/webhooks/form",
            &[("Content-Type", "application/json")],
            br#"{"mensagem":"oi","email":"a@b.test"}"#.to_vec(),
        )
        .await;
    assert_eq!(unsigned.status, 401, "{}", unsigned.text);
    let cases = [
        (serde_json::json!({"email": "a@b.test"}), "mensagem"),
        (serde_json::json!({"mensagem": "oi"}), "email ou telefone"),
        (serde_json::json!({"mensagem": "oi", "email": "não é e-mail"}), "email"),
        (serde_json::json!({"mensagem": "oi", "telefone": "12"}), "telefone"),
        (serde_json::json!({"mensagem": "oi", "email": "a@b.test", "cpf_cnpj": "111.111.111-11"}), "cpf_cnpj"),
        (serde_json::json!({"mensagem": ["oi"], "email": "a@b.test"}), "mensagem"),
    ];
    for (fields, field) in cases {
        let a = t.post_site(fields.clone()).await;
        assert!(matches!(a.status, 400 | 422), "{fields}: {} {}", a.status, a.text);
        assert!(a.error().starts_with(field), "{fields}: {}", a.error());
    }
    let a = t.post_site(serde_json::json!([1, 2])).await;
    assert_eq!(a.status, 400, "{}", a.text);
    let xml = t.post("/webhooks/form", &[("Content-Type", "text/xml")], b"<form/>".to_vec()).await;
    assert_eq!(xml.status, 415, "{}", xml.text);
    assert!(!xml.error().is_empty());
    assert_eq!(t.stored().await, before, "nothing stored");
    t.close().await;
}

async fn a_visitor_s_browser_posts_the_form_from_the_site_only_and_a_robot_or_a_flood_stops(store: Store) {
    let Some(t) = Doors::open(store, &[("BALCAO_WEBHOOKS__FORM_PER_ADDRESS_PER_HOUR", "2")]).await else { return };
    let maria = [
        ("nome", "Maria"),
        ("email", "Maria@Cliente.test"),
        ("telefone", ""),
        ("assunto", "Mudança de plano"),
        ("mensagem", "Quero 500 mega."),
        ("website", ""),
    ];
    // A browser that navigated here gets a page in Portuguese, and the site may read the answer.
    let a = t.post_browser(SITE, &maria, true).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert!(a.header("content-type").unwrap().starts_with("text/html"), "{}", a.head);
    assert!(a.text.contains("lang=\"pt-BR\"") && a.text.contains("Recebemos"), "{}", a.text);
    assert_eq!(a.header("access-control-allow-origin").as_deref(), Some(SITE));
    let id = t.store.deliveries(false, 1).await.unwrap()[0].id.0;
    assert_eq!(t.ticket_of(id).await.ticket.channel.name, "Formulário");

    // Another site's page, a robot that fills the honeypot: refused, nothing stored.
    let before = t.stored().await;
    let foreign = t.post_browser("https://golpe.test", &maria, false).await;
    assert_eq!(foreign.status, 403, "{}", foreign.text);
    assert!(foreign.header("access-control-allow-origin").is_none());
    let mut robot = maria;
    robot[5] = ("website", "http://spam.test");
    let a = t.post_browser(SITE, &robot, false).await;
    assert_eq!(a.status, 422, "{}", a.text);
    let mut blank = maria;
    blank[4] = ("mensagem", "   ");
    let a = t.post_browser(SITE, &blank, true).await;
    assert_eq!(a.status, 422, "{}", a.text);
    assert!(a.text.contains("mensagem: escreva a mensagem"), "the page says what is missing: {}", a.text);
    assert_eq!(t.stored().await, before);

    // The same address may post twice an hour here; the third waits, told for how long.
    let mut second = maria;
    second[4] = ("mensagem", "E o preço?");
    assert_eq!(t.post_browser(SITE, &second, false).await.status, 202);
    let mut third = maria;
    third[4] = ("mensagem", "Alô?");
    let a = t.post_browser(SITE, &third, false).await;
    assert_eq!(a.status, 429, "{}", a.text);
    let retry: u64 = a.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((3000..=3600).contains(&retry), "{retry}");
    assert!(a.error().contains("minuto"), "{}", a.error());
    assert_eq!(t.stored().await, before + 1);
    t.close().await;
}

/// Mailgun's signature fields for `token` at `timestamp`, under `key`.
fn mailgun_signed(key: &str, timestamp: i64, token: &str) -> [(String, String); 3] {
    let signature = hex(&hmac_sha256(key.as_bytes(), format!("{timestamp}{token}").as_bytes()));
    [("timestamp".into(), timestamp.to_string()), ("token".into(), token.into()), ("signature".into(), signature)]
}

fn mailgun_body(signed: &[(String, String); 3], extra: &[(&str, Option<&str>, &str, &[u8])]) -> (String, Vec<u8>) {
    let mut parts: Vec<(&str, Option<&str>, &str, &[u8])> =
        signed.iter().map(|(k, v)| (k.as_str(), None, "text/plain", v.as_bytes())).collect();
    parts.extend_from_slice(extra);
    multipart(&parts)
}

async fn mailgun_s_signed_mime_becomes_a_ticket_and_a_stale_or_replayed_post_is_refused(store: Store) {
    let Some(t) = Doors::open(store, &[]).await else { return };
    let now = chrono::Utc::now().timestamp();
    let raw = marias_email("mg1@cliente.test", "=?ISO-8859-1?Q?Conex=E3o_caindo?=");
    let signed = mailgun_signed(MAILGUN_KEY, now, "token-0001-abcdef");
    let (ctype, body) = mailgun_body(&signed, &[("body-mime", None, "text/plain", &raw)]);
    let a = t.post("/webhooks/email/mailgun/mime", &[("Content-Type", &ctype)], body.clone()).await;
    assert_eq!((a.status, a.body["status"].as_str()), (202, Some("stored")), "{}", a.text);
    let detail = t.ticket_of(a.body["id"].as_i64().unwrap()).await;
    assert_eq!(detail.ticket.channel.name, "E-mail");
    assert!(detail.ticket.problem.contains("Conexão caindo"), "{}", detail.ticket.problem);
    assert!(detail.ticket.problem.contains("A conexão cai toda noite."), "{}", detail.ticket.problem);
    assert!(!detail.ticket.problem.contains("-- "), "the signature is cut: {}", detail.ticket.problem);

    let before = t.stored().await;
    // The same post again (a replay): refused. A new token but the wrong key, or an old timestamp: refused.
    let replay = t.post("/webhooks/email/mailgun/mime", &[("Content-Type", &ctype)], body).await;
    assert_eq!(replay.status, 401, "{}", replay.text);
    for (signed, what) in [
        (mailgun_signed("outra-chave", now, "token-0002"), "another key"),
        (mailgun_signed(MAILGUN_KEY, now - 3600, "token-0003"), "an hour old"),
    ] {
        let (ctype, body) = mailgun_body(&signed, &[("body-mime", None, "text/plain", &raw)]);
        let a = t.post("/webhooks/email/mailgun/mime", &[("Content-Type", &ctype)], body).await;
        assert_eq!(a.status, 401, "{what}: {}", a.text);
        assert!(!a.error().is_empty());
    }
    assert_eq!(t.stored().await, before, "nothing stored");

    // Mailgun's parsed fields (the route without /mime), with an attachment: listed on the ticket.
    let signed = mailgun_signed(MAILGUN_KEY, now, "token-0004");
    let headers = r#"[["From", "Maria <maria@cliente.test>"], ["Message-Id", "<mg2@cliente.test>"]]"#;
    let (ctype, body) = mailgun_body(
        &signed,
        &[
            ("message-headers", None, "text/plain", headers.as_bytes()),
            ("from", None, "text/plain", b"Maria <maria@cliente.test>"),
            ("recipient", None, "text/plain", b"suporte@litoral.test"),
            ("subject", None, "text/plain", "Foto do roteador".as_bytes()),
            ("body-plain", None, "text/plain", "Segue a foto da luz vermelha.".as_bytes()),
            ("attachment-1", Some("roteador.jpg"), "image/jpeg", &[0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]),
        ],
    );
    let a = t.post("/webhooks/email/mailgun", &[("Content-Type", &ctype)], body).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let detail = t.ticket_of(a.body["id"].as_i64().unwrap()).await;
    assert!(detail.ticket.problem.contains("Segue a foto da luz vermelha."), "{}", detail.ticket.problem);
    assert!(detail.ticket.problem.contains("Anexos: roteador.jpg"), "{}", detail.ticket.problem);

    // Signed, but no message in it: Mailgun is told 406 so it stops, and the list shows why.
    let signed = mailgun_signed(MAILGUN_KEY, now, "token-0005");
    let (ctype, body) = mailgun_body(&signed, &[("body-mime", None, "text/plain", b"")]);
    let a = t.post("/webhooks/email/mailgun/mime", &[("Content-Type", &ctype)], body).await;
    assert_eq!(a.status, 406, "{}", a.text);
    let failed = t.store.deliveries(true, 10).await.unwrap();
    assert!(failed.iter().any(|d| d.channel == IntakeChannel::Mailgun && d.status == IntakeStatus::Failed));
    t.close().await;
}

async fn postmark_and_sendgrid_post_with_basic_auth_raw_or_parsed_and_bad_posts_stop_their_retries(store: Store) {
    let Some(t) = Doors::open(store, &[]).await else { return };
    // Postmark's inbound JSON with RawEmail.
    let raw = String::from_utf8(marias_email("pm1@cliente.test", "Sem internet")).unwrap();
    let json = serde_json::json!({ "From": "maria@cliente.test", "Subject": "Sem internet", "RawEmail": raw });
    let body = serde_json::to_vec(&json).unwrap();
    let wrong = t
        .post(
            "/webhooks/email/postmark",
            &[("Content-Type", "application/json"), ("Authorization", &basic("errada"))],
            body.clone(),
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert!(wrong.header("www-authenticate").is_some_and(|h| h.starts_with("Basic")));
    let auth = basic(SECRET);
    let json_headers = [("Content-Type", "application/json"), ("Authorization", auth.as_str())];
    let a = t.post("/webhooks/email/postmark", &json_headers, body.clone()).await;
    assert_eq!((a.status, a.body["status"].as_str()), (202, Some("stored")), "{}", a.text);
    t.ticket_of(a.body["id"].as_i64().unwrap()).await;
    // Postmark retries it: the same Message-ID, nothing new.
    let again = t.post("/webhooks/email/postmark", &json_headers, body).await;
    assert_eq!((again.status, again.body["status"].as_str()), (200, Some("duplicate")), "{}", again.text);

    // Postmark's parsed JSON (no RawEmail), with an attachment.
    let parsed = serde_json::json!({
        "FromFull": { "Email": "maria@cliente.test", "Name": "Maria" },
        "To": "suporte@litoral.test",
        "Subject": "Comprovante",
        "MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
        "TextBody": "Segue o comprovante do pagamento.",
        "Headers": [{ "Name": "Message-ID", "Value": "<pm2@cliente.test>" }],
        "Attachments": [{ "Name": "comprovante.pdf", "Content": "JVBERi0xLjQK", "ContentType": "application/pdf" }],
    });
    let a = t.post("/webhooks/email/postmark", &json_headers, serde_json::to_vec(&parsed).unwrap()).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let detail = t.ticket_of(a.body["id"].as_i64().unwrap()).await;
    assert!(detail.ticket.problem.contains("Segue o comprovante do pagamento."), "{}", detail.ticket.problem);
    assert!(detail.ticket.problem.contains("comprovante.pdf"), "{}", detail.ticket.problem);
    // A JSON Postmark cannot fix by retrying: 200 so it stops, the rejection recorded.
    let a =
        t.post("/webhooks/email/postmark", &json_headers, br#"{"Subject":"sem remetente nem corpo"}"#.to_vec()).await;
    assert_eq!((a.status, a.body["status"].as_str()), (200, Some("rejected")), "{}", a.text);
    let bad = t.post("/webhooks/email/postmark", &json_headers, b"{nao e json".to_vec()).await;
    assert_eq!(bad.status, 200, "{}", bad.text);

    // SendGrid's Inbound Parse, raw mode (the whole message in `email`), behind Basic auth.
    let raw = marias_email("sg1@cliente.test", "Lentid=?ISO-8859-1?Q?=E3o?=");
    let (ctype, body) = multipart(&[
        ("to", None, "text/plain", b"suporte@litoral.test"),
        ("from", None, "text/plain", b"maria@cliente.test"),
        ("email", None, "text/plain", &raw),
    ]);
    let nobody = t.post("/webhooks/email/sendgrid", &[("Content-Type", &ctype)], body.clone()).await;
    assert_eq!(nobody.status, 401, "{}", nobody.text);
    let a = t.post("/webhooks/email/sendgrid", &[("Content-Type", &ctype), ("Authorization", &auth)], body).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert!(t.ticket_of(a.body["id"].as_i64().unwrap()).await.ticket.problem.contains("A conexão cai toda noite."));
    // Parsed mode: headers, text and a file.
    let (ctype, body) = multipart(&[
        ("headers", None, "text/plain", b"Message-ID: <sg2@cliente.test>\nFrom: Maria <maria@cliente.test>\n"),
        ("from", None, "text/plain", b"Maria <maria@cliente.test>"),
        ("to", None, "text/plain", b"suporte@litoral.test"),
        ("subject", None, "text/plain", b"Roteador novo"),
        ("text", None, "text/plain", "Chegou o roteador, como instalo?".as_bytes()),
        ("attachment1", Some("caixa.png"), "image/png", &[0x89, b'P', b'N', b'G']),
    ]);
    let a = t.post("/webhooks/email/sendgrid", &[("Content-Type", &ctype), ("Authorization", &auth)], body).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let problem = t.ticket_of(a.body["id"].as_i64().unwrap()).await.ticket.problem;
    assert!(problem.contains("como instalo?") && problem.contains("caixa.png"), "{problem}");
    let wrong_type = t
        .post("/webhooks/email/sendgrid", &[("Content-Type", "text/plain"), ("Authorization", &auth)], b"x".to_vec())
        .await;
    assert_eq!(wrong_type.status, 415, "{}", wrong_type.text);

    // Over webhooks.max_body_bytes: 413 with a JSON reason, on every door.
    let huge = vec![b'a'; 250_000];
    for path in ["/webhooks/email/postmark", "/webhooks/email/sendgrid", "/webhooks/form", "/webhooks/email/raw"] {
        let a = t.post(path, &json_headers, huge.clone()).await;
        assert_eq!(a.status, 413, "{path}: {}", a.text);
        assert!(!a.error().is_empty());
    }
    let rejected = t.store.deliveries(true, 10).await.unwrap();
    assert_eq!(rejected.iter().filter(|d| d.channel == IntakeChannel::Postmark).count(), 2, "{rejected:?}");

    // The document of the routes, for whoever integrates.
    let addr = t.addr.clone();
    let (status, doc) = tokio::task::spawn_blocking(move || support::http::get(&addr, "/openapi.json")).await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(
        (status, doc["paths"]["/webhooks/email/sendgrid"]["post"]["security"][0]["basic"].is_array()),
        (200, true)
    );

    // What happened, counted for Prometheus.
    let addr = t.addr.clone();
    let (status, metrics) = tokio::task::spawn_blocking(move || support::http::get(&addr, "/metrics")).await.unwrap();
    assert_eq!(status, 200);
    for line in [
        "balcao_intake_received_total{channel=\"postmark\"} 4\n",
        "balcao_intake_received_total{channel=\"sendgrid\"} 2\n",
        "balcao_intake_duplicates_total{channel=\"postmark\"} 1\n",
        "balcao_intake_processed_total{outcome=\"ticket\"} 4\n",
        "balcao_intake_refused_total{door=\"/webhooks/email/postmark\",reason=\"signature\"} 1\n",
        "balcao_intake_refused_total{door=\"/webhooks/email/postmark\",reason=\"unreadable_message\"} 2\n",
        "balcao_intake_refused_total{door=\"/webhooks/email/sendgrid\",reason=\"unsupported_type\"} 1\n",
        "balcao_intake_refused_total{door=\"/webhooks/form\",reason=\"too_large\"} 1\n",
        "balcao_http_request_duration_seconds_count{method=\"POST\",route=\"/webhooks/email/sendgrid\",status=\"2xx\"} 2\n",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    t.close().await;
}

support::on_both_stores!(
    the_site_s_server_posts_the_form_signed_and_the_form_never_picks_who_answers,
    a_visitor_s_browser_posts_the_form_from_the_site_only_and_a_robot_or_a_flood_stops,
    mailgun_s_signed_mime_becomes_a_ticket_and_a_stale_or_replayed_post_is_refused,
    postmark_and_sendgrid_post_with_basic_auth_raw_or_parsed_and_bad_posts_stop_their_retries,
);
