//! Intake's raw e-mail door end to end: the real App on loopback with
//! `webhooks.secret` set, on SQLite and on PostgreSQL (when
//! `BALCAO_TEST_POSTGRES_URL` is set). A signed e-mail is stored byte for
//! byte before the 2xx, a second delivery of it changes nothing, and every
//! bad request gets its status and a JSON error while nothing is stored.

mod support;

use balcao::App;
use balcao::settings::Settings;
use balcao_domain::intake::{IntakeStatus, hex, hmac_sha256};
use balcao_domain::ports::Intake;
use support::db::{Store, TestDb};
use support::http::request_bytes;

const SECRET: &str = "segredo-de-teste-0123456789";
const OLD_SECRET: &str = "segredo-antigo-9876543210";
const PATH: &str = "/webhooks/email/raw";

/// An e-mail as Outlook sends it from a Brazilian desktop: Latin-1,
/// quoted-printable, an encoded subject.
fn latin1_email(message_id: Option<&str>) -> Vec<u8> {
    let mut raw = b"From: =?ISO-8859-1?Q?Jo=E3o_Concei=E7=E3o?= <Joao.Conceicao@Cliente.test>\r\n\
To: suporte@provedor.test\r\n\
Subject: =?ISO-8859-1?Q?Sem_conex=E3o_desde_ontem?=\r\n"
        .to_vec();
    if let Some(id) = message_id {
        raw.extend_from_slice(format!("Message-ID: <{id}>\r\n").as_bytes());
    }
    raw.extend_from_slice(
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\nBoa tarde, a internet n=E3o funciona desde ontem =E0 noite.\r\n",
    );
    raw.push(0xe9); // a stray Latin-1 byte outside any encoding: kept as it came
    raw.extend_from_slice(b"\r\n");
    raw
}

fn sign(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex(&hmac_sha256(secret.as_bytes(), body)))
}

