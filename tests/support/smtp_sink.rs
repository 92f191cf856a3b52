//! An SMTP server on 127.0.0.1 for tests and benchmarks: it speaks the
//! protocol (EHLO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT)
//! and keeps what it accepts. It can refuse like a real relay (4xx
//! temporarily, 5xx for good) and go down (nothing listens, open
//! connections drop) and come back up on the same port.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A message the sink accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// MAIL FROM.
    pub from: String,
    /// RCPT TO, each.
    pub to: Vec<String>,
    /// The message as sent, dot-unstuffed, with CRLF line ends.
    pub data: Vec<u8>,
}

/// How the sink answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 250 to everything.
    Accept,
    /// 451 at MAIL FROM: try again later.
    Temporary,
    /// 550 at RCPT TO: no such mailbox.
    Permanent,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    verdict: Option<Verdict>,
    refused: usize,
    connections: usize,
}

/// The sink.
pub struct SmtpSink {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    listener: Option<JoinHandle<()>>,
    sessions: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl SmtpSink {
    /// Listens on a free port of 127.0.0.1.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut sink = SmtpSink {
            addr,
            state: Arc::new(Mutex::new(State::default())),
            listener: None,
            sessions: Arc::new(Mutex::new(Vec::new())),
        };
        sink.serve(listener);
        sink
    }

    /// `smtp.url` for this sink (plain text: it is on this machine).
    pub fn url(&self) -> String {
        format!("smtp://{}?tls=none", self.addr)
    }

    /// From now on, answer like this.
    pub fn set_verdict(&self, verdict: Verdict) {
        self.state.lock().unwrap().verdict = Some(verdict);
    }

    /// Everything accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// How many messages were refused (4xx or 5xx).
    pub fn refused(&self) -> usize {
        self.state.lock().unwrap().refused
    }

    /// How many connections were opened to the sink.
    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    /// Waits until `n` messages were accepted; panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(tokio::time::Instant::now() < deadline, "expected {n} e-mails, the sink has {}", got.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops listening and drops every open connection, as a relay that went down.
    pub async fn down(&mut self) {
        if let Some(l) = self.listener.take() {
            l.abort();
            let _ = l.await;
        }
        let sessions: Vec<_> = self.sessions.lock().unwrap().drain(..).collect();
        for s in sessions {
            s.abort();
            let _ = s.await;
        }
    }

    /// Listens again on the same port.
    pub async fn up(&mut self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("the sink cannot listen on {} again: {e}", self.addr),
            }
        };
        self.serve(listener);
    }

    fn serve(&mut self, listener: TcpListener) {
        let (state, sessions) = (self.state.clone(), self.sessions.clone());
        self.listener = Some(tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                state.lock().unwrap().connections += 1;
                let session = tokio::spawn(session(socket, state.clone()));
                let mut all = sessions.lock().unwrap();
                all.retain(|s| !s.is_finished());
                all.push(session);
            }
        }));
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(l) = self.listener.take() {
            l.abort();
        }
        for s in self.sessions.lock().unwrap().drain(..) {
            s.abort();
        }
    }
}

async fn session(socket: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let verdict = || state.lock().unwrap().verdict.unwrap_or(Verdict::Accept);
    if write.write_all(b"220 sink.test ESMTP pronto\r\n").await.is_err() {
        return;
    }
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            if verdict() == Verdict::Temporary {
                state.lock().unwrap().refused += 1;
                b"451 4.3.0 Tente mais tarde\r\n"
            } else {
                from = address(&command["MAIL FROM:".len()..]);
                to.clear();
                b"250 2.1.0 Ok\r\n"
            }
        } else if upper.starts_with("RCPT TO:") {
            if verdict() == Verdict::Permanent {
                state.lock().unwrap().refused += 1;
                b"550 5.1.1 Caixa postal inexistente\r\n"
            } else {
                to.push(address(&command["RCPT TO:".len()..]));
                b"250 2.1.5 Ok\r\n"
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                b"503 5.5.1 Falta RCPT\r\n"
            } else {
                if write.write_all(b"354 Termine com <CRLF>.<CRLF>\r\n").await.is_err() {
                    return;
                }
                let mut data = Vec::new();
                loop {
                    let mut raw = Vec::new();
                    match lines.read_until(b'\n', &mut raw).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if raw == b".\r\n" || raw == b".\n" {
                        break;
                    }
                    let unstuffed = if raw.starts_with(b"..") { &raw[1..] } else { &raw[..] };
                    data.extend_from_slice(unstuffed);
                }
                state.lock().unwrap().received.push(Received {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 2.0.0 Ok: aceita\r\n"
            }
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            b"250 2.0.0 Ok\r\n"
        } else if upper == "NOOP" {
            b"250 2.0.0 Ok\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 2.0.0 Tchau\r\n").await;
            return;
        } else {
            b"502 5.5.2 Comando desconhecido\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The address inside "<...>" (and before any parameter).
fn address(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if a < b => arg[a + 1..b].to_owned(),
        _ => arg.split_whitespace().next().unwrap_or("").to_owned(),
    }
}
