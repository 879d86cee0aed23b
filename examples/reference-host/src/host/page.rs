//! Pages of lists: `limit` (default 50, at most 500) and an opaque `cursor`, answered as
//! `{"data":[...],"next_cursor":"..."|null}`. Rows are ordered by (created_at, id), so a cursor
//! (the last row's position) stays valid while rows are added: pages never overlap or skip.

use super::error::ApiError;
use sqlx::any::AnyRow;
use sqlx::Row as _;

/// Rows of a page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: i64 = 50;
/// Most rows of a page.
pub const MAX_LIMIT: i64 = 500;

/// The query of a list without filters: `limit` and `cursor`, nothing else.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows wanted (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the page before (a position in the list: every string of this form is one;
    /// empty: the first page).
    #[param(pattern = r"^(?:[0-9]{1,18}-(?:[0-9a-f]{2}){0,200})?$")]
    pub cursor: Option<String>,
}

/// A list query, or a 400 naming what is wrong (an unknown parameter, a bad number).
pub fn query<T>(
    q: Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, ApiError> {
    q.map(|axum::extract::Query(q)| q)
        .map_err(|e| ApiError::bad_request(format!("query: {e}")))
}

/// `limit` and `cursor` of a list request.
#[derive(Debug, Default, Clone)]
pub struct Page {
    /// Rows wanted.
    pub limit: i64,
    /// After this position (created_at, id); none for the first page.
    pub after: Option<(i64, String)>,
}

impl Page {
    /// Reads and checks `limit` and `cursor`.
    pub fn new(limit: Option<i64>, cursor: Option<&str>) -> Result<Page, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "limit must be 1 to {MAX_LIMIT}"
            )));
        }
        let after = match cursor {
            None | Some("") => None,
            Some(c) => Some(decode(c).ok_or_else(|| {
                ApiError::bad_request("cursor is not one this API gave (use next_cursor)")
            })?),
        };
        Ok(Page { limit, after })
    }

    /// Runs `select` (a `SELECT ... FROM ... WHERE ...` whose placeholders are `$1..$n`, bound
    /// from `binds`, over a table with `created_at` and `id`) for this page: rows in order, and
    /// the cursor of the next page when there is one.
    pub async fn fetch(
        &self,
        pool: &sqlx::AnyPool,
        select: &str,
        binds: &[&str],
    ) -> Result<(Vec<AnyRow>, Option<String>), ApiError> {
        let n = binds.len();
        let sql = format!(
            "{select} AND (created_at, id) > (${a}, ${b}) ORDER BY created_at, id LIMIT ${c}",
            a = n + 1,
            b = n + 2,
            c = n + 3
        );
        let (at, id) = self.after.clone().unwrap_or((i64::MIN, String::new()));
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(*b);
        }
        let mut rows = q
            .bind(at)
            .bind(id)
            .bind(self.limit + 1)
            .fetch_all(pool)
            .await?;
        let want = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let next = if rows.len() > want {
            rows.truncate(want);
            match rows.last() {
                Some(r) => Some(encode(
                    r.try_get("created_at")?,
                    &r.try_get::<String, _>("id")?,
                )),
                None => None,
            }
        } else {
            None
        };
        Ok((rows, next))
    }
}

/// The position a cursor of a list ordered by sequence, newest first, names: rows before it.
/// Every string of 0 to 18 digits is one (empty or none: the first page); others are refused.
pub fn sequence_cursor(cursor: Option<&str>) -> Result<i64, ApiError> {
    match cursor {
        None | Some("") => Ok(i64::MAX),
        Some(c) if c.len() <= 18 && c.bytes().all(|b| b.is_ascii_digit()) => c
            .parse()
            .map_err(|_| ApiError::bad_request("cursor is not one this API gave")),
        Some(_) => Err(ApiError::bad_request(
            "cursor is not one this API gave (use next_cursor)",
        )),
    }
}

/// A position as a cursor: `created_at` in decimal, `-`, the id in hex (opaque to clients).
fn encode(created_at: i64, id: &str) -> String {
    format!("{created_at}-{}", hex::encode(id))
}

/// The position a cursor names. Every string of the documented form
/// (`^[0-9]{1,18}-(?:[0-9a-f]{2}){0,200}$`) is a position, also one no page ended at: the next
/// page starts after it.
fn decode(cursor: &str) -> Option<(i64, String)> {
    let (at, id) = cursor.split_once('-')?;
    if at.is_empty() || at.len() > 18 || !at.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if id.len() > 400 || id.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let id = hex::decode(id).ok()?;
    Some((at.parse().ok()?, String::from_utf8_lossy(&id).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let c = encode(1_764_000_000_123, "vw_abc");
        assert_eq!(decode(&c), Some((1_764_000_000_123, "vw_abc".to_owned())));
        assert!(Page::new(None, Some("zz")).is_err());
        assert!(Page::new(None, Some("12-0")).is_err());
        assert!(Page::new(None, Some("12-AB")).is_err());
        assert!(Page::new(None, Some("-ab")).is_err());
        // Any position of the documented form is one, also where no page ended.
        assert_eq!(decode("0-"), Some((0, String::new())));
        assert_eq!(decode("7-ff"), Some((7, "\u{fffd}".to_owned())));
        assert!(Page::new(Some(0), None).is_err());
        assert!(Page::new(Some(501), None).is_err());
        assert_eq!(Page::new(None, None).map(|p| p.limit).ok(), Some(50));
    }

    proptest::proptest! {
        #[test]
        fn every_cursor_of_the_documented_form_is_a_position(
            c in r"[0-9]{1,18}-([0-9a-f]{2}){0,200}"
        ) {
            proptest::prop_assert!(Page::new(None, Some(&c)).is_ok(), "{}", c);
        }

        #[test]
        fn positions_round_trip(at in 0i64..=999_999_999_999_999_999, id in "[ -~]{0,128}") {
            proptest::prop_assert_eq!(decode(&encode(at, &id)), Some((at, id)));
        }
    }
}
