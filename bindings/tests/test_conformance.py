"""Runs every file of tests/vectors/ against the uniffi Python binding (module `waas`).

bindings/test.sh runs it against the wheel (target/wheels) installed into a fresh virtualenv; by
hand, against the folder that bindings/build.sh leaves:

    PYTHONPATH=target/bindings/python python3 -m unittest discover -s bindings/tests -v

A vector file that no runner below knows fails the suite.
"""
import json
import os
import unittest

import waas

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VECTORS = os.path.join(ROOT, "tests", "vectors")
def is_vector(name):
    """Generator scripts of the vector files (tools/ and *.py) are not vectors."""
    return name != "tools" and not name.endswith(".py")


def load(name):
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)


class Base(unittest.TestCase):
    def assert_code(self, code, fn, *args):
        with self.assertRaises(waas.WaasError) as ctx:
            fn(*args)
        self.assertEqual(ctx.exception.code, code, f"{fn.__name__}{args}: {ctx.exception}")


class Runners(Base):
    """One method per vector file; `run_file` dispatches on the file name."""

    def run_derivation(self, f):
        for c in f["cases"]:
            with self.subTest(chain=c["chain"], path=c["path"], mnemonic=c["mnemonic"][:10]):
                self.assertEqual(
                    waas.account_xpub(c["chain"], c["mnemonic"], c["passphrase"], c["account"]), c["xpub"])
                for a in c["addresses"]:
                    self.assertEqual(waas.derive_address(c["chain"], c["xpub"], a["index"]), a["address"])
                b = c["batch"]
                batch = waas.derive_addresses(c["chain"], c["xpub"], b["start"], b["count"])
                self.assertEqual((len(batch), batch[0], batch[-1]), (b["count"], b["first"], b["last"]))
                key = waas.DepositKey(c["chain"], c["xpub"])
                self.assertEqual(key.derive_addresses(b["start"], b["count"]), batch)
                for i, addr in enumerate(batch):
                    self.assertEqual(key.derive_address(b["start"] + i), addr)
        for e in f["errors"]:
            with self.subTest(what=e["what"]):
                if "count" in e:
                    self.assert_code(e["code"], waas.derive_addresses, e["chain"], e["xpub"], e["start"], e["count"])
                else:
                    self.assert_code(e["code"], waas.derive_address, e["chain"], e["xpub"], e["index"])
        return len(f["cases"]) + len(f["errors"])

    def run_addresses(self, f):
        for v in f["valid"]:
            self.assertEqual(waas.canonical_address(v["chain"], v["input"]), v["canonical"], v)
        for v in f["invalid"]:
            self.assert_code(v["code"], waas.canonical_address, v["chain"], v["input"])
        return len(f["valid"]) + len(f["invalid"])

    def run_amounts(self, f):
        for v in f["to_base_units"]:
            self.assertEqual(waas.to_base_units(v["amount"], v["decimals"]), v["units"], v)
        for v in f["from_base_units"]:
            self.assertEqual(waas.from_base_units(v["units"], v["decimals"]), v["amount"], v)
        ops = {"toBaseUnits": waas.to_base_units, "fromBaseUnits": waas.from_base_units}
        for v in f["errors"]:
            self.assert_code(v["code"], ops[v["op"]], v["input"], v["decimals"])
        return len(f["to_base_units"]) + len(f["from_base_units"]) + len(f["errors"])

    def run_journal(self, f):
        for c in f["cases"]:
            want = c["expected"]
            if "ok" in want:
                self.assertEqual(waas.verify_journal(c["jsonl"]), want["ok"], c["name"])
            else:
                with self.assertRaises(waas.WaasError) as ctx:
                    waas.verify_journal(c["jsonl"])
                self.assertEqual(ctx.exception.code, want["error"], c["name"])
                self.assertTrue(ctx.exception.detail.startswith(f"line {want['line']}:"), ctx.exception.detail)
        return len(f["cases"])

    def run_bip32(self, f):
        # The binding takes xpubs, not seeds: each BIP-32 xpub is accepted, each xprv refused.
        n = 0
        for v in f["vectors"]:
            for c in v["chains"]:
                single = waas.derive_address("ethereum", c["xpub"], 0)
                self.assertEqual(waas.derive_addresses("ethereum", c["xpub"], 0, 1), [single])
                self.assert_code("INVALID_KEY", waas.derive_address, "ethereum", c["xprv"], 0)
                n += 1
        self.assertEqual(n, 14)
        return n

    def run_bip39(self, f):
        # Seeds are checked by the Rust suite; each mnemonic must give an account xpub here.
        for v in f["vectors"]:
            self.assertTrue(waas.account_xpub("ethereum", v["mnemonic"], f["passphrase"], 0).startswith("xpub"))
        self.assert_code("INVALID_MNEMONIC", waas.account_xpub, "ethereum", " ".join(["abandon"] * 12), "", 0)
        return len(f["vectors"])

    def run_webhooks(self, f):
        def body_of(c):
            return bytes.fromhex(c["body_hex"]) if "body_hex" in c else c["body"].encode()

        def plain(ts):
            return ts.isdigit() and (ts == "0" or not ts.startswith("0")) and len(ts) <= 18

        for c in f["verify"]:
            with self.subTest(verify=c["name"]):
                ok = c["expected"]["result"] == "valid"
                # the object form: header text as received, raw bytes, optional tolerance
                calls = [lambda: waas.WebhookVerifier([c["secret"]], c.get("tolerance", 300)).verify(
                    c["id"], c["timestamp"], body_of(c), c["signature"], c["now"])]
                # the function form (the JS surface): whole seconds, text body, default tolerance
                if plain(c["timestamp"]) and "body" in c and "tolerance" not in c:
                    calls.append(lambda: waas.verify_webhook(
                        c["secret"], c["id"], int(c["timestamp"]), c["body"], c["signature"], c["now"]))
                self.assertTrue(calls)
                for call in calls:
                    if ok:
                        self.assertIsNone(call())
                    else:
                        with self.assertRaises(waas.WaasError) as ctx:
                            call()
                        self.assertEqual(ctx.exception.code, c["expected"]["code"], str(ctx.exception))
        for c in f["sign"]:
            self.assertEqual(waas.sign_webhook(c["secret"], c["id"], int(c["timestamp"]), c["body"]),
                             c["expected_signature"])
        for c in f["envelopes"]:
            with self.subTest(envelope=c["name"]):
                text = c["input_text"] if "input_text" in c else json.dumps(c["input"])
                lenient = c["mode"] == "lenient"
                if c["expected"]["result"] == "valid":
                    self.assertEqual(waas.check_envelope(text, lenient), c["expected"]["normalized"])
                else:
                    with self.assertRaises(waas.WaasError) as ctx:
                        waas.check_envelope(text, lenient)
                    self.assertEqual(ctx.exception.code, c["expected"]["code"])
                    self.assertTrue(ctx.exception.detail.startswith(c["expected"]["field"]), ctx.exception.detail)
        return len(f["verify"]) + len(f["sign"]) + len(f["envelopes"])

    def run_scenarios(self, folder_name):
        """tests/vectors/{ledger,automation}/X.jsonl: replay_ledger gives X.expected.jsonl (as JSON)."""
        folder = os.path.join(VECTORS, folder_name)
        names = sorted(n for n in os.listdir(folder) if n.endswith(".jsonl") and not n.endswith(".expected.jsonl"))
        self.assertTrue(names, f"no scenario in tests/vectors/{folder_name}")

        def lines(text):
            return [json.loads(line) for line in text.split("\n") if line != ""]

        for name in names:
            with self.subTest(scenario=name):
                with open(os.path.join(folder, name), encoding="utf-8") as fh:
                    text = fh.read()
                got = lines(waas.replay_ledger(text))
                with open(os.path.join(folder, name[: -len(".jsonl")] + ".expected.jsonl"), encoding="utf-8") as fh:
                    want = lines(fh.read())
                self.assertEqual(got, want)
                # reserve_report is the state line's reserves alone
                self.assertEqual(json.loads(waas.reserve_report(text)), want[-1]["state"]["reserves"])
        return len(names)

    def run_transactions(self, f):
        # EVM transactions signed through the uniffi binding, byte for byte against eth-account.
        signed = 0
        for t in f["transactions"]:
            if not t.get("chain") or not t.get("to"):
                continue  # chains outside the registry, contract creation: the Rust suite runs them
            tx = waas.sign_transaction(t["chain"], t["private_key"], t["nonce"], t["to"], t["gas_limit"],
                                       t.get("value"), t.get("data"), t.get("gas_price"),
                                       t.get("max_fee_per_gas"), t.get("max_priority_fee_per_gas"))
            self.assertEqual(tx.raw, t["expected"]["raw"], t["name"])
            self.assertEqual(tx.hash, t["expected"]["hash"], t["name"])
            signed += 1
        self.assertGreaterEqual(signed, 70)
        for e in f["erc20_transfers"]:
            self.assertEqual(waas.erc20_transfer_data(e["to"], e["amount"]), e["expected"])
        with self.assertRaises(waas.WaasError) as ctx:
            waas.sign_transaction("ethereum", "0x" + "46" * 32, "1", "0x3535353535353535353535353535353535353535",
                                  "21000", None, None, None, None, None)
        self.assertEqual(ctx.exception.code, "INVALID_ARGUMENT")
        self.assertEqual(ctx.exception.kind(), waas.ErrorCode.INVALID_ARGUMENT)
        return signed

    DISPATCH = {
        "webhooks.json": run_webhooks,
        "ledger": run_scenarios,
        "automation": run_scenarios,
        "transactions.json": run_transactions,
        "derivation.json": run_derivation,
        "addresses.json": run_addresses,
        "amounts.json": run_amounts,
        "journal.json": run_journal,
        "bip32.json": run_bip32,
        "bip39.json": run_bip39,
    }


