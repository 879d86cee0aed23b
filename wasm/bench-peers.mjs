// The npm package against what a JavaScript user would pick, in one Node process (wasm/bench-peers.sh
// installs both and runs it): deposit addresses from an account xpub with ethers 6 and with
// @scure/bip32 + @noble/hashes keccak_256 + EIP-55, webhook verification with `standardwebhooks`.
// First checks that every side gives the same addresses and signatures; then measures each
// operation for WAAS_BENCH_MS (1500) ms after a warm-up, in WAAS_BENCH_ROUNDS (3) interleaved
// rounds, and keeps each operation's best round. Prints a Markdown table.
//   WAAS_BENCH_PEERS: the folder where wasm/bench-peers/package-lock.json was installed.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { root, required as waas } from './tests/package.mjs';

const peersDir = process.env.WAAS_BENCH_PEERS ?? path.join(root, 'target/bench-peers');
const entry = path.join(peersDir, 'peers.mjs');
writeFileSync(entry, `export { HDNodeWallet, version as ethersVersion } from 'ethers';
export { HDKey } from '@scure/bip32';
export { secp256k1 } from '@noble/curves/secp256k1.js';
export { keccak_256 } from '@noble/hashes/sha3.js';
export { Webhook } from 'standardwebhooks';
`);
const { HDNodeWallet, ethersVersion, HDKey, secp256k1, keccak_256, Webhook } = await import(pathToFileURL(entry).href);

const XPUB = 'xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr';
const BUDGET_MS = Number(process.env.WAAS_BENCH_MS ?? 1500);
const ROUNDS = Number(process.env.WAAS_BENCH_ROUNDS ?? 3);

