//! A client of the API with one key, and the helpers the HTTP tests share.

#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use super::{Backend, Db, Opts, Resp, Server};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

/// A client of the API with one key.
#[derive(Clone, Copy)]
pub struct Api<'a> {
    pub s: &'a Server,
    pub key: &'a str,
}

impl<'a> Api<'a> {
    pub fn get(&self, path: &str) -> Resp {
        self.s.call("GET", path, Some(self.key), None)
    }
    pub fn post(&self, path: &str, body: Value) -> Resp {
        self.s.call("POST", path, Some(self.key), Some(&body))
    }
    pub fn put(&self, path: &str, body: Value) -> Resp {
        self.s.call("PUT", path, Some(self.key), Some(&body))
    }
    pub fn delete(&self, path: &str) -> Resp {
        self.s.call("DELETE", path, Some(self.key), None)
    }
    /// A POST with an Idempotency-Key.
    pub fn post_idem(&self, path: &str, idem: &str, body: &Value) -> Resp {
        let b = body.to_string();
        self.s
            .try_call(
                "POST",
                path,
                Some(self.key),
                Some(&b),
                &[("Idempotency-Key", idem)],
            )
            .unwrap()
    }
    /// A POST with a raw body.
    pub fn post_raw(&self, path: &str, body: &str) -> Resp {
        self.s
            .try_call("POST", path, Some(self.key), Some(body), &[])
            .unwrap()
    }
    pub fn put_raw(&self, path: &str, body: &str) -> Resp {
        self.s
            .try_call("PUT", path, Some(self.key), Some(body), &[])
            .unwrap()
    }

    pub fn account(&self, name: &str) -> String {
        let r = self.post("/v1/accounts", json!({"name": name}));
        r.ok(201)["id"].as_str().unwrap().to_owned()
    }

    /// Registers the test card number under an account; its id.
    pub fn card(&self, account: &str) -> String {
        let body = json!({"account_id": account, "number": "4242424242424242", "expiry": "12/39"});
        let r = self.post("/v1/cards", body);
        r.ok(201)["id"].as_str().unwrap().to_owned()
    }

    /// Creates a virtual wallet: (id, address).
    pub fn wallet(&self, account: &str, chain: &str) -> (String, String) {
        let r = self.post(
            "/v1/wallets/virtual",
            json!({"account_id": account, "blockchain": chain}),
        );
        let v = r.ok(201);
        (
            v["id"].as_str().unwrap().to_owned(),
            v["address"].as_str().unwrap().to_owned(),
        )
    }

    pub fn deposit(&self, address: &str, token: &str, amount: &str, tx: &str) -> Value {
        self.post(
            "/v1/simulate/deposit",
            json!({"address": address, "token": token, "amount": amount, "tx": tx}),
        )
        .ok(201)
        .clone()
    }

    pub fn confirm(&self, tx: &str) -> Value {
        self.post("/v1/simulate/confirm", json!({"tx": tx}))
            .ok(200)
            .clone()
    }

    /// A funded, confirmed (and swept) wallet.
    pub fn funded(&self, account: &str, chain: &str, amount: &str) -> (String, String) {
        let (id, addr) = self.wallet(account, chain);
        let tx = format!("fund:{id}");
        self.deposit(&addr, "USDT", amount, &tx);
        self.confirm(&tx);
        (id, addr)
    }

    /// (confirmed, unconfirmed, total) of a token in a virtual wallet.
    pub fn balance(&self, wallet: &str, token: &str) -> (Decimal, Decimal, Decimal) {
        let v = self
            .get(&format!("/v1/wallets/virtual/{wallet}"))
            .ok(200)
            .clone();
        let b = &v["balances"][token];
        if b.is_null() {
            return (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        }
        (
            dec(&b["confirmed"]),
            dec(&b["unconfirmed"]),
            dec(&b["total"]),
        )
    }

    pub fn total(&self, wallet: &str) -> Decimal {
        self.balance(wallet, "USDT").2
    }

    pub fn transfer(&self, from: &str, to: &str, amount: &str) -> Resp {
        self.post(
            &format!("/v1/wallets/virtual/{from}/transfer"),
            json!({"to_wallet_id": to, "token": "USDT", "amount": amount}),
        )
    }
}

pub fn dec(v: &Value) -> Decimal {
    Decimal::from_str(
        v.as_str()
            .unwrap_or_else(|| panic!("not a decimal string: {v}")),
    )
    .unwrap()
}

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A fresh database and a host on it (`None`: PostgreSQL skipped on request).
pub fn setup(backend: Backend, test: &str, opts: &Opts) -> Option<(Db, Server)> {
    let db = Db::fresh(backend, test)?;
    let s = Server::start(&db, opts);
    Some((db, s))
}