def make_test(name):
    def test(self):
        runner = Runners.DISPATCH.get(name)
        if runner is None:
            self.fail(f"no runner knows tests/vectors/{name}: add one to every suite")
        checks = runner(self, name if os.path.isdir(os.path.join(VECTORS, name)) else load(name))
        self.assertGreater(checks, 0, f"{name}: no case ran")
    return test


for _name in sorted(os.listdir(VECTORS)):
    if is_vector(_name):
        setattr(Runners, "test_" + _name.replace(".", "_").replace("-", "_"), make_test(_name))


class Translation(Base):
    XPUB = load("derivation.json")["cases"][0]["xpub"]

    def test_error_carries_code_and_detail(self):
        with self.assertRaises(waas.WaasError) as ctx:
            waas.canonical_address("ethereum", "0x123")
        self.assertEqual(ctx.exception.code, "INVALID_ADDRESS")
        self.assertIn("40 hex digits", ctx.exception.detail)

    def test_object_form_and_family(self):
        key = waas.DepositKey("trx", self.XPUB)
        self.assertEqual(key.family(), waas.ChainFamily.TRON)
        self.assertEqual(key.xpub(), self.XPUB)
        self.assertEqual(waas.chain_family("polygon"), waas.ChainFamily.EVM)
        self.assert_code("UNKNOWN_CHAIN", waas.DepositKey, "bitcoin", self.XPUB)

    def test_api_keys(self):
        k = waas.new_api_key("live")
        self.assertTrue(k.key.startswith("waas_live_") and k.key.startswith(k.hint))
        self.assertEqual(waas.hash_api_key(k.key), k.hash)
        self.assertEqual(k.environment, "live")
        self.assertNotEqual(waas.new_api_key("sandbox").key, waas.new_api_key("sandbox").key)
        self.assert_code("UNAUTHORIZED", waas.hash_api_key, "sk_nope")
        self.assert_code("INVALID_ARGUMENT", waas.new_api_key, "prod")

    def test_webhook_verifier_rotation(self):
        old, new = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
        sig = waas.sign_webhook(old, "msg_1", 1700000000, "body")
        waas.WebhookVerifier([new, old], 300).verify("msg_1", "1700000000", b"body", sig, 1700000000)
        with self.assertRaises(waas.WaasError) as ctx:
            waas.WebhookVerifier([new], 300).verify("msg_1", "1700000000", b"body", sig, 1700000000)
        self.assertEqual(ctx.exception.code, "INVALID_SIGNATURE")

    def test_out_of_range_integers_get_the_coded_errors_of_javascript(self):
        for index in (-1, 2**32, 2**31):
            self.assert_code("INVALID_INDEX", waas.derive_address, "ethereum", self.XPUB, index)
            self.assert_code("INVALID_INDEX", waas.DepositKey("tron", self.XPUB).derive_address, index)
        self.assert_code("INVALID_INDEX", waas.derive_addresses, "ethereum", self.XPUB, -5, 1)
        self.assert_code("INVALID_ARGUMENT", waas.derive_addresses, "ethereum", self.XPUB, 0, -1)
        for decimals in (-1, 256):
            self.assert_code("INVALID_AMOUNT", waas.to_base_units, "1", decimals)
            self.assert_code("INVALID_AMOUNT", waas.from_base_units, "1", decimals)
        self.assert_code("INVALID_ARGUMENT", waas.WebhookVerifier, ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], -1)
        self.assert_code("INVALID_INDEX", waas.account_xpub, "ethereum", "abandon " * 11 + "about", "", -1)
        # beyond 64 bits Python's own conversion refuses the value before the call
        with self.assertRaises((ValueError, OverflowError)):
            waas.derive_address("ethereum", self.XPUB, 2**64)


if __name__ == "__main__":
    unittest.main()
