// waas from Node.js with require: npm install <repo>/target/npm/waas-wasm.tgz   (after wasm/build.sh)
const waas = require('waas-wasm');

// The account xpub of a holding wallet (m/44'/60'/0'/0); in production it comes from your server.
const xpub = 'xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr';

console.log('deposit address 0:', waas.deriveAddress('ethereum', xpub, 0));
console.log('addresses 1..3:', waas.deriveAddresses('ethereum', xpub, 1, 3).join(' '));
console.log('canonical:', waas.canonicalAddress('ethereum', '0x9858effd232b4033e47d90003d41ec34ecaeda94'));
console.log('12.5 USDT in base units:', waas.toBaseUnits('12.5', 6));
console.log('1 wei in ETH:', waas.fromBaseUnits('1', 18));
try {
  waas.toBaseUnits('1.1234567', 6);
} catch (e) {
  console.log('refused:', e.code); // INVALID_AMOUNT
}

// Webhooks (Standard Webhooks): sign as the platform does, verify as a receiver must.
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const body = '{"operation":"VIRTUAL_WALLET","sub_operation":"DEPOSIT","operation_id":"op-1","status":"SUCCESS","data":{}}';
const signature = waas.signWebhook(secret, 'msg_1', 1700000000, body);
waas.verifyWebhook(secret, 'msg_1', 1700000000, body, signature, 1700000005); // throws if invalid
const envelope = waas.checkEnvelope(body, false); // an object; checkEnvelopeText gives the normalized JSON
console.log('webhook verified; envelope:', envelope.operation, envelope.sub_operation, envelope.status);

// Ledger scenario replay: one answer per line, then the state; reserveReport gives the reserves alone.
const scenario = [
  '{"op":"create_account","client":"c1","account":"a1"}',
  '{"op":"create_virtual_wallet","account":"a1","wallet":"vw1","blockchain":"ethereum"}',
  '{"op":"deposit","tx":"0x1:0","to":"vw1","token":"USDT","amount":"25"}',
].join('\n');
const replay = waas.replayLedger(scenario); // { results, state, lines }; replayLedgerText: the CLI's text
console.log('replay:', replay.results.length, 'answers,', replay.results.filter((r) => !r.ok).length, 'refused; vw1 holds',
  replay.state.wallets.vw1.balances.USDT.total, 'USDT');
const reserves = waas.reserveReport(scenario); // keyed client/blockchain/token
for (const [key, r] of Object.entries(reserves)) console.log('reserve', key, 'liabilities', r.liabilities, 'ratio', r.ratio);
