//! Webhook deliveries and redelivery.

use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::EmptyBody;
use crate::host::api::extract::NoBody;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::schema::Listed;
use crate::host::error::ApiError;
use crate::host::page::{self, Page};
use crate::host::store::{col, now_ms, opt_col};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;

/// Routes of this module.
pub(crate) fn webhooks_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_deliveries))
        .routes(routes!(redeliver))
}

/// `GET /v1/webhooks/deliveries` query: a page, and `status` (`delivered`, `pending`, `dead` or
/// `skipped`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveryQuery {
    /// Rows per page (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub(crate) limit: Option<i64>,
    /// The `next_cursor` of the previous page (see `PageQuery`).
    #[param(pattern = r"^(?:[0-9]{1,18}-(?:[0-9a-f]{2}){0,200})?$")]
    pub(crate) cursor: Option<String>,
    /// Only events in this state: `delivered`, `pending`, `dead` or `skipped`.
    #[param(pattern = "^(delivered|pending|dead|skipped)$")]
    pub(crate) status: Option<String>,
}

/// One delivery attempt of an event.
#[derive(Serialize, ToSchema)]
pub(crate) struct AttemptOut {
    /// The attempt's number.
    pub(crate) attempt: i64,
    /// When it was made (unix milliseconds).
    pub(crate) at: i64,
    /// The endpoint's HTTP status, if it answered.
    pub(crate) status_code: Option<i64>,
    /// What went wrong, if it failed.
    pub(crate) error: Option<String>,
    /// How long it took (milliseconds).
    pub(crate) duration_ms: i64,
}

/// An event of the delivery log, with its attempts.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryOut {
    /// The event's id.
    pub(crate) id: String,
    /// The event as it is delivered (the webhook's body).
    #[schema(value_type = Object)]
    pub(crate) event: Value,
    /// When it was queued (unix milliseconds).
    pub(crate) created_at: i64,
    /// Attempts made so far.
    pub(crate) attempts: i64,
    /// When it was delivered (unix milliseconds), if it was.
    pub(crate) delivered_at: Option<i64>,
    /// The last attempt's error, if any.
    pub(crate) last_error: Option<String>,
    /// `delivered`, `pending`, `dead` or `skipped`.
    pub(crate) status: String,
    /// Every attempt, oldest first.
    pub(crate) log: Vec<AttemptOut>,
}

/// The status of an event in the delivery log: delivered, pending (waiting, retrying or parked),
/// dead (dead-lettered) or skipped (not subscribed).
pub(crate) fn delivery_status(delivered_at: Option<i64>, outcome: Option<&str>) -> &str {
    match (delivered_at, outcome) {
        (Some(_), _) => "delivered",
        (None, Some(o)) => o,
        (None, None) => "pending",
    }
}

#[utoipa::path(get, path = "/v1/webhooks/deliveries", operation_id = "webhooks.deliveries.list", tag = "webhooks",
    params(DeliveryQuery),
    responses((status = 200, description = "A page of the delivery log", body = Listed<DeliveryOut>)))]
pub(crate) async fn list_deliveries(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<DeliveryQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::WebhooksDeliveriesList).await?;
    let q = page::query(q)?;
    let filter = match q.status.as_deref() {
        None => "",
        Some("delivered") => " AND delivered_at IS NOT NULL",
        Some("pending") => " AND delivered_at IS NULL AND outcome IS NULL",
        Some("dead") => " AND delivered_at IS NULL AND outcome = 'dead'",
        Some("skipped") => " AND delivered_at IS NULL AND outcome = 'skipped'",
        Some(_) => {
            return Err(ApiError::bad_request(
                "status must be delivered, pending, dead or skipped",
            ))
        }
    };
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            &format!("SELECT id, event, created_at, attempts, delivered_at, last_error, outcome FROM outbox WHERE client_id = $1{filter}"),
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let id = col(&r, "id")?;
        let attempts = sqlx::query("SELECT attempt, at, status_code, error, duration_ms FROM deliveries WHERE outbox_id = $1 ORDER BY attempt, at")
            .bind(&id)
            .fetch_all(s.store.reader())
            .await?;
        let mut log = Vec::new();
        for a in attempts {
            log.push(AttemptOut {
                attempt: a.try_get::<i64, _>("attempt")?,
                at: a.try_get::<i64, _>("at")?,
                status_code: a.try_get::<Option<i64>, _>("status_code")?,
                error: opt_col(&a, "error")?,
                duration_ms: a.try_get::<i64, _>("duration_ms")?,
            });
        }
        let delivered_at = r.try_get::<Option<i64>, _>("delivered_at")?;
        let outcome = opt_col(&r, "outcome")?;
        out.push(DeliveryOut {
            id,
            event: crate::host::store::stored::<Value>(&col(&r, "event")?, "outbox event")?,
            created_at: r.try_get::<i64, _>("created_at")?,
            attempts: r.try_get::<i64, _>("attempts")?,
            delivered_at,
            last_error: opt_col(&r, "last_error")?,
            status: delivery_status(delivered_at, outcome.as_deref()).to_owned(),
            log,
        });
    }
    Ok(Json(Listed::new(out, next)).into_response())
}

/// An event queued again.
#[derive(Serialize, ToSchema)]
pub(crate) struct Queued {
    /// The event's id.
    pub(crate) id: String,
    /// `queued`.
    pub(crate) status: String,
}

#[utoipa::path(post, path = "/v1/webhooks/deliveries/{id}/redeliver", operation_id = "webhooks.deliveries.redeliver", tag = "webhooks",
    params(("id" = String, Path, description = "The event's id")),
    responses((status = 202, description = "The event is queued again (no body, or `{}`)", body = Queued)))]
/// Queues an event again, whatever its state: a delivered, dead or skipped event is reopened
/// with a fresh budget of attempts and age (the log keeps every earlier attempt).
pub(crate) async fn redeliver(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::WebhooksDeliveriesRedeliver).await?;
    let NoBody {} = body(&bytes)?;
    let now = now_ms();
    let done = sqlx::query("UPDATE outbox SET delivered_at = NULL, outcome = NULL, attempt_base = attempts, revived_at = $1, next_attempt_at = $2 WHERE id = $3 AND client_id = $4")
        .bind(now)
        .bind(now)
        .bind(&id)
        .bind(&caller.client_id)
        .execute(s.store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found(format!("no event {id}")));
    }
    s.outbox_notify.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            id,
            status: "queued".into(),
        }),
    )
        .into_response())
}
