//! Per-event-type subscriptions (`webhook_events`): a list of operations (`VIRTUAL_WALLET`) or
//! operation/sub-operation pairs (`VIRTUAL_WALLET/DEPOSIT`) from the core's catalog
//! ([`OPERATIONS`]); `["*"]` (the default) is every event. A host does not send an event a client
//! is not subscribed to.

use super::{operation, OPERATIONS};
use crate::error::{err, Error, Result};

/// Most entries a subscription list may have.
pub const MAX_ENTRIES: usize = 100;

/// The entry that stands for every event.
pub const ALL: &str = "*";

/// Checks and normalizes a `webhook_events` list: `None` for every event, else the entries,
/// deduplicated in the order given. `INVALID_ARGUMENT` for an empty list, an unknown
/// operation or sub-operation, or a malformed entry.
pub fn parse(list: &[String]) -> Result<Option<Vec<String>>> {
    let bad = |why: String| -> Error {
        err::invalid_argument(format!(
            "webhook_events: {why}; allowed: [\"*\"] (every event), or operations (\"VIRTUAL_WALLET\") and OPERATION/SUB_OPERATION pairs (\"VIRTUAL_WALLET/DEPOSIT\") of the webhook catalog"
        ))
    };
    if list.is_empty() {
        return Err(bad("the list is empty".into()));
    }
    if list.len() > MAX_ENTRIES {
        return Err(bad(format!("more than {MAX_ENTRIES} entries")));
    }
    if list.iter().any(|e| e == ALL) {
        if list.len() > 1 {
            return Err(bad("\"*\" stands alone".into()));
        }
        return Ok(None);
    }
    let mut out: Vec<String> = Vec::new();
    for entry in list {
        let (op, sub) = match entry.split_once('/') {
            Some((op, sub)) => (op, Some(sub)),
            None => (entry.as_str(), None),
        };
        let Some(spec) = operation(op) else {
            let names: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
            return Err(bad(format!(
                "{entry:?} is not a known operation (operations: {})",
                names.join(", ")
            )));
        };
        if let Some(sub) = sub {
            if !spec.has_sub_operation(sub) {
                return Err(bad(format!(
                    "{entry:?}: {sub:?} is not a sub-operation of {op} ({})",
                    spec.sub_operations.join(", ")
                )));
            }
        }
        if !out.contains(entry) {
            out.push(entry.clone());
        }
    }
    Ok(Some(out))
}

/// Whether a client with these subscriptions (`None`: all) wants the event.
pub fn wants(list: Option<&[String]>, operation: &str, sub_operation: &str) -> bool {
    let Some(list) = list else {
        return true;
    };
    list.iter().any(|e| match e.split_once('/') {
        Some((op, sub)) => op == operation && sub == sub_operation,
        None => e == operation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| (*e).to_owned()).collect()
    }

    #[test]
    fn lists_are_checked_against_the_catalog() {
        assert_eq!(parse(&list(&["*"])).ok(), Some(None));
        assert_eq!(
            parse(&list(&["ACCOUNT", "VIRTUAL_WALLET/DEPOSIT", "ACCOUNT"])).ok(),
            Some(Some(list(&["ACCOUNT", "VIRTUAL_WALLET/DEPOSIT"])))
        );
        for bad in [
            &[][..],
            &["*", "ACCOUNT"][..],
            &["NOPE"][..],
            &["account"][..],
            &["ACCOUNT/NOPE"][..],
            &["ACCOUNT/CREATED/X"][..],
            &["ACCOUNT/"][..],
            &["/CREATED"][..],
            &[""][..],
        ] {
            let e = parse(&list(bad)).expect_err(&format!("{bad:?}"));
            assert_eq!(e.code().as_str(), "INVALID_ARGUMENT");
        }
        assert!(parse(&vec!["ACCOUNT".to_owned(); MAX_ENTRIES + 1]).is_err());
    }

    #[test]
    fn events_match_operations_and_pairs() {
        let l = list(&["ACCOUNT", "VIRTUAL_WALLET/DEPOSIT"]);
        assert!(wants(None, "CARD", "CREATED"));
        assert!(wants(Some(&l), "ACCOUNT", "DELETED"));
        assert!(wants(Some(&l), "VIRTUAL_WALLET", "DEPOSIT"));
        assert!(!wants(Some(&l), "VIRTUAL_WALLET", "CREATED"));
        assert!(!wants(Some(&l), "CARD", "DEPOSIT"));
    }
}
