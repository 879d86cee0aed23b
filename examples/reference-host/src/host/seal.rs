//! Secrets at rest: webhook keys, signing secrets and a sandbox's generated mnemonic are sealed
//! with XChaCha20-Poly1305 under a key that is not in the database, so a copy of the database
//! alone reveals none of them.
//!
//! The sealing key is SHA-256 over a domain tag and key material from outside the database: the
//! master mnemonic when the deployment supplies it (`WAAS_MNEMONIC` or `--key-file`, required in
//! live mode), otherwise (sandbox) a random key file kept beside the database. A sealed value is
//! `sealed:v1:` + hex(nonce || ciphertext); a value without that prefix, written by an older
//! version, is read as it is and sealed when next written (and at start).

use super::error::ApiError;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The prefix of a sealed value.
const PREFIX: &str = "sealed:v1:";
/// Domain tag of the sealing key.
const TAG: &[u8] = b"waas seal v1\0";

/// Seals and opens secrets at rest.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A sealer whose key is derived from key material kept outside the database.
    pub fn from_material(material: &[u8]) -> Sealer {
        let key = zeroize::Zeroizing::new(
            Sha256::new()
                .chain_update(TAG)
                .chain_update(material)
                .finalize(),
        );
        Sealer {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    /// The sealed form of a secret.
    pub fn seal(&self, plain: &str) -> Result<String, ApiError> {
        let mut nonce = [0u8; 24];
        waas_core::random::fill(&mut nonce)?;
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), plain.as_bytes())
            .map_err(|_| ApiError::internal("cannot seal a secret"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", hex::encode(out)))
    }

    /// The secret a stored value holds (a value from before sealing is returned as it is).
    pub fn open(&self, stored: &str) -> Result<String, ApiError> {
        let Some(text) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let wrong = || {
            ApiError::config(
                "a sealed secret does not open with this deployment's key (another key file or mnemonic?)",
            )
        };
        let bytes = hex::decode(text).map_err(|_| wrong())?;
        if bytes.len() < 24 {
            return Err(wrong());
        }
        let (nonce, sealed) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| wrong())?;
        let plain = self
            .cipher
            .decrypt(&XNonce::from(nonce), sealed)
            .map_err(|_| wrong())?;
        String::from_utf8(plain).map_err(|_| wrong())
    }

    /// Whether a stored value is sealed.
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

/// The sandbox key file of a database: `<file>.seal` beside a SQLite file, `waas-sandbox.seal` in
/// the working directory for PostgreSQL.
pub fn sandbox_key_file(database_url: &str) -> PathBuf {
    match database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    {
        Some(rest) => {
            let path = rest.split('?').next().unwrap_or(rest);
            PathBuf::from(format!("{path}.seal"))
        }
        None => PathBuf::from("waas-sandbox.seal"),
    }
}

/// Reads a key file, creating it with 32 random bytes (hex, owner-only) when it does not exist.
pub fn key_file_material(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>, ApiError> {
    if !path.exists() {
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        waas_core::random::fill(key.as_mut())?;
        let text = zeroize::Zeroizing::new(hex::encode(key.as_ref()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut f) => {
                use std::io::Write;
                f.write_all(text.as_bytes()).map_err(|e| {
                    ApiError::config(format!("cannot write the key file {}: {e}", path.display()))
                })?;
            }
            // Another host made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(ApiError::config(format!(
                    "cannot create the key file {}: {e}",
                    path.display()
                )))
            }
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        ApiError::config(format!("cannot read the key file {}: {e}", path.display()))
    })?;
    Ok(zeroize::Zeroizing::new(text.trim().as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let a = Sealer::from_material(b"one");
        let b = Sealer::from_material(b"two");
        let sealed = a.seal("whsec_secret").expect("seal");
        assert!(Sealer::is_sealed(&sealed) && !sealed.contains("whsec_secret"));
        assert_ne!(
            a.seal("whsec_secret").expect("seal"),
            sealed,
            "fresh nonce each time"
        );
        assert_eq!(a.open(&sealed).expect("open"), "whsec_secret");
        assert!(b.open(&sealed).is_err());
        assert_eq!(a.open("legacy-plain").expect("plain"), "legacy-plain");
        let mut broken = sealed.clone();
        broken.pop();
        broken.push('0');
        assert!(a.open(&broken).is_err() || broken == sealed);
    }

    #[test]
    fn key_files_beside_sqlite_databases() {
        assert_eq!(
            sandbox_key_file("sqlite://waas.db"),
            PathBuf::from("waas.db.seal")
        );
        assert_eq!(
            sandbox_key_file("sqlite:///tmp/x.db?mode=rwc"),
            PathBuf::from("/tmp/x.db.seal")
        );
        assert_eq!(
            sandbox_key_file("postgres://h/db"),
            PathBuf::from("waas-sandbox.seal")
        );
    }
}
