//! Clients, accounts and wallets: creation within the contracted limits, status, removal.

use super::*;

impl Ledger {
    /// Sets a client's contracted limits (creating the client if new).
    pub fn set_contract(&mut self, client: &str, contract: Contract) -> Result<()> {
        check_id("client", client)?;
        self.clients.entry(client.to_owned()).or_default().contract = Some(contract);
        Ok(())
    }

    /// Creates an account of a client (creating the client if new).
    pub fn create_account(&mut self, client: &str, account: &str) -> Result<()> {
        check_id("client", client)?;
        check_id("account", account)?;
        if let Some(owner) = self.accounts.get(account) {
            if owner == client {
                return Ok(());
            }
            return Err(err::already_exists(format!(
                "account {account} exists for another client"
            )));
        }
        self.clients.entry(client.to_owned()).or_default();
        self.accounts.insert(account.to_owned(), client.to_owned());
        Ok(())
    }

    pub(super) fn client_of(&self, account: &str) -> Result<String> {
        self.accounts
            .get(account)
            .cloned()
            .ok_or_else(|| err::not_found(format!("no account {account}")))
    }

    /// The contracted limits of a client (unlimited without a contract).
    pub fn contract_of(&self, client: &str) -> Contract {
        self.contract(client)
    }

    /// What a client uses of its contract, given its virtual wallets in all (active or not: the
    /// books count only the active ones).
    pub fn contract_usage(&self, client: &str, virtual_wallets: u64) -> ContractUsage {
        let Some(books) = self.clients.get(client) else {
            return ContractUsage {
                inactive_virtual_wallets: virtual_wallets,
                ..ContractUsage::default()
            };
        };
        let active = u64::from(books.active_virtual_wallets);
        ContractUsage {
            active_virtual_wallets: active,
            inactive_virtual_wallets: virtual_wallets.saturating_sub(active),
            cards: books.cards,
            treasury_wallets: books.treasuries,
        }
    }

    pub(super) fn contract(&self, client: &str) -> Contract {
        self.clients
            .get(client)
            .and_then(|c| c.contract)
            .unwrap_or_default()
    }

    pub(super) fn new_wallet(&mut self, wallet: &str, w: Wallet) -> Result<()> {
        check_id("wallet", wallet)?;
        if self.wallets.contains_key(wallet) {
            return Err(err::already_exists(format!(
                "wallet {wallet} already exists"
            )));
        }
        self.wallets.insert(wallet.into(), w);
        self.touch(wallet);
        Ok(())
    }

    pub(super) fn blank_wallet(
        kind: WalletKind,
        client: String,
        account: &str,
        blockchain: Option<String>,
    ) -> Wallet {
        Wallet {
            holding: HoldingKey::new(
                &client,
                blockchain.as_deref().unwrap_or(accounts::CARD_CHAIN),
            ),
            kind,
            client,
            account: account.to_owned(),
            blockchain,
            index: None,
            status: WalletStatus::Active,
            inactive: false,
            flags: Vec::new(),
            removed: false,
            spending_limit: None,
            held: TokenMap::new(),
            balances: TokenMap::new(),
            on_chain: TokenMap::new(),
        }
    }

    /// Creates a virtual wallet; the first on a blockchain opens the client's holding wallet there.
    pub fn create_virtual_wallet(
        &mut self,
        account: &str,
        wallet: &str,
        blockchain: &str,
    ) -> Result<VirtualWalletCreated> {
        let client = self.client_of(account)?;
        let chain = self.registry.chain(blockchain)?.id.as_str().to_owned();
        check_id("wallet", wallet)?;
        if self.wallets.contains_key(wallet) {
            return Err(err::already_exists(format!(
                "wallet {wallet} already exists"
            )));
        }
        let active = self
            .clients
            .get(&client)
            .map_or(0, |c| c.active_virtual_wallets);
        rules::check_slot(
            active,
            self.contract(&client).max_virtual_wallets,
            "active virtual wallets",
        )?;
        let key = HoldingKey::new(&client, &chain);
        let holding_created = !self.holdings.contains_key(&key);
        let holding = self.holdings.entry(key).or_default();
        let index = holding.next_index;
        if index >= crate::keys::HARDENED {
            return Err(err::invalid_index(
                "this holding wallet has used every non-hardened index",
            ));
        }
        holding.next_index += 1;
        let mut w = Self::blank_wallet(WalletKind::Virtual, client.clone(), account, Some(chain));
        w.index = Some(index);
        self.new_wallet(wallet, w)?;
        self.clients
            .entry(client)
            .or_default()
            .active_virtual_wallets += 1;
        Ok(VirtualWalletCreated {
            index,
            holding_created,
        })
    }

