//! Access levels drive key permissions (issue 19, "keys never grow") on two `waas serve`
//! processes on one PostgreSQL database: a change made on the first host (a level's permissions,
//! a user moved or deleted) shows at once there and within one second on the second. The story
//! is shared with the in-process suite, which runs it on one SQLite host
//! (tests/api/access_levels.rs); its steps are in access_levels/story.rs.

#![allow(clippy::unwrap_used)]

mod support;

#[path = "access_levels/story.rs"]
mod story;

use serde_json::Value;
use story::{Host, Reply};
use support::api::setup;
use support::{Backend, Opts, Server};

impl Host for Server {
    fn request(&self, method: &str, path: &str, key: &str, body: Option<Value>) -> Reply {
        let r = self.call(method, path, Some(key), body.as_ref());
        Reply {
            status: r.status,
            json: r.json,
        }
    }
}

#[test]
fn access_levels_drive_keys_on_every_host_postgres() {
    let Some((db, first)) = setup(Backend::Postgres, "access_levels", &Opts::default()) else {
        return;
    };
    let key = first.key().to_owned();
    let second = Server::restart(&db, &Opts::default());
    story::levels_drive_keys(&[&first, &second], &key);
    drop(second);
    drop(first);
}
