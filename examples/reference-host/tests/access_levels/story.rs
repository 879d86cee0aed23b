//! The access-level story (issue 19, "keys never grow"), shared by the in-process suite
//! (tests/api/access_levels.rs: one host in this process, on SQLite) and by
//! tests/access_levels.rs (two `waas serve` processes on one PostgreSQL database): a user's key
//! acts with the user's level; changing the level (or moving or deleting the user) shows at once on
//! the host that made the change and within one second on every other host; a key never holds
//! more than its creator (its ceiling), and a level, user or key of another client is 404.
//! Included by `#[path]` in both test crates; it calls its hosts through [`Host`].

use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A host the story calls: a `waas serve` process, or the router in this process.
pub trait Host {
    /// `method path` with the API key `key` and a JSON body; the answer.
    fn request(&self, method: &str, path: &str, key: &str, body: Option<Value>) -> Reply;
}

/// An answer: its status and its JSON body (`Null` when it has none).
pub struct Reply {
    pub status: u16,
    pub json: Value,
}

impl Reply {
    /// The body of a success with `status`; panics with the answer otherwise.
    #[track_caller]
    fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.json);
        &self.json
    }

    /// Asserts a refusal with `status` and `code`.
    #[track_caller]
    fn err(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.json["error"]["code"].as_str()),
            (status, Some(code)),
            "unexpected answer: {}",
            self.json
        );
    }
}

/// One host called with one key.
#[derive(Clone, Copy)]
struct Caller<'a> {
    h: &'a dyn Host,
    key: &'a str,
}

impl Caller<'_> {
    fn get(&self, path: &str) -> Reply {
        self.h.request("GET", path, self.key, None)
    }

    fn post(&self, path: &str, body: Value) -> Reply {
        self.h.request("POST", path, self.key, Some(body))
    }

    fn delete(&self, path: &str) -> Reply {
        self.h.request("DELETE", path, self.key, None)
    }

    /// A new account: its id.
    fn account(&self, name: &str) -> String {
        let r = self.post("/v1/accounts", json!({ "name": name }));
        r.ok(201)["id"].as_str().unwrap().to_owned()
    }
}

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
fn write(h: &dyn Host, key: &str, account: &str) -> Reply {
    let api = Caller { h, key };
    api.post(
        "/v1/wallets/virtual",
        json!({"account_id": account, "blockchain": "ethereum"}),
    )
}

/// Lists virtual wallets with `key` (needs WALLETS_READ).
fn read(h: &dyn Host, key: &str) -> Reply {
    Caller { h, key }.get("/v1/wallets/virtual")
}

/// A PATCH with `api`'s key.
fn patch(api: Caller<'_>, path: &str, body: Value) -> Reply {
    api.h.request("PATCH", path, api.key, Some(body))
}

/// A POST with `api`'s key that must create: the body.
fn made(api: Caller<'_>, path: &str, body: Value) -> Value {
    api.post(path, body).ok(201).clone()
}

/// A key's entry in the client's list of keys.
fn listed_key(root: Caller<'_>, key_id: &str) -> Value {
    let keys = root.get("/v1/management/api-keys").ok(200).clone();
    keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == json!(key_id))
        .unwrap()
        .clone()
}

/// What the story's steps share: the hosts (the first makes every change), the root's key on the
/// first, an account, the level "readers", its user and the user's key.
struct Story<'a> {
    hosts: &'a [&'a dyn Host],
    root: Caller<'a>,
    acc: String,
    level: String,
    user: String,
    key: String,
    key_id: String,
}

impl Story<'_> {
    fn first(&self) -> &dyn Host {
        self.hosts[0]
    }

    /// Sets the permissions of the level "readers" (with the root's key).
    fn set_level(&self, permissions: &[&str]) {
        let path = format!("/v1/management/access-levels/{}", self.level);
        patch(self.root, &path, json!({ "permissions": permissions })).ok(200);
    }
}

/// The whole story on `hosts` (the first makes every change; each is checked after it). One
/// story: each step starts from the keys, levels and users the steps before it left.
pub fn levels_drive_keys(hosts: &[&dyn Host], root_key: &str) {
    let st = a_users_key_acts_with_its_level(hosts, root_key);
    the_level_gains_and_loses_a_permission(&st);
    let manager = a_manager_hands_out_nothing_more(&st);
    a_key_keeps_its_creators_ceiling(&st, &manager);
    a_key_names_exactly_one_source(&st);
    another_clients_levels_and_users_are_not_found(&st);
    a_user_without_a_level_acts_with_nothing(&st);
    a_level_held_by_a_live_key_stays(&st);
    the_user_moved_to_another_level(&st);
    the_user_deleted_revokes_its_keys(&st);
}

