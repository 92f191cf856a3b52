//! The HTTP door holds against clients that are slow, silent, oversized or
//! too many: the real App serving on loopback with short limits, talked to
//! over raw TCP the way a misbehaving client would.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use balcao::App;
use balcao::settings::Settings;
use support::db::{Store, TestDb};

/// Longer than every limit below, shorter than a test runner's patience.
const WAIT: Duration = Duration::from_secs(10);

/// The App with one-second deadlines, a 64 KiB body cap and three connections at once.
struct Door {
    addr: String,
    db: TestDb,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Door {
    async fn open() -> Door {
        let db = TestDb::new(Store::Sqlite).await.unwrap();
        let env = [
            ("BALCAO_DATABASE__URL", db.url.clone()),
            ("BALCAO_HTTP__HEADER_TIMEOUT_SECONDS", "1".to_owned()),
            ("BALCAO_HTTP__BODY_TIMEOUT_SECONDS", "1".to_owned()),
            ("BALCAO_HTTP__MAX_BODY_BYTES", "65536".to_owned()),
            ("BALCAO_HTTP__MAX_CONNECTIONS", "3".to_owned()),
        ];
        let settings = Settings::load_from(None, env.into_iter().map(|(k, v)| (k.to_owned(), v))).unwrap();
        let app = App::open(settings).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.serve_on(listener, async {
            let _ = stopped.await;
        }));
        Door { addr, db, stop, task }
    }

    /// A connection that sends `bytes` and then nothing more.
    fn connect_and_send(&self, bytes: &[u8]) -> TcpStream {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.write_all(bytes).unwrap();
        stream
    }

    async fn close(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(WAIT, self.task).await.expect("the App stops").unwrap().unwrap();
        self.db.drop_it().await;
    }
}

/// Reads until the server closes the connection; what it said, and whether it
/// closed before `WAIT` (a read timeout means it held the connection).
fn read_to_close(mut stream: TcpStream) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&got).into_owned(), true);
            }
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_idle_connections_are_closed() {
    let door = Door::open().await;
    let half = door.connect_and_send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
    let idle = door.connect_and_send(b"");
    let (said, closed) = blocking(move || read_to_close(half)).await;
    assert!(closed, "a client that never finishes its headers is not held: {said:?}");
    let (said, closed) = blocking(move || read_to_close(idle)).await;
    assert!(closed && said.is_empty(), "a silent connection is closed: {said:?}");
    // A kept-alive connection that goes quiet after its request is closed too.
    let kept = door.connect_and_send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let (said, closed) = blocking(move || read_to_close(kept)).await;
    assert!(said.starts_with("HTTP/1.1 200") && closed, "{said:?}");
    door.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_arrive_in_time_gets_408_in_json() {
    let door = Door::open().await;
    let slow = door.connect_and_send(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
    let started = Instant::now();
    let (said, closed) = blocking(move || read_to_close(slow)).await;
    assert!(said.starts_with("HTTP/1.1 408"), "{said:?}");
    assert!(
        said.contains("application/json") && said.contains(r#"{"error":"o corpo da requisição não chegou a tempo"}"#)
    );
    assert!(closed && started.elapsed() < WAIT, "{said:?}");
    door.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_cap_gets_413_in_json_declared_or_not() {
    let door = Door::open().await;
    // Declared 10 MB, nothing sent: refused at once, not waited for.
    let declared =
        door.connect_and_send(b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n");
    let (said, _) = blocking(move || read_to_close(declared)).await;
    assert!(said.starts_with("HTTP/1.1 413"), "{said:?}");
    assert!(said.contains(r#"{"error":"corpo da requisição grande demais (máximo 65536 bytes)"}"#), "{said:?}");
    // Sent in chunks without a length: refused once past the cap.
    let mut chunked = b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..20 {
        chunked.extend_from_slice(b"1000\r\n");
        chunked.extend_from_slice(&[b'a'; 4096]);
        chunked.extend_from_slice(b"\r\n");
    }
    let sent = door.connect_and_send(&chunked);
    let (said, _) = blocking(move || read_to_close(sent)).await;
    assert!(said.starts_with("HTTP/1.1 413") && said.contains("grande demais"), "{said:?}");
    door.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_for_a_free_one() {
    let door = Door::open().await;
    // Three silent connections fill the cap of three; each is closed a
    // second after it is accepted.
    let started = Instant::now();
    let silent: Vec<TcpStream> = (0..3).map(|_| door.connect_and_send(b"")).collect();
    let addr = door.addr.clone();
    let fourth = blocking(move || support::http::get(&addr, "/healthz")).await;
    // Answered only once the silent ones were closed for idling (after a second).
    assert_eq!(fourth.0, 200, "{fourth:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "the fourth was served beside three: {:?}",
        started.elapsed()
    );
    for s in silent {
        let (_, closed) = blocking(move || read_to_close(s)).await;
        assert!(closed);
    }
    door.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_503_and_which_worker_stopped() {
    let db = TestDb::new(Store::Sqlite).await.unwrap();
    let store = std::sync::Arc::new(balcao_storage::Db::connect(&db.url, 2).await.unwrap());
    store.migrate().await.unwrap();
    let (bot, running_bot) = balcao_webhooks::Worker::start("bot");
    let (dispatcher, _running_dispatcher) = balcao_webhooks::Worker::start("dispatcher");
    let probe = store.clone();
    let service = balcao_webhooks::Service {
        health: std::sync::Arc::new(move || {
            let probe = probe.clone();
            Box::pin(async move { probe.ping().await.map_err(|e| format!("{e:?}")) })
        }),
        telegram: None,
        intake: None,
        outbox: store.clone(),
        workers: vec![bot, dispatcher],
        metrics: std::sync::Arc::default(),
    };
    service.metrics.watch(service.workers.clone(), None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let limits = balcao_webhooks::HttpLimits {
        header_timeout: Duration::from_secs(5),
        body_timeout: Duration::from_secs(5),
        max_body_bytes: 65_536,
        webhook_max_body_bytes: 65_536,
        max_connections: 8,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(balcao_webhooks::serve(
        listener,
        balcao_webhooks::router(service.clone()),
        limits,
        service.metrics,
        async {
            let _ = stopped.await;
        },
    ));
    let get = |addr: String, path: &'static str| blocking(move || support::http::get(&addr, path));
    let (status, body) = get(addr.clone(), "/healthz").await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok","workers":{"bot":"ok","dispatcher":"ok"}}"#));
    // The bot's task ends (returned or panicked): its guard is dropped.
    drop(running_bot);
    let (status, body) = get(addr.clone(), "/healthz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body, r#"{"error":"parado: bot","status":"error","workers":{"bot":"parado","dispatcher":"ok"}}"#);
    let (_, metrics) = get(addr.clone(), "/metrics").await;
    assert!(metrics.contains("balcao_worker_running{worker=\"bot\"} 0\n"), "{metrics}");
    assert!(metrics.contains("balcao_worker_running{worker=\"dispatcher\"} 1\n"), "{metrics}");
    // Ready means the store answers, whatever the workers do.
    assert_eq!(get(addr.clone(), "/readyz").await, (200, r#"{"status":"ok"}"#.to_owned()));
    store.close().await;
    let (status, body) = get(addr.clone(), "/readyz").await;
    assert_eq!((status, body.as_str()), (503, r#"{"error":"banco de dados indisponível"}"#));
    let _ = stop.send(());
    server.await.unwrap();
    db.drop_it().await;
}
