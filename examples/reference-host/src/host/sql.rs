//! Placeholders for statements built at run time (multi-row inserts, `IN` lists).
//!
//! On SQLite they are anonymous `?`: sqlx finds the index of a named `$N` parameter by asking
//! SQLite for its name, a linear scan per parameter, so a statement of 700 named parameters spent
//! more time binding than running. PostgreSQL takes only `$N`.

/// The conflict clause of a multi-row write whose failure fails its whole operation or batch
/// (`INSERT{or_fail} INTO`, `UPDATE{or_fail}`): ` OR FAIL` on SQLite, nothing on PostgreSQL.
///
/// A multi-row write that SQLite would undo on its own if one row failed takes a statement
/// journal, and releasing one inside an operation's savepoint walks the savepoint's whole journal
/// (a list of 1 KiB pieces): a bulk operation's statements grew slower with every page it had
/// written (docs/BENCHMARKS.md, "fifteenth stop"). With `OR FAIL` SQLite keeps the rows written
/// before the failing one and needs no statement journal; the caller's error rolls them back with
/// the operation's savepoint or the batch's transaction. Upserts (`ON CONFLICT ... DO UPDATE`)
/// take a statement journal whatever their clause.
pub fn or_fail(conn: &sqlx::AnyConnection) -> &'static str {
    if conn.backend_name() == "SQLite" {
        " OR FAIL"
    } else {
        ""
    }
}

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

/// Statements written together, sent when [`Script::run`] runs: on SQLite as one text, so its
/// driver runs them all in one call on the database's thread (each statement takes its `?` values
/// in turn) instead of one round trip between the caller's task and that thread each; on
/// PostgreSQL one statement after another, as its protocol takes values for one statement a call.
/// Placeholders come from [`Script::marks`] (on SQLite every statement's must be anonymous).
pub struct Script<'q> {
    anonymous: bool,
    texts: Vec<String>,
    /// One list for the whole text on SQLite; one per statement on PostgreSQL.
    args: Vec<sqlx::any::AnyArguments<'q>>,
    /// The first value that could not be encoded (reported by [`Script::run`]).
    failed: Option<sqlx::error::BoxDynError>,
}

impl<'q> Script<'q> {
    /// An empty script for `conn`.
    pub fn on(conn: &sqlx::AnyConnection) -> Script<'q> {
        Script {
            anonymous: conn.backend_name() == "SQLite",
            texts: Vec::new(),
            args: Vec::new(),
            failed: None,
        }
    }

    /// See [`or_fail`].
    pub fn or_fail(&self) -> &'static str {
        if self.anonymous {
            " OR FAIL"
        } else {
            ""
        }
    }

    /// Placeholders for the next statement.
    pub fn marks(&self) -> Marks {
        Marks {
            anonymous: self.anonymous,
            next: 1,
        }
    }

    /// Adds a statement; its values follow through [`Script::bind`].
    pub fn push(&mut self, sql: String) -> &mut Self {
        self.texts.push(sql);
        if !self.anonymous || self.args.is_empty() {
            self.args.push(sqlx::any::AnyArguments::default());
        }
        self
    }

    /// Binds the next value of the last statement added.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        use sqlx::Arguments;
        if let Some(args) = self.args.last_mut() {
            if let Err(e) = args.add(value) {
                self.failed.get_or_insert(e);
            }
        }
        self
    }

    /// Whether no statement was added.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Runs the statements, in the order they were added; returns the rows they changed.
    pub async fn run(self, conn: &mut sqlx::AnyConnection) -> sqlx::Result<u64> {
        if let Some(e) = self.failed {
            return Err(sqlx::Error::Encode(e));
        }
        if self.anonymous {
            let text = self.texts.join(";\n");
            return match self.args.into_iter().next() {
                Some(args) => Ok(sqlx::query_with(&text, args)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()),
                None => Ok(0),
            };
        }
        let mut changed = 0;
        for (text, args) in self.texts.iter().zip(self.args) {
            changed += sqlx::query_with(text, args)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        }
        Ok(changed)
    }
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

    /// A connection to an empty in-memory SQLite database.
    async fn memory() -> sqlx::AnyConnection {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap()
    }

    /// Rows read through the packed form come back whole: text with quotes, separators and
    /// non-ASCII characters, JSON bodies, empty values; no row is an empty list.
    #[tokio::test]
    async fn packed_rows_read_back_as_they_were() {
        let mut conn = memory().await;
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

    /// A script's statements run in order, each with its own values, whatever the backend's way
    /// of sending them; a failing statement fails the script.
    #[tokio::test]
    async fn a_script_runs_its_statements_in_order_with_their_values() {
        use sqlx::Row;
        let mut conn = memory().await;
        sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT)")
            .execute(&mut conn)
            .await
            .unwrap();
        let mut script = super::Script::on(&conn);
        let rows = script.marks().rows(2, 2);
        script
            .push(format!("INSERT INTO t (k, n) VALUES {rows}"))
            .bind("a")
            .bind(1_i64)
            .bind("b")
            .bind(2_i64);
        let mut m = script.marks();
        let (n, k) = (m.list(1), m.list(1));
        script
            .push(format!("UPDATE t SET n = n + {n} WHERE k = {k}"))
            .bind(10_i64)
            .bind("b");
        assert_eq!(script.run(&mut conn).await.unwrap(), 3);
        let rows = sqlx::query("SELECT k, n FROM t ORDER BY k")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let got: Vec<(String, i64)> = rows
            .iter()
            .map(|r| (r.get::<String, _>("k"), r.get::<i64, _>("n")))
            .collect();
        assert_eq!(got, vec![("a".to_owned(), 1), ("b".to_owned(), 12)]);
        let mut script = super::Script::on(&conn);
        let row = script.marks().row(2);
        script
            .push(format!("INSERT INTO t (k, n) VALUES {row}"))
            .bind("a")
            .bind(5_i64);
        assert!(
            script.run(&mut conn).await.is_err(),
            "a duplicate key fails"
        );
    }

    /// The rows of table `t`.
    async fn count(conn: &mut sqlx::AnyConnection) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM t")
            .fetch_one(conn)
            .await
            .unwrap()
    }

    /// A multi-row write under `OR FAIL` stops at the failing row and keeps the rows before it;
    /// rolling back to the operation's savepoint (as a failed operation does) takes them away and
    /// leaves what the batch wrote before the operation.
    #[tokio::test]
    async fn a_failed_write_under_or_fail_leaves_nothing_once_its_operation_rolls_back() {
        let mut conn = memory().await;
        for sql in [
            "CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT)",
            "BEGIN",
            "INSERT INTO t (k, n) VALUES ('before', 0)",
            "SAVEPOINT operation",
        ] {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        let mut script = super::Script::on(&conn);
        assert_eq!(script.or_fail(), " OR FAIL");
        let rows = script.marks().rows(3, 2);
        script
            .push(format!(
                "INSERT{} INTO t (k, n) VALUES {rows}",
                script.or_fail()
            ))
            .bind("a")
            .bind(1_i64)
            .bind("before")
            .bind(2_i64)
            .bind("c")
            .bind(3_i64);
        assert!(
            script.run(&mut conn).await.is_err(),
            "a duplicate key fails"
        );
        assert_eq!(
            count(&mut conn).await,
            2,
            "the row before the failing one stays"
        );
        sqlx::query("ROLLBACK TO operation")
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            count(&mut conn).await,
            1,
            "only the batch's earlier row is left"
        );
    }
}
