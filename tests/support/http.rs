//! Plain HTTP/1.1 on loopback, enough for the tests to call the service the
//! way Telegram or a load balancer would.

#![allow(dead_code, reason = "each test binary uses a different part of the support module")]

use std::io::{Read, Write};

/// Sends one request and returns (status, body).
pub fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    request_bytes(addr, method, path, headers, body.as_bytes())
}

/// Sends one request with a body of any bytes and returns (status, body).
pub fn request_bytes(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let (status, _, body) = exchange(addr, method, path, headers, body);
    (status, body)
}

/// Sends one request and returns (status, the response's header block, body).
pub fn exchange(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((response.as_str(), ""));
    (status, head.to_owned(), body.to_owned())
}

/// GET `path`.
pub fn get(addr: &str, path: &str) -> (u16, String) {
    request(addr, "GET", path, &[], "")
}
