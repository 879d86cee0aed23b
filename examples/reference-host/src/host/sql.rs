//! Placeholders for statements built at run time (multi-row inserts, `IN` lists).
//!
//! On SQLite they are anonymous `?`: sqlx finds the index of a named `$N` parameter by asking
//! SQLite for its name, a linear scan per parameter, so a statement of 700 named parameters spent
//! more time binding than running. PostgreSQL takes only `$N`.

/// Hands out the placeholders of one statement, in the order their values are bound.
pub struct Marks {
    /// `?` (SQLite) rather than `$N`.
    anonymous: bool,
    /// The number of the next `$N`.
    next: usize,
}

impl Marks {
    /// Placeholders for a statement on `conn`, numbered from `$1`.
    pub fn on(conn: &sqlx::AnyConnection) -> Marks {
        Marks {
            anonymous: conn.backend_name() == "SQLite",
            next: 1,
        }
    }

    /// `n` placeholders separated by commas (`?, ?` or `$3, $4`).
    pub fn list(&mut self, n: usize) -> String {
        let mut out = String::with_capacity(n * 4);
        for i in 0..n {
            if i > 0 {
                out.push_str(", ");
            }
            if self.anonymous {
                out.push('?');
            } else {
                out.push('$');
                out.push_str(&self.next.to_string());
            }
            self.next += 1;
        }
        out
    }

    /// One row of `n` values: `(?, ?, ?)`.
    pub fn row(&mut self, n: usize) -> String {
        format!("({})", self.list(n))
    }

    /// `rows` rows, each written by `row` with the placeholders it takes, separated by commas.
    pub fn rows_of(&mut self, rows: usize, mut row: impl FnMut(&mut Marks) -> String) -> String {
        (0..rows).map(|_| row(self)).collect::<Vec<_>>().join(", ")
    }

    /// `rows` rows of `n` values each, separated by commas.
    pub fn rows(&mut self, rows: usize, n: usize) -> String {
        (0..rows)
            .map(|_| self.row(n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The statement to run for a query of text `columns` read with [`texts`]: on SQLite it answers
/// all the rows as one JSON array in one row. Its driver hands each row from the database's
/// thread to the caller's task on its own (about 6 µs a row, measured on wallet loads of 60
/// rows), so one row costs that once. `sql` must not end in `ORDER BY` (the order of an
/// aggregate's input is not promised): callers order the rows themselves.
pub fn packed(conn: &sqlx::AnyConnection, sql: &str, columns: &[&str]) -> String {
    if conn.backend_name() != "SQLite" {
        return sql.to_owned();
    }
    format!(
        "SELECT json_group_array(json_array({})) AS packed FROM ({sql}) AS packed_rows",
        columns.join(", ")
    )
}

/// Runs `query` (built on [`packed`]'s statement) and returns its rows' text `columns` as
/// arrays, in the order the database gives them.
pub async fn texts<'q, const N: usize>(
    conn: &mut sqlx::AnyConnection,
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    columns: [&str; N],
) -> Result<Vec<[String; N]>, super::error::ApiError> {
    use sqlx::Row;
    if conn.backend_name() == "SQLite" {
        let row = query.fetch_one(&mut *conn).await?;
        let text: String = row.try_get("packed")?;
        let rows: Vec<Vec<String>> = serde_json::from_str(&text)
            .map_err(|e| super::error::ApiError::corrupt("packed rows", e))?;
        return rows
            .into_iter()
            .map(|row| {
                <[String; N]>::try_from(row).map_err(|r| {
                    super::error::ApiError::corrupt("packed rows", format!("{} columns", r.len()))
                })
            })
            .collect();
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let mut out: [String; N] = std::array::from_fn(|_| String::new());
            for (slot, column) in out.iter_mut().zip(columns) {
                *slot = row.try_get(column)?;
            }
            Ok(out)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Marks;

    #[test]
    fn numbered_marks_follow_the_first() {
        let mut m = Marks {
            anonymous: false,
            next: 2,
        };
        assert_eq!(m.list(2), "$2, $3");
        assert_eq!(m.rows(2, 2), "($4, $5), ($6, $7)");
    }

    #[test]
    fn anonymous_marks_are_question_marks() {
        let mut m = Marks {
            anonymous: true,
            next: 1,
        };
        assert_eq!(m.rows(2, 3), "(?, ?, ?), (?, ?, ?)");
    }

    /// Rows read through the packed form come back whole: text with quotes, separators and
    /// non-ASCII characters, JSON bodies, empty values; no row is an empty list.
    #[tokio::test]
    async fn packed_rows_read_back_as_they_were() {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let sql =
            "SELECT 'a' AS part, ? AS a, ? AS b UNION ALL SELECT 'b' AS part, '' AS a, ? AS b";
        let texts = [
            r#"{"x":"q\"uote","n":[1,2]}"#,
            "tab\tand,comma;",
            "é ☃ \u{1F600}",
        ];
        let query = super::packed(&conn, sql, &["part", "a", "b"]);
        assert!(query.contains("json_group_array"), "{query}");
        let q = sqlx::query(&query)
            .bind(texts[0])
            .bind(texts[1])
            .bind(texts[2]);
        let mut rows = super::texts(&mut conn, q, ["part", "a", "b"])
            .await
            .unwrap();
        rows.sort();
        assert_eq!(
            rows,
            vec![
                ["a".to_owned(), texts[0].to_owned(), texts[1].to_owned()],
                ["b".to_owned(), String::new(), texts[2].to_owned()],
            ]
        );
        let none = super::packed(&conn, "SELECT 'a' AS part WHERE 1 = 0", &["part"]);
        let rows = super::texts(&mut conn, sqlx::query(&none), ["part"])
            .await
            .unwrap();
        assert!(rows.is_empty());
    }
}
