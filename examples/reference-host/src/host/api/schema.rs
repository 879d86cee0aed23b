//! Shapes that many answers share, with their OpenAPI schemas: the error envelope, a page of a
//! list, balances per token, a deletion.

use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use waas_core::ledger::Balance;

/// The answer of every refusal: `{"error":{"code","message","request_id"}}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong.
    pub(crate) error: ErrorDetail,
}

/// The code, message and request id of a refusal.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// One of the core's stable codes (the document lists them all).
    #[schema(value_type = String)]
    pub(crate) code: waas_core::ErrorCode,
    /// What went wrong, for people (not for matching: match the code).
    pub(crate) message: String,
    /// The request's X-Request-Id (given or made).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) request_id: Option<String>,
    /// The figures of a rule's refusal, when it has them (its schema is set in `openapi.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub(crate) detail: Option<Box<waas_core::Detail>>,
}

/// A page of a list: the rows and the cursor of the next page (`null` on the last).
#[derive(Serialize, ToSchema)]
pub(crate) struct Listed<T: ToSchema> {
    /// The rows of this page, in the list's order.
    pub(crate) data: Vec<T>,
    /// Pass as `cursor` for the next page; `null` when there is none.
    pub(crate) next_cursor: Option<String>,
}

impl<T: ToSchema> Listed<T> {
    /// A page of `data` followed by `next_cursor`.
    pub(crate) fn new(data: Vec<T>, next_cursor: Option<String>) -> Listed<T> {
        Listed { data, next_cursor }
    }
}

/// A balance of one token, as decimal strings.
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub(crate) struct BalanceOut {
    /// What may be spent: `total` less `held`.
    pub(crate) available: String,
    /// What holds set aside.
    pub(crate) held: String,
    /// Confirmed on chain (or moved off chain).
    pub(crate) confirmed: String,
    /// Seen on chain, waiting for confirmations.
    pub(crate) unconfirmed: String,
    /// `confirmed` plus `unconfirmed`.
    pub(crate) total: String,
}

/// Balances by token symbol.
pub(crate) type Balances = BTreeMap<String, BalanceOut>;

/// Balances per token with what holds set aside: `available` is `total` minus `held`.
pub(crate) fn held_balances(
    balances: &BTreeMap<String, Balance>,
    held: &BTreeMap<String, Decimal>,
) -> Balances {
    balances
        .iter()
        .map(|(t, b)| {
            let h = held.get(t).copied().unwrap_or_default();
            (
                t.clone(),
                BalanceOut {
                    available: num(b.total() - h),
                    held: num(h),
                    confirmed: num(b.confirmed()),
                    unconfirmed: num(b.unconfirmed()),
                    total: num(b.total()),
                },
            )
        })
        .collect()
}

/// Balances per token, nothing held.
pub(crate) fn balances(balances: &BTreeMap<String, Balance>) -> Balances {
    held_balances(balances, &BTreeMap::new())
}

/// What a DELETE answers.
#[derive(Serialize, ToSchema)]
pub(crate) struct Deleted {
    /// The id of what is gone.
    pub(crate) id: String,
    /// Always `true`.
    pub(crate) deleted: bool,
}

impl Deleted {
    /// The answer for `id`.
    pub(crate) fn of(id: impl Into<String>) -> Deleted {
        Deleted {
            id: id.into(),
            deleted: true,
        }
    }
}

/// The `Idempotency-Key` header of an operation that honours it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub(crate) struct IdempotencyKey {
    /// Makes a retry answer what the first request answered instead of doing it again (1 to 128
    /// visible characters; kept 24 hours; the same key with another body is 409
    /// DUPLICATE_OPERATION).
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 128,
        pattern = r"^[\t -~]+$"
    )]
    idempotency_key: Option<String>,
}

/// A permission's name as the catalog spells it, e.g. `WALLETS_READ`.
pub(crate) struct PermissionName;

impl utoipa::PartialSchema for PermissionName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some("A permission of the catalog"))
            .enum_values(Some(
                waas_core::access::Permission::ALL
                    .iter()
                    .map(|p| p.as_str()),
            ))
            .into()
    }
}

impl ToSchema for PermissionName {}

/// A decimal as the API writes it: normalized, `0` for zero.
pub(crate) fn num(d: rust_decimal::Decimal) -> String {
    waas_core::amount::decimal_text(d)
}
