"""waas from Python: PYTHONPATH=<repo>/target/bindings/python python3 example.py
(after bindings/build.sh)"""
import waas

# The account xpub of a holding wallet (m/44'/60'/0'/0); in production it comes from your server.
XPUB = ("xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr")

print("deposit address 0:", waas.derive_address("ethereum", XPUB, 0))
print("addresses 1..3:", " ".join(waas.derive_addresses("ethereum", XPUB, 1, 3)))
key = waas.DepositKey("tron", XPUB)  # object form: parse once, derive many
print("tron address 0:", key.derive_address(0))
print("canonical:", waas.canonical_address("ethereum", "0x9858effd232b4033e47d90003d41ec34ecaeda94"))
print("12.5 USDT in base units:", waas.to_base_units("12.5", 6))
print("1 wei in ETH:", waas.from_base_units("1", 18))
try:
    waas.to_base_units("1.1234567", 6)
except waas.WaasError as e:
    assert e.kind() == waas.ErrorCode.INVALID_AMOUNT  # the same code, typed
    print("refused:", e.code)  # INVALID_AMOUNT

# Webhooks (Standard Webhooks): sign as the platform does, verify as a receiver must.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = '{"operation":"VIRTUAL_WALLET","sub_operation":"DEPOSIT","operation_id":"op-1","status":"SUCCESS","data":{}}'
signature = waas.sign_webhook(SECRET, "msg_1", 1700000000, BODY)
waas.verify_webhook(SECRET, "msg_1", 1700000000, BODY, signature, 1700000005)  # raises if invalid
print("webhook verified; envelope:", waas.check_envelope(BODY, False))

# Ledger scenario replay: one answer per line, then the state; reserve_report gives the reserves alone.
scenario = "\n".join([
    '{"op":"create_account","client":"c1","account":"a1"}',
    '{"op":"create_virtual_wallet","account":"a1","wallet":"vw1","blockchain":"ethereum"}',
    '{"op":"deposit","tx":"0x1:0","to":"vw1","token":"USDT","amount":"25"}',
])
print("replay:", len(waas.replay_ledger(scenario).strip().split("\n")), "lines")
print("reserves:", waas.reserve_report(scenario))
