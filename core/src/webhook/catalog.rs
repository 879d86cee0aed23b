//! The catalog of operations the platform emits and their sub-operations.

/// One operation the platform emits and the sub-operations it can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct OperationSpec {
    /// The `operation` value, e.g. `VIRTUAL_WALLET`.
    pub name: &'static str,
    /// The `sub_operation` values allowed with it, e.g. `DEPOSIT`.
    pub sub_operations: &'static [&'static str],
    /// What the operation is about.
    pub description: &'static str,
}

impl OperationSpec {
    /// Whether `sub_operation` belongs to this operation.
    pub fn has_sub_operation(&self, sub_operation: &str) -> bool {
        self.sub_operations.contains(&sub_operation)
    }
}

/// The catalog of operations and sub-operations the platform emits, in a fixed order.
///
/// Money movements (deposits, withdrawals, transfers, sweeps) of virtual, holding and treasury
/// wallets; card and virtual-card transactions; account and wallet life-cycle events.
/// `VIRTUAL_WALLET`/`ALERT` is raised by user-flow automation rules.
pub const OPERATIONS: &[OperationSpec] = &[
    OperationSpec {
        name: "ACCOUNT",
        sub_operations: &["CREATED", "UPDATED", "DELETED"],
        description: "account life cycle",
    },
    OperationSpec {
        name: "VIRTUAL_WALLET",
        sub_operations: &[
            "CREATED",
            "DEACTIVATED",
            "REACTIVATED",
            "FROZEN",
            "UNFROZEN",
            "DEPOSIT",
            "DEPOSIT_CONFIRMED",
            "DEPOSIT_REVERSED",
            "BELOW_MINIMUM",
            "WITHDRAWAL_PENDING",
            "WITHDRAWAL_BROADCAST",
            "WITHDRAWAL",
            "TRANSFER",
            "SWEEP",
            "HOLD",
            "RELEASE",
            "CAPTURE",
            "ALERT",
        ],
        description: "virtual wallets: life cycle, deposits, withdrawals, transfers, sweeps, automation alerts",
    },
    OperationSpec {
        name: "HOLDING_WALLET",
        sub_operations: &[
            "CREATED",
            "DEPOSIT",
            "WITHDRAWAL_PENDING",
            "WITHDRAWAL_BROADCAST",
            "WITHDRAWAL",
            "TRANSFER",
            "SWEEP",
        ],
        description: "holding wallets: creation, deposits, partial withdrawals, transfers to virtual wallets, sweeps received",
    },
    OperationSpec {
        name: "TREASURY",
        sub_operations: &[
            "CREATED",
            "DEPOSIT",
            "DEPOSIT_CONFIRMED",
            "DEPOSIT_REVERSED",
            "BELOW_MINIMUM",
            "WITHDRAWAL_PENDING",
            "WITHDRAWAL_BROADCAST",
            "WITHDRAWAL",
            "TRANSFER",
            "SWEEP",
        ],
        description: "treasury wallets: creation, deposits, withdrawals, transfers, sweeps",
    },
    OperationSpec {
        name: "CARD",
        sub_operations: &[
            "CREATED",
            "ACTIVATED",
            "BLOCKED",
            "UNBLOCKED",
            "DELETED",
            "DEPOSIT",
            "BELOW_MINIMUM",
            "TRANSACTION",
            "REFUND",
        ],
        description: "cards: life cycle, deposits, point-of-sale transactions, refunds",
    },
    OperationSpec {
        name: "VIRTUAL_CARD",
        sub_operations: &[
            "CREATED",
            "BLOCKED",
            "UNBLOCKED",
            "DELETED",
            "DEPOSIT",
            "BELOW_MINIMUM",
            "TRANSACTION",
            "REFUND",
        ],
        description: "virtual cards: life cycle, deposits, transactions, refunds",
    },
];

/// The catalog entry of an operation name, if it is known.
pub fn operation(name: &str) -> Option<&'static OperationSpec> {
    OPERATIONS.iter().find(|op| op.name == name)
}

pub(super) fn operation_names() -> String {
    OPERATIONS
        .iter()
        .map(|op| op.name)
        .collect::<Vec<_>>()
        .join(", ")
}
