//! Typed webhook events: what an event is about ([`Subject`], its `operation`) and what happened
//! ([`Happening`], its `sub_operation`), paired into an [`EventKind`] that the catalog
//! ([`super::OPERATIONS`]) allows, checked once where the event is made.

use crate::error::{err, Result};
use crate::ledger::WalletKind;
use std::fmt;

macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($variant:ident $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )*
        }

        impl $name {
            /// Every value, in the catalog's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The text an envelope carries.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value of an envelope's text.
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names!(
    /// What an event is about: its `operation`.
    Subject {
        Account "ACCOUNT",
        VirtualWallet "VIRTUAL_WALLET",
        HoldingWallet "HOLDING_WALLET",
        Treasury "TREASURY",
        Card "CARD",
        VirtualCard "VIRTUAL_CARD",
    }
);

names!(
    /// What happened: its `sub_operation`.
    Happening {
        Created "CREATED",
        Updated "UPDATED",
        Deleted "DELETED",
        Activated "ACTIVATED",
        Deactivated "DEACTIVATED",
        Reactivated "REACTIVATED",
        Frozen "FROZEN",
        Unfrozen "UNFROZEN",
        Blocked "BLOCKED",
        Unblocked "UNBLOCKED",
        Deposit "DEPOSIT",
        DepositConfirmed "DEPOSIT_CONFIRMED",
        DepositReversed "DEPOSIT_REVERSED",
        BelowMinimum "BELOW_MINIMUM",
        WithdrawalPending "WITHDRAWAL_PENDING",
        WithdrawalBroadcast "WITHDRAWAL_BROADCAST",
        Withdrawal "WITHDRAWAL",
        Transfer "TRANSFER",
        Sweep "SWEEP",
        Hold "HOLD",
        Release "RELEASE",
        Capture "CAPTURE",
        Alert "ALERT",
        Transaction "TRANSACTION",
        Refund "REFUND",
    }
);

/// The kind of an event: a subject and what happened to it, a pair the catalog allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventKind {
    subject: Subject,
    happening: Happening,
}

impl EventKind {
    /// The kind `subject` / `happening`; INVALID_WEBHOOK when the catalog has no such pair.
    pub fn new(subject: Subject, happening: Happening) -> Result<EventKind> {
        let allowed = super::operation(subject.as_str())
            .is_some_and(|op| op.has_sub_operation(happening.as_str()));
        if !allowed {
            return Err(err::invalid_webhook(format!(
                "sub_operation: {happening} is not an event of {subject}"
            )));
        }
        Ok(EventKind { subject, happening })
    }

    /// What the event is about (`operation`).
    pub fn subject(self) -> Subject {
        self.subject
    }

    /// What happened (`sub_operation`).
    pub fn happening(self) -> Happening {
        self.happening
    }
}

impl Subject {
    /// What the events of a wallet of `kind` are about: its deposits, withdrawals and status.
    pub const fn of_wallet(kind: WalletKind) -> Subject {
        match kind {
            WalletKind::Virtual => Subject::VirtualWallet,
            WalletKind::Treasury => Subject::Treasury,
            WalletKind::Card => Subject::Card,
        }
    }

    /// Shorthand for [`EventKind::new`]: this subject with `happening`.
    pub fn on(self, happening: Happening) -> Result<EventKind> {
        EventKind::new(self, happening)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::OPERATIONS;

    #[test]
    fn the_types_are_the_catalog() {
        let subjects: Vec<&str> = Subject::ALL.iter().map(|s| s.as_str()).collect();
        let catalog: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
        assert_eq!(subjects, catalog);
        for op in OPERATIONS {
            let subject = Subject::parse(op.name).expect("subject");
            for sub in op.sub_operations {
                let happening = Happening::parse(sub).unwrap_or_else(|| panic!("{sub} is typed"));
                assert!(subject.on(happening).is_ok(), "{} {sub}", op.name);
            }
        }
        // every happening is an event of some subject
        for h in Happening::ALL {
            assert!(Subject::ALL.iter().any(|s| s.on(*h).is_ok()), "{h}");
        }
    }

    #[test]
    fn a_wallet_s_deposits_are_events_of_its_kind() {
        for (kind, subject) in [
            (WalletKind::Virtual, Subject::VirtualWallet),
            (WalletKind::Treasury, Subject::Treasury),
            (WalletKind::Card, Subject::Card),
        ] {
            assert_eq!(Subject::of_wallet(kind), subject);
            assert!(Subject::of_wallet(kind).on(Happening::Deposit).is_ok());
        }
    }

    #[test]
    fn a_pair_outside_the_catalog_is_refused() {
        let e = Subject::Account
            .on(Happening::Sweep)
            .expect_err("no sweep of accounts");
        assert_eq!(e.code(), crate::ErrorCode::InvalidWebhook);
        assert_eq!(Subject::parse("NOPE"), None);
    }
}
