//! A minimal Ethereum JSON-RPC client over HTTP (reqwest), with the few calls the adapter needs.

use super::index::{self, Addr, BlockTx, TransferLog};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What went wrong with a call.
#[derive(Debug, Clone)]
pub enum RpcError {
    /// The node could not be reached or answered something that is not JSON-RPC.
    Transport(String),
    /// The node answered with an error object.
    Node {
        /// JSON-RPC error code.
        code: i64,
        /// Its message.
        message: String,
    },
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcError::Transport(m) => write!(f, "rpc transport: {m}"),
            RpcError::Node { code, message } => write!(f, "rpc error {code}: {message}"),
        }
    }
}

impl From<RpcError> for super::super::error::ApiError {
    fn from(e: RpcError) -> Self {
        super::super::error::ApiError::internal(e.to_string())
    }
}

/// A block header and, when asked, its transactions.
#[derive(Debug, Clone)]
pub struct Block {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: String,
    /// Parent hash.
    pub parent_hash: String,
    /// EIP-1559 base fee, if the chain has one.
    pub base_fee: Option<u128>,
    /// Transactions (empty unless fetched with full transactions).
    pub txs: Vec<BlockTx>,
}

/// A transaction receipt, as far as the adapter cares.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// Block number.
    pub block_number: u64,
    /// True when it succeeded (status 0x1).
    pub success: bool,
    /// Gas used.
    pub gas_used: u128,
}

/// The client.
pub struct Rpc {
    http: reqwest::Client,
    url: String,
    id: AtomicU64,
}

fn bad(what: &str, v: &Value) -> RpcError {
    RpcError::Transport(format!("unexpected {what}: {}", shorten(&v.to_string())))
}

fn shorten(s: &str) -> String {
    s.chars().take(200).collect()
}

/// A hex quantity as u64.
pub fn qty(v: &Value) -> Result<u64, RpcError> {
    let s = v.as_str().ok_or_else(|| bad("quantity", v))?;
    u64::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|_| bad("quantity", v))
}

/// A hex quantity as u128 (saturating above).
pub fn qty128(v: &Value) -> Result<u128, RpcError> {
    let w = v
        .as_str()
        .and_then(index::parse_word)
        .ok_or_else(|| bad("quantity", v))?;
    if w[..16].iter().any(|b| *b != 0) {
        return Ok(u128::MAX);
    }
    let mut lo = [0u8; 16];
    lo.copy_from_slice(&w[16..]);
    Ok(u128::from_be_bytes(lo))
}