    /// Creates a treasury wallet on a blockchain.
    pub fn create_treasury(&mut self, account: &str, wallet: &str, blockchain: &str) -> Result<()> {
        let client = self.client_of(account)?;
        let chain = self.registry.chain(blockchain)?.id.as_str().to_owned();
        let used = self.clients.get(&client).map_or(0, |c| c.treasuries);
        rules::check_slot(
            used,
            self.contract(&client).max_treasury_wallets,
            "treasury wallets",
        )?;
        self.new_wallet(
            wallet,
            Self::blank_wallet(WalletKind::Treasury, client.clone(), account, Some(chain)),
        )?;
        self.clients.entry(client).or_default().treasuries += 1;
        Ok(())
    }

    /// Creates a card with a USD balance.
    pub fn create_card(&mut self, account: &str, card: &str) -> Result<()> {
        let client = self.client_of(account)?;
        let used = self.clients.get(&client).map_or(0, |c| c.cards);
        rules::check_slot(used, self.contract(&client).max_cards, "cards")?;
        self.new_wallet(
            card,
            Self::blank_wallet(WalletKind::Card, client.clone(), account, None),
        )?;
        self.clients.entry(client).or_default().cards += 1;
        Ok(())
    }

    /// A wallet by id.
    pub fn wallet(&self, wallet: &str) -> Result<&Wallet> {
        self.wallets
            .get(wallet)
            .ok_or_else(|| err::not_found(format!("no wallet {wallet}")))
    }

    pub(super) fn wallet_mut(&mut self, wallet: &str) -> Result<&mut Wallet> {
        self.wallets
            .get_mut(wallet)
            .ok_or_else(|| err::not_found(format!("no wallet {wallet}")))
    }

    pub(super) fn virtual_wallet(&self, wallet: &str) -> Result<&Wallet> {
        let w = self.wallet(wallet)?;
        if w.kind != WalletKind::Virtual {
            return Err(err::invalid_argument(format!(
                "wallet {wallet} is not a virtual wallet"
            )));
        }
        Ok(w)
    }

    /// Deactivates a virtual wallet: it leaves the contracted pool and refuses outgoing movements.
    pub fn deactivate(&mut self, wallet: &str) -> Result<()> {
        let w = self.virtual_wallet(wallet)?;
        if w.inactive || w.status == WalletStatus::Inactive {
            return Ok(());
        }
        let client = w.client.clone();
        if let Some(w) = self.wallets.get_mut(wallet) {
            w.inactive = true;
            if w.status == WalletStatus::Active {
                w.status = WalletStatus::Inactive;
            }
        }
        self.touch(wallet);
        if let Some(c) = self.clients.get_mut(&client) {
            c.active_virtual_wallets = c.active_virtual_wallets.saturating_sub(1);
        }
        Ok(())
    }

    /// Reactivates a virtual wallet; needs a free slot in the contracted pool.
    pub fn activate(&mut self, wallet: &str) -> Result<()> {
        let w = self.virtual_wallet(wallet)?;
        if !w.inactive {
            return Ok(());
        }
        let client = w.client.clone();
        let active = self
            .clients
            .get(&client)
            .map_or(0, |c| c.active_virtual_wallets);
        rules::check_slot(
            active,
            self.contract(&client).max_virtual_wallets,
            "active virtual wallets",
        )?;
        if let Some(w) = self.wallets.get_mut(wallet) {
            w.inactive = false;
            if w.status == WalletStatus::Inactive {
                w.status = WalletStatus::Active;
            }
        }
        self.touch(wallet);
        self.clients
            .entry(client)
            .or_default()
            .active_virtual_wallets += 1;
        Ok(())
    }

    /// Whether this client's books may be retired: refused while any wallet holds funds.
    pub fn check_retire(&self) -> Result<()> {
        let holding = self
            .wallets
            .values()
            .filter(|w| w.balances.values().any(|b| !b.total().is_zero()))
            .count();
        if holding > 0 {
            return Err(err::invalid_argument(format!(
                "the client still holds funds in {holding} wallet(s); move or withdraw them first"
            )));
        }
        Ok(())
    }

