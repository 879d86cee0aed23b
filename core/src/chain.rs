//! Blockchains and tokens: the built-in registry and the types a host extends it with.

use crate::address::Address;
use crate::error::{err, Result};
use serde::Serialize;
use std::fmt;

/// The address and key family of a blockchain.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Ethereum and EVM-compatible chains: BIP-44 coin 60, EIP-55 addresses.
    Evm,
    /// Tron: BIP-44 coin 195, base58check addresses.
    Tron,
}

impl Family {
    /// The BIP-44 coin type used for this family's keys.
    pub const fn coin_type(self) -> u32 {
        match self {
            Family::Evm => 60,
            Family::Tron => 195,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Evm => "evm",
            Family::Tron => "tron",
        })
    }
}

/// The registry key of a blockchain, e.g. `ethereum` or `tron-nile`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ChainId(String);

impl ChainId {
    /// A chain id from text: lowercase ASCII letters, digits and dashes, 1 to 32 characters.
    pub fn new(text: &str) -> Result<ChainId> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(err::unknown_chain(format!(
                "{text:?} is not a blockchain id (lowercase letters, digits and '-')"
            )));
        }
        Ok(ChainId(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A blockchain the platform operates on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blockchain {
    /// Registry key.
    pub id: ChainId,
    /// Human name.
    pub name: String,
    /// Address and key family.
    pub family: Family,
    /// EIP-155 chain id for EVM chains.
    pub evm_chain_id: Option<u64>,
    /// Symbol of the native coin.
    pub native_symbol: String,
    /// Decimals of the native coin.
    pub native_decimals: u8,
    /// Blocks after which a deposit counts as final.
    pub confirmations: u32,
    /// True for test networks.
    pub testnet: bool,
}

/// A token listed on a blockchain; `contract` is `None` for the native coin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    /// Ticker, e.g. `USDT`.
    pub symbol: String,
    /// Human name.
    pub name: String,
    /// The blockchain it lives on.
    pub blockchain: ChainId,
    /// Contract address, `None` for the native coin.
    pub contract: Option<Address>,
    /// Decimals of its base unit.
    pub decimals: u8,
}

/// The blockchains and tokens a platform knows.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    chains: Vec<Blockchain>,
    tokens: Vec<Token>,
}

/// Alternative names accepted for chain ids on input.
const ALIASES: [(&str, &str); 8] = [
    ("eth", "ethereum"),
    ("mainnet", "ethereum"),
    ("matic", "polygon"),
    ("bnb", "bsc"),
    ("arbitrum-one", "arbitrum"),
    ("avax", "avalanche"),
    ("trx", "tron"),
    ("amoy", "polygon-amoy"),
];

struct ChainSpec(
    &'static str,
    &'static str,
    Family,
    Option<u64>,
    &'static str,
    u8,
    u32,
    bool,
);
struct TokenSpec(&'static str, &'static str, &'static str, &'static str, u8);

/// Built-in chains: id, name, family, EVM chain id, native coin, its decimals, confirmations, testnet.
const CHAINS: [ChainSpec; 12] = [
    ChainSpec(
        "ethereum",
        "Ethereum",
        Family::Evm,
        Some(1),
        "ETH",
        18,
        12,
        false,
    ),
    ChainSpec(
        "polygon",
        "Polygon PoS",
        Family::Evm,
        Some(137),
        "POL",
        18,
        128,
        false,
    ),
    ChainSpec(
        "bsc",
        "BNB Smart Chain",
        Family::Evm,
        Some(56),
        "BNB",
        18,
        15,
        false,
    ),
    ChainSpec(
        "arbitrum",
        "Arbitrum One",
        Family::Evm,
        Some(42161),
        "ETH",
        18,
        20,
        false,
    ),
    ChainSpec(
        "optimism",
        "OP Mainnet",
        Family::Evm,
        Some(10),
        "ETH",
        18,
        20,
        false,
    ),
    ChainSpec(
        "base",
        "Base",
        Family::Evm,
        Some(8453),
        "ETH",
        18,
        20,
        false,
    ),
    ChainSpec(
        "avalanche",
        "Avalanche C-Chain",
        Family::Evm,
        Some(43114),
        "AVAX",
        18,
        12,
        false,
    ),
    ChainSpec("tron", "Tron", Family::Tron, None, "TRX", 6, 19, false),
    ChainSpec(
        "sepolia",
        "Ethereum Sepolia",
        Family::Evm,
        Some(11155111),
        "ETH",
        18,
        6,
        true,
    ),
    ChainSpec(
        "polygon-amoy",
        "Polygon Amoy",
        Family::Evm,
        Some(80002),
        "POL",
        18,
        12,
        true,
    ),
    ChainSpec(
        "bsc-testnet",
        "BNB Smart Chain Testnet",
        Family::Evm,
        Some(97),
        "tBNB",
        18,
        6,
        true,
    ),
    ChainSpec(
        "tron-nile",
        "Tron Nile",
        Family::Tron,
        None,
        "TRX",
        6,
        19,
        true,
    ),
];

