//! The events the platform announces, one variant per happening: which kind each is, which
//! operation id and status it carries and what its data holds. A host builds an [`Event`] where
//! an operation happens and queues its [`Event::envelope`]; it decides none of these itself.
//!
//! An event whose data is the operation's answer (a created wallet, a deposit, a movement)
//! carries that answer as an [`Answer`], as the API wrote it: the webhook and the response agree
//! field for field.

use super::{Envelope, EventKind, Happening, Status, Subject};
use crate::automation::OutcomeEvent;
use crate::error::Result;
use crate::ledger::{HoldStatus, WalletKind, WithdrawalStatus};
use serde_json::{json, Map, Value};

/// An operation's answer as the API wrote it (a JSON object), carried whole as an event's data.
pub type Answer = Map<String, Value>;

/// What moved in a movement that settles at once (its event's `sub_operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// Between two wallets of the client.
    Transfer,
    /// A withdrawal was asked for and debited; it is sent later.
    WithdrawalPending,
    /// A withdrawal settled at once (to an address of the platform).
    Withdrawal,
    /// Tokens paid into a card.
    Deposit,
    /// A card's USD given back as tokens.
    Refund,
}

impl Moved {
    const fn happening(self) -> Happening {
        match self {
            Moved::Transfer => Happening::Transfer,
            Moved::WithdrawalPending => Happening::WithdrawalPending,
            Moved::Withdrawal => Happening::Withdrawal,
            Moved::Deposit => Happening::Deposit,
            Moved::Refund => Happening::Refund,
        }
    }
}

/// A webhook event of the platform.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An account was created.
    AccountCreated {
        /// The account's id.
        account: String,
        /// Its name.
        name: String,
    },
    /// A client's first wallet on a blockchain opened its holding wallet there.
    HoldingWalletCreated {
        /// The holding wallet's id.
        id: String,
        /// Its blockchain id.
        blockchain: String,
        /// Its address.
        address: String,
    },
    /// A virtual wallet was created (alone or in a batch).
    VirtualWalletCreated {
        /// The wallet's id.
        id: String,
        /// The wallet as the API answered it.
        answer: Answer,
    },
    /// A treasury wallet was created.
    TreasuryCreated {
        /// The wallet's id.
        id: String,
        /// The wallet as the API answered it.
        answer: Answer,
    },
    /// A card or virtual card was issued.
    CardCreated {
        /// [`Subject::Card`] or [`Subject::VirtualCard`].
        card: Subject,
        /// The card's id.
        id: String,
        /// The card as the API answered it, without its full number.
        answer: Answer,
    },
    /// A card or virtual card was removed.
    CardDeleted {
        /// [`Subject::Card`] or [`Subject::VirtualCard`].
        card: Subject,
        /// The card's id.
        id: String,
        /// A new id for this operation.
        operation_id: String,
    },
    /// A virtual card was blocked or unblocked.
    CardBlocked {
        /// The card's id.
        id: String,
        /// Blocked (else unblocked).
        blocked: bool,
        /// A new id for this operation.
        operation_id: String,
    },
    /// A card paid, or was declined (FAILED, with the decline as its reason).
    CardPayment {
        /// [`Subject::Card`] or [`Subject::VirtualCard`].
        card: Subject,
        /// The payment's id.
        id: String,
        /// Why it was declined, if it was.
        declined: Option<String>,
        /// The payment as the API answered it.
        answer: Answer,
    },
    /// A virtual wallet was deactivated or reactivated.
    WalletActive {
        /// The wallet's id.
        wallet: String,
        /// Reactivated (else deactivated).
        active: bool,
        /// Its status now.
        status: String,
        /// A new id for this operation.
        operation_id: String,
    },
    /// An operator froze a virtual wallet.
    Frozen {
        /// The wallet's id.
        wallet: String,
        /// Why.
        reason: String,
        /// A new id for this operation.
        operation_id: String,
    },
    /// An operator unfroze a virtual wallet.
    Unfrozen {
        /// The wallet's id.
        wallet: String,
        /// Its status now.
        status: String,
        /// A new id for this operation.
        operation_id: String,
    },
    /// A deposit arrived (pending its confirmations), or, below the minimum, waits for a decision.
    Deposit {
        /// The kind of the wallet it arrived at.
        wallet: WalletKind,
        /// The deposit's transaction.
        tx: String,
        /// Below the minimum (BELOW_MINIMUM instead of DEPOSIT).
        below_minimum: bool,
        /// The deposit as the API answered it.
        answer: Answer,
    },
    /// A deposit reached its confirmations.
    DepositConfirmed {
        /// The kind of the wallet it arrived at.
        wallet: WalletKind,
        /// The deposit's transaction.
        tx: String,
        /// The deposit as the API answered it.
        answer: Answer,
    },
    /// A reorg removed a pending deposit (CANCELLED).
    DepositReversed {
        /// The kind of the wallet it arrived at.
        wallet: WalletKind,
        /// The deposit's transaction.
        tx: String,
        /// The deposit as the API answered it.
        answer: Answer,
    },
    /// A reorg froze a wallet that had spent the deposit it removed.
    FrozenByReorg {
        /// The wallet's id.
        wallet: String,
        /// The removed deposit's transaction.
        tx: String,
    },
    /// A below-minimum deposit was credited by an operator's decision.
    DepositCredited {
        /// The kind of the wallet it is credited to.
        kind: WalletKind,
        /// The deposit's transaction.
        tx: String,
        /// The wallet's id.
        wallet: String,
        /// The token symbol.
        token: String,
        /// The amount credited, a decimal text.
        amount: String,
    },
    /// A deposit's funds were swept to the holding wallet.
    Sweep {
        /// The sweep's transaction.
        tx: String,
        /// The sweep as the API answered it.
        answer: Answer,
    },
    /// A movement that settled at once: a transfer, a withdrawal asked for, a card's funding.
    Movement {
        /// The wallet it is about.
        of: Subject,
        /// What moved.
        moved: Moved,
        /// The movement's id.
        id: String,
        /// The movement as the API answered it.
        answer: Answer,
    },
    /// A hold was set, released (or expired), or captured.
    Hold {
        /// The hold's id.
        id: String,
        /// Its status now.
        status: HoldStatus,
        /// The hold as the API answers it.
        answer: Answer,
    },
    /// A withdrawal went on: broadcast, confirmed, failed or cancelled.
    Withdrawal {
        /// The wallet it left from.
        of: Subject,
        /// The withdrawal's id.
        id: String,
        /// Its status now.
        status: WithdrawalStatus,
        /// Why it failed, if it did.
        reason: Option<String>,
        /// Its record as the API answers it.
        answer: Answer,
    },
    /// An automation rule fired (an alert, or the result of its movement).
    Rule(OutcomeEvent),
}

