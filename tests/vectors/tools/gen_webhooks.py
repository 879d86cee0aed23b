#!/usr/bin/env python3
"""Regenerates tests/vectors/webhooks.json.

Signatures are computed here with Python's standard library (hmac, hashlib, base64): an
implementation independent of the Rust one. The two published Standard Webhooks examples are
checked against their published signatures before anything is written.

    python3 tests/vectors/tools/gen_webhooks.py > tests/vectors/webhooks.json
"""
import base64, hashlib, hmac, json

def key_of(secret):
    s = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    return base64.b64decode(s)

def sig(secret, msg_id, ts, body):
    mac = hmac.new(key_of(secret), msg_id.encode() + b"." + str(ts).encode() + b"." + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()

# Published examples (Standard Webhooks reference libraries' tests).
SPEC = dict(secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id="msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp=1614265330, body='{"test": 2432232314}',
            signature="v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
RUSTLIB = dict(secret="whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", id="msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
               timestamp=1649367553, body='{"email":"test@example.com","username":"test_user"}',
               signature="v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")
for ex in (SPEC, RUSTLIB):
    assert sig(ex["secret"], ex["id"], ex["timestamp"], ex["body"].encode()) == ex["signature"], ex

# Our own inputs.
NEW = "whsec_" + base64.b64encode(bytes(range(1, 33))).decode()          # 32 bytes
OLD = "whsec_" + base64.b64encode(b"an old secret, rotated out!!").decode()
OTHER = "whsec_" + base64.b64encode(hashlib.sha256(b"someone else").digest()).decode()
ID = "evt_01HZX3WAAS0000000000000001"
TS = 1700000000
BODY = '{"operation":"VIRTUAL_WALLET","sub_operation":"DEPOSIT","operation_id":"op-1","status":"SUCCESS","data":{"amount":"12.5","token":"USDT"}}'
B = BODY.encode()
S_NEW = sig(NEW, ID, TS, B)
S_OLD = sig(OLD, ID, TS, B)

cases = []
def case(name, *, secret=NEW, id=ID, timestamp=str(TS), signature=S_NEW, body=BODY, body_hex=None,
         now=TS, tolerance=None, error=None):
    c = {"name": name, "secret": secret, "id": id, "timestamp": timestamp, "signature": signature}
    if body_hex is not None:
        c["body_hex"] = body_hex
    else:
        c["body"] = body
    c["now"] = now
    if tolerance is not None:
        c["tolerance"] = tolerance
    c["expected"] = {"result": "error", "code": error} if error else {"result": "valid"}
    cases.append(c)

for label, ex in (("standard webhooks published example (libraries' sign test)", SPEC),
                  ("standard webhooks rust library example", RUSTLIB)):
    case(label, secret=ex["secret"], id=ex["id"], timestamp=str(ex["timestamp"]),
         signature=ex["signature"], body=ex["body"], now=ex["timestamp"])
case("published example, secret without the whsec_ prefix (accepted like the reference libraries)",
     secret=SPEC["secret"][6:], id=SPEC["id"], timestamp=str(SPEC["timestamp"]), signature=SPEC["signature"],
     body=SPEC["body"], now=SPEC["timestamp"])
case("published example, body changed by one character", secret=SPEC["secret"], id=SPEC["id"],
     timestamp=str(SPEC["timestamp"]), signature=SPEC["signature"], body='{"test": 2432232315}',
     now=SPEC["timestamp"], error="INVALID_SIGNATURE")
case("valid delivery")
case("valid, signature without base64 padding", signature=S_NEW.rstrip("="))
case("tampered body: trailing newline added", body=BODY + "\n", error="INVALID_SIGNATURE")
case("tampered body: amount changed", body=BODY.replace("12.5", "92.5"), error="INVALID_SIGNATURE")
case("tampered body: empty", body="", error="INVALID_SIGNATURE")
case("tampered id", id=ID[:-1] + "2", error="INVALID_SIGNATURE")
case("tampered timestamp (within tolerance)", timestamp=str(TS + 1), now=TS + 1, error="INVALID_SIGNATURE")
case("wrong secret", secret=OTHER, error="INVALID_SIGNATURE")
case("empty body signed", body="", signature=sig(NEW, ID, TS, b""))
case("binary (non UTF-8) body", body_hex="00ff80fe0a", signature=sig(NEW, ID, TS, bytes.fromhex("00ff80fe0a")))
case("old timestamp exactly at the tolerance (300 s) is accepted", now=TS + 300)
case("replay: timestamp 301 s old", now=TS + 301, error="TIMESTAMP_OUT_OF_TOLERANCE")
case("replay: timestamp one day old", now=TS + 86400, error="TIMESTAMP_OUT_OF_TOLERANCE")
case("future timestamp exactly at the tolerance is accepted", now=TS - 300)
case("future timestamp 301 s ahead", now=TS - 301, error="TIMESTAMP_OUT_OF_TOLERANCE")
case("custom tolerance 10 s: 10 s old accepted", now=TS + 10, tolerance=10)
case("custom tolerance 10 s: 11 s old refused", now=TS + 11, tolerance=10, error="TIMESTAMP_OUT_OF_TOLERANCE")
case("stale and badly signed: the timestamp is checked first", now=TS + 1000, secret=OTHER,
     error="TIMESTAMP_OUT_OF_TOLERANCE")
case("rotation: old and new signatures, receiver has the new secret", signature=f"{S_OLD} {S_NEW}")
case("rotation: old and new signatures, receiver still has the old secret", secret=OLD, signature=f"{S_NEW} {S_OLD}")
case("rotation: receiver has neither secret", secret=OTHER, signature=f"{S_OLD} {S_NEW}", error="INVALID_SIGNATURE")
case("several spaces between signatures", signature=f"{S_OLD}   {S_NEW}")
case("v1a (asymmetric) entry is ignored, v1 entry matches",
     signature="v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== " + S_NEW)
case("only a v1a entry", signature="v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==",
     error="INVALID_SIGNATURE")
case("right value under another version (v2)", signature="v2," + S_NEW[3:], error="INVALID_SIGNATURE")
case("malformed: empty signature header", signature="", error="INVALID_SIGNATURE")
case("malformed: version only", signature="v1", error="INVALID_SIGNATURE")
case("malformed: no value", signature="v1,", error="INVALID_SIGNATURE")
case("malformed: value without version", signature=S_NEW[3:], error="INVALID_SIGNATURE")
case("malformed: not base64", signature="v1,dawfeoifkpqwoekfpqoekf", error="INVALID_SIGNATURE")
case("malformed: truncated signature", signature=S_NEW[:8], error="INVALID_SIGNATURE")
case("malformed: signature with one character changed", signature=S_NEW[:10] + ("A" if S_NEW[10] != "A" else "B") + S_NEW[11:],
     error="INVALID_SIGNATURE")
case("malformed: hex instead of base64", signature="v1," + base64.b64decode(S_NEW[3:]).hex(), error="INVALID_SIGNATURE")
case("malformed timestamp: letters", timestamp="abc", error="INVALID_SIGNATURE")
case("malformed timestamp: empty", timestamp="", error="INVALID_SIGNATURE")
case("malformed timestamp: negative", timestamp="-1700000000", error="INVALID_SIGNATURE")
case("malformed timestamp: fractional", timestamp="1700000000.5", error="INVALID_SIGNATURE")
case("malformed timestamp: leading zero", timestamp="01700000000", error="INVALID_SIGNATURE")
case("malformed timestamp: surrounding space", timestamp=" 1700000000", error="INVALID_SIGNATURE")
case("malformed timestamp: milliseconds overflow i64", timestamp="99999999999999999999", error="INVALID_SIGNATURE")
case("malformed id: empty", id="", error="INVALID_SIGNATURE")
case("malformed id: control character", id="evt\n1", error="INVALID_SIGNATURE")
case("malformed secret: prefix only", secret="whsec_", error="INVALID_SECRET")
case("malformed secret: empty", secret="", error="INVALID_SECRET")
case("malformed secret: not base64", secret="whsec_not base64!!", error="INVALID_SECRET")

sign_cases = []
for ex in (SPEC, RUSTLIB):
    sign_cases.append({"secret": ex["secret"], "id": ex["id"], "timestamp": ex["timestamp"], "body": ex["body"],
                       "expected_signature": ex["signature"]})
sign_cases.append({"secret": NEW, "id": ID, "timestamp": TS, "body": BODY, "expected_signature": S_NEW})
sign_cases.append({"secret": OLD, "id": ID, "timestamp": TS, "body": BODY, "expected_signature": S_OLD})
sign_cases.append({"secret": NEW, "id": "msg_0", "timestamp": 0, "body": "", "expected_signature": sig(NEW, "msg_0", 0, b"")})

# Envelopes --------------------------------------------------------------------------------
def normalized(env):
    out = '{"operation":%s,"sub_operation":%s,"operation_id":%s,"status":%s' % tuple(
        json.dumps(env[k], ensure_ascii=False) for k in ("operation", "sub_operation", "operation_id", "status"))
    if env.get("reason") is not None:
        out += ',"reason":' + json.dumps(env["reason"], ensure_ascii=False)
    out += ',"data":' + json.dumps(env["data"], ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "}"
    return out

def base(**over):
    e = {"operation": "VIRTUAL_WALLET", "sub_operation": "DEPOSIT", "operation_id": "op-123",
         "status": "SUCCESS", "data": {"wallet_id": "vw_1", "amount": "12.5", "token": "USDT"}}
    for k, v in over.items():
        if v is DROP:
            e.pop(k, None)
        else:
            e[k] = v
    return e

DROP = object()
envs = []
def env(name, input, mode="strict", error_field=None, normalized_as=None, input_text=None):
    c = {"name": name, "mode": mode}
    if input_text is not None:
        c["input_text"] = input_text
    else:
        c["input"] = input
    if error_field:
        c["expected"] = {"result": "error", "code": "INVALID_WEBHOOK", "field": error_field}
    else:
        n = dict(input)
        n.update(normalized_as or {})
        c["expected"] = {"result": "valid", "normalized": normalized(n)}
    envs.append(c)

SEED = {"operation": "TREASURY", "sub_operation": "DEPOSIT",
        "operation_id": "ca0c57d2-b1c9-4bcd-9d5d-8d361cad6fddds1c", "status": "FINISHED", "data": {}}
env("valid deposit", base())
for mode in ("strict", "lenient"):
    env(f"{mode}: nested data keys are sorted in the normalized form",
        base(data={"z": 1, "a": {"y": [{"b": 2, "a": 1}], "x": None}, "m": "é"}), mode=mode)
env("CANCELLED", base(status="CANCELLED"))
env("FAILED with a reason", base(status="FAILED", reason="insufficient funds"))
env("SUCCESS may carry a reason", base(reason="note"))
env("reason null is the same as absent", base(reason=None))
env("empty data object", base(data={}))
env("automation alert", base(sub_operation="ALERT", data={"rule_id": "r1"}))
env("card transaction", base(operation="CARD", sub_operation="TRANSACTION"))
env("virtual card transaction", base(operation="VIRTUAL_CARD", sub_operation="TRANSACTION"))
env("holding wallet sweep", base(operation="HOLDING_WALLET", sub_operation="SWEEP"))
env("treasury withdrawal", base(operation="TREASURY", sub_operation="WITHDRAWAL"))
env("account created", base(operation="ACCOUNT", sub_operation="CREATED"))
env("wallet deactivated", base(sub_operation="DEACTIVATED"))
env("operation_id of 128 characters", base(operation_id="x" * 128))
env("operation_id of 128 non-ASCII characters (counted in characters)", base(operation_id="é" * 128))
env("seed example (status FINISHED) in strict mode", SEED, error_field="status")
env("seed example in lenient mode: FINISHED is read as SUCCESS", SEED, mode="lenient", normalized_as={"status": "SUCCESS"})
env("unknown operation, strict", base(operation="LOTTERY"), error_field="operation")
env("unknown operation, lenient", base(operation="LOTTERY", sub_operation="WIN"), mode="lenient")
env("unknown sub_operation, strict", base(sub_operation="TELEPORT"), error_field="sub_operation")
env("unknown sub_operation of a known operation, lenient", base(sub_operation="TELEPORT"), mode="lenient")
env("sub_operation of another operation", base(sub_operation="TRANSACTION"), error_field="sub_operation")
env("operation in lower case", base(operation="virtual_wallet"), error_field="operation")
env("empty operation, lenient", base(operation=""), mode="lenient", error_field="operation")
env("empty sub_operation, lenient", base(operation="LOTTERY", sub_operation=""), mode="lenient", error_field="sub_operation")
for field in ("operation", "sub_operation", "operation_id", "status", "data"):
    env(f"missing {field}", base(**{field: DROP}), error_field=field)
    env(f"missing {field}, lenient", base(**{field: DROP}), mode="lenient", error_field=field)
env("operation is a number", base(operation=7), error_field="operation")
env("operation is null", base(operation=None), error_field="operation")
env("sub_operation is an array", base(sub_operation=["DEPOSIT"]), error_field="sub_operation")
env("operation_id is a number", base(operation_id=123), error_field="operation_id")
env("operation_id empty", base(operation_id=""), error_field="operation_id")
env("operation_id blank", base(operation_id="   "), error_field="operation_id")
env("operation_id of 129 characters", base(operation_id="x" * 129), error_field="operation_id")
env("status in lower case", base(status="success"), error_field="status")
env("status unknown", base(status="PENDING"), error_field="status")
env("status FINISHED, strict", base(status="FINISHED"), error_field="status")
env("status FINISHED, lenient", base(status="FINISHED"), mode="lenient", normalized_as={"status": "SUCCESS"})
env("status is a boolean", base(status=True), error_field="status")
env("FAILED without a reason", base(status="FAILED"), error_field="reason")
env("FAILED without a reason, lenient", base(status="FAILED"), mode="lenient", error_field="reason")
env("FAILED with a null reason", base(status="FAILED", reason=None), error_field="reason")
env("FAILED with an empty reason", base(status="FAILED", reason=""), error_field="reason")
env("FAILED with a blank reason", base(status="FAILED", reason="  "), error_field="reason")
env("reason is a number", base(reason=5), error_field="reason")
env("data is an array", base(data=[1, 2]), error_field="data")
env("data is a string", base(data="{}"), error_field="data")
env("data is null", base(data=None), error_field="data")
env("unknown extra field, strict", dict(base(), extra=1), error_field="extra")
c = dict(base(), extra=1)
envs.append({"name": "unknown extra field, lenient: dropped", "mode": "lenient", "input": c,
             "expected": {"result": "valid", "normalized": normalized(base())}})
env("top level is an array", None, input_text="[]", error_field="envelope")
env("not JSON", None, input_text="operation=DEPOSIT", error_field="envelope")
env("empty input", None, input_text="", error_field="envelope")
env("truncated JSON", None, input_text='{"operation": "TREASURY"', error_field="envelope")

out = {
    "description": "Webhook conformance vectors for waas: Standard Webhooks signature verification and signing, "
                   "and envelope validation. Every language suite runs every case.",
    "signature_rules": {
        "signed_content": "id + '.' + timestamp + '.' + body (body: the exact bytes; 'body' is UTF-8 text, 'body_hex' raw bytes)",
        "signature": "'v1,' + base64(HMAC-SHA256(key, signed_content)); key = base64-decode(secret without the 'whsec_' prefix)",
        "header": "webhook-signature holds one or more space-separated 'version,value' entries; valid if any v1 entry matches",
        "tolerance": "|now - timestamp| <= tolerance seconds (default 300 when the case has no 'tolerance'); checked before the signature",
        "errors": "INVALID_SIGNATURE (bad header or no match), TIMESTAMP_OUT_OF_TOLERANCE, INVALID_SECRET (secret unusable)",
    },
    "verify": cases,
    "sign": sign_cases,
    "envelope_rules": {
        "input": "'input' is the envelope as a JSON value (serialize it and parse the text); 'input_text' is raw text to parse",
        "mode": "strict (default) or lenient (FINISHED read as SUCCESS, unknown operations/sub-operations accepted, unknown fields dropped)",
        "valid": "expected.normalized is the exact normalized serialization: fields operation, sub_operation, operation_id, status, "
                 "reason (only when present), data; data keys sorted recursively; no whitespace",
        "error": "expected.code is the error code; expected.field is the field the message starts with ('<field>: ...'); "
                 "'envelope' when the whole input is unusable",
    },
    "envelopes": envs,
}
print(json.dumps(out, indent=1, ensure_ascii=False))