/// Built-in stablecoins: chain, symbol, name, contract, decimals (sources in the tests).
const TOKENS: [TokenSpec; 14] = [
    TokenSpec(
        "ethereum",
        "USDT",
        "Tether USD",
        "0xdAC17F958D2ee523a2206206994597C13D831ec7",
        6,
    ),
    TokenSpec(
        "ethereum",
        "USDC",
        "USD Coin",
        "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
        6,
    ),
    TokenSpec(
        "polygon",
        "USDT",
        "Tether USD",
        "0xc2132D05D31c914a87C6611C10748AEb04B58e8F",
        6,
    ),
    TokenSpec(
        "polygon",
        "USDC",
        "USD Coin",
        "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
        6,
    ),
    TokenSpec(
        "bsc",
        "USDT",
        "Binance-Peg BSC-USD",
        "0x55d398326f99059fF775485246999027B3197955",
        18,
    ),
    TokenSpec(
        "bsc",
        "USDC",
        "Binance-Peg USD Coin",
        "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d",
        18,
    ),
    TokenSpec(
        "arbitrum",
        "USDT",
        "Tether USD",
        "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9",
        6,
    ),
    TokenSpec(
        "arbitrum",
        "USDC",
        "USD Coin",
        "0xaf88d065e77c8cC2239327C5EDb3A432268e5831",
        6,
    ),
    TokenSpec(
        "optimism",
        "USDT",
        "Tether USD",
        "0x94b008aA00579c1307B0EF2c499aD98a8ce58e58",
        6,
    ),
    TokenSpec(
        "optimism",
        "USDC",
        "USD Coin",
        "0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85",
        6,
    ),
    TokenSpec(
        "base",
        "USDC",
        "USD Coin",
        "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
        6,
    ),
    TokenSpec(
        "avalanche",
        "USDT",
        "Tether USD",
        "0x9702230A8Ea53601f5cD2dc00fDBc13d4dF4A8c7",
        6,
    ),
    TokenSpec(
        "avalanche",
        "USDC",
        "USD Coin",
        "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E",
        6,
    ),
    TokenSpec(
        "tron",
        "USDT",
        "Tether USD",
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        6,
    ),
];

impl Registry {
    /// An empty registry.
    pub fn empty() -> Registry {
        Registry::default()
    }

    /// The built-in registry: common EVM chains and Tron, mainnets and testnets, native coins,
    /// and USDT/USDC where the mainnet has them.
    pub fn builtin() -> Registry {
        let mut reg = Registry::empty();
        for ChainSpec(id, name, family, evm_chain_id, native, decimals, confirmations, testnet) in
            CHAINS
        {
            let chain = Blockchain {
                id: ChainId(id.to_owned()),
                name: name.to_owned(),
                family,
                evm_chain_id,
                native_symbol: native.to_owned(),
                native_decimals: decimals,
                confirmations,
                testnet,
            };
            reg.tokens.push(Token {
                symbol: native.to_owned(),
                name: format!("{name} native coin"),
                blockchain: chain.id.clone(),
                contract: None,
                decimals,
            });
            reg.chains.push(chain);
        }
        for TokenSpec(chain, symbol, name, contract, decimals) in TOKENS {
            let family = reg
                .chains
                .iter()
                .find(|c| c.id.0 == chain)
                .map(|c| c.family);
            let contract = family.and_then(|f| Address::parse(f, contract).ok());
            debug_assert!(
                contract.is_some(),
                "built-in token {symbol} on {chain} has a bad address"
            );
            if let Some(contract) = contract {
                reg.tokens.push(Token {
                    symbol: symbol.to_owned(),
                    name: name.to_owned(),
                    blockchain: ChainId(chain.to_owned()),
                    contract: Some(contract),
                    decimals,
                });
            }
        }
        reg
    }

