// The operator dashboard against a live host, in headless Debian chromium (playwright-core):
// starts the `waas` binary on a fresh SQLite database (sandbox, a fast simulated chain), seeds it
// over HTTP as a client would, opens /dashboard/ as an operator would and checks what it shows
// against the API: sign in, the reserve of each chain, a statement, "Verify the books"
// (verified), then one journal row changed by hand in the database (mismatch), and a server that
// answers a wrong deposit address (a test double of one response, marked below) flagged by
// "Verify deposit addresses". Screenshots of the main views go to target/dashboard/*.png.
//   cd examples/dashboard/e2e && npm ci && WAAS_BIN=../../../target/debug/waas node --test
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = process.env.WAAS_BIN ?? path.join(root, 'target/debug/waas');
const shots = path.join(root, 'target/dashboard');
// Ethereum needs 12 blocks (1.2 s), Polygon 128 (12.8 s): a Polygon deposit made last is still
// confirming while the page is looked at.
const SIM_BLOCK_MS = 100;

let host; let base; let key; let dir; let browser; let page; let deadHook;
const consoleErrors = [];
const ids = {};

/** Starts `waas serve` and reads its first-key and listening lines. */
async function startHost() {
  if (!existsSync(bin)) throw new Error(`no waas binary at ${bin}: cargo build -p waas-host --bin waas (or set WAAS_BIN)`);
  dir = mkdtempSync(path.join(tmpdir(), 'waas-dashboard-'));
  host = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--db', `sqlite://${dir}/waas.db`,
    '--sim-block-ms', String(SIM_BLOCK_MS), '--outbox-poll-ms', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // The first key is printed on stdout, the address on stderr (with the log, passed through).
  const lines = readline.createInterface({ input: host.stdout });
  const log = readline.createInterface({ input: host.stderr });
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the host did not start within 30 s')), 30000);
    host.once('exit', (code) => fail(new Error(`the host exited with ${code}`)));
    const started = () => { if (key && base) { clearTimeout(timer); ok(); } };
    lines.on('line', (line) => {
      const k = line.match(/^api key: (\S+)/);
      if (k) { key = k[1]; started(); }
    });
    log.on('line', (line) => {
      const l = line.match(/^listening on (http:\/\/\S+)/);
      if (l) { base = l[1]; started(); } else if (process.env.WAAS_HOST_LOG) process.stderr.write(`${line}\n`);
    });
  });
}

