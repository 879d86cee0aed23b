#!/usr/bin/env python3
"""Generates tests/vectors/transactions.json with an independent implementation: eth-account.

    pip install eth-account        # tested with eth-account 0.14.0
    python3 tests/vectors/gen_tx_vectors.py

The output is deterministic (fixed seed, deterministic RFC 6979 signatures) and committed, so the
Rust tests need neither Python nor eth-account. Rerun only to add or change vectors.
"""

import hashlib
import json
import os
import random
import sys

import eth_account
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_account._utils.legacy_transactions import serializable_unsigned_transaction_from_dict
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "transactions.json")

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
U256_MAX = 2**256 - 1
U64_MAX = 2**64 - 1

# Registry chains (waas `chains`): id -> EIP-155 chain id.
CHAINS = {
    "ethereum": 1,
    "polygon": 137,
    "bsc": 56,
    "arbitrum": 42161,
    "optimism": 10,
    "base": 8453,
    "avalanche": 43114,
    "sepolia": 11155111,
    "polygon-amoy": 80002,
    "bsc-testnet": 97,
}

# Registry ERC-20 contracts (waas `tokens`).
TOKENS = {
    "ethereum": "0xdAC17F958D2ee523a2206206994597C13D831ec7",
    "polygon": "0xc2132D05D31c914a87C6611C10748AEb04B58e8F",
    "bsc": "0x55d398326f99059fF775485246999027B3197955",
    "arbitrum": "0xaf88d065e77c8cC2239327C5EDb3A432268e5831",
    "base": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
}

TRANSFER_SELECTOR = function_signature_to_4byte_selector("transfer(address,uint256)")
assert TRANSFER_SELECTOR.hex() == "a9059cbb"


def key_of(label):
    """A private key derived from a label (sha256, reduced into 1..n-1)."""
    k = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (N - 1) + 1
    return "0x" + k.to_bytes(32, "big").hex()


def erc20_transfer(to, amount):
    return TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [to, amount])


def address_of(rng):
    return to_checksum_address("0x" + rng.randbytes(20).hex())


def sign(name, key, chain, fields):
    """Signs with eth-account and returns one vector."""
    chain_id = CHAINS.get(chain, None) if isinstance(chain, str) else chain
    tx = {
        "chainId": chain_id,
        "nonce": fields["nonce"],
        "gas": fields["gas_limit"],
        "value": fields["value"],
        "data": fields["data"],
    }
    if fields.get("to") is not None:
        tx["to"] = fields["to"]
    if "gas_price" in fields:
        tx["gasPrice"] = fields["gas_price"]
        kind = "legacy"
    else:
        tx["maxFeePerGas"] = fields["max_fee_per_gas"]
        tx["maxPriorityFeePerGas"] = fields["max_priority_fee_per_gas"]
        tx["type"] = 2
        tx["accessList"] = []
        kind = "eip1559"
    signed = Account.sign_transaction(tx, key)
    if kind == "legacy":
        signing_hash = serializable_unsigned_transaction_from_dict(dict(tx)).hash()
    else:
        signing_hash = TypedTransaction.from_dict(dict(tx)).hash()
    vector = {
        "name": name,
        "private_key": key,
        "sender": Account.from_key(key).address,
        "chain": chain if isinstance(chain, str) else None,
        "chain_id": chain_id,
        "type": kind,
        "nonce": fields["nonce"],
        "to": fields.get("to"),
        "value": str(fields["value"]),
        "gas_limit": fields["gas_limit"],
        "data": "0x" + fields["data"].hex(),
    }
    if kind == "legacy":
        vector["gas_price"] = str(fields["gas_price"])
    else:
        vector["max_fee_per_gas"] = str(fields["max_fee_per_gas"])
        vector["max_priority_fee_per_gas"] = str(fields["max_priority_fee_per_gas"])
    vector["expected"] = {
        "signing_hash": "0x" + bytes(signing_hash).hex(),
        "v": signed.v,
        "r": str(signed.r),
        "s": str(signed.s),
        "raw": "0x" + bytes(signed.raw_transaction).hex(),
        "hash": "0x" + bytes(signed.hash).hex(),
    }
    assert bytes(signed.hash) == keccak(bytes(signed.raw_transaction))
    assert signed.s <= N // 2
    return vector