    /// Adds a blockchain; `ALREADY_EXISTS` if its id is taken.
    pub fn register_chain(&mut self, chain: Blockchain) -> Result<()> {
        if self.chains.iter().any(|c| c.id == chain.id) {
            return Err(err::already_exists(format!(
                "blockchain {} is already registered",
                chain.id
            )));
        }
        self.chains.push(chain);
        Ok(())
    }

    /// Adds a token to a registered blockchain; `ALREADY_EXISTS` if the symbol is taken there.
    pub fn register_token(&mut self, token: Token) -> Result<()> {
        let chain = self.chain(token.blockchain.as_str())?;
        if let Some(contract) = &token.contract {
            if contract.family() != chain.family {
                return Err(err::invalid_address(
                    "token contract is of another chain family",
                ));
            }
        }
        if token.decimals > crate::amount::MAX_DECIMALS {
            return Err(err::invalid_amount("a token has at most 28 decimals"));
        }
        if self.token(token.blockchain.as_str(), &token.symbol).is_ok() {
            return Err(err::already_exists(format!(
                "token {} on {} is already registered",
                token.symbol, token.blockchain
            )));
        }
        self.tokens.push(token);
        Ok(())
    }

    /// All blockchains, in registry order.
    pub fn chains(&self) -> &[Blockchain] {
        &self.chains
    }

    /// Looks a blockchain up by id or alias (case-insensitive); `UNKNOWN_CHAIN` otherwise.
    pub fn chain(&self, id: &str) -> Result<&Blockchain> {
        if let Some(chain) = self.chains.iter().find(|c| c.id.0 == id) {
            return Ok(chain);
        }
        let lower = id.to_ascii_lowercase();
        let key = ALIASES
            .iter()
            .find(|(alias, _)| *alias == lower)
            .map_or(lower.as_str(), |(_, target)| target);
        self.chains.iter().find(|c| c.id.0 == key).ok_or_else(|| {
            let known: Vec<&str> = self.chains.iter().map(|c| c.id.as_str()).collect();
            err::unknown_chain(format!(
                "unknown blockchain {id:?}; known: {}",
                known.join(", ")
            ))
        })
    }

    /// Tokens, all or those of one blockchain.
    pub fn tokens(&self, chain: Option<&str>) -> Result<Vec<&Token>> {
        match chain {
            None => Ok(self.tokens.iter().collect()),
            Some(id) => {
                let chain = self.chain(id)?;
                Ok(self
                    .tokens
                    .iter()
                    .filter(|t| t.blockchain == chain.id)
                    .collect())
            }
        }
    }

    /// Looks a token up by blockchain and symbol (case-insensitive); `UNKNOWN_TOKEN` otherwise.
    pub fn token(&self, chain: &str, symbol: &str) -> Result<&Token> {
        let chain = self.chain(chain)?;
        let on_chain = |t: &&Token| t.blockchain == chain.id;
        if let Some(token) = self
            .tokens
            .iter()
            .filter(on_chain)
            .find(|t| t.symbol == symbol)
        {
            return Ok(token);
        }
        self.tokens
            .iter()
            .filter(on_chain)
            .find(|t| t.symbol.eq_ignore_ascii_case(symbol))
            .ok_or_else(|| err::unknown_token(format!("no token {symbol:?} on {}", chain.id)))
    }

