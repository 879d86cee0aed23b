#!/usr/bin/env python3
"""Generates tests/vectors/journal.json: journal exports and what verifying them gives.

The hashes are made here, by this independent implementation of the rule in docs/LEDGER.md
("The journal"), with nothing but the standard library; the Rust, Node, Python and Kotlin suites
check that waas agrees on every case. Deterministic; rerun only to change the vectors:

    python3 tests/vectors/tools/gen_journal.py
"""

import hashlib
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "journal.json")
GENESIS = "0" * 64
CLIENT = "cli_demo"


def entry_hash(e):
    fields = ["waas-journal-v1", e["client_id"], str(e["seq"]), e["movement_id"], e["account"],
              e["token"], e["posted"], e["pending"], e["posted_after"], e["pending_after"],
              e["created_at"], e["prev_hash"]]
    return hashlib.sha256("\n".join(fields).encode()).hexdigest()


def add(a, b):
    """Sum of two decimal strings, normalized (no trailing zeros), as rust_decimal prints it."""
    from decimal import Decimal
    v = Decimal(a) + Decimal(b)
    s = format(v.normalize(), "f")
    return "0" if s in ("-0", "0") else s


def chain(postings, start_seq=1, prev=GENESIS):
    """postings: (movement, account, token, posted, pending, posted_after, pending_after, time)."""
    out = []
    for i, (mv, acc, tok, p, q, pa, qa, t) in enumerate(postings):
        e = {"seq": start_seq + i, "id": str(start_seq + i), "client_id": CLIENT, "movement_id": mv,
             "account": acc, "token": tok, "amount": add(p, q), "posted": p, "pending": q,
             "balance_after": add(pa, qa), "posted_after": pa, "pending_after": qa,
             "created_at": t, "prev_hash": prev}
        e["hash"] = entry_hash(e)
        prev = e["hash"]
        out.append(e)
    return out


def text(entries):
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries)


T1, T2, T3 = "2026-12-01T10:00:00.000Z", "2026-12-01T10:00:05.250Z", "2026-12-01T10:01:00.999Z"
BOOKS = [
    # a deposit of 25 USDT, pending
    ("dep-1", "system:external/ethereum/USDT", "USDT", "0", "-25", "0", "-25", T1),
    ("dep-1", "wallet:vw_1", "USDT", "0", "25", "0", "25", T1),
    ("dep-1", "system:chain/ethereum/USDT", "USDT", "0", "-25", "0", "-25", T1),
    ("dep-1", "onchain:vw_1", "USDT", "0", "25", "0", "25", T1),
    # confirmed
    ("dep-1", "system:external/ethereum/USDT", "USDT", "-25", "25", "-25", "0", T2),
    ("dep-1", "wallet:vw_1", "USDT", "25", "-25", "25", "0", T2),
    # a transfer of 2.5 to another wallet
    ("t-1", "wallet:vw_1", "USDT", "-2.5", "0", "22.5", "0", T3),
    ("t-1", "wallet:vw_2", "USDT", "2.5", "0", "2.5", "0", T3),
    # a card payment in USD
    ("pay-1", "wallet:card_1", "USD", "-0.01", "0", "9.99", "0", T3),
    ("pay-1", "system:external/USD", "USD", "0.01", "0", "-9.99", "0", T3),
]


def main():
    # the card had 9.99 + 0.01 before: its journal starts later (a period), so only the part
    # from entry 1 to 8 is complete
    full = chain(BOOKS[:8])
    cases = [
        {"name": "a complete journal: deposit, confirmation, transfer", "jsonl": text(full),
         "expected": {"ok": "ok 8 entries"}},
        {"name": "a period: entries 5 to 8 (opening balances taken from the first entries)",
         "jsonl": text(full[4:]), "expected": {"ok": "ok 4 entries"}},
        {"name": "a period that opens on a card with a balance",
         "jsonl": text(chain(BOOKS[8:], start_seq=9, prev=full[-1]["hash"])),
         "expected": {"ok": "ok 2 entries"}},
        {"name": "nothing to verify", "jsonl": "", "expected": {"ok": "ok 0 entries"}},
    ]
    # one digit of an amount changed: the hash no longer matches
    bad = [dict(e) for e in full]
    bad[6]["posted"], bad[6]["amount"] = "-3.5", "-3.5"
    cases.append({"name": "an amount changed by one digit", "jsonl": text(bad),
                  "expected": {"error": "JOURNAL_MISMATCH", "line": 7}})
    # a balance changed and the hash made again: the running balance does not follow
    bad = [dict(e) for e in full]
    bad[5]["posted_after"], bad[5]["balance_after"] = "26", "26"
    bad[5]["hash"] = entry_hash(bad[5])
    cases.append({"name": "a balance changed with its hash made again", "jsonl": text(bad),
                  "expected": {"error": "JOURNAL_MISMATCH", "line": 6}})
    # an entry removed: the next one no longer follows
    cases.append({"name": "an entry removed", "jsonl": text(full[:3] + full[4:]),
                  "expected": {"error": "JOURNAL_MISMATCH", "line": 4}})
    # a chain rebuilt without one leg: every hash is right, the movement does not balance
    lone = chain(BOOKS[:6] + BOOKS[7:8])
    cases.append({"name": "a movement that does not sum to zero", "jsonl": text(lone),
                  "expected": {"error": "JOURNAL_MISMATCH", "line": 7}})
    cases.append({"name": "not a journal entry", "jsonl": "{\"seq\":1}\n",
                  "expected": {"error": "JOURNAL_MISMATCH", "line": 1}})
    doc = {
        "description": "Journal exports (GET /v1/journal/export) and what verifying them gives "
                       "(waas ledger verify, verifyJournal, verify_journal): 'ok N entries', or the "
                       "error code and the line of the first entry that does not match. Hashes made "
                       "by tests/vectors/tools/gen_journal.py from the rule in docs/LEDGER.md.",
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