struct Door {
    addr: String,
    db: TestDb,
    store: balcao_storage::Db,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Door {
    async fn open(store: Store, secrets: &[(&str, &str)]) -> Option<Door> {
        let db = TestDb::new(store).await?;
        let mut env = vec![
            ("BALCAO_DATABASE__URL".to_owned(), db.url.clone()),
            ("BALCAO_HTTP__ADDR".to_owned(), "127.0.0.1:0".to_owned()),
            ("BALCAO_WEBHOOKS__MAX_BODY_BYTES".to_owned(), "65536".to_owned()),
        ];
        env.extend(secrets.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let app = App::open(Settings::load_from(None, env).unwrap()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.serve_on(listener, async {
            let _ = stopped.await;
        }));
        let store = balcao_storage::Db::connect(&db.url, 2).await.unwrap();
        Some(Door { addr, db, store, stop, task })
    }

    async fn post(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> (u16, serde_json::Value) {
        let addr = self.addr.clone();
        let (status, text) = tokio::task::spawn_blocking(move || {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            request_bytes(&addr, "POST", PATH, &headers, &body)
        })
        .await
        .unwrap();
        (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON answer, got {text:?}")))
    }

    async fn post_signed(&self, secret: &str, body: &[u8]) -> (u16, serde_json::Value) {
        let headers = vec![
            ("Content-Type".to_owned(), "message/rfc822".to_owned()),
            ("X-Balcao-Signature".to_owned(), sign(secret, body)),
        ];
        self.post(headers, body.to_vec()).await
    }

    async fn stored_raw(&self) -> Vec<Vec<u8>> {
        let rows: Vec<(Vec<u8>,)> =
            sqlx::query_as("SELECT raw FROM intake_deliveries ORDER BY id").fetch_all(self.store.pool()).await.unwrap();
        rows.into_iter().map(|(r,)| r).collect()
    }

    async fn close(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
        self.store.close().await;
        self.db.drop_it().await;
    }
}

fn secrets() -> [(&'static str, &'static str); 2] {
    [("BALCAO_WEBHOOKS__SECRET", SECRET), ("BALCAO_WEBHOOKS__PREVIOUS_SECRET", OLD_SECRET)]
}

async fn a_signed_e_mail_is_stored_as_it_came_and_a_second_delivery_changes_nothing(store: Store) {
    let Some(door) = Door::open(store, &secrets()).await else { return };
    let raw = latin1_email(Some("CAF3x1@mail.cliente.test"));
    let (status, body) = door.post_signed(SECRET, &raw).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("stored")), "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(door.stored_raw().await, std::slice::from_ref(&raw), "byte for byte, the stray byte too");
    // Processed at once: nobody has this address, so it waits without a client, saying what to do.
    let d = loop {
        let listed = door.store.deliveries(false, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        if listed[0].status != IntakeStatus::Pending {
            break listed[0].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!((d.id.0, d.status, d.size), (id, IntakeStatus::Unmatched, raw.len() as i64));
    assert!(d.reason.starts_with("nenhum cliente tem este e-mail"), "{}", d.reason);
    assert_eq!(d.sender, "joao.conceicao@cliente.test");
    assert_eq!(d.subject, "Sem conexão desde ontem");

    // The relay retries; then another relay delivers it signed with the old secret.
    for secret in [SECRET, OLD_SECRET] {
        let (status, body) = door.post_signed(secret, &raw).await;
        assert_eq!((status, body["status"].as_str(), body["id"].as_i64()), (200, Some("duplicate"), Some(id)));
    }
    // The same Message-ID with other bytes (a relay added a header) is the same e-mail.
    let mut relayed = b"Received: from mx2.provedor.test\r\n".to_vec();
    relayed.extend_from_slice(&raw);
    assert_eq!(door.post_signed(SECRET, &relayed).await.0, 200);
    assert_eq!(door.stored_raw().await.len(), 1);

    // Without a Message-ID the bytes are the key.
    let bare = latin1_email(None);
    assert_eq!(door.post_signed(SECRET, &bare).await.0, 202);
    assert_eq!(door.post_signed(SECRET, &bare).await.0, 200);
    let mut other = bare.clone();
    other.extend_from_slice(b"P.S. E o telefone tamb\xe9m.\r\n");
    assert_eq!(door.post_signed(SECRET, &other).await.0, 202);
    assert_eq!(door.stored_raw().await.len(), 3);
    door.close().await;
}

async fn of_many_deliveries_of_one_e_mail_at_once_exactly_one_is_stored(store: Store) {
    let Some(door) = Door::open(store, &secrets()).await else { return };
    let raw = latin1_email(Some("rajada@mail.cliente.test"));
    let door = std::sync::Arc::new(door);
    let mut posts = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let (door, raw) = (door.clone(), raw.clone());
        posts.spawn(async move { door.post_signed(SECRET, &raw).await });
    }
    let mut statuses = Vec::new();
    while let Some(done) = posts.join_next().await {
        let (status, body) = done.unwrap();
        statuses.push((status, body["id"].as_i64().unwrap()));
    }
    assert_eq!(statuses.iter().filter(|(s, _)| *s == 202).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|(s, id)| (*s == 202 || *s == 200) && *id == statuses[0].1), "{statuses:?}");
    assert_eq!(door.stored_raw().await.len(), 1);
    let door = std::sync::Arc::try_unwrap(door).ok().unwrap();
    door.close().await;
}

support::on_both_stores!(
    a_signed_e_mail_is_stored_as_it_came_and_a_second_delivery_changes_nothing,
    of_many_deliveries_of_one_e_mail_at_once_exactly_one_is_stored,
);

/// A request's headers, as name and value.
type Headers = Vec<(String, String)>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_request_gets_its_status_and_a_json_reason_and_nothing_is_stored() {
    let door = Door::open(Store::Sqlite, &secrets()).await.unwrap();
    let raw = latin1_email(Some("ruim@mail.cliente.test"));
    let rfc822 = ("Content-Type".to_owned(), "message/rfc822".to_owned());
    let signed = |secret: &str, body: &[u8]| ("X-Balcao-Signature".to_owned(), sign(secret, body));
    let cases: Vec<(&str, Headers, Vec<u8>, u16)> = vec![
        ("no signature", vec![rfc822.clone()], raw.clone(), 401),
        ("another secret", vec![rfc822.clone(), signed("um-segredo-qualquer-123", &raw)], raw.clone(), 401),
        ("signature of other bytes", vec![rfc822.clone(), signed(SECRET, b"outro")], raw.clone(), 401),
        (
            "bare hex",
            vec![rfc822.clone(), ("X-Balcao-Signature".into(), hex(&hmac_sha256(SECRET.as_bytes(), &raw)))],
            raw.clone(),
            401,
        ),
        (
            "JSON instead of an e-mail",
            vec![("Content-Type".into(), "application/json".into()), signed(SECRET, &raw)],
            raw.clone(),
            415,
        ),
        ("no content type", vec![signed(SECRET, &raw)], raw.clone(), 415),
        ("empty", vec![rfc822.clone(), signed(SECRET, b"")], Vec::new(), 400),
        ("blank", vec![rfc822.clone(), signed(SECRET, b"\r\n\r\n")], b"\r\n\r\n".to_vec(), 400),
        ("over the cap", vec![rfc822.clone()], vec![b'a'; 70_000], 413),
    ];
    for (what, headers, body, expected) in cases {
        let (status, answer) = door.post(headers, body).await;
        assert_eq!(status, expected, "{what}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()), "{what}: {answer}");
    }
    assert!(door.stored_raw().await.is_empty(), "nothing stored");
    door.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_secret_the_door_is_closed() {
    let door = Door::open(Store::Sqlite, &[]).await.unwrap();
    let raw = latin1_email(Some("fechado@mail.cliente.test"));
    let (status, answer) = door.post_signed("", &raw).await;
    assert_eq!(status, 404, "{answer}");
    assert!(door.stored_raw().await.is_empty());
    door.close().await;
}
