//! Access levels drive key permissions (issue 19, "keys never grow") on one host in this process,
//! on SQLite: the story of access_levels/story.rs, which tests/access_levels.rs runs on two
//! `waas serve` processes on one PostgreSQL database. A user's key acts with the user's level and
//! follows its changes at once; a key never holds more than its creator; another client's level,
//! user or key is 404.

#[path = "../support/documented.rs"]
mod documented;
#[path = "../access_levels/story.rs"]
mod story;

use crate::app::Blocking;
use documented::Documented;
use serde_json::Value;
use story::{Host, Reply};

/// The host in this process, called from the story's synchronous steps. Every error answer is
/// checked against the served document, as the process tests' client checks it.
struct InProcess {
    host: Blocking,
    documented: Documented,
}

impl InProcess {
    /// A fresh host on its own SQLite file, in a runtime of its own.
    fn sqlite() -> InProcess {
        let host = Blocking::sqlite();
        let doc = host.run(host.app.send(None, "GET", "/openapi.json", &[], None));
        let documented = Documented::of(doc.ok(200));
        InProcess { host, documented }
    }
}

impl Host for InProcess {
    fn request(&self, method: &str, path: &str, key: &str, body: Option<Value>) -> Reply {
        let send = self.host.app.send(Some(key), method, path, &[], body);
        let answer = self.host.run(send);
        if answer.status >= 400 {
            let problem = self
                .documented
                .undocumented(method, path, answer.status, &answer.json);
            if let Some(problem) = problem {
                panic!("an error the document does not list: {problem}");
            }
        }
        Reply {
            status: answer.status,
            json: answer.json,
        }
    }
}

mod sqlite {
    /// The whole story on one host: a level's permissions, its user moved or deleted, a key's
    /// ceiling, one source per key, other clients' levels and users not found.
    #[test]
    fn a_key_acts_with_its_users_level_and_never_more_than_its_creator() {
        let host = super::InProcess::sqlite();
        let key = host.host.app.key().to_owned();
        super::story::levels_drive_keys(&[&host], &key);
    }
}
