//! Money paths of virtual and holding wallets: deposits and their confirmation, transfers,
//! withdrawals, the reserve, leverage and reorgs.

use crate::app::App;
use serde_json::{json, Value};

const EVM_OUT: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

fn s(v: &str) -> String {
    v.to_owned()
}

async fn a_deposit_above_the_minimum_is_credited_pending_and_one_below_is_not(app: App) {
    let acc = app.account("a").await;
    let (w, addr) = app.wallet(&acc, "ethereum").await;
    let r = app.deposit(&addr, "USDT", "100", "dep-1").await;
    assert_eq!(
        (&r["below_minimum"], &r["credited"]),
        (&json!(false), &json!("100"))
    );
    assert_eq!(app.usdt(&w).await, (s("0"), s("100"), s("100")));
    // a pending deposit shows how far it is from final (Ethereum: 12 blocks)
    let listed = app.get("/v1/deposits").await;
    let first = &listed.ok(200)["data"][0];
    assert_eq!(
        (&first["id"], &first["confirmations"]["required"]),
        (&json!("dep-1"), &json!(12))
    );
    assert!(
        first["confirmations"]["seen"].as_u64().unwrap() <= 12,
        "{first}"
    );
    let r = app.deposit(&addr, "USDT", "0.99", "dep-small").await;
    assert_eq!(
        (&r["below_minimum"], &r["credited"]),
        (&json!(true), &json!("0"))
    );
    assert_eq!(app.total(&w).await, "100");
}

async fn each_pending_deposit_of_a_page_shows_its_progress_and_a_confirmed_one_none(app: App) {
    let acc = app.account("a").await;
    let (_, addr) = app.wallet(&acc, "ethereum").await;
    let (_, tron) = app.wallet(&acc, "tron").await;
    app.deposit(&addr, "USDT", "10", "dep-1").await;
    app.deposit(&tron, "USDT", "10", "dep-2").await;
    app.deposit(&addr, "USDT", "10", "dep-3").await;
    app.confirm("dep-3").await;
    let listed = app.get("/v1/deposits").await;
    let rows = listed.ok(200)["data"].as_array().unwrap().clone();
    let progress: Vec<(String, Value)> = rows
        .iter()
        .map(|r| {
            (
                s(r["id"].as_str().unwrap()),
                r["confirmations"]["required"].clone(),
            )
        })
        .collect();
    // Ethereum needs 12 blocks, Tron 19; the confirmed deposit shows none.
    assert_eq!(
        progress,
        vec![
            (s("dep-1"), json!(12)),
            (s("dep-2"), json!(19)),
            (s("dep-3"), Value::Null)
        ]
    );
    for r in &rows[..2] {
        let seen = r["confirmations"]["seen"].as_u64().unwrap();
        let required = r["confirmations"]["required"].as_u64().unwrap();
        assert!(seen <= required, "{r}");
    }
}

async fn unconfirmed_funds_move_inside_but_do_not_leave(app: App) {
    let acc = app.account("a").await;
    let (w, addr) = app.wallet(&acc, "ethereum").await;
    let (other, _) = app.wallet(&acc, "ethereum").await;
    app.deposit(&addr, "USDT", "10", "dep-1").await;
    let r = app
        .post(
            &format!("/v1/wallets/virtual/{w}/withdraw"),
            json!({"to_address": EVM_OUT, "token": "USDT", "amount": "1"}),
        )
        .await;
    let e = r.err(422, "INSUFFICIENT_FUNDS");
    assert_eq!(
        (&e["detail"]["kind"], &e["detail"]["available"]),
        (&json!("shortfall"), &json!("0"))
    );
    app.transfer(&w, &other, "4").await.ok(201);
    assert_eq!(app.total(&other).await, "4");
}

async fn a_confirmed_deposit_is_posted_and_swept_once(app: App) {
    let acc = app.account("a").await;
    let (w, addr) = app.wallet(&acc, "ethereum").await;
    app.deposit(&addr, "USDT", "100", "dep-1").await;
    assert_eq!(app.confirm("dep-1").await["swept"], true);
    app.confirm("dep-1").await; // idempotent
    assert_eq!(app.usdt(&w).await, (s("100"), s("0"), s("100")));
    let r = app.reserve("ethereum").await;
    assert_eq!(
        (&r["holding"], &r["liabilities"]),
        (&json!("100"), &json!("100"))
    );
}

async fn transfers_stay_on_one_chain_and_inactive_wallets_do_not_send(app: App) {
    let acc = app.account("a").await;
    let (a, _) = app.funded(&acc, "ethereum", "50").await;
    let (b, _) = app.wallet(&acc, "ethereum").await;
    let (t, _) = app.wallet(&acc, "tron").await;
    let r = app.transfer(&a, &t, "1").await;
    r.err(400, "INVALID_ARGUMENT");
    app.post(&format!("/v1/wallets/virtual/{b}/deactivate"), json!({}))
        .await
        .ok(200);
    app.transfer(&a, &b, "5").await.ok(201); // an inactive wallet still receives
    app.transfer(&b, &a, "1").await.err(422, "WALLET_INACTIVE");
    app.transfer(&a, &b, "1000")
        .await
        .err(422, "INSUFFICIENT_FUNDS");
    assert_eq!(
        (app.total(&a).await, app.total(&b).await),
        (s("45"), s("5"))
    );
}

