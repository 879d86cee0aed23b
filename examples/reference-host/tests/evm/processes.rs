//! A child process killed when dropped, a free port, and the tools setup.sh installs.

#![allow(clippy::unwrap_used)]

use super::*;

/// A child process killed (by its own pid) when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs tests/evm/setup.sh; the tools folder, or None when skipping is allowed.
pub fn tools() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/evm/setup.sh");
    let out = Command::new("bash").arg(&script).output();
    let failure = match out {
        Ok(o) if o.status.success() => {
            let dir = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            if dir.join("node_modules/.bin/ganache").exists() {
                return Some(dir);
            }
            format!("setup.sh printed {dir:?} without ganache in it")
        }
        Ok(o) => format!(
            "setup.sh failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("cannot run setup.sh: {e}"),
    };
    if std::env::var("WAAS_SKIP_EVM").as_deref() == Ok("1") {
        // Straight to the process's stderr: the test harness does not capture this write.
        let _ = std::io::stderr().write_all(
            format!("\n==================== SKIPPED: EVM adapter test (WAAS_SKIP_EVM=1): {failure} ====================\n\n").as_bytes(),
        );
        return None;
    }
    panic!("the EVM test needs node, npm, ganache 7.9.2 and solc 0.8.28 ({failure}); set WAAS_SKIP_EVM=1 to skip it on purpose");
}
