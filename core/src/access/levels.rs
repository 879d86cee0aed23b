//! Where a key's permissions come from: its own, or an access level's within its ceiling.
//!
//! Every key stores a **ceiling** ([`StoredKey::permissions`](super::StoredKey)): the permissions
//! given to a client key, or the permissions its creator held when it made a key bound to a level
//! or a user. A **client key** acts with its ceiling. A key bound to an **access level** (directly,
//! or through the level of the **user** it belongs to) acts with what both the level and its
//! ceiling grant ([`meet`]), read each time the host looks the key up, so changing the level
//! changes the key. A bound key whose level cannot be found (a user without a level, a deleted
//! user or level) acts with nothing. The effective set is therefore never more than the ceiling,
//! and the ceiling never more than the creator held: keys never grow.

use super::{check_grantable, Permission, StoredKey};
use crate::error::{err, Result};
use std::collections::BTreeSet;

/// What a key is bound to: its client (its own permissions), a user, or an access level.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyBinding {
    /// A client key: acts with the permissions it was given.
    #[default]
    Client,
    /// A user's key: acts with the user's access level, within its ceiling.
    User {
        /// The user the key belongs to.
        user_id: String,
    },
    /// A key bound to an access level: acts with the level, within its ceiling.
    Level {
        /// The access level the key follows.
        access_level_id: String,
    },
}

impl KeyBinding {
    /// Whether this is a client key (the default, left out of stored records).
    pub fn is_client(&self) -> bool {
        matches!(self, Self::Client)
    }

    /// The user, for a user's key.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Self::User { user_id } => Some(user_id),
            _ => None,
        }
    }

    /// The access level, for a key bound to one directly.
    pub fn access_level_id(&self) -> Option<&str> {
        match self {
            Self::Level { access_level_id } => Some(access_level_id),
            _ => None,
        }
    }
}

/// Whether any permission of `held` grants `needed`.
pub fn set_grants(held: &BTreeSet<Permission>, needed: Permission) -> bool {
    held.iter().any(|h| h.grants(needed))
}

/// What both `a` and `b` grant, as a set: a permission of either that the other grants (a
/// `*_WRITE` in one and its `*_READ` in the other meet at the `*_READ`).
pub fn meet(a: &BTreeSet<Permission>, b: &BTreeSet<Permission>) -> BTreeSet<Permission> {
    a.iter()
        .filter(|p| set_grants(b, **p))
        .chain(b.iter().filter(|p| set_grants(a, **p)))
        .copied()
        .collect()
}

/// The permissions a key acts with. `level` is the permissions of the access level the host found
/// for it (the key's own level, else its user's), `None` when there is none: a client key has its
/// ceiling; a bound key has [`meet`] of its ceiling and the level, or nothing without a level.
pub fn effective_permissions(
    key: &StoredKey,
    level: Option<&BTreeSet<Permission>>,
) -> BTreeSet<Permission> {
    match (&key.binding, level) {
        (KeyBinding::Client, _) => key.permissions.clone(),
        (_, Some(level)) => meet(&key.permissions, level),
        (_, None) => BTreeSet::new(),
    }
}

/// Checks the permissions of an access level a key holding `held` creates or changes: at least
/// one (INVALID_ARGUMENT), each held by the key (FORBIDDEN), as for a new key.
pub fn check_level_permissions(
    held: &BTreeSet<Permission>,
    wanted: &[Permission],
) -> Result<BTreeSet<Permission>> {
    if wanted.is_empty() {
        return Err(err::invalid_argument("permissions: give at least one"));
    }
    check_grantable(held, wanted)?;
    Ok(wanted.iter().copied().collect())
}

