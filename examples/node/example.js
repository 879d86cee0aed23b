// waas from Node.js: npm install <repo>/target/npm/node   (after wasm/build.sh)
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
