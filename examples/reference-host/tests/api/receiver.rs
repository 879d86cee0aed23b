//! A webhook endpoint on a free loopback port, served by the test's own runtime: answers 500 to
//! the first requests it is told to fail, then 200, and records every request.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got, with the status it answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The endpoint; it stops with the test's runtime.
pub struct Receiver {
    pub url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Receiver {
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let record = seen.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let seen = record.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                let answered = if seen.len() < fail_first { 500 } else { 200 };
                seen.push(Received {
                    headers,
                    body: body.to_vec(),
                    answered,
                });
                StatusCode::from_u16(answered).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, seen }
    }

    pub fn received(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// The first request `pick` accepts, waiting up to 30 s for it.
    pub async fn wait_for<T>(&self, what: &str, pick: impl Fn(&[Received]) -> Option<T>) -> T {
        for _ in 0..3000 {
            if let Some(found) = pick(&self.received()) {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no {what} within 30 s: {:?}", self.received());
    }
}
