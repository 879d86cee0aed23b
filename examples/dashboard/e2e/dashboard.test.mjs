// Drives examples/dashboard in headless Debian chromium (playwright-core, /usr/bin/chromium):
// installs the npm package's tarball into a temporary project (wasm/tests/package.mjs), serves the
// dashboard and that project's node_modules/waas-wasm from a tiny static server on a free loopback
// port, loads the page with ?pkg= pointing at the installed package's browser entry, fills the
// forms, reads the results from the page, asserts them and saves target/dashboard.png.
//   cd examples/dashboard/e2e && npm ci && node --test
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { project, packageDir, required, imported } from '../../../wasm/tests/package.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const vectors = JSON.parse(readFileSync(path.join(root, 'tests/vectors/derivation.json'), 'utf8'));
const addresses = JSON.parse(readFileSync(path.join(root, 'tests/vectors/addresses.json'), 'utf8'));
// The package in Node (the same installed copy, `require`) computes what the page must show.
const waasNode = required;
const screenshot = process.env.WAAS_DASHBOARD_PNG ?? path.join(root, 'target/dashboard/tools.png');

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.ts': 'text/plain' };

let server; let browser; let page; let base;
const pageErrors = [];

before(async () => {
  // A static file server over the repository root, on 127.0.0.1 and a port the OS picks.
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    // /node_modules/... is the temporary project's (where the tarball was installed), the rest the repository.
    const dir = url.pathname.startsWith('/node_modules/') ? project : root;
    let file = path.normalize(path.join(dir, decodeURIComponent(url.pathname)));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // playwright gives every launch a fresh temporary --user-data-dir of its own.
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const entry = path.relative(project, path.join(packageDir, 'web/index.js')).split(path.sep).join('/');
  await page.goto(`${base}/examples/dashboard/dist/tools.html?pkg=${encodeURIComponent(`/${entry}`)}`);
  await page.waitForSelector('#status[data-state="ready"], #status[data-state="failed"]', { timeout: 30000 });
});

after(async () => {
  if (page) await page.screenshot({ path: screenshot, fullPage: true });
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

test('the web build loads, from the installed package', async () => {
  assert.equal(await page.textContent('#status'), 'wasm ready');
  assert.match(page.url(), /pkg=%2Fnode_modules%2Fwaas-wasm%2Fweb%2Findex\.js/);
  assert.equal(typeof imported.reserveReport, 'function'); // and `import` in Node works too
});

test('derives deposit addresses from a pasted xpub', async () => {
  for (const c of [vectors.cases[0], vectors.cases[1]]) {
    await page.selectOption('#derive-chain', c.chain === 'trx' ? 'tron' : c.chain);
    await page.fill('#derive-xpub', c.xpub);
    await page.fill('#derive-start', String(c.batch.start));
    await page.fill('#derive-count', String(c.batch.count));
    await page.click('#derive-form button');
    const rows = await page.$$eval('#derive-result tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
    assert.equal(rows.length, c.batch.count);
    assert.deepEqual(rows[0], [String(c.batch.start), c.batch.first]);
    assert.deepEqual(rows.at(-1), [String(c.batch.start + c.batch.count - 1), c.batch.last]);
  }
  await page.fill('#derive-xpub', 'xpub-not-really');
  await page.click('#derive-form button');
  assert.equal(await page.getAttribute('#derive-error', 'data-code'), 'INVALID_KEY');
  // leave a good result on screen for the screenshot
  await page.selectOption('#derive-chain', 'ethereum');
  await page.fill('#derive-xpub', vectors.cases[0].xpub);
  await page.fill('#derive-start', '0');
  await page.fill('#derive-count', '5');
  await page.click('#derive-form button');
  assert.equal(await page.textContent('#derive-result tbody tr td:nth-child(2)'), vectors.cases[0].addresses[0].address);
});

test('checks an address', async () => {
  const bad = addresses.invalid.find((v) => v.chain === 'ethereum' && v.input.startsWith('0x') && v.input.length === 42);
  await page.selectOption('#check-chain', 'ethereum');
  await page.fill('#check-address', bad.input);
  await page.click('#check-form button');
  assert.equal(await page.getAttribute('#check-result', 'data-code'), 'INVALID_ADDRESS');
  const good = addresses.valid.find((v) => v.chain === 'ethereum' && v.input !== v.canonical);
  await page.fill('#check-address', good.input);
  await page.click('#check-form button');
  assert.equal(await page.getAttribute('#check-result', 'data-ok'), 'true');
  assert.equal(await page.getAttribute('#check-result', 'data-canonical'), good.canonical);
});

test('verifies a webhook signature', async () => {
  const secret = 'whsec_' + Buffer.from('dashboard test secret 0123456789').toString('base64');
  const [id, ts, body] = ['msg_dashboard_1', 1_700_000_000, '{"operation":"DEPOSIT"}'];
  const signature = waasNode.signWebhook(secret, id, ts, body);
  const fill = async (sig, now) => {
    await page.fill('#webhook-secret', secret); await page.fill('#webhook-id', id);
    await page.fill('#webhook-timestamp', String(ts)); await page.fill('#webhook-body', body);
    await page.fill('#webhook-signature', sig); await page.fill('#webhook-now', String(now));
    await page.click('#webhook-form button');
  };
  await fill(signature, ts + 10);
  assert.equal(await page.getAttribute('#webhook-result', 'data-ok'), 'true');
  await fill(signature, ts + 100_000);
  assert.equal(await page.getAttribute('#webhook-result', 'data-code'), 'TIMESTAMP_OUT_OF_TOLERANCE');
  const tampered = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
  await fill(tampered, ts + 10);
  assert.equal(await page.getAttribute('#webhook-result', 'data-code'), 'INVALID_SIGNATURE');
  await fill(signature, ts + 10);
  assert.equal(await page.getAttribute('#webhook-result', 'data-ok'), 'true');
});

test('shows a reserve report for a pasted scenario', async () => {
  const scenario = readFileSync(path.join(root, 'tests/vectors/ledger/rule04_reserve_report.jsonl'), 'utf8');
  const expected = readFileSync(path.join(root, 'tests/vectors/ledger/rule04_reserve_report.expected.jsonl'), 'utf8')
    .trim().split('\n').map((l) => JSON.parse(l)).at(-1).state.reserves;
  await page.fill('#reserve-scenario', scenario);
  await page.click('#reserve-form button');
  const rows = await page.$$eval('#reserve-result tbody tr', (trs) => trs.map((tr) => ({
    key: tr.dataset.key,
    cols: Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map((td) => [td.dataset.col, td.textContent])),
  })));
  assert.deepEqual(rows.map((r) => r.key).sort(), Object.keys(expected).sort());
  for (const r of rows) {
    for (const [col, value] of Object.entries(expected[r.key])) {
      assert.equal(r.cols[col], value === null ? '—' : String(value), `${r.key} ${col}`);
    }
  }
  assert.equal(expected['c1/ethereum/USDT'].ratio, '0.6'); // the page shows 60 held for 100 owed
});

test('no uncaught error on the page', () => {
  assert.deepEqual(pageErrors, []);
});
