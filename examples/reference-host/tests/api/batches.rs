//! Group commit seen from the API: operations that wait for their batch's turn.

use crate::app::App;
use std::time::Duration;

/// The figure of a counter in the host's `/metrics`.
async fn counter(app: &App, name: &str) -> f64 {
    let (status, text) = app.get_text(app.key(), "/metrics").await;
    assert_eq!(status, 200);
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

/// Transfers queued behind a running operation find their wallets loaded by the first of them
/// (one load for the batch instead of one each), and each moves its money once.
#[tokio::test]
async fn transfers_waiting_for_their_turn_have_their_wallets_loaded_ahead() {
    let app = App::new().await;
    let acc = app.account("a").await;
    let mut pairs = Vec::new();
    for _ in 0..6 {
        let (from, _) = app.funded(&acc, "ethereum", "10").await;
        let (to, _) = app.wallet(&acc, "ethereum").await;
        pairs.push((from, to));
    }
    let before = counter(&app, "waas_wallets_loaded_ahead_total").await;
    // An operation of the client holds the lane (SQLite: one writer) while the transfers queue.
    let running = app.state().store.begin(app.client_id()).await.unwrap();
    let transfers =
        futures_util::future::join_all(pairs.iter().map(|(from, to)| app.transfer(from, to, "4")));
    let release = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        drop(running);
    };
    let (answers, ()) = tokio::join!(transfers, release);
    for a in &answers {
        a.ok(201);
    }
    let ahead = counter(&app, "waas_wallets_loaded_ahead_total").await - before;
    assert!(
        ahead >= 2.0,
        "the first transfer loads the wallets of those behind it: {ahead} loaded ahead"
    );
    for (from, to) in &pairs {
        assert_eq!(
            (app.total(from).await, app.total(to).await),
            ("6".to_owned(), "4".to_owned())
        );
    }
}