/// A level with WALLETS_READ, a user holding it, a key of that user: it reads, it does not write.
fn a_users_key_acts_with_its_level<'a>(hosts: &'a [&'a dyn Host], root_key: &'a str) -> Story<'a> {
    let root = Caller {
        h: hosts[0],
        key: root_key,
    };
    let acc = root.account("a");
    let level = json!({"name": "readers", "permissions": ["WALLETS_READ"]});
    let level = id(&made(root, "/v1/management/access-levels", level));
    let user = json!({"email": "ann@example.com", "access_level_id": level});
    let user = id(&made(root, "/v1/management/users", user));
    let key = made(root, "/v1/management/api-keys", json!({"user_id": user}));
    assert_eq!(list(&key["permissions"]), ["WALLETS_READ"]);
    assert_eq!(key["user_id"], json!(user));
    assert_eq!(key["access_level_id"], Value::Null);
    let st = Story {
        hosts,
        root,
        acc,
        level,
        user,
        key: key["key"].as_str().unwrap().to_owned(),
        key_id: id(&key),
    };
    for &h in hosts {
        read(h, &st.key).ok(200);
        write(h, &st.key, &st.acc).err(403, "FORBIDDEN");
    }
    st
}

/// The level gains WALLETS_WRITE: at once here, within a second on every host; and loses it again.
fn the_level_gains_and_loses_a_permission(st: &Story<'_>) {
    let (key, acc) = (&st.key, &st.acc);
    let t = Instant::now();
    st.set_level(&["WALLETS_READ", "WALLETS_WRITE"]);
    write(st.first(), key, acc).ok(201);
    for &h in &st.hosts[1..] {
        within(t, "the level's new permission on another host", || {
            write(h, key, acc).status == 201
        });
    }
    let listed = listed_key(st.root, &st.key_id);
    assert_eq!(
        list(&listed["permissions"]),
        ["WALLETS_READ", "WALLETS_WRITE"]
    );
    assert_eq!(listed["user_id"], json!(st.user));

    let t = Instant::now();
    st.set_level(&["WALLETS_READ"]);
    write(st.first(), key, acc).err(403, "FORBIDDEN");
    for &h in &st.hosts[1..] {
        within(t, "the level's lost permission on another host", || {
            write(h, key, acc).status == 403
        });
        read(h, key).ok(200);
    }
}

/// Escalation: a key with MANAGEMENT and WALLETS_READ hands out nothing more. The manager's key.
fn a_manager_hands_out_nothing_more(st: &Story<'_>) -> String {
    let (root, level) = (st.root, &st.level);
    let manager = json!({"permissions": ["MANAGEMENT", "WALLETS_READ"]});
    let manager = made(root, "/v1/management/api-keys", manager);
    let manager = manager["key"].as_str().unwrap().to_owned();
    let m = Caller {
        h: st.first(),
        key: &manager,
    };
    let writers = json!({"name": "writers", "permissions": ["WALLETS_WRITE"]});
    m.post("/v1/management/access-levels", writers.clone())
        .err(403, "FORBIDDEN");
    patch(
        m,
        &format!("/v1/management/access-levels/{level}"),
        json!({"permissions": ["WALLETS_READ", "WALLETS_WRITE"]}),
    )
    .err(403, "FORBIDDEN");
    m.post(
        "/v1/management/api-keys",
        json!({"permissions": ["WALLETS_WRITE"]}),
    )
    .err(403, "FORBIDDEN");
    let writers = id(&made(root, "/v1/management/access-levels", writers));
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
    manager
}

/// A key the manager makes for the reader keeps the manager's ceiling: when the level grows past
/// it, the key does not (the user's own key does).
fn a_key_keeps_its_creators_ceiling(st: &Story<'_>, manager: &str) {
    let m = Caller {
        h: st.first(),
        key: manager,
    };
    let capped = made(m, "/v1/management/api-keys", json!({"user_id": st.user}));
    assert_eq!(list(&capped["permissions"]), ["WALLETS_READ"]);
    assert_eq!(list(&capped["ceiling"]), ["MANAGEMENT", "WALLETS_READ"]);
    let capped = capped["key"].as_str().unwrap().to_owned();
    st.set_level(&["WALLETS_WRITE", "MANAGEMENT"]);
    write(st.first(), &capped, &st.acc).err(403, "FORBIDDEN");
    read(st.first(), &capped).ok(200);
    Caller {
        h: st.first(),
        key: &capped,
    }
    .get("/v1/management/users")
    .ok(200);
    write(st.first(), &st.key, &st.acc).ok(201);
    st.set_level(&["WALLETS_READ"]);
}

