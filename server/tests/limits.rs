//! Limits, against a real `byok-kms serve --max-connections 8 --request-timeout 2`: a connection
//! over the limit is answered 503 at once; slow or idle clients are disconnected once the request
//! timeout passes, and the server then serves others; a body that trickles in gets 408; a body
//! over the size limit gets 400. (The deadlines below only keep a broken server from hanging the
//! test; nothing is timed.)

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::process::KmsProcess;
use serde_json::Value;

const LIMIT: usize = 8;

fn connect(server: &KmsProcess) -> TcpStream {
    let address = server.endpoint.trim_start_matches("http://");
    let stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
}

/// Reads until the server closes the connection; returns what it sent.
fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server neither answered nor closed: {e}"),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json_body(response: &str) -> Value {
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// A signed call through a fresh client; panics unless it succeeds. Like any client told
/// `503 ServiceUnavailableTemporary` (`retry-after: 1`), it retries: the server frees a slot just
/// after closing its connection, so a client that saw the close may still find it taken.
fn healthy(server: &KmsProcess) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut last = String::new();
    for _ in 0..20 {
        match runtime.block_on(server.client(1).ok("ListKeys", &[])) {
            Ok(_) => return,
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server does not serve: {last}");
}

#[test]
fn no_client_can_hold_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = KmsProcess::start(
        &dir.path().join("data"),
        &[
            "--max-connections",
            &LIMIT.to_string(),
            "--request-timeout",
            "2",
            "--wrapping-key-pool",
            "0",
        ],
        "info",
    );

    // 1. (No connection before these, so that exactly they hold every slot.) Slow clients take every connection: one sends nothing, the others a header line now and
    //    then, never finishing.
    let mut slow: Vec<TcpStream> = (0..LIMIT).map(|_| connect(&server)).collect();
    for stream in slow.iter_mut().skip(1) {
        stream.write_all(b"POST / HTTP/1.1\r\nhost: x\r\n").unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    // 2. One more is refused at once, with a JSON error of its own.
    let mut extra = connect(&server);
    let refused = read_to_close(&mut extra);
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert_eq!(
        json_body(&refused)["Code"],
        "ServiceUnavailableTemporary",
        "{refused}"
    );
    // 3. The slow ones are cut off when the request timeout passes, trickling or not.
    let started = Instant::now();
    for stream in &mut slow[1..] {
        stream.write_all(b"x-slow: 1\r\n").unwrap();
    }
    for stream in &mut slow {
        let reply = read_to_close(stream);
        assert!(
            reply.is_empty() || reply.starts_with("HTTP/1.1 408"),
            "a slow client got {reply:?}"
        );
    }
    eprintln!(
        "limits: {LIMIT} slow clients disconnected after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // 4. The server serves again.
    healthy(&server);

    // 5. A body that trickles in gets 408 RequestTimeout; one over the size limit gets 400.
    let mut trickle = connect(&server);
    trickle
        .write_all(
            b"POST /?Action=ListKeys HTTP/1.1\r\nhost: x\r\ncontent-type: \
              application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\nPageSize=",
        )
        .unwrap();
    let reply = read_to_close(&mut trickle);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert_eq!(json_body(&reply)["Code"], "RequestTimeout");

    let mut huge = connect(&server);
    let body = vec![b'a'; 70 * 1024];
    huge.write_all(
        format!(
            "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    let _ = huge.write_all(&body);
    let reply = read_to_close(&mut huge);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert_eq!(json_body(&reply)["Code"], "InvalidParameter");

    // 6. An idle keep-alive connection is closed after the timeout, freeing its slot.
    let mut idle = connect(&server);
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap();
    let reply = read_to_close(&mut idle);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    healthy(&server);
}
