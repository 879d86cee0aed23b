"""Differential test: the Python binding answers exactly as the native `waas` CLI, on random inputs
(fixed seed) beyond the vector files. Needs the CLI: $WAAS_CLI, or target/debug/waas
(`cargo build -p waas-host --bin waas`; bindings/test.sh builds it)."""
import json
import os
import random
import subprocess
import unittest

import waas

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("WAAS_CLI") or os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "debug", "waas")
VECTORS = os.path.join(ROOT, "tests", "vectors")
CHAINS = ["ethereum", "polygon", "bsc", "base", "tron", "tron-nile", "trx", "eth", "dogecoin"]


def cli(args, stdin=b""):
    """(True, stdout) or (False, error code) of one CLI run."""
    p = subprocess.run([CLI, *args], input=stdin, capture_output=True, timeout=60)
    if p.returncode == 0:
        return True, p.stdout.decode()
    err = p.stderr.decode().strip().splitlines()[-1]
    assert err.startswith("error: "), err
    return False, err[len("error: "):].split(":", 1)[0]


def binding(fn, *args):
    try:
        return True, fn(*args)
    except waas.WaasError as e:
        return False, e.code


class CliParity(unittest.TestCase):
    rng = random.Random(20261125)

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(CLI):
            if os.environ.get("WAAS_CLI"):
                raise AssertionError(f"WAAS_CLI={CLI} does not exist")
            raise unittest.SkipTest(f"no waas CLI at {CLI}")
        with open(os.path.join(VECTORS, "derivation.json"), encoding="utf-8") as f:
            cls.xpubs = sorted({c["xpub"] for c in json.load(f)["cases"]})

    def test_derive(self):
        for _ in range(25):
            chain, xpub = self.rng.choice(CHAINS), self.rng.choice(self.xpubs)
            index = self.rng.choice([0, 1, self.rng.randrange(2**31), 2**31 - 1, 2**31, 2**32 - 1])
            ok, out = cli(["derive", "--chain", chain, "--xpub", xpub, "--index", str(index)])
            want = (ok, out.split()[1] if ok else out)
            self.assertEqual(binding(waas.derive_address, chain, xpub, index), want, (chain, index))

    def test_addresses(self):
        for _ in range(25):
            chain, xpub = self.rng.choice(CHAINS[:-1]), self.rng.choice(self.xpubs)
            ok, addr = binding(waas.derive_address, chain, xpub, self.rng.randrange(1000))
            self.assertTrue(ok)
            text = self.rng.choice([addr, addr.lower(), addr.upper(), addr[:-1] + ("1" if addr[-1] != "1" else "2"),
                                    "41" + addr[2:] if addr.startswith("0x") else addr])
            for target in (chain, self.rng.choice(CHAINS)):
                ok, out = cli(["address", "--chain", target, text])
                self.assertEqual(binding(waas.canonical_address, target, text), (ok, out.strip() if ok else out))

    def test_amounts(self):
        digits = "0123456789"
        for _ in range(60):
            d = self.rng.choice([0, 2, 6, 8, 18, 27, 28, 29])
            whole = "".join(self.rng.choice(digits) for _ in range(self.rng.randrange(1, 32)))
            frac = "".join(self.rng.choice(digits) for _ in range(self.rng.randrange(0, 30)))
            amount = whole + ("." + frac if frac else "")
            if self.rng.random() < 0.1:
                amount = self.rng.choice(["-1", "1e3", " 1", "", "1.", "abc"])
            ok, out = cli(["amount", "--decimals", str(d), "--to-base", amount])
            self.assertEqual(binding(waas.to_base_units, amount, d), (ok, out.strip() if ok else out), (amount, d))
            ok, out = cli(["amount", "--decimals", str(d), "--from-base", whole])
            self.assertEqual(binding(waas.from_base_units, whole, d), (ok, out.strip() if ok else out), (whole, d))

    def test_webhook_sign_verify_and_envelopes(self):
        secret = "whsec_" + __import__("base64").b64encode(bytes(self.rng.randrange(256) for _ in range(24))).decode()
        for i in range(15):
            msg_id, ts = f"msg_{i}_{self.rng.randrange(10**9)}", self.rng.randrange(10**9, 2 * 10**9)
            body = json.dumps({"n": self.rng.random(), "s": "é" * i})
            ok, out = cli(["webhook", "sign", "--secret", secret, "--id", msg_id, "--timestamp", str(ts)], body.encode())
            self.assertTrue(ok)
            sig = out.strip().splitlines()[-1].split(": ", 1)[1]
            self.assertEqual(waas.sign_webhook(secret, msg_id, ts, body), sig)
            now = ts + self.rng.choice([0, 299, 301, -301, 5])
            ok, out = cli(["webhook", "verify", "--secret", secret, "--id", msg_id, "--timestamp", str(ts),
                           "--signature", sig, f"--now={now}"], body.encode())
            self.assertEqual(binding(waas.verify_webhook, secret, msg_id, ts, body, sig, now), (ok, None if ok else out))
        with open(os.path.join(VECTORS, "webhooks.json"), encoding="utf-8") as f:
            envelopes = json.load(f)["envelopes"]
        for c in envelopes:
            text = c["input_text"] if "input_text" in c else json.dumps(c["input"])
            for lenient in (False, True):
                ok, out = cli(["webhook", "check"] + (["--lenient"] if lenient else []), text.encode())
                self.assertEqual(binding(waas.check_envelope, text, lenient), (ok, out.rstrip("\n") if ok else out), c["name"])

    def test_ledger_replay_is_byte_identical(self):
        folder = os.path.join(VECTORS, "ledger")
        for name in sorted(os.listdir(folder)):
            if name.endswith(".jsonl") and not name.endswith(".expected.jsonl"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    text = f.read()
                ok, out = cli(["ledger", "replay"], text.encode())
                self.assertTrue(ok, out)
                self.assertEqual(waas.replay_ledger(text), out, name)


if __name__ == "__main__":
    unittest.main()
