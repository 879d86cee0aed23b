//! The EVM adapter against a real local node: ganache 7.9.2 started here on a free 127.0.0.1
//! port, an ERC-20 compiled by solcjs 0.8.28 and deployed here, `waas serve` pointed at it.
//!
//! Proves: native coin and tokens sent to derived deposit addresses are credited, confirmed and
//! announced by webhook; swept to the holding wallet (balances read back from the chain, gas
//! top-up for the token sweep); withdrawals from the holding wallet confirmed on chain, and one
//! that reverts on chain failed with its debit given back; a forced
//! reorg (evm_snapshot / evm_revert, then other blocks) drops a pending deposit; a host that dies
//! mid-scan (after a deposit's commit, before its block's cursor) neither misses nor
//! double-credits a deposit after its restart; treasury sends signed from the treasury's own
//! address (one confirmed, one without gas rejected by the node and failed with its money back);
//! below-minimum refunds signed from a treasury address, from the holding wallet and from a
//! deposit address (rejected for gas: the deposit waits again); a withdrawal replaced in the
//! node's pool by another transaction of its nonce (miner stopped) failed as dropped.
//!
//! Set-up: tests/evm/setup.sh installs ganache and solc into
//! ${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}/evm (npm, first time only). Without node, npm or
//! the packages the test FAILS, unless WAAS_SKIP_EVM=1 (then it prints a SKIPPED line).

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const ETHER: u128 = 1_000_000_000_000_000_000;
const CONFIRMATIONS: u64 = 3;
/// 0.00002 ETH (0.06 USD): less than the gas of any transfer at a fee cap of 1 gwei or more.
const DUST: u128 = 20_000_000_000_000;

