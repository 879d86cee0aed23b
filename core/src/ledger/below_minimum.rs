//! Deposits under the minimum have an owner: they wait in the client's suspense account
//! (`suspense/CLIENT/CHAIN/UNIT`) until an operator decides. Crediting one moves it from there to
//! the wallet it was sent to, once, after the chain confirmed it.

use super::*;

impl Ledger {
    /// Credits a confirmed below-minimum deposit to its wallet by an operator's decision. A
    /// second call answers the same and moves nothing.
    pub fn credit_below_minimum(&mut self, tx: &str) -> Result<&DepositRecord> {
        let record = self
            .deposits
            .get(tx)
            .ok_or_else(|| err::not_found(format!("no deposit {tx}")))?;
        if !record.result.below_minimum {
            return Err(err::invalid_argument(format!(
                "deposit {tx} was not below the minimum: it was credited when it arrived"
            )));
        }
        if record.credited_by_decision {
            return self.deposit_of(tx);
        }
        if record.status != DepositStatus::Confirmed {
            return Err(err::invalid_argument(format!(
                "deposit {tx} is {}; only a confirmed deposit can be credited",
                format!("{:?}", record.status).to_lowercase()
            )));
        }
        // The suspense leg of the deposit names the account and the amount held for it.
        let held = record
            .legs
            .iter()
            .find(|l| matches!(&l.to, Book::System(k) if k.starts_with("suspense/")))
            .cloned()
            .ok_or_else(|| {
                err::invalid_argument(format!("deposit {tx} holds nothing in suspense"))
            })?;
        let unit = journal::unit_of(&held.to).to_owned();
        let leg = Leg {
            from: held.to,
            to: Book::Wallet(record.request.to.clone(), unit),
            amount: held.amount,
        };
        self.apply(&[leg], Phase::Post, &format!("{tx}:credit"))?;
        if let Some(r) = self.deposits.get_mut(tx) {
            r.credited_by_decision = true;
        }
        self.deposit_of(tx)
    }

    fn deposit_of(&self, tx: &str) -> Result<&DepositRecord> {
        self.deposits
            .get(tx)
            .ok_or_else(|| err::not_found(format!("no deposit {tx}")))
    }
}
