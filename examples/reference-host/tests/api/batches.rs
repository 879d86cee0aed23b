//! Group commit seen from the API: operations that wait for their batch's turn.

use crate::app::{Answer, App};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
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

/// PostgreSQL: transfers queued behind a running operation of their batch have their wallets
/// locked and loaded by the first of them (one round trip for the batch instead of two each),
/// each moves its money once, and one refused among them changes nothing.
#[tokio::test]
async fn postgres_transfers_waiting_for_their_turn_have_their_wallets_loaded_ahead() {
    let Some(app) = App::postgres("loaded_ahead").await else {
        return;
    };
    loaded_ahead(&app).await;
}

/// SQLite: the same with the one writer's lane (no rows to lock; the wallets are loaded ahead
/// with their rules) once another writer of the file has written the client, so that the lane's
/// kept wallets are dropped; then the same again, where the lane kept every wallet at its last
/// commit and reads none.
#[tokio::test]
async fn sqlite_transfers_waiting_for_their_turn_have_their_wallets_loaded_ahead() {
    let app = App::new().await;
    let (from, receivers) = loaded_ahead(&app).await;
    let before = counter(&app, "waas_wallets_loaded_ahead_total").await;
    let running = app
        .state()
        .store
        .begin_wallets(app.client_id(), &[&from], false)
        .await
        .unwrap();
    let queued = receivers.iter().map(|to| app.transfer(&from, to, "1"));
    let release = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(running);
    };
    let (answers, ()) = tokio::join!(futures_util::future::join_all(queued), release);
    for a in answers {
        a.ok(201);
    }
    let ahead = counter(&app, "waas_wallets_loaded_ahead_total").await - before;
    assert_eq!(ahead, 0.0, "kept wallets are not read again");
    assert_eq!(app.total(&from).await, "30");
    for to in &receivers {
        assert_eq!(app.total(to).await, "5");
    }
}

/// Bumps a client's row version from another connection, as another process writing the
/// client's books would: the lane's kept wallets of the client are no longer sure.
async fn another_writer(app: &App) {
    sqlx::query("UPDATE ledgers SET version = version + 1 WHERE client_id = $1")
        .bind(app.client_id())
        .execute(app.state().store.pool())
        .await
        .unwrap();
}

/// Transfers queue behind an operation that names their sender; see the tests above. Returns
/// the sender and the receivers.
async fn loaded_ahead(app: &App) -> (String, Vec<String>) {
    let acc = app.account("a").await;
    let (from, _) = app.funded(&acc, "ethereum", "60").await;
    let mut receivers = Vec::new();
    for _ in 0..6 {
        receivers.push(app.wallet(&acc, "ethereum").await.0);
    }
    another_writer(app).await;
    let before = counter(app, "waas_wallets_loaded_ahead_total").await;
    // An operation holding the sender's row runs: the transfers, which all name it, queue on its
    // lane meanwhile.
    let store = &app.state().store;
    let mut running = store
        .begin_wallets(app.client_id(), &[&from], false)
        .await
        .unwrap();
    running.need_wallets(&[&from]).await.unwrap();
    // Queued in this order: each transfer of 4 is followed by one asking for more than the
    // sender has, refused in the middle of the batch; and after the third pair, one under an
    // Idempotency-Key that names the sender's funding deposit: the core moves the money, then
    // the host refuses to list it under a deposit's id. Both leave the working set as they
    // found it for the transfers after them.
    let (path, funding) = (
        format!("/v1/wallets/virtual/{from}/transfer"),
        format!("fund:{from}"),
    );
    let mut queued: Vec<Pin<Box<dyn Future<Output = Answer> + '_>>> = Vec::new();
    for (i, to) in receivers.iter().enumerate() {
        queued.push(Box::pin(app.transfer(&from, to, "4")));
        queued.push(Box::pin(app.transfer(&from, to, "1000")));
        if i == 2 {
            let body = json!({"to_wallet_id": to, "token": "USDT", "amount": "4"});
            queued.push(Box::pin(app.post_idem(&path, &funding, body)));
        }
    }
    let release = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        drop(running);
    };
    let (mut answers, ()) = tokio::join!(futures_util::future::join_all(queued), release);
    answers.remove(6).err(409, "DUPLICATE_OPERATION");
    for pair in answers.chunks(2) {
        pair[0].ok(201);
        pair[1].err(422, "INSUFFICIENT_FUNDS");
    }
    let ahead = counter(app, "waas_wallets_loaded_ahead_total").await - before;
    assert!(
        ahead >= 2.0,
        "the first transfer loads the wallets of those behind it: {ahead} loaded ahead"
    );
    assert_eq!(app.total(&from).await, "36");
    for to in &receivers {
        assert_eq!(app.total(to).await, "4");
    }
    (from, receivers)
}

/// PostgreSQL: a batch's statements run on generic plans (set for the batch's transaction with
/// the client's lock), and a read outside a batch keeps the server's default.
#[tokio::test]
async fn postgres_batches_run_on_generic_plans_and_other_reads_do_not() {
    use sqlx::Row;
    let Some(app) = App::postgres("generic_plans").await else {
        return;
    };
    let acc = app.account("a").await;
    let (from, _) = app.wallet(&acc, "ethereum").await;
    let store = &app.state().store;
    let mode = "SELECT current_setting('plan_cache_mode') AS mode";
    // One after the other: an operation on the whole client excludes the others meanwhile.
    for wallets in [vec![], vec![from.as_str()]] {
        let mut work = if wallets.is_empty() {
            store.begin(app.client_id()).await.unwrap()
        } else {
            store
                .begin_wallets(app.client_id(), &wallets, false)
                .await
                .unwrap()
        };
        let row = sqlx::query(mode)
            .fetch_one(work.conn().await.unwrap())
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>("mode"), "force_generic_plan");
        drop(work);
    }
    let row = sqlx::query(mode).fetch_one(store.pool()).await.unwrap();
    assert_eq!(row.get::<String, _>("mode"), "auto");
}
