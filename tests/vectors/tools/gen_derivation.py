#!/usr/bin/env python3
"""Writes tests/vectors/derivation.json and addresses.json from an implementation independent of
waas: BIP-39 seeds (hashlib PBKDF2), BIP-32 (HMAC-SHA512 and secp256k1 arithmetic written here),
Keccak-256 (pycryptodome), EIP-55 and Tron base58check (written here).

    pip install pycryptodome && python3 tests/vectors/tools/gen_derivation.py
"""
import hashlib
import hmac
import json
import os

from Crypto.Hash import keccak

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return x, (lam * (a[0] - x) - a[1]) % P


def mul(k, point=G):
    out = None
    while k:
        if k & 1:
            out = add(out, point)
        point = add(point, point)
        k >>= 1
    return out


def ser(point):
    return bytes([2 + (point[1] & 1)]) + point[0].to_bytes(32, "big")


def keccak256(data):
    return keccak.new(digest_bits=256, data=data).digest()


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58check(payload):
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def hash160(data):
    return hashlib.new("ripemd160", hashlib.sha256(data).digest()).digest()


def seed_of(mnemonic, passphrase):
    return hashlib.pbkdf2_hmac("sha512", mnemonic.encode(), ("mnemonic" + passphrase).encode(), 2048)


def master(seed):
    i = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    return int.from_bytes(i[:32], "big"), i[32:]


def ckd_priv(k, c, index):
    pub = ser(mul(k))
    data = (b"\0" + k.to_bytes(32, "big") if index >= 2**31 else pub) + index.to_bytes(4, "big")
    i = hmac.new(c, data, hashlib.sha512).digest()
    return (int.from_bytes(i[:32], "big") + k) % N, i[32:]


def xpub_string(depth, parent_fp, index, chain_code, point):
    payload = (bytes.fromhex("0488B21E") + bytes([depth]) + parent_fp + index.to_bytes(4, "big")
               + chain_code + ser(point))
    return b58check(payload)


def account(mnemonic, passphrase, coin, acct):
    """(xpub string, private key, chain code) of m/44'/coin'/acct'/0."""
    k, c = master(seed_of(mnemonic, passphrase))
    path = [44 + 2**31, coin + 2**31, acct + 2**31, 0]
    parent_fp = b"\0" * 4
    for idx in path:
        parent_fp = hash160(ser(mul(k)))[:4]
        k, c = ckd_priv(k, c, idx)
    return xpub_string(4, parent_fp, path[-1], c, mul(k)), k, c


def child_point(k, c, index):
    ck, _ = ckd_priv(k, c, index)  # private derivation: the xpub side must agree with it
    return mul(ck)


def raw_address(point):
    xy = point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")
    return keccak256(xy)[12:]


def eip55(raw):
    h = raw.hex()
    d = keccak256(h.encode()).hex()
    return "0x" + "".join(ch.upper() if int(d[i], 16) >= 8 else ch for i, ch in enumerate(h))


def tron(raw):
    return b58check(b"\x41" + raw)


FAMILIES = {"evm": (60, eip55), "tron": (195, tron)}
MNEMONICS = [
    ("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", ""),
    ("legal winner thank year wave sausage worth useful legal winner thank yellow", "TREZOR"),
    ("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote", ""),
]
# (chain id as given, family, account, indices)
CHAINS = [("ethereum", "evm", 0), ("tron", "tron", 0), ("polygon", "evm", 1), ("trx", "tron", 2)]
INDICES = [0, 1, 2, 19, 1000, 2147483647]


