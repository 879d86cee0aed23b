#!/usr/bin/env python3
"""Writes tests/vectors/amounts.json: decimal amount <-> integer base units, good and bad, with the
expected values computed here by plain integer arithmetic (independent of waas and of rust_decimal).

    python3 tests/vectors/tools/gen_amounts.py
"""
import json
import os

MAX_MANTISSA = 2**96 - 1  # the 28-digit limit of the core's exact decimals (README "Amounts")
U128 = 2**128 - 1


def to_units(text, decimals):
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    assert len(frac) <= decimals
    return int(whole + frac.ljust(decimals, "0") or "0")


def from_units(units, decimals):
    n = int(units)
    if decimals == 0:
        return str(n)
    s = str(n).rjust(decimals + 1, "0")
    whole, frac = s[:-decimals], s[-decimals:].rstrip("0")
    return whole + ("." + frac if frac else "")


TO_BASE = [
    ("12.5", 6), ("0", 6), ("0.000000", 6), ("007.10", 6), ("1.123456", 6), ("1.1234560", 6),
    ("5", 0), ("1.5", 18), ("0.000000000000000001", 18), ("1", 18), ("100", 2), ("0.01", 2),
    ("123456789.123456789", 9), ("1000000", 6), ("79228162514264337593543950335", 0),
    ("79228162514.264337593543950335", 18),  # the largest mantissa (2^96 - 1)
    ("340282366920.938463463374607431", 27),  # inside u128 base units, beyond 28 digits: refused
    ("0.5", 28), ("21000000", 8), ("1234567890123456789", 18),
]
FROM_BASE = [
    ("12500000", 6), ("1", 18), ("0", 18), ("0", 0), ("100", 2), ("1000000000000000000", 18),
    ("100000000000000000000000000000000", 18), ("79228162514264337593543950335", 0),
    ("79228162514264337593543950335", 28), ("000123", 2), ("5", 0), ("123456789", 9),
    ("340282366920938463463374607431768211455", 20),  # u128::MAX, round enough? no: see bad cases
]
BAD_TO_BASE = [
    ("", 6), (" 1", 6), ("1 ", 6), ("-1", 6), ("+1", 6), ("1e5", 6), ("1.", 6), (".5", 6), ("abc", 6),
    ("1.2.3", 6), ("0x10", 6), ("NaN", 6), ("1,5", 6), ("١", 6), ("1.1234567", 6), ("0.1", 0),
    ("1", 29), ("9" * 200, 6), ("79228162514264337593543950336", 0),
    ("7922816251426433759354395033.51", 2),
    ("7922816251426433759354395033", 18),  # fits a decimal, not u128 base units
    ("1", 255),
]
BAD_FROM_BASE = [
    ("-1", 6), ("1.5", 6), ("", 6), (" 1", 6), ("1e3", 6), ("abc", 6),
    ("123456789012345678901234567890123", 18), ("1", 29), ("1" + "0" * 200, 6),
]


def main():
    good_to, good_from, bad = [], [], []
    for text, d in TO_BASE:
        units = to_units(text, d)
        mantissa = int((text.partition(".")[0] + text.partition(".")[2].rstrip("0")) or "0")
        if mantissa > MAX_MANTISSA:
            bad.append({"op": "toBaseUnits", "input": text, "decimals": d, "code": "INVALID_AMOUNT"})
            continue
        assert units <= U128
        good_to.append({"amount": text, "decimals": d, "units": str(units)})
    for units, d in FROM_BASE:
        n = int(units)
        # the core keeps 28 significant digits exactly: trailing zeros of the units may be dropped
        m = n
        scale = d
        while scale > 0 and m and m % 10 == 0:
            m //= 10
            scale -= 1
        if m > MAX_MANTISSA:
            bad.append({"op": "fromBaseUnits", "input": units, "decimals": d, "code": "INVALID_AMOUNT"})
            continue
        good_from.append({"units": units, "decimals": d, "amount": from_units(units, d)})
    bad += [{"op": "toBaseUnits", "input": t, "decimals": d, "code": "INVALID_AMOUNT"} for t, d in BAD_TO_BASE]
    bad += [{"op": "fromBaseUnits", "input": u, "decimals": d, "code": "INVALID_AMOUNT"} for u, d in BAD_FROM_BASE]
    out = {
        "format": "waas.amounts.v1",
        "source": "tests/vectors/tools/gen_amounts.py (integer arithmetic in Python, independent of waas); "
                  "rules: README 'Amounts' (no sign, exponent or blanks; at most the token's decimals; "
                  "28 significant digits; base units up to 2^128)",
        "to_base_units": good_to, "from_base_units": good_from, "errors": bad,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "amounts.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote amounts.json:", len(good_to), len(good_from), len(bad))


if __name__ == "__main__":
    main()
