//! Access levels drive key permissions (issue 19, "keys never grow"), over real `waas serve`
//! processes: a user's key acts with the user's level; changing the level (or moving or deleting the
//! user) shows at once on the host that made the change and within one second on another host on
//! the same PostgreSQL database; a key never holds more than its creator (its ceiling), and a
//! level, user or key of another client is 404.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::api::{setup, Api};
use support::{Backend, Opts, Resp, Server};

/// How long a change may take to show on another host: the one second promised, with slack for a
/// loaded machine.
const BOUND: Duration = Duration::from_millis(1500);

/// Polls `f` every 20 ms until it holds, failing after [`BOUND`] from `since`.
#[track_caller]
fn within(since: Instant, what: &str, mut f: impl FnMut() -> bool) {
    loop {
        if f() {
            return;
        }
        assert!(
            since.elapsed() < BOUND,
            "not within {BOUND:?}: {what} (waited {:?})",
            since.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn list(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect()
}

/// Creates a virtual wallet with `key` (needs WALLETS_WRITE).
fn write(s: &Server, key: &str, account: &str) -> Resp {
    let api = Api { s, key };
    api.post(
        "/v1/wallets/virtual",
        json!({"account_id": account, "blockchain": "ethereum"}),
    )
}

/// Lists virtual wallets with `key` (needs WALLETS_READ).
fn read(s: &Server, key: &str) -> Resp {
    Api { s, key }.get("/v1/wallets/virtual")
}

/// The whole story on `hosts` (the first makes every change; each is checked after it).
fn levels_drive_keys(hosts: &[&Server], root_key: &str) {
    let first = hosts[0];
    let root = Api {
        s: first,
        key: root_key,
    };
    let acc = root.account("a");

    // A level with WALLETS_READ, a user holding it, a key of that user.
    let level = root
        .post(
            "/v1/management/access-levels",
            json!({"name": "readers", "permissions": ["WALLETS_READ"]}),
        )
        .ok(201)
        .clone();
    let level = id(&level);
    let user = root
        .post(
            "/v1/management/users",
            json!({"email": "ann@example.com", "access_level_id": level}),
        )
        .ok(201)
        .clone();
    let user = id(&user);
    let made = root
        .post("/v1/management/api-keys", json!({"user_id": user}))
        .ok(201)
        .clone();
    assert_eq!(list(&made["permissions"]), ["WALLETS_READ"]);
    assert_eq!(made["user_id"], json!(user));
    assert_eq!(made["access_level_id"], Value::Null);
    let key = made["key"].as_str().unwrap().to_owned();
    let key_id = id(&made);
    for h in hosts {
        read(h, &key).ok(200);
        write(h, &key, &acc).err(403, "FORBIDDEN");
    }

    // The level gains WALLETS_WRITE: at once here, within a second on every host.
    let t = Instant::now();
    root.s
        .call(
            "PATCH",
            &format!("/v1/management/access-levels/{level}"),
            Some(root_key),
            Some(&json!({"permissions": ["WALLETS_READ", "WALLETS_WRITE"]})),
        )
        .ok(200);
    write(first, &key, &acc).ok(201);
    for h in &hosts[1..] {
        within(t, "the level's new permission on another host", || {
            write(h, &key, &acc).status == 201
        });
    }
    let keys = root.get("/v1/management/api-keys").ok(200).clone();
    let listed = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == json!(key_id))
        .unwrap();
    assert_eq!(
        list(&listed["permissions"]),
        ["WALLETS_READ", "WALLETS_WRITE"]
    );
    assert_eq!(listed["user_id"], json!(user));

    // And loses it again.
    let t = Instant::now();
    root.s
        .call(
            "PATCH",
            &format!("/v1/management/access-levels/{level}"),
            Some(root_key),
            Some(&json!({"permissions": ["WALLETS_READ"]})),
        )
        .ok(200);
    write(first, &key, &acc).err(403, "FORBIDDEN");
    for h in &hosts[1..] {
        within(t, "the level's lost permission on another host", || {
            write(h, &key, &acc).status == 403
        });
        read(h, &key).ok(200);
    }

    // Escalation: a key with MANAGEMENT and WALLETS_READ hands out nothing more.
    let manager = root
        .post(
            "/v1/management/api-keys",
            json!({"permissions": ["MANAGEMENT", "WALLETS_READ"]}),
        )
        .ok(201)
        .clone();
    let manager = manager["key"].as_str().unwrap().to_owned();
    let m = Api {
        s: first,
        key: &manager,
    };
    m.post(
        "/v1/management/access-levels",
        json!({"name": "writers", "permissions": ["WALLETS_WRITE"]}),
    )
    .err(403, "FORBIDDEN");
    m.s.call(
        "PATCH",
        &format!("/v1/management/access-levels/{level}"),
        Some(&manager),
        Some(&json!({"permissions": ["WALLETS_READ", "WALLETS_WRITE"]})),
    )
    .err(403, "FORBIDDEN");
    m.post(
        "/v1/management/api-keys",
        json!({"permissions": ["WALLETS_WRITE"]}),
    )
    .err(403, "FORBIDDEN");
    let writers = root
        .post(
            "/v1/management/access-levels",
            json!({"name": "writers", "permissions": ["WALLETS_WRITE"]}),
        )
        .ok(201)
        .clone();
    let writers = id(&writers);
    m.post(
        "/v1/management/api-keys",
        json!({"access_level_id": writers}),
    )
    .err(403, "FORBIDDEN");
    m.post(
        "/v1/management/users",
        json!({"email": "bob@example.com", "access_level_id": writers}),
    )
    .err(403, "FORBIDDEN");
    // A key the manager makes for the reader keeps the manager's ceiling: when the level grows
    // past it, the key does not.
    let capped = m
        .post("/v1/management/api-keys", json!({"user_id": user}))
        .ok(201)
        .clone();
    assert_eq!(list(&capped["permissions"]), ["WALLETS_READ"]);
    assert_eq!(list(&capped["ceiling"]), ["MANAGEMENT", "WALLETS_READ"]);
    let capped = capped["key"].as_str().unwrap().to_owned();
    root.s
        .call(
            "PATCH",
            &format!("/v1/management/access-levels/{level}"),
            Some(root_key),
            Some(&json!({"permissions": ["WALLETS_WRITE", "MANAGEMENT"]})),
        )
        .ok(200);
    write(first, &capped, &acc).err(403, "FORBIDDEN");
    read(first, &capped).ok(200);
    Api {
        s: first,
        key: &capped,
    }
    .get("/v1/management/users")
    .ok(200);
    write(first, &key, &acc).ok(201);
    root.s
        .call(
            "PATCH",
            &format!("/v1/management/access-levels/{level}"),
            Some(root_key),
            Some(&json!({"permissions": ["WALLETS_READ"]})),
        )
        .ok(200);

    // Exactly one of permissions, user_id, access_level_id.
    root.post(
        "/v1/management/api-keys",
        json!({"permissions": ["WALLETS_READ"], "user_id": user}),
    )
    .err(400, "INVALID_ARGUMENT");
    root.post("/v1/management/api-keys", json!({}))
        .err(400, "INVALID_ARGUMENT");

    // Another client's level, user and keys are 404.
    let other = root
        .post(
            "/v1/management/clients",
            json!({"name": "other", "permissions": ["MANAGEMENT", "WALLETS_WRITE"]}),
        )
        .ok(201)
        .clone();
    let other_key = other["api_key"].as_str().unwrap().to_owned();
    let o = Api {
        s: first,
        key: &other_key,
    };
    o.post("/v1/management/api-keys", json!({"access_level_id": level}))
        .err(404, "NOT_FOUND");
    o.post("/v1/management/api-keys", json!({"user_id": user}))
        .err(404, "NOT_FOUND");
    o.s.call(
        "PATCH",
        &format!("/v1/management/access-levels/{level}"),
        Some(&other_key),
        Some(&json!({"permissions": ["WALLETS_READ"]})),
    )
    .err(404, "NOT_FOUND");
    o.post(
        "/v1/management/users",
        json!({"email": "eve@example.com", "access_level_id": level}),
    )
    .err(404, "NOT_FOUND");

    // A user without a level: its key acts with nothing.
    let idle = root
        .post("/v1/management/users", json!({"email": "idle@example.com"}))
        .ok(201)
        .clone();
    let idle_key = root
        .post("/v1/management/api-keys", json!({"user_id": id(&idle)}))
        .ok(201)
        .clone();
    assert_eq!(list(&idle_key["permissions"]), Vec::<&str>::new());
    read(first, idle_key["key"].as_str().unwrap()).err(403, "FORBIDDEN");

    // A key bound to a level directly; the level cannot be deleted while such a key is live.
    let direct = root
        .post(
            "/v1/management/access-levels",
            json!({"name": "direct", "permissions": ["WALLETS_READ"]}),
        )
        .ok(201)
        .clone();
    let direct = id(&direct);
    let bound = root
        .post(
            "/v1/management/api-keys",
            json!({"access_level_id": direct}),
        )
        .ok(201)
        .clone();
    assert_eq!(bound["access_level_id"], json!(direct));
    read(first, bound["key"].as_str().unwrap()).ok(200);
    root.delete(&format!("/v1/management/access-levels/{direct}"))
        .err(400, "INVALID_ARGUMENT");
    root.delete(&format!("/v1/management/access-levels/{level}"))
        .err(400, "INVALID_ARGUMENT");
    root.delete(&format!("/v1/management/api-keys/{}", id(&bound)))
        .ok(200);
    root.delete(&format!("/v1/management/access-levels/{direct}"))
        .ok(200);

    // The user moved to a level without the permission: its key stops reading.
    let tokens = root
        .post(
            "/v1/management/access-levels",
            json!({"name": "tokens", "permissions": ["TOKENS_READ"]}),
        )
        .ok(201)
        .clone();
    for h in hosts {
        read(h, &key).ok(200);
    }
    let t = Instant::now();
    root.s
        .call(
            "PATCH",
            &format!("/v1/management/users/{user}"),
            Some(root_key),
            Some(&json!({"access_level_id": id(&tokens)})),
        )
        .ok(200);
    read(first, &key).err(403, "FORBIDDEN");
    for h in &hosts[1..] {
        within(t, "the user's new level on another host", || {
            read(h, &key).status == 403
        });
    }
    let t = Instant::now();
    root.s
        .call(
            "PATCH",
            &format!("/v1/management/users/{user}"),
            Some(root_key),
            Some(&json!({"access_level_id": level})),
        )
        .ok(200);
    read(first, &key).ok(200);
    for h in &hosts[1..] {
        within(t, "the user's level back on another host", || {
            read(h, &key).status == 200
        });
    }

    // The user deleted: its keys are revoked.
    let t = Instant::now();
    let gone = root
        .delete(&format!("/v1/management/users/{user}"))
        .ok(200)
        .clone();
    assert_eq!(gone["keys_revoked"], 2);
    read(first, &key).err(401, "UNAUTHORIZED");
    for h in &hosts[1..] {
        within(t, "the deleted user's key on another host", || {
            read(h, &key).status == 401
        });
    }
    let keys = root.get("/v1/management/api-keys").ok(200).clone();
    let listed = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == json!(key_id))
        .unwrap();
    assert_eq!(listed["revoked"], true);
    // The level is no longer held: it can go.
    root.delete(&format!("/v1/management/access-levels/{level}"))
        .ok(200);
}

#[test]
fn access_levels_drive_keys_sqlite() {
    let (_db, s) = setup(Backend::Sqlite, "access_levels", &Opts::default()).unwrap();
    let key = s.key().to_owned();
    levels_drive_keys(&[&s], &key);
}

#[test]
fn access_levels_drive_keys_on_every_host_postgres() {
    let Some((db, first)) = setup(Backend::Postgres, "access_levels", &Opts::default()) else {
        return;
    };
    let key = first.key().to_owned();
    let second = Server::restart(&db, &Opts::default());
    levels_drive_keys(&[&first, &second], &key);
    drop(second);
    drop(first);
}