    /// Finds the token with this contract address on a blockchain.
    pub fn token_by_contract(&self, chain: &str, contract: &Address) -> Option<&Token> {
        let chain = self.chain(chain).ok()?;
        self.tokens
            .iter()
            .find(|t| t.blockchain == chain.id && t.contract.as_ref() == Some(contract))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_token_address_parses_with_its_checksum() {
        // Release builds skip the debug_assert: count the tokens instead.
        let reg = Registry::builtin();
        assert_eq!(reg.tokens(None).unwrap().len(), CHAINS.len() + TOKENS.len());
    }

    #[test]
    fn chain_ids_and_families() {
        let reg = Registry::builtin();
        let expect = [
            ("ethereum", 1),
            ("polygon", 137),
            ("bsc", 56),
            ("arbitrum", 42161),
            ("optimism", 10),
            ("base", 8453),
            ("avalanche", 43114),
            ("sepolia", 11155111),
            ("polygon-amoy", 80002),
            ("bsc-testnet", 97),
        ];
        // Source: chainlist / each network's documentation of its EIP-155 chain id.
        for (id, chain_id) in expect {
            let c = reg.chain(id).unwrap();
            assert_eq!(c.evm_chain_id, Some(chain_id), "{id}");
            assert_eq!(c.family, Family::Evm);
        }
        assert_eq!(reg.chain("tron").unwrap().family, Family::Tron);
        assert!(reg.chain("tron-nile").unwrap().testnet);
        assert_eq!(reg.chain("ETH").unwrap().id.as_str(), "ethereum");
        assert_eq!(
            reg.chain("dogecoin").unwrap_err().code(),
            crate::error::ErrorCode::UnknownChain
        );
    }

    /// Contract addresses and decimals as published by the issuers (Tether's "supported
    /// protocols" page, Circle's "USDC contract addresses" page) and the chains' explorers:
    /// (chain, symbol, contract, decimals).
    const PINNED: [(&str, &str, &str, u8); 14] = [
        (
            "ethereum",
            "USDT",
            "0xdAC17F958D2ee523a2206206994597C13D831ec7",
            6,
        ),
        (
            "ethereum",
            "USDC",
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            6,
        ),
        (
            "polygon",
            "USDT",
            "0xc2132D05D31c914a87C6611C10748AEb04B58e8F",
            6,
        ),
        (
            "polygon",
            "USDC",
            "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
            6,
        ),
        (
            "bsc",
            "USDT",
            "0x55d398326f99059fF775485246999027B3197955",
            18,
        ),
        (
            "bsc",
            "USDC",
            "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d",
            18,
        ),
        (
            "arbitrum",
            "USDT",
            "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9",
            6,
        ),
        (
            "arbitrum",
            "USDC",
            "0xaf88d065e77c8cC2239327C5EDb3A432268e5831",
            6,
        ),
        (
            "optimism",
            "USDT",
            "0x94b008aA00579c1307B0EF2c499aD98a8ce58e58",
            6,
        ),
        (
            "optimism",
            "USDC",
            "0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85",
            6,
        ),
        (
            "base",
            "USDC",
            "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
            6,
        ),
        (
            "avalanche",
            "USDT",
            "0x9702230A8Ea53601f5cD2dc00fDBc13d4dF4A8c7",
            6,
        ),
        (
            "avalanche",
            "USDC",
            "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E",
            6,
        ),
        ("tron", "USDT", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", 6),
    ];

    #[test]
    fn stablecoins_are_pinned_to_their_published_contracts() {
        let reg = Registry::builtin();
        for (chain, symbol, contract, decimals) in PINNED {
            let t = reg.token(chain, symbol).unwrap();
            assert_eq!(
                t.contract.unwrap().to_string(),
                contract,
                "{symbol} on {chain}"
            );
            assert_eq!(t.decimals, decimals, "{symbol} on {chain}");
        }
        assert_eq!(reg.token("tron", "TRX").unwrap().decimals, 6);
        assert!(reg.token("base", "USDT").is_err());
    }

    #[test]
    fn register_more() {
        let mut reg = Registry::builtin();
        let chain = Blockchain {
            id: ChainId::new("local").unwrap(),
            name: "Local".into(),
            family: Family::Evm,
            evm_chain_id: Some(1337),
            native_symbol: "ETH".into(),
            native_decimals: 18,
            confirmations: 1,
            testnet: true,
        };
        reg.register_chain(chain.clone()).unwrap();
        assert!(reg.register_chain(chain).is_err());
        assert!(ChainId::new("Bad Id").is_err());
    }
}