    /// Whether an account may be deleted: only while no wallet or card belongs to it.
    pub fn check_delete_account(&self, account: &str) -> Result<()> {
        if self.wallets.values().any(|w| w.account == account) {
            return Err(err::invalid_argument(format!(
                "account {account} has wallets or cards; deactivate them instead"
            )));
        }
        Ok(())
    }

    /// Removes a card for good: refused while it holds a balance; a removed card is blocked and
    /// no longer counts against the contract's cards.
    pub fn remove_card(&mut self, card: &str) -> Result<()> {
        let w = self.wallet(card)?;
        if w.kind != WalletKind::Card {
            return Err(err::invalid_argument(format!("{card} is not a card")));
        }
        if w.removed {
            return Ok(());
        }
        let balance = w.balances.get(USD).map(Balance::total).unwrap_or_default();
        if !balance.is_zero() {
            return Err(err::invalid_argument(format!(
                "{card} still holds {} USD; spend or refund it first",
                balance.normalize()
            )));
        }
        self.set_card_blocked(card, true)?;
        let client = self.wallet(card)?.client.clone();
        if let Some(w) = self.wallets.get_mut(card) {
            w.removed = true;
        }
        if let Some(c) = self.clients.get_mut(&client) {
            c.cards = c.cards.saturating_sub(1);
        }
        Ok(())
    }

    /// Sets (or, with `None`, lifts) the largest payment a card may make, in USD cents.
    pub fn set_card_spending_limit(&mut self, card: &str, limit: Option<Amount>) -> Result<()> {
        let w = self.wallet(card)?;
        if w.kind != WalletKind::Card || w.removed {
            return Err(err::not_found(format!("no card {card}")));
        }
        if let Some(l) = limit {
            rules::check_positive(l.check_scale(2)?)?;
        }
        if let Some(w) = self.wallets.get_mut(card) {
            w.spending_limit = limit.map(Amount::as_decimal);
        }
        self.touch(card);
        Ok(())
    }

    /// Blocks or unblocks a card: a blocked card keeps its balance, still receives deposits
    /// (flagged) and refuses payments (WALLET_INACTIVE).
    pub fn set_card_blocked(&mut self, card: &str, blocked: bool) -> Result<()> {
        let w = self.wallet(card)?;
        if w.kind != WalletKind::Card {
            return Err(err::invalid_argument(format!("{card} is not a card")));
        }
        if w.removed {
            return Err(err::not_found(format!("card {card} was removed")));
        }
        if let Some(w) = self.wallets.get_mut(card) {
            w.inactive = blocked;
            if w.status != WalletStatus::Frozen {
                w.status = if blocked {
                    WalletStatus::Inactive
                } else {
                    WalletStatus::Active
                };
            }
        }
        self.touch(card);
        Ok(())
    }

    /// Freezes a virtual or treasury wallet by an operator's decision: it still receives, it
    /// never sends, until [`Ledger::unfreeze`]. The reason joins the wallet's flags.
    pub fn freeze(&mut self, wallet: &str, reason: &str) -> Result<()> {
        let w = self.wallet(wallet)?;
        if !matches!(w.kind, WalletKind::Virtual | WalletKind::Treasury) {
            return Err(err::invalid_argument(format!(
                "{wallet} is a card; block it instead"
            )));
        }
        super::withdrawals::check_text("reason", reason)?;
        if let Some(w) = self.wallets.get_mut(wallet) {
            w.status = WalletStatus::Frozen;
            w.flags.push(format!("FROZEN: {reason}"));
        }
        self.touch(wallet);
        Ok(())
    }

    /// Lifts a freeze once the wallet's balances are back at or above zero.
    pub fn unfreeze(&mut self, wallet: &str) -> Result<()> {
        let w = self.wallet(wallet)?;
        if w.status != WalletStatus::Frozen {
            return Ok(());
        }
        if w.balances.values().any(|b| b.total() < Decimal::ZERO) {
            return Err(err::wallet_frozen(format!(
                "wallet {wallet} still has a negative balance"
            )));
        }
        if let Some(w) = self.wallets.get_mut(wallet) {
            w.status = if w.inactive {
                WalletStatus::Inactive
            } else {
                WalletStatus::Active
            };
            // An operator's freeze note is settled by lifting it.
            w.flags.retain(|f| !f.starts_with("FROZEN: "));
        }
        self.touch(wallet);
        Ok(())
    }
}