const TOKEN_SOL: &str = r#"// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A minimal ERC-20 for the waas EVM adapter test.
contract TestToken {
    string public name = "Test Token";
    string public symbol = "TT";
    uint8 public decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor() {
        totalSupply = 1e24;
        balanceOf[msg.sender] = 1e24;
        emit Transfer(address(0), msg.sender, 1e24);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}
"#;

#[path = "evm/host.rs"]
mod host;
#[path = "evm/node.rs"]
mod node;
#[path = "evm/processes.rs"]
mod processes;
#[path = "evm/wire.rs"]
mod wire;

use host::*;
use node::*;
use processes::*;
use wire::*;

#[test]
fn evm_adapter_against_a_local_node() {
    let Some(tools) = tools() else { return };
    let started = Instant::now();
    let (_ganache, node) = start_node(&tools);
    let accounts = node.call("eth_accounts", json!([]));
    let funder = accounts[0].as_str().unwrap().to_owned();
    let outside = accounts[7].as_str().unwrap().to_owned();
    let work = std::env::temp_dir().join(format!("waas-evm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let token = deploy_token(&tools, &node, &funder, &work);
    let (webhook, hooks) = webhook_receiver();
    let setup = HostSetup {
        db: format!("sqlite://{}", work.join("waas.db").display()),
        port: free_port(),
        node: node.url.clone(),
        token: token.clone(),
        webhook,
    };
    let (host, key) = start_host(&setup, false);
    let key = key.expect("the first start prints an API key");
    let api = Api {
        base: &host.base,
        key: &key,
    };
    // Each section starts from the chain, the books and the host the sections before it left.
    let s = the_registry_and_two_wallets(&node, &api, &hooks, &funder, &outside, &token);
    deposits_are_credited_confirmed_and_announced(&s, &api); // 1
    deposits_are_swept_to_the_holding_wallet(&s, &api); // 2
    withdrawals_are_confirmed_on_chain(&s, &api); // 3
    a_reverted_withdrawal_comes_back(&s, &api); // 3b
    a_reorg_drops_a_pending_deposit(&s, &api); // 4
    drop(host);
    let (host, dying) = a_host_dying_mid_scan_credits_each_deposit_once(&s, &setup, &key); // 5
    let api = Api {
        base: &host.base,
        key: &key,
    };
    let chain = Chain {
        funder: &funder,
        token: &token,
        holding: &s.holding,
        account: &s.account,
        refunds: accounts[8].as_str().unwrap(),
    };
    treasury_and_refunds(&node, &api, &hooks, &chain); // 6
    dropped_withdrawal(&node, &api, &hooks, &s.holding, &outside); // 7
    drop(dying);
    drop(host);
    let _ = std::fs::remove_dir_all(&work);
    eprintln!(
        "EVM adapter test took {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// What sections 1 to 5 share: the node, the webhooks received, who is who, the client's
/// account, the holding wallet's address and two virtual wallets' (id, address).
struct Scene<'a> {
    node: &'a Node,
    hooks: &'a Mutex<Vec<Value>>,
    funder: &'a str,
    outside: &'a str,
    token: &'a str,
    holding: String,
    account: String,
    w1: (String, String),
    w2: (String, String),
}

/// The custom chain and token are in the host's registry, end to end; prices, an account, two
/// virtual wallets, and the operator's gas float on the holding wallet.
fn the_registry_and_two_wallets<'a>(
    node: &'a Node,
    api: &Api,
    hooks: &'a Mutex<Vec<Value>>,
    funder: &'a str,
    outside: &'a str,
    token: &'a str,
) -> Scene<'a> {
    let chains = api.get("/v1/management/blockchains");
    assert!(chains.to_string().contains("\"local\""), "{chains}");
    let tokens = api.get("/v1/tokens?blockchain=local");
    assert!(tokens.to_string().contains("\"TT\""), "{tokens}");
    api.send(
        "PUT",
        "/v1/management/configurations",
        json!({"usd_prices": {"ETH": "3000", "TT": "1"}, "min_reserve_ratio": "0.5"}),
    );
    let account = api.send("POST", "/v1/accounts", json!({"name": "evm"}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wallet = || {
        id_and_address(&api.send(
            "POST",
            "/v1/wallets/virtual",
            json!({"account_id": account, "blockchain": "local"}),
        ))
    };
    let (w1, w2) = (wallet(), wallet());
    let holding = api.get("/v1/wallets/holding/local")["address"]
        .as_str()
        .unwrap()
        .to_owned();
    // The operator's gas float for top-ups and withdrawals (not a client deposit).
    node.send(funder, &holding, 5 * ETHER, None);
    Scene {
        node,
        hooks,
        funder,
        outside,
        token,
        holding,
        account,
        w1,
        w2,
    }
}

/// 1. Native coin and tokens to a derived address: credited, confirmed, announced.
fn deposits_are_credited_confirmed_and_announced(s: &Scene, api: &Api) {
    let (node, hooks, w1) = (s.node, s.hooks, &s.w1.0);
    let eth_tx = node.send(s.funder, &s.w1.1, 2 * ETHER, None);
    let tt_tx = node.send(
        s.funder,
        s.token,
        0,
        Some(transfer_data(&s.w1.1, 100 * ETHER)),
    );
    until(node, "pending credit of both deposits", false, || {
        (api.balance(w1, "ETH").1 == "2" && api.balance(w1, "TT").1 == "100").then_some(())
    });
    until(node, "confirmation of both deposits", true, || {
        (api.balance(w1, "ETH") == ("2".into(), "0".into())
            && api.balance(w1, "TT") == ("100".into(), "0".into()))
            .then_some(())
    });
    until(
        node,
        "DEPOSIT and DEPOSIT_CONFIRMED webhooks",
        false,
        || {
            (hooks_with(hooks, "DEPOSIT", &eth_tx) >= 1
                && hooks_with(hooks, "DEPOSIT", &tt_tx) >= 1
                && hooks_with(hooks, "DEPOSIT_CONFIRMED", &eth_tx) >= 1
                && hooks_with(hooks, "DEPOSIT_CONFIRMED", &tt_tx) >= 1)
                .then_some(())
        },
    );
}

/// 2. Swept to the holding wallet: read back from the chain (token sweep after a gas top-up).
fn deposits_are_swept_to_the_holding_wallet(s: &Scene, api: &Api) {
    let (node, token, holding) = (s.node, s.token, &s.holding);
    until(node, "both sweeps on chain and in the ledger", true, || {
        let on_chain = node.token_balance(token, holding) == 100 * ETHER
            && node.token_balance(token, &s.w1.1) == 0
            && node.balance(&s.w1.1) < ETHER / 100;
        let h = api.get("/v1/wallets/holding/local");
        let ledger = h["balances"]["ETH"] == json!("2") && h["balances"]["TT"] == json!("100");
        (on_chain && ledger && hooks_with(s.hooks, "SWEEP", &s.w1.0) >= 2).then_some(())
    });
    // 5 ETH of float + 2 ETH swept (less its gas) - the token sweep's gas top-up.
    let holding_eth = node.balance(holding);
    assert!(
        holding_eth > 69 * ETHER / 10,
        "native sweep reached the holding wallet: {holding_eth}"
    );
}

/// 3. Withdrawals from the holding wallet to an outside address, confirmed on chain.
fn withdrawals_are_confirmed_on_chain(s: &Scene, api: &Api) {
    let (node, token, outside) = (s.node, s.token, s.outside);
    let outside_eth = node.balance(outside);
    let withdraw = |token: &str, amount: &str| {
        api.send(
            "POST",
            "/v1/wallets/holding/local/withdraw",
            json!({"token": token, "amount": amount, "to_address": outside}),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (wd_tt, wd_eth) = (withdraw("TT", "30"), withdraw("ETH", "0.5"));
    until(node, "withdrawals confirmed", true, || {
        let t1 = api.get(&format!("/v1/transactions/{wd_tt}"));
        let t2 = api.get(&format!("/v1/transactions/{wd_eth}"));
        (t1["status"] == json!("confirmed") && t2["status"] == json!("confirmed")).then_some(())
    });
    assert_eq!(node.token_balance(token, outside), 30 * ETHER);
    assert_eq!(node.balance(outside), outside_eth + ETHER / 2);
    assert_eq!(node.token_balance(token, &s.holding), 70 * ETHER);
    until(node, "WITHDRAWAL confirmed webhooks", false, || {
        (hooks_with(s.hooks, "WITHDRAWAL", &format!("{wd_tt}:confirmed")) >= 1
            && hooks_with(s.hooks, "WITHDRAWAL", &format!("{wd_eth}:confirmed")) >= 1)
            .then_some(())
    });
}

/// 3b. A withdrawal that reverts on chain comes back. The holding wallet's TT is moved away
///     behind the ledger's back (ganache lets the test send as the holding wallet), so the
///     token transfer the adapter signs reverts: the withdrawal fails, its debit returns, and
///     FAILED is announced with the reason. The tokens are given back afterwards.
fn a_reverted_withdrawal_comes_back(s: &Scene, api: &Api) {
    let (node, token, holding, outside) = (s.node, s.token, &s.holding, s.outside);
    let holding_tt = || api.get("/v1/wallets/holding/local")["balances"]["TT"].clone();
    assert_eq!(holding_tt(), json!("70"));
    node.call("evm_addAccount", json!([holding, "test"]));
    node.call("personal_unlockAccount", json!([holding, "test", 600]));
    node.send(holding, token, 0, Some(transfer_data(outside, 70 * ETHER)));
    node.mine();
    assert_eq!(node.token_balance(token, holding), 0);
    let wd_bad = api.send(
        "POST",
        "/v1/wallets/holding/local/withdraw",
        json!({"token": "TT", "amount": "10", "to_address": outside}),
    );
    let wd_bad = wd_bad["id"].as_str().unwrap().to_owned();
    assert_eq!(holding_tt(), json!("60"));
    let failed = until(node, "the reverted withdrawal to fail", true, || {
        let t = api.get(&format!("/v1/transactions/{wd_bad}"));
        (t["status"] == json!("failed")).then_some(t)
    });
    assert!(
        failed["details"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("reverted"),
        "{failed}"
    );
    assert_eq!(holding_tt(), json!("70"));
    until(node, "the FAILED withdrawal webhook", false, || {
        (hooks_with(s.hooks, "WITHDRAWAL", &format!("{wd_bad}:failed")) >= 1).then_some(())
    });
    node.send(outside, token, 0, Some(transfer_data(holding, 70 * ETHER)));
    node.mine();
    assert_eq!(node.token_balance(token, holding), 70 * ETHER);
}

/// 4. A reorg drops a pending deposit: snapshot, deposit, revert, other blocks.
fn a_reorg_drops_a_pending_deposit(s: &Scene, api: &Api) {
    let (node, (w2_id, w2_addr)) = (s.node, (&s.w2.0, &s.w2.1));
    for _ in 0..CONFIRMATIONS {
        node.mine(); // let every earlier transaction of the host settle before the snapshot
    }
    let snapshot = node.call("evm_snapshot", json!([]));
    let reorged_tx = node.send(s.funder, w2_addr, ETHER, None);
    until(
        node,
        "pending credit of the deposit that will be reorged",
        false,
        || (api.balance(w2_id, "ETH").1 == "1").then_some(()),
    );
    assert_eq!(node.call("evm_revert", json!([snapshot])), json!(true));
    node.mine();
    node.mine();
    until(node, "the reorged deposit dropped", false, || {
        let d = api.deposits_of(w2_id);
        let dropped = d.iter().any(|t| {
            t["id"].as_str().unwrap_or("").starts_with(&reorged_tx)
                && t["status"] == json!("dropped")
        });
        (dropped && api.balance(w2_id, "ETH") == ("0".into(), "0".into())).then_some(())
    });
    until(node, "DEPOSIT_REVERSED webhook", false, || {
        (hooks_with(s.hooks, "DEPOSIT_REVERSED", &reorged_tx) >= 1).then_some(())
    });
}

/// 5. A host that dies mid-scan (a deposit committed, its block's cursor not yet) and a deposit
///    made while it is down: after the restart each is credited exactly once. The restarted host
///    and the one that died (the host stopped before this section).
fn a_host_dying_mid_scan_credits_each_deposit_once(
    s: &Scene,
    setup: &HostSetup,
    key: &str,
) -> (Host, Host) {
    let (node, token, (w2_id, w2_addr)) = (s.node, s.token, (&s.w2.0, &s.w2.1));
    let (mut dying, _) = start_host(setup, true);
    let restart_tx = node.send(s.funder, w2_addr, 3 * ETHER, None);
    let status = until(
        node,
        "the failpoint host to exit after crediting",
        false,
        || dying.proc.0.try_wait().unwrap(),
    );
    assert_eq!(status.code(), Some(86), "exit of the failpoint");
    let down_tx = node.send(s.funder, token, 0, Some(transfer_data(w2_addr, 4 * ETHER)));
    node.mine();
    let (host, key_again) = start_host(setup, false);
    assert!(key_again.is_none(), "a restart prints no new key");
    let api = Api {
        base: &host.base,
        key,
    };
    until(
        node,
        "both deposits confirmed after the restart",
        true,
        || {
            (api.balance(w2_id, "ETH") == ("3".into(), "0".into())
                && api.balance(w2_id, "TT") == ("4".into(), "0".into()))
                .then_some(())
        },
    );
    for _ in 0..(CONFIRMATIONS + 2) {
        node.mine();
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(
        api.balance(w2_id, "ETH"),
        ("3".into(), "0".into()),
        "credited once"
    );
    let deposits = api.deposits_of(w2_id);
    let count = |tx: &str| {
        deposits
            .iter()
            .filter(|t| t["id"].as_str().unwrap_or("").starts_with(tx))
            .count()
    };
    assert_eq!(count(&restart_tx), 1, "{deposits:?}");
    assert_eq!(count(&down_tx), 1, "{deposits:?}");
    until(
        node,
        "sweeps of the deposits after the restart",
        true,
        || (node.token_balance(token, &s.holding) == 74 * ETHER).then_some(()),
    );
    (host, dying)
}

/// Who is who on the test chain, for the later sections.
struct Chain<'a> {
    funder: &'a str,
    token: &'a str,
    holding: &'a str,
    account: &'a str,
    /// An outside address that receives the refunds.
    refunds: &'a str,
}

/// A treasury wallet's or virtual wallet's (id, address).
fn id_and_address(v: &Value) -> (String, String) {
    (
        v["id"].as_str().unwrap().to_owned(),
        v["address"].as_str().unwrap().to_owned(),
    )
}

/// The id of a deposit (its transaction hash and log index) from its chain transaction.
fn deposit_id(api: &Api, tx: &str) -> Option<(String, String)> {
    let list = api.get("/v1/deposits?limit=500");
    list["data"].as_array()?.iter().find_map(|d| {
        let id = d["id"].as_str()?;
        id.starts_with(tx)
            .then(|| (id.to_owned(), d["status"].as_str().unwrap_or("").to_owned()))
    })
}

/// A treasury wallet's confirmed balance of `token`.
fn treasury_confirmed(api: &Api, wallet: &str, token: &str) -> Value {
    api.get(&format!("/v1/treasury/{wallet}"))["balances"][token]["confirmed"].clone()
}

/// A transaction as the API shows it.
fn transaction(api: &Api, id: &str) -> Value {
    api.get(&format!("/v1/transactions/{id}"))
}

/// The id of what a POST made.
fn post_id(api: &Api, path: &str, body: Value) -> String {
    api.send("POST", path, body)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Section 6's wallets, (id, address) each: a treasury wallet given gas, one without, the
/// virtual wallet left with dust; and the ids of the below-minimum deposits waiting for a
/// decision (a token deposit to t1, a coin deposit to another virtual wallet, the dust).
struct Treasury {
    t1: (String, String),
    t2: (String, String),
    w4: (String, String),
    waiting: Vec<String>,
}

/// What section 6 sent: the treasury sends, the refunds of the waiting deposits (in their order)
/// and the refund address's balances (coin, token) before them.
struct Sent {
    send_eth: String,
    send_tt: String,
    refunds: Vec<String>,
    before: (u128, u128),
}

/// Section 6: a treasury send of the native coin confirmed on chain; a token send from a
/// treasury address without gas refused by the node, failed with its money back; below-minimum
/// deposits refunded on chain: one from a treasury address (its own key), one from the holding
/// wallet (its deposit was swept first), and one from its deposit address (dust that is never
/// swept), which cannot pay the gas: rejected, and the deposit waits for a decision again.
fn treasury_and_refunds(node: &Node, api: &Api, hooks: &Mutex<Vec<Value>>, c: &Chain) {
    let tr = treasury_deposits(node, api, hooks, c);
    let sent = treasury_sends_and_refunds(node, api, c, &tr);
    let refund_dust = &sent.refunds[2];
    let (rejected, dust_failed) = until(node, "treasury sends and refunds settled", true, || {
        let done = [&sent.send_eth, &sent.refunds[0], &sent.refunds[1]]
            .iter()
            .all(|id| transaction(api, id)["status"] == json!("confirmed"));
        let (t, d) = (
            transaction(api, &sent.send_tt),
            transaction(api, refund_dust),
        );
        (done && t["status"] == json!("failed") && d["status"] == json!("failed")).then_some((t, d))
    });
    settled_where_the_money_was(node, api, c, &tr, &sent, [&rejected, &dust_failed]);
    let [refund_tt, refund_eth] = [&sent.refunds[0], &sent.refunds[1]];
    let (send_eth, send_tt) = (&sent.send_eth, &sent.send_tt);
    until(
        node,
        "TREASURY and refund WITHDRAWAL webhooks",
        false,
        || {
            (hooks_with(hooks, "WITHDRAWAL", &format!("{send_eth}:confirmed")) >= 1
                && hooks_with(hooks, "WITHDRAWAL", &format!("{send_tt}:failed")) >= 1
                && hooks_with(hooks, "WITHDRAWAL", &format!("{refund_tt}:confirmed")) >= 1
                && hooks_with(hooks, "WITHDRAWAL", &format!("{refund_eth}:confirmed")) >= 1
                && hooks_with(hooks, "WITHDRAWAL", &format!("{refund_dust}:failed")) >= 1)
                .then_some(())
        },
    );
}

/// Section 6's wallets and deposits: treasury deposits confirmed, the small deposits confirmed
/// and waiting, the coin one swept.
fn treasury_deposits(node: &Node, api: &Api, hooks: &Mutex<Vec<Value>>, c: &Chain) -> Treasury {
    let treasury = |alias: &str| {
        id_and_address(&api.send(
            "POST",
            "/v1/treasury",
            json!({"account_id": c.account, "blockchain": "local", "alias": alias}),
        ))
    };
    let wallet = || {
        id_and_address(&api.send(
            "POST",
            "/v1/wallets/virtual",
            json!({"account_id": c.account, "blockchain": "local"}),
        ))
    };
    let (t1, t2) = (treasury("with gas"), treasury("without gas"));
    let ((w3, w3_addr), w4) = (wallet(), wallet());
    node.send(c.funder, &t1.1, ETHER, None);
    // 0.5 USD: below the treasury minimum.
    let small_tt = node.send(c.funder, c.token, 0, Some(transfer_data(&t1.1, ETHER / 2)));
    node.send(c.funder, c.token, 0, Some(transfer_data(&t2.1, 50 * ETHER)));
    let small_eth = node.send(c.funder, &w3_addr, ETHER / 5000, None); // 0.6 USD
                                                                       // Less than the gas of its own sweep (whose fee cap is at least the 1 gwei tip): dust left
                                                                       // at the address, so its refund leaves from there, and the address cannot also pay gas.
    let dust = node.send(c.funder, &w4.1, DUST, None);
    let waiting = until(
        node,
        "treasury deposits confirmed, small deposits waiting, one of them swept",
        true,
        || {
            let mut ids = Vec::new();
            for tx in [&small_tt, &small_eth, &dust] {
                ids.push(deposit_id(api, tx).filter(|d| d.1 == "confirmed")?.0);
            }
            (treasury_confirmed(api, &t1.0, "ETH") == json!("1")
                && treasury_confirmed(api, &t2.0, "TT") == json!("50")
                && hooks_with(hooks, "SWEEP", &w3) >= 1)
                .then_some(ids)
        },
    );
    Treasury {
        t1,
        t2,
        w4,
        waiting,
    }
}

/// A coin send from t1 and a token send from t2 (debited at once), and a refund of each waiting
/// deposit to the refund address.
fn treasury_sends_and_refunds(node: &Node, api: &Api, c: &Chain, tr: &Treasury) -> Sent {
    let before = (
        node.balance(c.refunds),
        node.token_balance(c.token, c.refunds),
    );
    let send = |t: &str, token: &str, amount: &str| {
        post_id(
            api,
            &format!("/v1/treasury/{t}/send"),
            json!({"token": token, "amount": amount, "to_address": c.refunds}),
        )
    };
    let (send_eth, send_tt) = (send(&tr.t1.0, "ETH", "0.3"), send(&tr.t2.0, "TT", "20"));
    assert_eq!(treasury_confirmed(api, &tr.t2.0, "TT"), json!("30"));
    let refunds = tr
        .waiting
        .iter()
        .map(|tx| {
            post_id(
                api,
                &format!("/v1/deposits/{tx}/refund"),
                json!({"to_address": c.refunds}),
            )
        })
        .collect();
    Sent {
        send_eth,
        send_tt,
        refunds,
        before,
    }
}

/// After section 6 settled: the node refused both sends from addresses without gas (failed, money
/// back); the rest arrived; each refund left from where its money was; the dust deposit waits for
/// a decision again.
fn settled_where_the_money_was(
    node: &Node,
    api: &Api,
    c: &Chain,
    tr: &Treasury,
    sent: &Sent,
    rejected: [&Value; 2],
) {
    for failed in rejected {
        let reason = failed["details"]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("rejected") && reason.contains("insufficient funds"),
            "{failed}"
        );
    }
    let (outside_eth, outside_tt) = sent.before;
    assert_eq!(treasury_confirmed(api, &tr.t2.0, "TT"), json!("50"));
    assert_eq!(node.token_balance(c.token, &tr.t2.1), 50 * ETHER);
    assert_eq!(treasury_confirmed(api, &tr.t1.0, "ETH"), json!("0.7"));
    assert_eq!(
        node.balance(c.refunds),
        outside_eth + 3 * ETHER / 10 + ETHER / 5000
    );
    assert_eq!(
        node.token_balance(c.token, c.refunds),
        outside_tt + ETHER / 2
    );
    assert_eq!(node.token_balance(c.token, &tr.t1.1), 0);
    assert_eq!(node.balance(&tr.w4.1), DUST);
    let from = |id: &str| {
        transaction(api, id)["details"]["from_address"]
            .as_str()
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    assert_eq!(from(&sent.refunds[0]), tr.t1.1.to_ascii_lowercase());
    assert_eq!(from(&sent.refunds[1]), c.holding.to_ascii_lowercase());
    assert_eq!(from(&sent.refunds[2]), tr.w4.1.to_ascii_lowercase());
    // Credited now.
    api.send(
        "POST",
        &format!("/v1/deposits/{}/credit", tr.waiting[2]),
        json!({}),
    );
    assert_eq!(api.balance(&tr.w4.0, "ETH").0, "0.00002");
}

/// Section 7: with the miner stopped, the host signs and broadcasts a holding withdrawal; the
/// test, as the holding wallet, replaces it in the node's pool with another transaction of the
/// same nonce and several times its fees, then mines: ours is never mined, so the withdrawal
/// fails as dropped, its debit comes back and FAILED is announced.
fn dropped_withdrawal(
    node: &Node,
    api: &Api,
    hooks: &Mutex<Vec<Value>>,
    holding: &str,
    outside: &str,
) {
    let position = || api.get("/v1/wallets/holding/local")["balances"]["ETH"].clone();
    let before = position();
    node.call("miner_stop", json!([]));
    let id = api.send(
        "POST",
        "/v1/wallets/holding/local/withdraw",
        json!({"token": "ETH", "amount": "0.25", "to_address": outside}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (hash, nonce, pooled) = until(node, "the withdrawal in the node's pool", false, || {
        let t = api.get(&format!("/v1/transactions/{id}"));
        let hash = t["details"]["chain_tx"].as_str()?.to_owned();
        let pooled = node.call("eth_getTransactionByHash", json!([hash]));
        (t["status"] == json!("broadcast") && !pooled.is_null())
            .then(|| (hash, t["details"]["nonce"].as_u64().unwrap(), pooled))
    });
    assert_ne!(position(), before, "debited");
    let five = |k: &str| format!("0x{:x}", qty(&pooled[k]) * 5);
    node.call("personal_unlockAccount", json!([holding, "test", 600]));
    node.call(
        "eth_sendTransaction",
        json!([{"from": holding, "to": holding, "value": "0x0", "gas": "0x5208",
                "nonce": format!("0x{nonce:x}"), "maxFeePerGas": five("maxFeePerGas"),
                "maxPriorityFeePerGas": five("maxPriorityFeePerGas")}]),
    );
    assert!(
        node.call("eth_getTransactionByHash", json!([hash]))
            .is_null(),
        "the replacement took our transaction's place in the pool"
    );
    node.call("miner_start", json!([]));
    let failed = until(node, "the dropped withdrawal to fail", true, || {
        let t = api.get(&format!("/v1/transactions/{id}"));
        (t["status"] == json!("failed")).then_some(t)
    });
    assert!(
        failed["details"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("dropped"),
        "{failed}"
    );
    assert!(node
        .call("eth_getTransactionReceipt", json!([hash]))
        .is_null());
    assert_eq!(position(), before, "the debit came back");
    until(
        node,
        "the FAILED webhook of the dropped withdrawal",
        false,
        || (hooks_with(hooks, "WITHDRAWAL", &format!("{id}:failed")) >= 1).then_some(()),
    );
}