async fn a_withdrawal_spends_amount_and_fee_to_the_canonical_address(app: App) {
    let acc = app.account("a").await;
    let (w, _) = app.funded(&acc, "ethereum", "20").await;
    let r = app
        .post(
            &format!("/v1/wallets/virtual/{w}/withdraw"),
            json!({"to_address": EVM_OUT.to_lowercase(), "token": "USDT", "amount": "10", "fee": "1"}),
        )
        .await;
    assert_eq!(r.ok(201)["to_address"], EVM_OUT);
    assert_eq!(app.total(&w).await, "9");
}

async fn the_holding_wallet_sends_within_its_reserve_and_no_more(app: App) {
    let acc = app.account("a").await;
    let (w, addr) = app.funded(&acc, "ethereum", "100").await;
    // 0.99 below the minimum, swept and waiting for a decision: never withdrawable
    app.deposit(&addr, "USDT", "0.99", "dep-small").await;
    app.confirm("dep-small").await;
    let (other, _) = app.wallet(&acc, "ethereum").await;
    app.transfer(&w, &other, "11").await.ok(201);
    app.post(
        &format!("/v1/wallets/virtual/{w}/withdraw"),
        json!({"to_address": EVM_OUT, "token": "USDT", "amount": "10", "fee": "1"}),
    )
    .await
    .ok(201);
    let r = app.reserve("ethereum").await;
    // liabilities 100 - 11 withdrawn = 89; holding 90.99 of which 0.99 wait for a decision
    assert_eq!(
        (&r["liabilities"], &r["withdrawable"]),
        (&json!("89"), &json!("1"))
    );
    let send = |amount: &'static str| {
        let app = &app;
        async move {
            let body = json!({"token": "USDT", "amount": amount, "to_address": EVM_OUT});
            app.post("/v1/wallets/holding/ethereum/withdraw", body)
                .await
        }
    };
    send("1").await.ok(201);
    let e = send("0.01").await;
    let e = e.err(422, "RESERVE_RATIO_VIOLATION");
    assert_eq!(
        (&e["detail"]["kind"], &e["detail"]["required"]),
        (&json!("reserve"), &json!("89.99"))
    );
}

async fn a_holding_transfer_credits_beyond_the_holding_as_leverage(app: App) {
    let acc = app.account("a").await;
    let (_, _) = app.funded(&acc, "ethereum", "10").await;
    let (w, _) = app.wallet(&acc, "ethereum").await;
    let (t, _) = app.wallet(&acc, "tron").await;
    let body = |to: &str| json!({"to_wallet_id": to, "token": "USDT", "amount": "20"});
    app.post("/v1/wallets/holding/ethereum/transfer", body(&w))
        .await
        .ok(201);
    let r = app.get("/v1/wallets/holding/ethereum/reserve").await;
    let r = &r.ok(200)["reserve"]["USDT"];
    assert_eq!(
        (&r["leverage"], &r["withdrawable"]),
        (&json!("20"), &json!("0"))
    );
    // a holding wallet credits only its own chain's wallets
    app.post("/v1/wallets/holding/ethereum/transfer", body(&t))
        .await
        .err(400, "INVALID_ARGUMENT");
    app.get("/v1/wallets/holding/polygon")
        .await
        .err(404, "NOT_FOUND");
}

async fn a_reorg_after_spending_leaves_the_wallet_negative_and_frozen(app: App) {
    let acc = app.account("a").await;
    let (a, addr) = app.wallet(&acc, "ethereum").await;
    let (b, _) = app.wallet(&acc, "ethereum").await;
    app.deposit(&addr, "USDT", "40", "dep-reorg").await;
    app.transfer(&a, &b, "30").await.ok(201);
    let r = app
        .post("/v1/simulate/reorg", json!({"tx": "dep-reorg"}))
        .await;
    assert_eq!(
        (&r.ok(200)["status"], &r.ok(200)["frozen"]),
        (&json!("dropped"), &json!(a))
    );
    let w = app.get(&format!("/v1/wallets/virtual/{a}")).await;
    assert_eq!(w.ok(200)["status"], "frozen");
    assert_eq!(app.total(&a).await, "-30");
    app.transfer(&a, &b, "1").await.err(422, "WALLET_FROZEN");
    app.post("/v1/simulate/confirm", json!({"tx": "dep-reorg"}))
        .await
        .err(400, "INVALID_ARGUMENT");
    app.post("/v1/simulate/reorg", json!({"tx": "nope"}))
        .await
        .err(404, "NOT_FOUND");
}

async fn a_confirmed_deposit_cannot_be_dropped(app: App) {
    let acc = app.account("a").await;
    let (w, _) = app.funded(&acc, "ethereum", "5").await;
    let r = app
        .post("/v1/simulate/reorg", json!({"tx": format!("fund:{w}")}))
        .await;
    assert!(
        (400..500).contains(&r.status) && r.json["error"]["code"].is_string(),
        "{}",
        r.json
    );
    let b = app.get(&format!("/v1/wallets/virtual/{w}/balance")).await;
    assert_eq!(b.ok(200)["balances"]["USDT"]["total"], "5");
}

crate::on_both!(
    a_deposit_above_the_minimum_is_credited_pending_and_one_below_is_not,
    each_pending_deposit_of_a_page_shows_its_progress_and_a_confirmed_one_none,
    unconfirmed_funds_move_inside_but_do_not_leave,
    a_confirmed_deposit_is_posted_and_swept_once,
    transfers_stay_on_one_chain_and_inactive_wallets_do_not_send,
    a_withdrawal_spends_amount_and_fee_to_the_canonical_address,
    the_holding_wallet_sends_within_its_reserve_and_no_more,
    a_holding_transfer_credits_beyond_the_holding_as_leverage,
    a_reorg_after_spending_leaves_the_wallet_negative_and_frozen,
    a_confirmed_deposit_cannot_be_dropped,
);