// @scure/bip32 gives the compressed public key; an EVM address is the last 20 bytes of keccak-256
// of the uncompressed key (without its 0x04), written in EIP-55 mixed case.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex = (bytes) => { let s = ''; for (const b of bytes) s += HEX[b]; return s; };
const ascii = new TextEncoder();
function eip55(lower) {
  const h = keccak_256(ascii.encode(lower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const nibble = (h[i >> 1] >> (i % 2 ? 0 : 4)) & 15;
    out += nibble >= 8 ? lower[i].toUpperCase() : lower[i];
  }
  return out;
}
function scureAddress(hd, index) {
  const uncompressed = secp256k1.Point.fromBytes(hd.deriveChild(index).publicKey).toBytes(false);
  return eip55(hex(keccak_256(uncompressed.subarray(1)).subarray(12)));
}

const ethersKey = HDNodeWallet.fromExtendedKey(XPUB);
const scureKey = HDKey.fromExtendedKey(XPUB);
const depositKey = new waas.DepositKey('ethereum', XPUB);

// 1. Same answers.
const indices = [...Array(200).keys(), 1000, 65535, 2 ** 31 - 1];
const batch = waas.deriveAddresses('ethereum', XPUB, 0, 200);
for (const i of indices) {
  const want = waas.deriveAddress('ethereum', XPUB, i);
  assert.equal(ethersKey.deriveChild(i).address, want, `ethers, index ${i}`);
  assert.equal(scureAddress(scureKey, i), want, `scure, index ${i}`);
  assert.equal(depositKey.deriveAddress(i), want, `DepositKey, index ${i}`);
  if (i < 200) assert.equal(batch[i], want, `deriveAddresses, index ${i}`);
}
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NOW = Math.floor(Date.now() / 1000); // standardwebhooks checks the timestamp against the clock
// The body of wasm/bench.mjs's verification (156 bytes).
const body = '{"operation":"VIRTUAL_WALLET","sub_operation":"DEPOSIT","operation_id":"op-1","status":"SUCCESS","data":{"amount":"12.5","token":"USDT","wallet_id":"vw_1"}}';
const wh = new Webhook(SECRET);
const verifier = new waas.WebhookVerifier([SECRET]);
for (let n = 0; n < 50; n++) {
  const id = `msg_${n}`;
  const text = body.replace('op-1', `op-${n}`);
  const sig = waas.signWebhook(SECRET, id, NOW - n, text);
  assert.equal(wh.sign(id, new Date((NOW - n) * 1000), text), sig, `signature ${n}`);
  wh.verify(text, { 'webhook-id': id, 'webhook-timestamp': String(NOW - n), 'webhook-signature': sig }, { jsonParse: false });
  verifier.verify(id, NOW - n, text, sig, NOW);
}
console.error(`same answers: ${indices.length} addresses (waas, ethers, @scure/bip32), 50 webhook signatures (waas, standardwebhooks)`);

// 2. Speed.
let sink = 0;
function measure(f) {
  for (let i = 0; i < 3; i++) f(i); // warm-up
  const start = performance.now();
  let calls = 0;
  while (performance.now() - start < BUDGET_MS) {
    f(calls);
    calls++;
  }
  return calls / ((performance.now() - start) / 1000);
}
const sig = waas.signWebhook(SECRET, 'msg_1', NOW, body);
const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW), 'webhook-signature': sig };
// A 4 KiB body: the HMAC (SHA-256 in software on both sides) weighs more than the call's overhead.
const big = JSON.stringify({ ...JSON.parse(body), data: { items: 'x'.repeat(4096 - body.length - 20) } });
const bigSig = waas.signWebhook(SECRET, 'msg_2', NOW, big);
const bigHeaders = { 'webhook-id': 'msg_2', 'webhook-timestamp': String(NOW), 'webhook-signature': bigSig };
assert.equal(wh.sign('msg_2', new Date(NOW * 1000), big), bigSig);
const ops = [
  // [group, side, per call, function]
  ['EVM address from a parsed xpub, index i', 'waas DepositKey.deriveAddress', 1, (i) => { sink += depositKey.deriveAddress(i % 100000).length; }],
  ['EVM address from a parsed xpub, index i', 'waas deriveAddresses (batches of 1000)', 1000, (i) => { sink += waas.deriveAddresses('ethereum', XPUB, (i % 1000) * 1000, 1000).length; }],
  ['EVM address from a parsed xpub, index i', 'waas deriveAddress (parses the xpub each call)', 1, (i) => { sink += waas.deriveAddress('ethereum', XPUB, i % 100000).length; }],
  ['EVM address from a parsed xpub, index i', 'ethers HDNodeWallet deriveChild(i).address', 1, (i) => { sink += ethersKey.deriveChild(i % 100000).address.length; }],
  ['EVM address from a parsed xpub, index i', '@scure/bip32 deriveChild(i) + keccak_256 + EIP-55', 1, (i) => { sink += scureAddress(scureKey, i % 100000).length; }],
  ['webhook verification, 156-byte body', 'waas WebhookVerifier.verify', 1, () => { verifier.verify('msg_1', NOW, body, sig, NOW); sink++; }],
  ['webhook verification, 156-byte body', 'waas verifyWebhook', 1, () => { waas.verifyWebhook(SECRET, 'msg_1', NOW, body, sig, NOW); sink++; }],
  ['webhook verification, 156-byte body', 'standardwebhooks Webhook.verify (jsonParse: false)', 1, () => { wh.verify(body, headers, { jsonParse: false }); sink++; }],
  ['webhook verification, 156-byte body', 'standardwebhooks Webhook.verify (default: parses the JSON)', 1, () => { sink += wh.verify(body, headers) ? 1 : 0; }],
  ['webhook verification, 4 KiB body', 'waas WebhookVerifier.verify (4 KiB)', 1, () => { verifier.verify('msg_2', NOW, big, bigSig, NOW); sink++; }],
  ['webhook verification, 4 KiB body', 'standardwebhooks Webhook.verify (4 KiB, jsonParse: false)', 1, () => { wh.verify(big, bigHeaders, { jsonParse: false }); sink++; }],
];
const best = new Map();
for (let round = 1; round <= ROUNDS; round++) {
  console.error(`round ${round} of ${ROUNDS}`);
  for (const [, side, per, f] of ops) best.set(side, Math.max(best.get(side) ?? 0, measure(f) * per));
}
if (sink === 0) throw new Error('nothing computed');

const fmt = (x) => Math.round(x).toLocaleString('en-US');
console.log(`Node ${process.version}, ${ROUNDS} interleaved rounds of ${BUDGET_MS} ms per operation, best round kept.`);
console.log(`Peers: ethers ${ethersVersion}, @scure/bip32 + @noble/curves + @noble/hashes, standardwebhooks (versions: wasm/bench-peers/package.json).`);
console.log('');
// Each peer against the waas call that does the same work: a key parsed once, then one address
// per call (DepositKey); a secret parsed once, then one verification per call (WebhookVerifier).
const like = {
  'EVM address from a parsed xpub, index i': 'waas DepositKey.deriveAddress',
  'webhook verification, 156-byte body': 'waas WebhookVerifier.verify',
  'webhook verification, 4 KiB body': 'waas WebhookVerifier.verify (4 KiB)',
};
console.log('| operation | side | per second | waas like-for-like / this |');
console.log('| --- | --- | ---: | ---: |');
for (const group of [...new Set(ops.map((o) => o[0]))]) {
  const ref = best.get(like[group]);
  for (const s of ops.filter((o) => o[0] === group).map((o) => o[1])) {
    console.log(`| ${group} | ${s} | ${fmt(best.get(s))} | ${s.startsWith('waas') ? '' : `${(ref / best.get(s)).toFixed(2)}x`} |`);
  }
}