/// Checks a key bound to a level (directly or through a user) that a key holding `held` creates:
/// the level's permissions (`None`: a user without a level) must each be held by the creator
/// (FORBIDDEN otherwise). The new key's ceiling is `held`.
pub fn check_bound_key(
    held: &BTreeSet<Permission>,
    level: Option<&BTreeSet<Permission>>,
) -> Result<()> {
    let wanted: Vec<Permission> = level
        .map(|l| l.iter().copied().collect())
        .unwrap_or_default();
    check_grantable(held, &wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::new_key;
    use crate::access::Environment;
    use crate::ErrorCode;
    use Permission::*;

    fn set(p: &[Permission]) -> BTreeSet<Permission> {
        p.iter().copied().collect()
    }

    fn key(ceiling: &[Permission], binding: KeyBinding) -> StoredKey {
        let (_, mut k) = new_key(Environment::Sandbox, ceiling.iter().copied()).expect("key");
        k.binding = binding;
        k
    }

    fn user() -> KeyBinding {
        KeyBinding::User {
            user_id: "usr_1".into(),
        }
    }

    #[test]
    fn client_keys_keep_their_own_and_bound_keys_follow_the_level_within_the_ceiling() {
        let client = key(&[WalletsWrite], KeyBinding::Client);
        assert_eq!(effective_permissions(&client, None), set(&[WalletsWrite]));
        assert_eq!(
            effective_permissions(&client, Some(&set(&[Simulate]))),
            set(&[WalletsWrite])
        );
        let bound = key(&[Management, WalletsWrite], user());
        assert_eq!(effective_permissions(&bound, None), set(&[]));
        assert_eq!(
            effective_permissions(&bound, Some(&set(&[WalletsRead]))),
            set(&[WalletsRead])
        );
        assert_eq!(
            effective_permissions(&bound, Some(&set(&[WalletsRead, WalletsWrite, Simulate]))),
            set(&[WalletsRead, WalletsWrite])
        );
        let narrow = key(
            &[WalletsRead],
            KeyBinding::Level {
                access_level_id: "lvl_1".into(),
            },
        );
        assert_eq!(
            effective_permissions(&narrow, Some(&set(&[WalletsWrite, Management]))),
            set(&[WalletsRead])
        );
    }

    #[test]
    fn levels_and_bound_keys_hold_only_what_their_creator_holds() {
        let held = set(&[Management, WalletsRead]);
        assert_eq!(
            check_level_permissions(&held, &[WalletsRead]).ok(),
            Some(set(&[WalletsRead]))
        );
        let code = |r: Result<_>| {
            r.map(|_: BTreeSet<Permission>| ())
                .expect_err("refused")
                .code()
        };
        assert_eq!(
            code(check_level_permissions(&held, &[WalletsWrite])),
            ErrorCode::Forbidden
        );
        assert_eq!(
            code(check_level_permissions(&held, &[])),
            ErrorCode::InvalidArgument
        );
        assert!(check_bound_key(&held, None).is_ok());
        assert!(check_bound_key(&held, Some(&set(&[WalletsRead]))).is_ok());
        assert_eq!(
            check_bound_key(&held, Some(&set(&[WalletsWrite])))
                .expect_err("refused")
                .code(),
            ErrorCode::Forbidden
        );
    }

    #[test]
    fn old_records_read_as_client_keys_and_client_records_are_unchanged() {
        let old = r#"{"hash":"00000000000000000000000000000000000000000000000000000000000000ff","environment":"sandbox","permissions":["WALLETS_READ"],"hint":"h","revoked":false}"#;
        let k: StoredKey = serde_json::from_str(old).expect("old record");
        assert_eq!(k.binding, KeyBinding::Client);
        assert_eq!(serde_json::to_string(&k).expect("json"), old);
        let bound = key(&[WalletsRead], user());
        let text = serde_json::to_string(&bound).expect("json");
        assert!(text.contains(r#""binding":{"kind":"user","user_id":"usr_1"}"#));
        assert_eq!(
            serde_json::from_str::<StoredKey>(&text).expect("back"),
            bound
        );
    }

    fn subset(bits: u16) -> BTreeSet<Permission> {
        Permission::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, p)| p)
            .collect()
    }

    proptest::proptest! {
        /// Whatever the ceiling and the level, a bound key grants exactly what both grant, so
        /// never more than its ceiling (nor its level).
        #[test]
        fn a_bound_key_never_exceeds_its_ceiling(ceiling in 0u16.., level in 0u16.., has_level: bool) {
            let (ceiling, level) = (subset(ceiling), subset(level));
            let k = key(&ceiling.iter().copied().collect::<Vec<_>>(), user());
            let eff = effective_permissions(&k, has_level.then_some(&level));
            for needed in Permission::ALL {
                let both = has_level && set_grants(&ceiling, needed) && set_grants(&level, needed);
                proptest::prop_assert_eq!(set_grants(&eff, needed), both, "{}", needed);
            }
            let listed: Vec<Permission> = eff.iter().copied().collect();
            proptest::prop_assert!(check_grantable(&ceiling, &listed).is_ok());
        }
    }
}
