// waas from Node.js as an ES module: the same package, `import` instead of `require`.
//   npm install <repo>/target/npm/waas-wasm.tgz && node example.mjs
import init, { DepositKey, canonicalAddress, isWaasError, reserveReport, verifyWebhook, signWebhook } from 'waas-wasm';

await init(); // nothing to load in Node; shown because browser code must call it first

const xpub = 'xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr';
const key = new DepositKey('tron', xpub); // parse the xpub once, derive many
console.log('tron deposit addresses 0..2:', key.deriveAddresses(0, 3).join(' '));
key.free();

try {
  canonicalAddress('ethereum', '0x9858EfFD232B4033E47d90003D41EC34EcaEda95');
} catch (e) {
  if (isWaasError(e)) console.log('refused:', e.code); // INVALID_ADDRESS (bad checksum)
  else throw e;
}

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const signature = signWebhook(secret, 'msg_2', 1700000000, '{}');
verifyWebhook(secret, 'msg_2', 1700000000, '{}', signature, 1700000001);
console.log('webhook verified (import)');

const reserves = reserveReport('{"op":"create_account","client":"c1","account":"a1"}');
console.log('reserve reports:', Object.keys(reserves).length);
