// wasm side of the wasm-versus-native benchmark (bindings/bench.sh runs both in one go):
// the same calls as bindings/examples/bench.rs, through the npm package's Node build
// (target/npm/waas-wasm, as `require` loads it; WAAS_NPM_PACKAGE names another copy).
// Prints one JSON line per measurement: {"side":"wasm","op":...,"per_sec":...}.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const waas = createRequire(import.meta.url)(process.env.WAAS_NPM_PACKAGE ?? path.join(root, 'target/npm/waas-wasm'));
const XPUB = 'xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr';
const BUDGET_MS = 2000;
let sink = 0;

function measure(op, perCall, f) {
  for (let i = 0; i < 3; i++) f(i); // warm-up
  const start = performance.now();
  let calls = 0;
  while (performance.now() - start < BUDGET_MS) {
    f(calls);
    calls++;
  }
  const secs = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ side: 'wasm', op, per_sec: Math.round((calls * perCall) / secs) }));
}

measure('deriveAddress evm', 1, (i) => { sink += waas.deriveAddress('ethereum', XPUB, i % 100000).length; });
measure('deriveAddress tron', 1, (i) => { sink += waas.deriveAddress('tron', XPUB, i % 100000).length; });
measure('deriveAddresses evm x1000', 1000, (i) => { sink += waas.deriveAddresses('ethereum', XPUB, (i % 1000) * 1000, 1000).length; });
measure('canonicalAddress evm', 1, () => { sink += waas.canonicalAddress('ethereum', '0x9858effd232b4033e47d90003d41ec34ecaeda94').length; });
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const TS = 1700000000;
const body = '{"operation":"VIRTUAL_WALLET","sub_operation":"DEPOSIT","operation_id":"op-1","status":"SUCCESS","data":{"amount":"12.5","token":"USDT","wallet_id":"vw_1"}}';
const sig = waas.signWebhook(SECRET, 'msg_1', TS, body);
measure('verifyWebhook', 1, () => { waas.verifyWebhook(SECRET, 'msg_1', TS, body, sig, TS + 1); sink++; });
const verifier = new waas.WebhookVerifier([SECRET]);
measure('WebhookVerifier.verify', 1, () => { verifier.verify('msg_1', TS, body, sig, TS + 1); sink++; });
const key = new waas.DepositKey('ethereum', XPUB);
measure('DepositKey.deriveAddress evm', 1, (i) => { sink += key.deriveAddress(i % 100000).length; });
if (sink === 0) throw new Error('nothing computed');
