//! The local EVM node: JSON-RPC calls, start-up and the test token's deployment.

#![allow(clippy::unwrap_used)]

use super::*;

pub struct Node {
    pub url: String,
}

impl Node {
    pub fn call(&self, method: &str, params: Value) -> Value {
        let (_, v) = http(
            "POST",
            &self.url,
            &[],
            Some(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})),
        );
        if let Some(e) = v.get("error") {
            panic!("{method}: {e}");
        }
        v["result"].clone()
    }

    pub fn mine(&self) {
        self.call("evm_mine", json!([]));
    }

    pub fn send(&self, from: &str, to: &str, value: u128, data: Option<String>) -> String {
        let mut tx =
            json!({"from": from, "to": to, "value": format!("0x{value:x}"), "gas": "0x30d40"});
        if let Some(d) = data {
            tx["data"] = json!(d);
        }
        let hash = self.call("eth_sendTransaction", json!([tx]));
        hash.as_str().unwrap().to_ascii_lowercase()
    }

    pub fn balance(&self, address: &str) -> u128 {
        qty(&self.call("eth_getBalance", json!([address, "latest"])))
    }

    pub fn token_balance(&self, token: &str, address: &str) -> u128 {
        let data = format!(
            "0x70a08231{:0>64}",
            address.trim_start_matches("0x").to_ascii_lowercase()
        );
        qty(&self.call("eth_call", json!([{"to": token, "data": data}, "latest"])))
    }
}

pub fn qty(v: &Value) -> u128 {
    let s = v.as_str().unwrap().trim_start_matches("0x");
    let s = s.trim_start_matches('0');
    if s.is_empty() {
        0
    } else {
        u128::from_str_radix(s, 16).unwrap()
    }
}

pub fn transfer_data(to: &str, amount: u128) -> String {
    format!(
        "0xa9059cbb{:0>64}{amount:064x}",
        to.trim_start_matches("0x").to_ascii_lowercase()
    )
}

pub fn start_node(tools: &Path) -> (Proc, Node) {
    let port = free_port();
    let child = Command::new(tools.join("node_modules/.bin/ganache"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--wallet.deterministic",
            "--chain.chainId",
            "1337",
            "--logging.quiet",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start ganache");
    let proc = Proc(child);
    let node = Node {
        url: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    loop {
        let ok = TcpStream::connect(("127.0.0.1", port)).is_ok()
            && std::panic::catch_unwind(|| node.call("eth_chainId", json!([]))).is_ok();
        if ok {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "ganache did not answer on port {port}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(node.call("eth_chainId", json!([])), json!("0x539"));
    (proc, node)
}

/// Compiles TestToken with solcjs and deploys it; its address.
pub fn deploy_token(tools: &Path, node: &Node, from: &str, work: &Path) -> String {
    std::fs::write(work.join("Token.sol"), TOKEN_SOL).unwrap();
    let out = Command::new("node")
        .arg(tools.join("node_modules/solc/solc.js"))
        .args(["--bin", "--abi", "-o", "out", "Token.sol"])
        .current_dir(work)
        .output()
        .expect("run solcjs");
    assert!(
        out.status.success(),
        "solcjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = std::fs::read_to_string(work.join("out/Token_sol_TestToken.bin")).unwrap();
    let hash = node.call(
        "eth_sendTransaction",
        json!([{"from": from, "data": format!("0x{}", bin.trim()), "gas": "0x2dc6c0"}]),
    );
    let receipt = node.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"), "deploy: {receipt}");
    receipt["contractAddress"].as_str().unwrap().to_owned()
}
