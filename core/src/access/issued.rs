//! A new API key in the forms a platform needs at creation: the text to show once, the hash to
//! store, the hint for listings and the environment's name.

use super::{ApiKey, Environment};
use crate::error::Result;

/// A key just generated, as the bindings hand it to their callers.
#[derive(Clone)]
pub struct IssuedKey {
    /// The key text (secret; shown once).
    pub key: String,
    /// SHA-256 of the key, 64 hex digits: what the platform stores.
    pub hash: String,
    /// A non-secret hint for listings (prefix and first characters).
    pub hint: String,
    /// `sandbox` or `live`.
    pub environment: String,
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssuedKey({}<redacted>)", self.hint)
    }
}

impl IssuedKey {
    /// Generates a key for an environment named `sandbox` or `live` (`INVALID_ARGUMENT` for any
    /// other name) from the platform's randomness.
    pub fn generate(environment: &str) -> Result<IssuedKey> {
        let environment = Environment::parse(environment)?;
        let key = ApiKey::generate(environment)?;
        Ok(IssuedKey {
            key: key.expose().to_owned(),
            hash: key.hash().to_hex(),
            hint: key.hint(),
            environment: environment.as_str().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_agree_with_each_other() {
        let k = IssuedKey::generate("live").expect("a key");
        let parsed = ApiKey::parse(&k.key).expect("parses");
        assert_eq!(k.hash, parsed.hash().to_hex());
        assert!(k.key.starts_with(&k.hint) && k.hint.len() < k.key.len());
        assert_eq!(k.environment, "live");
        assert!(!format!("{k:?}").contains(&k.key));
        assert!(IssuedKey::generate("prod").is_err());
    }
}