async function api(method, route, body) {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function until(what, check, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Seeds the platform over HTTP: wallets on two chains, deposits (one below the minimum), a
 * transfer, and a webhook endpoint that always fails (so the delivery log has failures). */
async function seed() {
  deadHook = createServer((req, res) => { req.resume(); res.writeHead(500).end('down'); });
  await new Promise((ok) => deadHook.listen(0, '127.0.0.1', ok));
  await api('PUT', '/v1/management/contracted-products', { max_virtual_wallets: 100 });
  await api('PUT', '/v1/management/configurations', {
    webhook_url: `http://127.0.0.1:${deadHook.address().port}/hook`, webhook_key: 'dashboard-test',
    webhook_secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  });
  const acc = await api('POST', '/v1/accounts', { name: 'alice' });
  ids.account = acc.id;
  const eth = [];
  for (let i = 0; i < 3; i++) eth.push(await api('POST', '/v1/wallets/virtual', { account_id: acc.id, blockchain: 'ethereum' }));
  const tron = await api('POST', '/v1/wallets/virtual', { account_id: acc.id, blockchain: 'tron' });
  ids.eth = eth; ids.tron = tron;
  const treasury = await api('POST', '/v1/treasury', { account_id: acc.id, blockchain: 'ethereum' });
  await api('POST', '/v1/simulate/deposit', { address: eth[0].address, token: 'USDT', amount: '25' });
  await api('POST', '/v1/simulate/deposit', { address: eth[0].address, token: 'USDT', amount: '0.5' });
  await api('POST', '/v1/simulate/deposit', { address: eth[1].address, token: 'USDC', amount: '40.25' });
  await api('POST', '/v1/simulate/deposit', { address: tron.address, token: 'USDT', amount: '10' });
  await api('POST', '/v1/simulate/deposit', { address: treasury.address, token: 'USDT', amount: '7' });
  // everything confirmed and swept: nothing in transit on either chain
  await until('the sweeps', async () => {
    const [e, t] = await Promise.all([api('GET', '/v1/wallets/holding/ethereum'), api('GET', '/v1/wallets/holding/tron')]);
    return Object.values(e.reserve).every((r) => r.in_transit === '0' && r.holding !== '0') && t.reserve.USDT?.in_transit === '0';
  });
  await api('POST', `/v1/wallets/virtual/${eth[0].id}/transfer`, { to_wallet_id: eth[1].id, token: 'USDT', amount: '2' });
  await api('POST', `/v1/wallets/virtual/${eth[0].id}/withdraw`, { to_address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', token: 'USDT', amount: '5' });
  await api('POST', `/v1/wallets/virtual/${eth[2].id}/freeze`, { reason: 'under review' });
  await api('POST', '/v1/simulate/deposit', { address: eth[2].address, token: 'USDT', amount: '3' });
  ids.polygon = await api('POST', '/v1/wallets/virtual', { account_id: acc.id, blockchain: 'polygon' });
  await api('POST', '/v1/simulate/deposit', { address: ids.polygon.address, token: 'USDT', amount: '7' }); // still confirming
}

before(async () => {
  await startHost();
  await seed();
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${base}/dashboard/`);
});

after(async () => {
  await browser?.close();
  host?.kill('SIGTERM');
  await new Promise((ok) => (deadHook ? deadHook.close(ok) : ok()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a wrong key is refused and the key never reaches a URL or storage', async () => {
  const other = await browser.newPage();
  await other.goto(`${base}/dashboard/`);
  await other.fill('[data-test=api-key]', 'waas_test_not-a-key');
  await other.click('[data-test=sign-in]');
  await other.waitForSelector('#sign-in-status.bad');
  assert.match(await other.textContent('#sign-in-status'), /UNAUTHORIZED/);
  await other.close();
});

test('signs in with the key typed in, held in memory only', async () => {
  await page.screenshot({ path: path.join(shots, 'sign-in.png') });
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  await page.fill('[data-test=api-key]', key);
  await page.click('[data-test=sign-in]');
  await page.waitForSelector('#app:not([hidden])');
  assert.equal(await page.inputValue('[data-test=api-key]'), '', 'the field is cleared');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  assert.ok(!stored.includes(key), 'nothing stored');
  await page.waitForSelector('[data-test=reserve-ethereum-USDT]');
  assert.ok(urls.every((u) => !u.includes(key)), 'the key is in no URL');
});

test('shows the reserve of each chain and token with the figures the API gives', async () => {
  for (const chain of ['ethereum', 'tron']) {
    const h = await api('GET', `/v1/wallets/holding/${chain}`);
    for (const [token, r] of Object.entries(h.reserve)) {
      const shown = (await page.textContent(`[data-test=reserve-${chain}-${token}]`)).trim();
      assert.match(shown, /^\d+\.\d{6}$/, `${chain} ${token}: a ratio with six decimals`);
      const [whole, frac = ''] = r.ratio.split('.');
      assert.equal(shown, `${whole}.${frac.padEnd(6, '0').slice(0, 6)}`, `${chain} ${token}`);
    }
  }
  // 25.5 USDT held (the 0.5 below the minimum swept too) against 25 - 5 withdrawn... owed
  const eth = await api('GET', '/v1/wallets/holding/ethereum');
  assert.notEqual(eth.reserve.USDT.ratio, '1', 'a ratio other than 1 is on screen');
  await page.screenshot({ path: path.join(shots, 'reserves.png'), fullPage: true });
});

test('verifies the books in the browser, then catches one journal row changed in the database', async () => {
  await page.click('[data-test=verify-books]');
  await page.waitForFunction(() => /^(verified|mismatch)/.test(document.querySelector('[data-test=verify-result]').textContent));
  const ok = await page.textContent('[data-test=verify-result]');
  // five virtual wallets and the treasury wallet; USDT and USDC on Ethereum, USDT on Tron and Polygon
  assert.match(ok, /^verified: \d+ entries; 6 wallets and 4 reserves agree with the API$/, ok);
  await page.waitForSelector('#history svg.chart');
  await page.screenshot({ path: path.join(shots, 'verified.png'), fullPage: true });

  // One digit of one journal row changed by hand: a wallet's entry of the first deposit.
  execFileSync('python3', ['-c', `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
row = db.execute("select client_id, seq, posted, pending from journal where account = ? order by seq limit 1", ("wallet:" + sys.argv[2],)).fetchone()
db.execute("update journal set pending = ? where client_id = ? and seq = ?", ("26" if row[3] == "25" else "25", row[0], row[1]))
db.commit()
`, path.join(dir, 'waas.db'), ids.eth[0].id]);
  await page.click('[data-test=verify-books]');
  await page.waitForFunction(() => /^mismatch/.test(document.querySelector('[data-test=verify-result]').textContent));
  const bad = await page.textContent('[data-test=verify-result]');
  assert.match(bad, /^mismatch: .*entry \d+/, bad);
  assert.equal(await page.getAttribute('[data-test=verify-result]', 'data-ok'), 'false');
  await page.screenshot({ path: path.join(shots, 'mismatch.png'), fullPage: true });
});

test('flags a deposit address the xpub does not derive (a test double of one response)', async () => {
  await page.click('[data-test=verify-addresses]');
  await page.waitForFunction(() => /^(verified|mismatch)/.test(document.querySelector('[data-test=address-result]').textContent));
  assert.match(await page.textContent('[data-test=address-result]'), /^verified: 5 addresses/);

  // TEST DOUBLE: from here on, the list of virtual wallets the page reads claims that the second
  // Ethereum wallet's address is the third one's (a valid address, but not the one the xpub
  // derives at index 1). Everything else is the live host's answer.
  const victim = ids.eth[1];
  await page.route('**/v1/wallets/virtual?**', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    for (const w of body.data) if (w.id === victim.id) w.address = ids.eth[2].address;
    await route.fulfill({ response: res, json: body });
  });
  await page.click('[data-test=verify-addresses]');
  await page.waitForFunction(() => /^mismatch/.test(document.querySelector('[data-test=address-result]').textContent));
  const text = await page.textContent('[data-test=address-result]');
  assert.ok(text.includes(victim.id) && text.includes(victim.address), text);
  await page.click('nav [data-tab=wallets]');
  await page.waitForSelector('tr.flagged [data-test=address-flag]');
  assert.equal(await page.locator('tr.flagged').count(), 1);
  await page.screenshot({ path: path.join(shots, 'wallets.png'), fullPage: true });
  await page.unroute('**/v1/wallets/virtual?**');
});

test('deposits, frozen wallets and webhook deliveries, failed first', async () => {
  await until('a failed delivery', async () => (await api('GET', '/v1/webhooks/deliveries')).data.some((d) => d.last_error));
  await until('only the Polygon deposit still confirming', async () => {
    const pending = (await api('GET', '/v1/deposits')).data.filter((d) => d.status === 'pending');
    return pending.length === 1 && pending[0].wallet_id === ids.polygon.id;
  });
  await page.click('nav [data-tab=activity]');
  await page.waitForSelector('[data-list=deliveries] table');
  await page.waitForSelector('[data-list=frozen] table');
  assert.ok((await page.textContent('[data-list=frozen]')).includes(ids.eth[2].id));
  // the Polygon deposit with its confirmations so far, as the API counts them
  await page.waitForSelector('[data-test=deposit-progress] progress');
  const [seen, required] = (await page.textContent('[data-test=deposit-progress] .amount')).trim().split(' / ').map(Number);
  const listed = (await api('GET', '/v1/deposits')).data.find((d) => d.wallet_id === ids.polygon.id);
  assert.equal(required, 128);
  assert.equal(listed.confirmations.required, 128);
  assert.ok(seen >= 0 && seen <= listed.confirmations.seen && seen < required, `${seen} of ${required}`);
  const first = await page.locator('[data-list=deliveries] tbody tr').first().getAttribute('class');
  assert.equal(first, 'failed', 'failed deliveries come first');
  await page.screenshot({ path: path.join(shots, 'activity.png'), fullPage: true });
});

test("a wallet's statement with running balances", async () => {
  await page.click('nav [data-tab=statement]');
  await page.fill('[data-test=statement-wallet]', ids.eth[0].id);
  await page.click('[data-test=statement-show]');
  await page.waitForSelector('[data-list=statement] table');
  const rows = await page.$$eval('[data-list=statement] tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
  const st = await api('GET', `/v1/wallets/virtual/${ids.eth[0].id}/statement?limit=50`);
  assert.equal(rows.length, st.data.length);
  assert.equal(rows[0][4], `${st.data[0].balance_after}${st.data[0].token}`);
  await page.screenshot({ path: path.join(shots, 'statement.png'), fullPage: true });
});

test('readable on a phone, and no console errors', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click('nav [data-tab=overview]');
  await page.waitForSelector('[data-test=reserve-ethereum-USDT]');
  await page.screenshot({ path: path.join(shots, 'phone.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  assert.deepEqual(consoleErrors, []);
});