/// `{"wallet_id": .., ..}`-style data from pairs.
fn object(value: Value) -> Answer {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl Event {
    /// A withdrawal's event for its new status; none while it is still pending.
    pub fn withdrawal(
        of: Subject,
        id: &str,
        status: WithdrawalStatus,
        reason: Option<&str>,
        answer: Answer,
    ) -> Option<Event> {
        (status != WithdrawalStatus::Pending).then(|| Event::Withdrawal {
            of,
            id: id.to_owned(),
            status,
            reason: (status == WithdrawalStatus::Failed)
                .then(|| reason.map(str::to_owned))
                .flatten(),
            answer,
        })
    }

    /// Its kind: what it is about and what happened.
    pub fn kind(&self) -> Result<EventKind> {
        let of_wallet = |kind: WalletKind| Subject::of_wallet(kind);
        let (subject, happening) = match self {
            Event::AccountCreated { .. } => (Subject::Account, Happening::Created),
            Event::HoldingWalletCreated { .. } => (Subject::HoldingWallet, Happening::Created),
            Event::VirtualWalletCreated { .. } => (Subject::VirtualWallet, Happening::Created),
            Event::TreasuryCreated { .. } => (Subject::Treasury, Happening::Created),
            Event::CardCreated { card, .. } => (*card, Happening::Created),
            Event::CardDeleted { card, .. } => (*card, Happening::Deleted),
            Event::CardBlocked { blocked: true, .. } => (Subject::VirtualCard, Happening::Blocked),
            Event::CardBlocked { .. } => (Subject::VirtualCard, Happening::Unblocked),
            Event::CardPayment { card, .. } => (*card, Happening::Transaction),
            Event::WalletActive { active: true, .. } => {
                (Subject::VirtualWallet, Happening::Reactivated)
            }
            Event::WalletActive { .. } => (Subject::VirtualWallet, Happening::Deactivated),
            Event::Frozen { .. } | Event::FrozenByReorg { .. } => {
                (Subject::VirtualWallet, Happening::Frozen)
            }
            Event::Unfrozen { .. } => (Subject::VirtualWallet, Happening::Unfrozen),
            Event::Deposit {
                wallet,
                below_minimum,
                ..
            } => (
                of_wallet(*wallet),
                if *below_minimum {
                    Happening::BelowMinimum
                } else {
                    Happening::Deposit
                },
            ),
            Event::DepositConfirmed { wallet, .. } => {
                (of_wallet(*wallet), Happening::DepositConfirmed)
            }
            Event::DepositReversed { wallet, .. } => {
                (of_wallet(*wallet), Happening::DepositReversed)
            }
            Event::DepositCredited { kind, .. } => (of_wallet(*kind), Happening::Deposit),
            Event::Sweep { .. } => (Subject::VirtualWallet, Happening::Sweep),
            Event::Movement { of, moved, .. } => (*of, moved.happening()),
            Event::Hold { status, .. } => (
                Subject::VirtualWallet,
                match status {
                    HoldStatus::Active => Happening::Hold,
                    HoldStatus::Released | HoldStatus::Expired => Happening::Release,
                    HoldStatus::Captured => Happening::Capture,
                },
            ),
            Event::Withdrawal { of, status, .. } => (
                *of,
                match status {
                    WithdrawalStatus::Pending => Happening::WithdrawalPending,
                    WithdrawalStatus::Broadcast => Happening::WithdrawalBroadcast,
                    WithdrawalStatus::Confirmed
                    | WithdrawalStatus::Failed
                    | WithdrawalStatus::Cancelled => Happening::Withdrawal,
                },
            ),
            Event::Rule(o) => return Ok(o.kind),
        };
        subject.on(happening)
    }

    /// Its `operation_id`: the receiver's idempotency key, stable across retries.
    pub fn operation_id(&self) -> String {
        match self {
            Event::AccountCreated { account: id, .. }
            | Event::HoldingWalletCreated { id, .. }
            | Event::VirtualWalletCreated { id, .. }
            | Event::TreasuryCreated { id, .. }
            | Event::CardCreated { id, .. }
            | Event::CardPayment { id, .. }
            | Event::Movement { id, .. }
            | Event::Deposit { tx: id, .. }
            | Event::Sweep { tx: id, .. } => id.clone(),
            Event::CardDeleted { operation_id, .. }
            | Event::CardBlocked { operation_id, .. }
            | Event::WalletActive { operation_id, .. }
            | Event::Frozen { operation_id, .. }
            | Event::Unfrozen { operation_id, .. } => operation_id.clone(),
            Event::DepositConfirmed { tx, .. } => format!("{tx}:confirmed"),
            Event::DepositReversed { tx, .. } => format!("{tx}:dropped"),
            Event::FrozenByReorg { tx, .. } => format!("{tx}:frozen"),
            Event::DepositCredited { tx, .. } => format!("{tx}:credit"),
            Event::Hold { id, status, .. } => format!("{id}:{}", status.as_str()),
            Event::Withdrawal { id, status, .. } => format!("{id}:{}", status.as_str()),
            Event::Rule(o) => o.operation_id.clone(),
        }
    }

    /// Its status: SUCCESS, or FAILED / CANCELLED where the happening is one.
    pub fn status(&self) -> Status {
        match self {
            Event::CardPayment {
                declined: Some(_), ..
            } => Status::Failed,
            Event::DepositReversed { .. } => Status::Cancelled,
            Event::Withdrawal { status, .. } => match status {
                WithdrawalStatus::Failed => Status::Failed,
                WithdrawalStatus::Cancelled => Status::Cancelled,
                _ => Status::Success,
            },
            Event::Rule(o) => o.status,
            _ => Status::Success,
        }
    }

    /// Why it failed, when it did.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Event::CardPayment { declined, .. } => declined.as_deref(),
            Event::Withdrawal { reason, .. } => reason.as_deref(),
            Event::Rule(o) => o.reason.as_deref(),
            _ => None,
        }
    }

    /// Its `data`.
    pub fn data(self) -> Answer {
        match self {
            Event::AccountCreated { account, name } => {
                object(json!({"account_id": account, "name": name}))
            }
            Event::HoldingWalletCreated {
                id,
                blockchain,
                address,
            } => object(json!({"id": id, "blockchain": blockchain, "address": address})),
            Event::CardDeleted { id, .. } | Event::CardBlocked { id, .. } => {
                object(json!({"card_id": id}))
            }
            Event::WalletActive { wallet, status, .. } | Event::Unfrozen { wallet, status, .. } => {
                object(json!({"wallet_id": wallet, "status": status}))
            }
            Event::Frozen { wallet, reason, .. } => {
                object(json!({"wallet_id": wallet, "status": "frozen", "reason": reason}))
            }
            Event::FrozenByReorg { wallet, tx } => object(json!({"wallet_id": wallet, "tx": tx})),
            Event::DepositCredited {
                tx,
                wallet,
                token,
                amount,
                ..
            } => object(json!({
                "tx": tx, "wallet_id": wallet, "token": token, "amount": amount,
                "credited_by_decision": true,
            })),
            Event::VirtualWalletCreated { answer, .. }
            | Event::TreasuryCreated { answer, .. }
            | Event::CardCreated { answer, .. }
            | Event::CardPayment { answer, .. }
            | Event::Deposit { answer, .. }
            | Event::DepositConfirmed { answer, .. }
            | Event::DepositReversed { answer, .. }
            | Event::Sweep { answer, .. }
            | Event::Movement { answer, .. }
            | Event::Hold { answer, .. }
            | Event::Withdrawal { answer, .. } => answer,
            Event::Rule(o) => match o.data {
                Value::Object(map) => map,
                other => Map::from_iter([("value".to_owned(), other)]),
            },
        }
    }

    /// The envelope to deliver, checked against the catalog.
    pub fn envelope(self) -> Result<Envelope> {
        let kind = self.kind()?;
        let operation_id = self.operation_id();
        let status = self.status();
        let reason = self.reason().map(str::to_owned);
        Envelope::new(kind, &operation_id, status, reason.as_deref(), self.data())
    }
}

#[cfg(test)]
mod tests;
