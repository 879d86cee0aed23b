//! The scenario commands: one variant per `op`, each with the fields it takes (unknown fields
//! are refused), parsed by serde from a line's JSON object.

use crate::error::{err, Result};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The `op` values a scenario understands (the variants of [`Command`], in their order; a test
/// checks the two agree).
pub const OPS: [&str; 36] = [
    "config",
    "contract",
    "create_account",
    "create_virtual_wallet",
    "create_treasury",
    "create_card",
    "deactivate",
    "activate",
    "unfreeze",
    "deposit",
    "confirm",
    "drop",
    "sweep",
    "transfer",
    "holding_credit",
    "withdraw",
    "holding_withdraw",
    "reserve",
    "state",
    "snapshot_restore",
    "add_rule",
    "remove_rule",
    "card_payment",
    "block_card",
    "unblock_card",
    "freeze",
    "hold",
    "release",
    "expire",
    "capture",
    "refund_below_minimum",
    "credit_below_minimum",
    "withdrawal_broadcast",
    "withdrawal_confirm",
    "withdrawal_fail",
    "cancel",
];

/// One scenario command.
#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(super) enum Command {
    Config(ConfigCmd),
    Contract(ContractCmd),
    CreateAccount(AccountCmd),
    CreateVirtualWallet(WalletCmd),
    CreateTreasury(WalletCmd),
    CreateCard(CardCmd),
    Deactivate(WalletRef),
    Activate(WalletRef),
    Unfreeze(WalletRef),
    Deposit(DepositCmd),
    Confirm(TxRef),
    Drop(TxRef),
    Sweep(SweepCmd),
    Transfer(TransferCmd),
    HoldingCredit(HoldingCreditCmd),
    Withdraw(WithdrawCmd),
    HoldingWithdraw(HoldingWithdrawCmd),
    Reserve(ReserveCmd),
    /// Any fields are accepted and ignored, as they always were.
    State(#[allow(dead_code)] Map<String, Value>),
    /// Any fields are accepted and ignored, as they always were.
    SnapshotRestore(#[allow(dead_code)] Map<String, Value>),
    /// Parsed by [`super::parse_rule`], whose defects are INVALID_RULE.
    AddRule(Map<String, Value>),
    RemoveRule(RuleRef),
    CardPayment(CardPaymentCmd),
    BlockCard(CardRef),
    UnblockCard(CardRef),
    Freeze(FreezeCmd),
    Hold(HoldCmd),
    Release(HoldRef),
    Expire(HoldRef),
    Capture(HoldRef),
    RefundBelowMinimum(RefundCmd),
    CreditBelowMinimum(TxRef),
    WithdrawalBroadcast(WithdrawalCmd),
    WithdrawalConfirm(WithdrawalCmd),
    WithdrawalFail(WithdrawalCmd),
    Cancel(WithdrawalCmd),
}

impl Command {
    /// The command `op` with `args` (an object without `op`); INVALID_COMMAND for an unknown
    /// op, a missing or unknown field, or a field of the wrong type.
    pub(super) fn parse(op: &str, args: Value) -> Result<Command> {
        if !OPS.contains(&op) {
            return Err(err::invalid_command(format!(
                "unknown op {op:?}; known: {}",
                OPS.join(", ")
            )));
        }
        let Value::Object(mut fields) = args else {
            return Err(err::invalid_command("a command is a JSON object"));
        };
        fields.insert("op".into(), Value::String(op.to_owned()));
        serde_json::from_value(Value::Object(fields))
            .map_err(|e| err::invalid_command(e.to_string()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MinDepositPatch {
    pub(super) virtual_wallet: Option<String>,
    pub(super) treasury: Option<String>,
    pub(super) card: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigCmd {
    pub(super) min_reserve_ratio: Option<String>,
    pub(super) min_deposit_usd: Option<MinDepositPatch>,
    pub(super) confirmations: Option<BTreeMap<String, u32>>,
    /// Addresses per blockchain; `null` removes the allowlist.
    #[serde(default, deserialize_with = "set_or_null")]
    pub(super) withdrawal_allowlist: Option<Option<BTreeMap<String, Vec<String>>>>,
}

/// An explicit `null` (`Some(None)`) told apart from an absent field (`None`, by `default`).
fn set_or_null<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ContractCmd {
    pub(super) client: String,
    pub(super) max_virtual_wallets: Option<u32>,
    pub(super) max_cards: Option<u32>,
    pub(super) max_treasury_wallets: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccountCmd {
    pub(super) client: String,
    pub(super) account: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WalletCmd {
    pub(super) account: String,
    pub(super) wallet: String,
    pub(super) blockchain: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CardCmd {
    pub(super) account: String,
    pub(super) card: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WalletRef {
    pub(super) wallet: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DepositCmd {
    pub(super) tx: String,
    pub(super) to: String,
    pub(super) token: String,
    pub(super) amount: String,
    pub(super) usd_price: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TxRef {
    pub(super) tx: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RefundCmd {
    pub(super) id: String,
    pub(super) tx: String,
    pub(super) to_address: String,
    pub(super) fee: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HoldCmd {
    pub(super) id: String,
    pub(super) wallet: String,
    pub(super) token: String,
    pub(super) amount: String,
    pub(super) reason: String,
    pub(super) expires_at: Option<i64>,
    pub(super) now: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HoldRef {
    pub(super) id: String,
    pub(super) to: Option<String>,
    pub(super) to_address: Option<String>,
    pub(super) now: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FreezeCmd {
    pub(super) wallet: String,
    pub(super) reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WithdrawalCmd {
    pub(super) id: String,
    pub(super) tx_hash: Option<String>,
    pub(super) reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SweepCmd {
    pub(super) tx: String,
    pub(super) from: String,
    pub(super) token: String,
    pub(super) amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TransferCmd {
    pub(super) id: String,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) token: String,
    pub(super) amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HoldingCreditCmd {
    pub(super) id: String,
    pub(super) to: String,
    pub(super) token: String,
    pub(super) amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WithdrawCmd {
    pub(super) id: String,
    pub(super) from: String,
    pub(super) to_address: String,
    pub(super) token: String,
    pub(super) amount: String,
    pub(super) fee: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HoldingWithdrawCmd {
    pub(super) id: String,
    pub(super) client: String,
    pub(super) blockchain: String,
    pub(super) token: String,
    pub(super) amount: String,
    pub(super) to_address: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CardPaymentCmd {
    pub(super) id: String,
    pub(super) card: String,
    pub(super) amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CardRef {
    pub(super) card: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReserveCmd {
    pub(super) client: String,
    pub(super) blockchain: String,
    pub(super) token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleRef {
    pub(super) rule: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The variants serde knows, from its own error message for an unknown one.
    fn variants() -> Vec<String> {
        let e = serde_json::from_value::<Command>(serde_json::json!({"op": "?"}))
            .err()
            .unwrap()
            .to_string();
        let list = e.split("expected one of ").nth(1).unwrap();
        list.split(", ")
            .map(|v| v.trim_matches('`').to_owned())
            .collect()
    }

    #[test]
    fn ops_and_variants_agree() {
        assert_eq!(variants(), OPS.to_vec());
    }
}