def derivation():
    cases = []
    for mnemonic, passphrase in MNEMONICS:
        for chain, fam, acct in CHAINS:
            coin, fmt = FAMILIES[fam]
            xpub, k, c = account(mnemonic, passphrase, coin, acct)
            cases.append({
                "mnemonic": mnemonic, "passphrase": passphrase, "chain": chain, "account": acct,
                "path": f"m/44'/{coin}'/{acct}'/0", "xpub": xpub,
                "addresses": [{"index": i, "address": fmt(raw_address(child_point(k, c, i)))}
                              for i in INDICES],
                # batch: start, count -> first and last (the suite also compares with singles)
                "batch": {"start": 5, "count": 20,
                          "first": fmt(raw_address(child_point(k, c, 5))),
                          "last": fmt(raw_address(child_point(k, c, 24)))},
            })
    # Well-known published values, as a cross-check of this script itself.
    assert cases[0]["addresses"][0]["address"] == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    assert cases[1]["addresses"][0]["address"] == "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
    eth_xpub = cases[0]["xpub"]
    bip32_xprv = ("xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3"
                  "TGtRBeJgk33yuGBxrMPHi")
    errors = [
        {"what": "hardened index", "chain": "ethereum", "xpub": eth_xpub, "index": 2**31, "code": "INVALID_INDEX"},
        {"what": "largest index", "chain": "ethereum", "xpub": eth_xpub, "index": 2**32 - 1, "code": "INVALID_INDEX"},
        {"what": "batch into the hardened range", "chain": "tron", "xpub": eth_xpub, "start": 2**31 - 2,
         "count": 3, "code": "INVALID_INDEX"},
        {"what": "batch too large", "chain": "ethereum", "xpub": eth_xpub, "start": 0, "count": 1000001,
         "code": "INVALID_ARGUMENT"},
        {"what": "xprv instead of xpub", "chain": "ethereum", "xpub": bip32_xprv, "index": 0, "code": "INVALID_KEY"},
        {"what": "bad xpub checksum", "chain": "ethereum", "xpub": eth_xpub[:-1] + ("Z" if eth_xpub[-1] != "Z" else "Y"),
         "index": 0, "code": "INVALID_KEY"},
        {"what": "junk", "chain": "ethereum", "xpub": "not-a-key", "index": 0, "code": "INVALID_KEY"},
        {"what": "empty", "chain": "ethereum", "xpub": "", "index": 0, "code": "INVALID_KEY"},
        {"what": "unknown chain", "chain": "bitcoin", "xpub": eth_xpub, "index": 0, "code": "UNKNOWN_CHAIN"},
    ]
    return {
        "format": "waas.derivation.v1",
        "source": "tests/vectors/tools/gen_derivation.py: BIP-39/BIP-32/secp256k1/EIP-55/base58check written "
                  "independently of waas in Python (Keccak from pycryptodome); checked against the "
                  "published m/44'/60'/0'/0/0 address of the 'abandon ... about' mnemonic",
        "cases": cases, "errors": errors,
    }


def addresses():
    k, c = master(seed_of(MNEMONICS[0][0], ""))
    raws = [raw_address(mul(i * 7919 + 1)) for i in range(1, 5)]
    good, bad = [], []
    # EIP-55's own examples (https://eips.ethereum.org/EIPS/eip-55)
    for a in ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
              "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]:
        assert eip55(bytes.fromhex(a[2:])) == a
    for raw in raws:
        canon = eip55(raw)
        for chain in ["ethereum", "bsc"]:
            good.append({"chain": chain, "input": canon, "canonical": canon})
        good.append({"chain": "ethereum", "input": "0x" + raw.hex(), "canonical": canon})
        good.append({"chain": "base", "input": "0x" + raw.hex().upper(), "canonical": canon})
        t = tron(raw)
        good.append({"chain": "tron", "input": t, "canonical": t})
        good.append({"chain": "tron-nile", "input": "41" + raw.hex(), "canonical": t})
        # a wrong EIP-55 mixed case: flip the case of the first letter
        i = next(i for i, ch in enumerate(canon[2:], 2) if ch.isalpha())
        flipped = canon[:i] + canon[i].swapcase() + canon[i + 1:]
        bad.append({"chain": "ethereum", "input": flipped, "code": "INVALID_ADDRESS"})
        # a Tron address with one character changed (checksum breaks)
        j = 5
        alt = "2" if t[j] != "2" else "3"
        bad.append({"chain": "tron", "input": t[:j] + alt + t[j + 1:], "code": "INVALID_ADDRESS"})
        # an EVM address given for Tron and the reverse
        bad.append({"chain": "tron", "input": canon, "code": "INVALID_ADDRESS"})
        bad.append({"chain": "ethereum", "input": t, "code": "INVALID_ADDRESS"})
    bad += [
        {"chain": "ethereum", "input": "", "code": "INVALID_ADDRESS"},
        {"chain": "ethereum", "input": "0x123", "code": "INVALID_ADDRESS"},
        {"chain": "ethereum", "input": "0x" + "g" * 40, "code": "INVALID_ADDRESS"},
        {"chain": "tron", "input": "T" + "0" * 33, "code": "INVALID_ADDRESS"},
        {"chain": "tron", "input": b58check(b"\x42" + raws[0]), "code": "INVALID_ADDRESS"},
        {"chain": "dogecoin", "input": eip55(raws[0]), "code": "UNKNOWN_CHAIN"},
    ]
    return {
        "format": "waas.addresses.v1",
        "source": "tests/vectors/tools/gen_derivation.py (EIP-55 and base58check written independently of waas)",
        "valid": good, "invalid": bad,
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, data in [("derivation.json", derivation()), ("addresses.json", addresses())]:
        with open(os.path.join(here, "..", name), "w") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        print("wrote", name)


if __name__ == "__main__":
    main()
