//! The connection loop: HTTP/1.1 with limits, so that no client, slow or many, can hold the server.
//!
//! - at most [`Limits::max_connections`] connections at once; one more is answered at once with
//!   `503 ServiceUnavailableTemporary` and closed, instead of waiting in the kernel's queue;
//! - a request's headers must arrive within [`Limits::request_timeout`] of the connection
//!   opening or of the previous response (so idle keep-alive connections are closed too), and
//!   its body within the same time once the headers are in (`408 RequestTimeout`, in
//!   [`super::api`]);
//! - on shutdown, no new connections; those open finish their requests, for at most
//!   [`Limits::request_timeout`];
//! - with TLS ([`super::tls`]), the handshake must end within [`Limits::request_timeout`] of the
//!   connection opening, and a plain HTTP request to the TLS port is answered, in plain HTTP,
//!   `400` with a message that says to use `https://` (an over-limit TLS connection is just
//!   closed: answering it would take the handshake the limit is there to spare).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::api::alibaba;

/// How much of the server one client may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Time allowed for a request's headers, and again for its body.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves; over TLS if `tls` is given.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.request_timeout);
    let service = TowerToHyperService::new(app);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, most likely: let some close.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            if tls.is_none() {
                tokio::spawn(refuse(stream));
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Some(tls) = &tls else {
            let connection =
                graceful.watch(builder.serve_connection(TokioIo::new(stream), service.clone()));
            tokio::spawn(async move {
                // A client that goes away or times out ends its connection; nothing to report.
                let _ = connection.await;
                drop(permit);
            });
            continue;
        };
        let (tls, builder, service) = (tls.clone(), builder.clone(), service.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(limits.request_timeout, async {
                if !starts_with_tls(&stream).await {
                    plain_to_tls_port(stream).await;
                    return None;
                }
                tls.accept(stream).await.ok()
            });
            // A failed or slow handshake ends the connection; nothing to report.
            if let Ok(Some(stream)) = handshake.await {
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                let _ = watcher.watch(connection).await;
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.request_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("closing connections that did not finish in time");
    }
}

/// Answers a connection over the limit with 503 and closes it, without reading its request. The
/// body is the default door's error reply (the request, and so its door, is not known yet).
async fn refuse(mut stream: TcpStream) {
    let request_id = crate::crypto::random_uuid()
        .map(|id| id.to_ascii_uppercase())
        .unwrap_or_default();
    let reply = alibaba::error_response(&alibaba::error::Error::Busy, &request_id, None);
    let mut head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {}\r\ncontent-length: {}\r\n\
         x-content-type-options: nosniff\r\ncache-control: no-store\r\nretry-after: 1\r\n\
         connection: close\r\n",
        reply.content_type,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(reply.body.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Whether the client's first byte is a TLS handshake record's (22), waiting for it.
async fn starts_with_tls(stream: &TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(stream.peek(&mut first).await, Ok(1) if first[0] == 0x16)
}

/// Answers a plain HTTP request sent to the TLS port, in plain HTTP, and closes the connection.
async fn plain_to_tls_port(mut stream: TcpStream) {
    let body = "This port speaks HTTPS: use https:// (byok-kms was started with --tls-cert).\n";
    let reply = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n\
         content-length: {}\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}
