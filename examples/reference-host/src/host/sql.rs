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

    /// `rows` rows of `n` values each, separated by commas.
    pub fn rows(&mut self, rows: usize, n: usize) -> String {
        (0..rows)
            .map(|_| self.row(n))
            .collect::<Vec<_>>()
            .join(", ")
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
}
