//! The HTTP server loop: hyper's HTTP/1 connections around the API router, with a deadline for
//! reading a request's headers (so a slow or half-sent request cannot hold a connection open),
//! a cap on open connections (beyond it new ones are closed at once), and a graceful stop that
//! lets open requests finish.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Limits of the server loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to receive a request's headers (also the longest idle keep-alive).
    pub header_read_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Time a request has from its headers to its answer (408 beyond).
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            request_timeout: super::protocol::REQUEST_TIMEOUT,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes; then closes the listener, lets each
/// open connection finish the request it is on (idle keep-alive connections close at once), and
/// waits (at most the header timeout plus 10 s) for them.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let max = limits.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max));
    // Tells open connections to finish the request they are on and close.
    let (closing, close) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, then go on.
                    tracing::warn!(error = %e, "accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            tracing::warn!(max, "connection cap reached: closing a new connection");
            drop(stream);
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        let header_read_timeout = limits.header_read_timeout;
        let mut close = close.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                // Counted by the protocol guard, which answers in JSON; hyper's own limit
                // (a bare 431) only meets requests far beyond it.
                .max_headers(4 * super::protocol::MAX_HEADERS);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = async { close.wait_for(|c| *c).await.map(|_| ()) } => {
                    // The request in progress is answered; an idle keep-alive closes now.
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    // No new connections from here on (a connect is refused, not left in the backlog).
    drop(listener);
    let _ = closing.send(true);
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(
        limits.header_read_timeout + Duration::from_secs(10),
        permits.acquire_many(all),
    )
    .await;
}