impl Rpc {
    /// A client for `url`.
    pub fn new(url: &str) -> Result<Rpc, RpcError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| RpcError::Transport(e.to_string()))?;
        Ok(Rpc {
            http,
            url: url.to_owned(),
            id: AtomicU64::new(1),
        })
    }

    /// One call; the `result` member.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let id = self.id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| RpcError::Transport(format!("{method}: {e}")))?;
        let v: Value = response
            .json()
            .await
            .map_err(|e| RpcError::Transport(format!("{method}: {e}")))?;
        if let Some(err) = v.get("error") {
            return Err(RpcError::Node {
                code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            });
        }
        v.get("result")
            .cloned()
            .ok_or_else(|| bad(&format!("{method} answer"), &v))
    }

    /// eth_chainId.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        qty(&self.call("eth_chainId", json!([])).await?)
    }

    /// eth_blockNumber.
    pub async fn block_number(&self) -> Result<u64, RpcError> {
        qty(&self.call("eth_blockNumber", json!([])).await?)
    }

    /// eth_getBlockByNumber; `None` when the node does not have it (yet).
    pub async fn block(&self, tag: Value, full: bool) -> Result<Option<Block>, RpcError> {
        let v = self
            .call("eth_getBlockByNumber", json!([tag, full]))
            .await?;
        if v.is_null() {
            return Ok(None);
        }
        let text = |k: &str| -> Result<String, RpcError> {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| bad(k, &v))
        };
        let mut txs = Vec::new();
        if full {
            for t in v
                .get("transactions")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let hash = t
                    .get("hash")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("transaction", t))?;
                let from = t
                    .get("from")
                    .and_then(Value::as_str)
                    .and_then(index::parse_addr)
                    .ok_or_else(|| bad("transaction sender", t))?;
                let to = t
                    .get("to")
                    .and_then(Value::as_str)
                    .and_then(index::parse_addr);
                let value = t
                    .get("value")
                    .and_then(Value::as_str)
                    .and_then(index::parse_word)
                    .ok_or_else(|| bad("transaction value", t))?;
                txs.push(BlockTx {
                    hash: hash.to_ascii_lowercase(),
                    from,
                    to,
                    value,
                });
            }
        }
        Ok(Some(Block {
            number: qty(v.get("number").unwrap_or(&Value::Null))?,
            hash: text("hash")?.to_ascii_lowercase(),
            parent_hash: text("parentHash")?.to_ascii_lowercase(),
            base_fee: match v.get("baseFeePerGas") {
                Some(b) if !b.is_null() => Some(qty128(b)?),
                _ => None,
            },
            txs,
        }))
    }

    /// eth_getLogs of Transfer events of `contracts` in blocks `from..=to`.
    pub async fn transfer_logs(
        &self,
        from: u64,
        to: u64,
        contracts: &[Addr],
    ) -> Result<Vec<(u64, TransferLog)>, RpcError> {
        if contracts.is_empty() {
            return Ok(Vec::new());
        }
        let addresses: Vec<String> = contracts
            .iter()
            .map(|a| format!("0x{}", hex::encode(a)))
            .collect();
        let filter = json!({
            "fromBlock": format!("0x{from:x}"), "toBlock": format!("0x{to:x}"),
            "address": addresses, "topics": [index::TRANSFER_TOPIC],
        });
        let v = self.call("eth_getLogs", json!([filter])).await?;
        let mut out = Vec::new();
        for l in v.as_array().map(Vec::as_slice).unwrap_or_default() {
            if let Some(found) = transfer_log(l)? {
                out.push(found);
            }
        }
        Ok(out)
    }

    /// eth_getBalance at the latest block, in wei.
    pub async fn balance(&self, address: &str) -> Result<u128, RpcError> {
        qty128(
            &self
                .call("eth_getBalance", json!([address, "latest"]))
                .await?,
        )
    }

    /// eth_getTransactionCount at `tag` ("pending" for the next free nonce).
    pub async fn nonce(&self, address: &str, tag: &str) -> Result<u64, RpcError> {
        qty(&self
            .call("eth_getTransactionCount", json!([address, tag]))
            .await?)
    }

    /// eth_gasPrice.
    pub async fn gas_price(&self) -> Result<u128, RpcError> {
        qty128(&self.call("eth_gasPrice", json!([])).await?)
    }

    /// eth_maxPriorityFeePerGas (not every node has it).
    pub async fn max_priority_fee(&self) -> Result<u128, RpcError> {
        qty128(&self.call("eth_maxPriorityFeePerGas", json!([])).await?)
    }

    /// eth_sendRawTransaction; the hash.
    pub async fn send_raw(&self, raw_hex: &str) -> Result<String, RpcError> {
        let v = self
            .call("eth_sendRawTransaction", json!([raw_hex]))
            .await?;
        v.as_str()
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| bad("transaction hash", &v))
    }

    /// eth_getTransactionByHash: whether the node knows the transaction at all (in its pool or
    /// mined).
    pub async fn transaction_known(&self, hash: &str) -> Result<bool, RpcError> {
        let v = self.call("eth_getTransactionByHash", json!([hash])).await?;
        Ok(!v.is_null())
    }

    /// eth_getTransactionReceipt; `None` while not mined.
    pub async fn receipt(&self, hash: &str) -> Result<Option<Receipt>, RpcError> {
        let v = self
            .call("eth_getTransactionReceipt", json!([hash]))
            .await?;
        if v.is_null() {
            return Ok(None);
        }
        Ok(Some(Receipt {
            block_number: qty(v.get("blockNumber").unwrap_or(&Value::Null))?,
            success: v.get("status").and_then(Value::as_str) == Some("0x1"),
            gas_used: qty128(v.get("gasUsed").unwrap_or(&Value::Null))?,
        }))
    }
}

/// One log of `eth_getLogs` as an ERC-20 Transfer with its block number; `None` for a removed
/// log or one that is not ERC-20's (indexed from and to: three topics, one data word).
fn transfer_log(l: &Value) -> Result<Option<(u64, TransferLog)>, RpcError> {
    if l.get("removed").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let topics = l
        .get("topics")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if topics.len() != 3 {
        return Ok(None);
    }
    let Some(to) = topics[2].as_str().and_then(index::topic_addr) else {
        return Ok(None);
    };
    let data = l.get("data").and_then(Value::as_str);
    let Some(value) = data.filter(|d| d.len() == 66).and_then(index::parse_word) else {
        return Ok(None);
    };
    let contract = l
        .get("address")
        .and_then(Value::as_str)
        .and_then(index::parse_addr)
        .ok_or_else(|| bad("log address", l))?;
    let hex_field = |name: &str| {
        l.get(name)
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| bad("log", l))
    };
    let block = qty(l.get("blockNumber").unwrap_or(&Value::Null))?;
    Ok(Some((
        block,
        TransferLog {
            contract,
            to,
            value,
            tx_hash: hex_field("transactionHash")?,
            log_index: qty(l.get("logIndex").unwrap_or(&Value::Null))?,
            block_hash: hex_field("blockHash")?,
        },
    )))
}
