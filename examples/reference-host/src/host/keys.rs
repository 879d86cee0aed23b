//! Deposit addresses for the host: one master mnemonic per deployment, one BIP-44 account per
//! holding wallet (client and blockchain), virtual wallet i = child i of that account's key.
//!
//! The mnemonic comes from outside the database (WAAS_MNEMONIC or `--key-file`; required in live
//! mode) or, in a sandbox without one, is generated on first start and kept in the database's
//! keystore table, sealed (`seal.rs`) with the sandbox key file. A production deployment keeps it
//! in a KMS or HSM and gives the host only what it needs.

use super::error::ApiError;
use super::store::Store;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Mutex;
use waas_core::keys::{ExtendedPrivateKey, ExtendedPublicKey, Mnemonic};
use waas_core::{Address, Family};

/// The deployment's master key and a cache of account xpubs.
pub struct KeyRing {
    master: ExtendedPrivateKey,
    xpubs: Mutex<HashMap<(Family, u32), ExtendedPublicKey>>,
}

impl KeyRing {
    /// Loads the master key: the one given from outside, else the keystore's (sealed), else a
    /// new one sealed into the keystore (sandbox).
    pub async fn load(
        store: &Store,
        outside: Option<zeroize::Zeroizing<String>>,
    ) -> Result<KeyRing, ApiError> {
        let phrase = match outside {
            Some(p) => p,
            None => {
                let row = sqlx::query("SELECT secret FROM keystore WHERE id = 'master'")
                    .fetch_optional(store.pool())
                    .await?;
                match row {
                    Some(r) => {
                        let stored = zeroize::Zeroizing::new(r.try_get::<String, _>("secret")?);
                        let phrase = zeroize::Zeroizing::new(store.sealer().open(&stored)?);
                        if !super::seal::Sealer::is_sealed(&stored) {
                            // Kept in plain text by an older version: sealed now.
                            sqlx::query("UPDATE keystore SET secret = $1 WHERE id = 'master'")
                                .bind(store.sealer().seal(&phrase)?)
                                .execute(store.pool())
                                .await?;
                        }
                        phrase
                    }
                    None => {
                        let m = Mnemonic::generate(24)?;
                        let phrase = m.phrase();
                        sqlx::query("INSERT INTO keystore (id, secret) VALUES ('master', $1)")
                            .bind(store.sealer().seal(phrase.as_str())?)
                            .execute(store.pool())
                            .await?;
                        zeroize::Zeroizing::new(phrase.to_string())
                    }
                }
            }
        };
        let passphrase =
            zeroize::Zeroizing::new(std::env::var("WAAS_PASSPHRASE").unwrap_or_default());
        let mnemonic = Mnemonic::parse(&phrase)?;
        Ok(KeyRing {
            master: ExtendedPrivateKey::from_mnemonic(&mnemonic, &passphrase)?,
            xpubs: Mutex::new(HashMap::new()),
        })
    }

    /// The account xpub of a holding wallet.
    pub fn xpub(&self, family: Family, account: u32) -> Result<ExtendedPublicKey, ApiError> {
        if let Ok(cache) = self.xpubs.lock() {
            if let Some(x) = cache.get(&(family, account)) {
                return Ok(x.clone());
            }
        }
        let xpub = self.master.account_key(family, account)?.xpub();
        if let Ok(mut cache) = self.xpubs.lock() {
            cache.insert((family, account), xpub.clone());
        }
        Ok(xpub)
    }

    /// The deposit address of virtual wallet `index` of a holding account.
    pub fn deposit_address(
        &self,
        family: Family,
        account: u32,
        index: u32,
    ) -> Result<Address, ApiError> {
        Ok(self.xpub(family, account)?.derive_address(family, index)?)
    }

    /// The holding wallet's own address: m/44'/coin'/account'/1/0 (the change branch, apart from
    /// the deposit addresses).
    pub fn holding_address(&self, family: Family, account: u32) -> Result<Address, ApiError> {
        let key = self
            .master
            .derive_path(&format!("m/44'/{}'/{account}'/1", family.coin_type()))?;
        Ok(key.child_address(family, 0)?)
    }
}

impl KeyRing {
    /// The private key of EVM virtual wallet `index` of a holding account (for sweeps only).
    pub fn evm_deposit_key(
        &self,
        account: u32,
        index: u32,
    ) -> Result<k256::ecdsa::SigningKey, ApiError> {
        Ok(self
            .master
            .account_key(Family::Evm, account)?
            .child_secret(index)?)
    }

    /// The private key of an EVM holding wallet (m/44'/60'/account'/1/0).
    pub fn evm_holding_key(&self, account: u32) -> Result<k256::ecdsa::SigningKey, ApiError> {
        let key = self
            .master
            .derive_path(&format!("m/44'/{}'/{account}'/1", Family::Evm.coin_type()))?;
        Ok(key.child_secret(0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys that sign are the keys of the addresses handed out: a treasury wallet (child 0
    /// of its own account), a deposit address and a holding wallet.
    #[test]
    fn signing_keys_match_the_addresses() {
        let phrase = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        let mnemonic = Mnemonic::parse(phrase).unwrap();
        let ring = KeyRing {
            master: ExtendedPrivateKey::from_mnemonic(&mnemonic, "").unwrap(),
            xpubs: Mutex::new(HashMap::new()),
        };
        let signer = |k: &k256::ecdsa::SigningKey| waas_core::tx::signer_address(k);
        for account in [0, 3] {
            assert_eq!(
                ring.deposit_address(Family::Evm, account, 0).unwrap(),
                signer(&ring.evm_deposit_key(account, 0).unwrap())
            );
            assert_eq!(
                ring.deposit_address(Family::Evm, account, 7).unwrap(),
                signer(&ring.evm_deposit_key(account, 7).unwrap())
            );
            assert_eq!(
                ring.holding_address(Family::Evm, account).unwrap(),
                signer(&ring.evm_holding_key(account).unwrap())
            );
        }
    }
}
