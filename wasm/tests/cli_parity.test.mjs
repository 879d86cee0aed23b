// Differential test: the npm package (installed from its tarball, called through `import`; see
// package.mjs) answers exactly as the native `waas` CLI on random inputs (fixed seed) beyond the
// vector files. Needs the CLI: $WAAS_CLI, or
// target/debug/waas (`cargo build -p waas-host --bin waas`; bindings/test.sh builds it and sets
// WAAS_CLI, so there the suite always runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { root, imported as waas } from './package.mjs';

const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
const CLI = process.env.WAAS_CLI ?? path.join(targetDir, 'debug/waas');
const vectors = path.join(root, 'tests/vectors');
const CHAINS = ['ethereum', 'polygon', 'bsc', 'base', 'tron', 'tron-nile', 'trx', 'eth', 'dogecoin'];

if (!existsSync(CLI) && process.env.WAAS_CLI) {
  throw new Error(`WAAS_CLI=${CLI} does not exist`);
}
const skip = existsSync(CLI) ? false : `no waas CLI at ${CLI}: build it with cargo build -p waas-host --bin waas`;
if (skip) console.error(`cli_parity.test.mjs NOT RUN: ${skip}`);

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { below: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)], next };
}

/** [true, stdout] or [false, error code] of one CLI run. */
function cli(args, { input = '', env = {} } = {}) {
  const p = spawnSync(CLI, args, { input, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  if (p.status === 0) return [true, p.stdout];
  const last = p.stderr.trim().split('\n').at(-1);
  assert.ok(last.startsWith('error: '), `${args.join(' ')}: ${p.stderr}`);
  return [false, last.slice('error: '.length).split(':')[0]];
}

/** [true, value] or [false, error code] of one package call. */
function js(fn, ...args) {
  try {
    return [true, fn(...args)];
  } catch (e) {
    assert.equal(typeof e.code, 'string', `${fn.name}: ${e}`);
    return [false, e.code];
  }
}

const xpubs = [...new Set(JSON.parse(readFileSync(path.join(vectors, 'derivation.json'), 'utf8')).cases.map((c) => c.xpub))].sort();

test('derivation, single and batch, matches the CLI', { skip }, () => {
  const r = rng(20261125);
  for (let i = 0; i < 25; i++) {
    const chain = r.pick(CHAINS);
    const xpub = r.pick(xpubs);
    const index = r.pick([0, 1, r.below(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]);
    const count = r.pick([1, 3, 1000]);
    const [ok, out] = cli(['derive', '--chain', chain, '--xpub', xpub, '--index', String(index), '--count', String(count)]);
    const want = ok ? out.trim().split('\n').map((l) => l.split(' ')[1]) : out;
    assert.deepEqual(js(waas.deriveAddresses, chain, xpub, index, count), [ok, want], `${chain} ${index} +${count}`);
    const [one, line] = cli(['derive', '--chain', chain, '--xpub', xpub, '--index', String(index)]);
    assert.deepEqual(js(waas.deriveAddress, chain, xpub, index), [one, one ? line.split(' ')[1].trim() : line], `${chain} ${index}`);
  }
});

test('address checks match the CLI', { skip }, () => {
  const r = rng(7);
  for (let i = 0; i < 25; i++) {
    const chain = r.pick(CHAINS.slice(0, -1));
    const addr = waas.deriveAddress(chain, r.pick(xpubs), r.below(1000));
    const last = addr.at(-1) === '1' ? '2' : '1';
    const text = r.pick([addr, addr.toLowerCase(), addr.toUpperCase(), addr.slice(0, -1) + last,
      addr.startsWith('0x') ? `41${addr.slice(2)}` : addr]);
    for (const target of [chain, r.pick(CHAINS)]) {
      const [ok, out] = cli(['address', '--chain', target, text]);
      assert.deepEqual(js(waas.canonicalAddress, target, text), [ok, ok ? out.trim() : out], `${target} ${text}`);
    }
  }
});

test('amount conversions match the CLI', { skip }, () => {
  const r = rng(11);
  const digits = (n) => Array.from({ length: n }, () => String(r.below(10))).join('');
  for (let i = 0; i < 40; i++) {
    const d = r.pick([0, 2, 6, 8, 18, 27, 28, 29]);
    const whole = digits(1 + r.below(31));
    const frac = digits(r.below(30));
    let amount = frac ? `${whole}.${frac}` : whole;
    if (r.next() < 0.1) amount = r.pick(['-1', '1e3', ' 1', '1.', 'abc']);
    let [ok, out] = cli(['amount', '--decimals', String(d), '--to-base', amount]);
    assert.deepEqual(js(waas.toBaseUnits, amount, d), [ok, ok ? out.trim() : out], `${amount} @${d}`);
    [ok, out] = cli(['amount', '--decimals', String(d), '--from-base', whole]);
    assert.deepEqual(js(waas.fromBaseUnits, whole, d), [ok, ok ? out.trim() : out], `${whole} @${d}`);
  }
});

test('webhook signatures, verification and envelopes match the CLI', { skip }, () => {
  const r = rng(3);
  const key = Buffer.from(Array.from({ length: 24 }, () => r.below(256)));
  const env = { WAAS_WEBHOOK_SECRET: `whsec_${key.toString('base64')}` }; // never on the command line
  const secret = env.WAAS_WEBHOOK_SECRET;
  for (let i = 0; i < 15; i++) {
    const id = `msg_${i}_${r.below(1e9)}`;
    const ts = 1e9 + r.below(1e9);
    const body = JSON.stringify({ n: r.next(), s: 'é'.repeat(i) });
    const [ok, out] = cli(['webhook', 'sign', '--id', id, '--timestamp', String(ts)], { input: body, env });
    assert.ok(ok, out);
    const sig = out.trim().split('\n').at(-1).split(': ')[1];
    assert.equal(waas.signWebhook(secret, id, ts, body), sig);
    const now = ts + r.pick([0, 299, 301, -301, 5]);
    const [vok, vout] = cli(['webhook', 'verify', '--id', id, '--timestamp', String(ts), '--signature', sig, `--now=${now}`],
      { input: body, env });
    assert.deepEqual(js(waas.verifyWebhook, secret, id, ts, body, sig, now), [vok, vok ? undefined : vout], `${id} now ${now}`);
  }
  const envelopes = JSON.parse(readFileSync(path.join(vectors, 'webhooks.json'), 'utf8')).envelopes;
  for (const c of envelopes) {
    const text = 'input_text' in c ? c.input_text : JSON.stringify(c.input);
    for (const lenient of [false, true]) {
      const [ok, out] = cli(['webhook', 'check', ...(lenient ? ['--lenient'] : [])], { input: text });
      assert.deepEqual(js(waas.checkEnvelopeText, text, lenient), [ok, ok ? out.replace(/\n$/, '') : out], c.name);
    }
  }
});

test('ledger replay is byte-identical to the CLI', { skip }, () => {
  const folder = path.join(vectors, 'ledger');
  const names = readdirSync(folder).filter((n) => n.endsWith('.jsonl') && !n.endsWith('.expected.jsonl')).sort();
  assert.ok(names.length > 0);
  for (const name of names) {
    const text = readFileSync(path.join(folder, name), 'utf8');
    const [ok, out] = cli(['ledger', 'replay'], { input: text });
    assert.ok(ok, out);
    assert.equal(waas.replayLedgerText(text), out, name);
    assert.equal(waas.replayLedger(text).lines.join('\n') + '\n', out, name);
  }
});