/// Exactly one of permissions, user_id, access_level_id.
fn a_key_names_exactly_one_source(st: &Story<'_>) {
    st.root
        .post(
            "/v1/management/api-keys",
            json!({"permissions": ["WALLETS_READ"], "user_id": st.user}),
        )
        .err(400, "INVALID_ARGUMENT");
    st.root
        .post("/v1/management/api-keys", json!({}))
        .err(400, "INVALID_ARGUMENT");
}

/// Another client's level, user and keys are 404.
fn another_clients_levels_and_users_are_not_found(st: &Story<'_>) {
    let (level, user) = (&st.level, &st.user);
    let other = json!({"name": "other", "permissions": ["MANAGEMENT", "WALLETS_WRITE"]});
    let other = made(st.root, "/v1/management/clients", other);
    let o = Caller {
        h: st.first(),
        key: other["api_key"].as_str().unwrap(),
    };
    o.post("/v1/management/api-keys", json!({"access_level_id": level}))
        .err(404, "NOT_FOUND");
    o.post("/v1/management/api-keys", json!({"user_id": user}))
        .err(404, "NOT_FOUND");
    patch(
        o,
        &format!("/v1/management/access-levels/{level}"),
        json!({"permissions": ["WALLETS_READ"]}),
    )
    .err(404, "NOT_FOUND");
    o.post(
        "/v1/management/users",
        json!({"email": "eve@example.com", "access_level_id": level}),
    )
    .err(404, "NOT_FOUND");
}

/// A user without a level: its key acts with nothing.
fn a_user_without_a_level_acts_with_nothing(st: &Story<'_>) {
    let idle = json!({"email": "idle@example.com"});
    let idle = made(st.root, "/v1/management/users", idle);
    let idle_key = json!({"user_id": id(&idle)});
    let idle_key = made(st.root, "/v1/management/api-keys", idle_key);
    assert_eq!(list(&idle_key["permissions"]), Vec::<&str>::new());
    read(st.first(), idle_key["key"].as_str().unwrap()).err(403, "FORBIDDEN");
}

/// A key bound to a level directly; the level cannot be deleted while such a key is live (nor the
/// level "readers", which its user holds).
fn a_level_held_by_a_live_key_stays(st: &Story<'_>) {
    let root = st.root;
    let direct = json!({"name": "direct", "permissions": ["WALLETS_READ"]});
    let direct = id(&made(root, "/v1/management/access-levels", direct));
    let bound = json!({"access_level_id": direct});
    let bound = made(root, "/v1/management/api-keys", bound);
    assert_eq!(bound["access_level_id"], json!(direct));
    read(st.first(), bound["key"].as_str().unwrap()).ok(200);
    root.delete(&format!("/v1/management/access-levels/{direct}"))
        .err(400, "INVALID_ARGUMENT");
    root.delete(&format!("/v1/management/access-levels/{}", st.level))
        .err(400, "INVALID_ARGUMENT");
    root.delete(&format!("/v1/management/api-keys/{}", id(&bound)))
        .ok(200);
    root.delete(&format!("/v1/management/access-levels/{direct}"))
        .ok(200);
}

/// The user moved to a level without the permission: its key stops reading; moved back, it reads.
fn the_user_moved_to_another_level(st: &Story<'_>) {
    let key = &st.key;
    let tokens = json!({"name": "tokens", "permissions": ["TOKENS_READ"]});
    let tokens = made(st.root, "/v1/management/access-levels", tokens);
    for &h in st.hosts {
        read(h, key).ok(200);
    }
    let user = format!("/v1/management/users/{}", st.user);
    let t = Instant::now();
    patch(st.root, &user, json!({"access_level_id": id(&tokens)})).ok(200);
    read(st.first(), key).err(403, "FORBIDDEN");
    for &h in &st.hosts[1..] {
        within(t, "the user's new level on another host", || {
            read(h, key).status == 403
        });
    }
    let t = Instant::now();
    patch(st.root, &user, json!({"access_level_id": st.level})).ok(200);
    read(st.first(), key).ok(200);
    for &h in &st.hosts[1..] {
        within(t, "the user's level back on another host", || {
            read(h, key).status == 200
        });
    }
}

/// The user deleted: its keys are revoked; the level is no longer held and can go.
fn the_user_deleted_revokes_its_keys(st: &Story<'_>) {
    let (root, key) = (st.root, &st.key);
    let t = Instant::now();
    let gone = root
        .delete(&format!("/v1/management/users/{}", st.user))
        .ok(200)
        .clone();
    assert_eq!(gone["keys_revoked"], 2);
    read(st.first(), key).err(401, "UNAUTHORIZED");
    for &h in &st.hosts[1..] {
        within(t, "the deleted user's key on another host", || {
            read(h, key).status == 401
        });
    }
    assert_eq!(listed_key(root, &st.key_id)["revoked"], true);
    root.delete(&format!("/v1/management/access-levels/{}", st.level))
        .ok(200);
}