def main():
    rng = random.Random(20240607)
    vectors = []
    keys = [key_of(f"waas tx vector key {i}") for i in range(8)]
    keys += ["0x" + (1).to_bytes(32, "big").hex(), "0x" + (N - 1).to_bytes(32, "big").hex()]

    # The EIP-155 example, as a cross-check of the generator itself.
    v = sign(
        "eip155 example",
        "0x" + "46" * 32,
        "ethereum",
        dict(nonce=9, gas_price=20 * 10**9, gas_limit=21000,
             to="0x3535353535353535353535353535353535353535", value=10**18, data=b""),
    )
    assert v["expected"]["raw"].startswith("0xf86c098504a817c800825208")
    vectors.append(v)

    # Edge cases, both types.
    base_to = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    edges = [
        ("zero everything", dict(nonce=0, value=0, data=b"", gas_limit=0), (0, 0, 0)),
        ("max value", dict(nonce=1, value=U256_MAX, data=b"", gas_limit=21000), (1, 10**9, 1)),
        ("max fees", dict(nonce=2, value=1, data=b"", gas_limit=21000), (U256_MAX, U256_MAX, U256_MAX)),
        ("max nonce and gas", dict(nonce=U64_MAX, value=10**18, data=b"", gas_limit=U64_MAX), (1, 2, 1)),
        ("value 2^128", dict(nonce=3, value=2**128, data=b"", gas_limit=21000), (2**128, 2**128, 2**64)),
        ("55-byte data", dict(nonce=4, value=0, data=bytes(range(55)), gas_limit=100000), (5, 5, 5)),
        ("56-byte data", dict(nonce=5, value=0, data=bytes(range(56)), gas_limit=100000), (5, 5, 5)),
        ("one byte 0x00 data", dict(nonce=6, value=0, data=b"\x00", gas_limit=30000), (7, 7, 0)),
        ("one byte 0x7f data", dict(nonce=6, value=0, data=b"\x7f", gas_limit=30000), (7, 7, 0)),
        ("one byte 0x80 data", dict(nonce=6, value=0, data=b"\x80", gas_limit=30000), (7, 7, 0)),
        ("1 KiB data", dict(nonce=7, value=127, data=bytes(rng.randbytes(1024)), gas_limit=500000), (128, 129, 128)),
        ("300-byte data", dict(nonce=8, value=128, data=bytes(rng.randbytes(300)), gas_limit=3000000), (255, 256, 255)),
    ]
    for i, (name, f, (gp, cap, tip)) in enumerate(edges):
        chain = list(CHAINS)[i % len(CHAINS)]
        key = keys[i % len(keys)]
        vectors.append(sign(f"legacy {name}", key, chain, dict(f, to=base_to, gas_price=gp)))
        vectors.append(sign(f"eip1559 {name}", key, chain,
                            dict(f, to=base_to, max_fee_per_gas=cap, max_priority_fee_per_gas=tip)))

    # Contract creation (no recipient).
    init = bytes.fromhex("6080604052348015600f57600080fd5b50603f80601d6000396000f3fe")
    vectors.append(sign("legacy contract creation", keys[0], "sepolia",
                        dict(nonce=0, value=0, data=init, gas_limit=200000, to=None, gas_price=10**9)))
    vectors.append(sign("eip1559 contract creation", keys[1], "sepolia",
                        dict(nonce=1, value=0, data=init, gas_limit=200000, to=None,
                             max_fee_per_gas=3 * 10**9, max_priority_fee_per_gas=10**9)))

    # Chain ids outside the registry (library level only).
    for cid in [1337, 31337, 2**32 + 5, U64_MAX - 1, U64_MAX]:
        vectors.append(sign(f"legacy chain id {cid}", keys[2], cid,
                            dict(nonce=1, value=5, data=b"", gas_limit=21000, to=base_to, gas_price=1)))
        vectors.append(sign(f"eip1559 chain id {cid}", keys[3], cid,
                            dict(nonce=1, value=5, data=b"", gas_limit=21000, to=base_to,
                                 max_fee_per_gas=2, max_priority_fee_per_gas=1)))

    # ERC-20 transfers of registry tokens.
    for i, (chain, token) in enumerate(TOKENS.items()):
        amount = [0, 1, 10**6, 10**30, U256_MAX][i]
        data = erc20_transfer(address_of(rng), amount)
        key = keys[(i + 4) % len(keys)]
        vectors.append(sign(f"legacy erc20 transfer on {chain}", key, chain,
                            dict(nonce=i, value=0, data=data, gas_limit=65000, to=token, gas_price=3 * 10**9)))
        vectors.append(sign(f"eip1559 erc20 transfer on {chain}", key, chain,
                            dict(nonce=i + 1, value=0, data=data, gas_limit=65000, to=token,
                                 max_fee_per_gas=30 * 10**9, max_priority_fee_per_gas=2 * 10**9)))

    # Random fields on random registry chains.
    def rand_uint(bits_max):
        bits = rng.choice([b for b in (0, 1, 8, 32, 64, 100, 128, 200, 256) if b <= bits_max])
        return rng.getrandbits(bits) if bits else 0

    for i in range(40):
        chain = rng.choice(list(CHAINS))
        key = rng.choice(keys)
        data = rng.randbytes(rng.choice([0, 0, 1, 4, 36, 68, 200]))
        f = dict(nonce=rand_uint(64), value=rand_uint(256), data=data,
                 gas_limit=rand_uint(64), to=address_of(rng))
        if i % 2 == 0:
            vectors.append(sign(f"legacy random {i}", key, chain, dict(f, gas_price=rand_uint(256))))
        else:
            cap = rand_uint(256)
            tip = rng.randint(0, cap)
            vectors.append(sign(f"eip1559 random {i}", key, chain,
                                dict(f, max_fee_per_gas=cap, max_priority_fee_per_gas=tip)))

    # ERC-20 call data alone.
    erc20 = []
    for amount in [0, 1, 1000000, 10**18, 2**255, U256_MAX]:
        to = address_of(rng)
        erc20.append({"to": to, "amount": str(amount),
                      "expected": "0x" + erc20_transfer(to, amount).hex()})

    doc = {
        "description": "EVM transactions signed by an independent implementation "
                       "(eth-account %s, Python %s) and ERC-20 transfer call data (eth-abi); "
                       "generated by tests/vectors/gen_tx_vectors.py. Every integer is a decimal "
                       "string (values reach 2^256 - 1); chain is the waas registry id, null for "
                       "chain ids outside the registry."
                       % (eth_account.__version__ if hasattr(eth_account, "__version__") else "?",
                          sys.version.split()[0]),
        "transactions": vectors,
        "erc20_transfers": erc20,
    }
    # nonce, gas_limit, chain_id and v may exceed 2^53 (JSON numbers lose precision there).
    for v in vectors:
        for k in ("nonce", "gas_limit", "chain_id"):
            v[k] = str(v[k])
        v["expected"]["v"] = str(v["expected"]["v"])
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{len(vectors)} transactions, {len(erc20)} erc20 transfers -> {OUT}")


if __name__ == "__main__":
    main()
