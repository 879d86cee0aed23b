// Runs every file of tests/vectors/ against the npm package installed from its tarball (see
// package.mjs), with Node's built-in runner: node --test wasm/tests/
// A vector file that no runner below knows fails the suite.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { root, packageDir, required, imported } from './package.mjs';

const vectorsDir = path.join(root, 'tests/vectors');
// The vectors run through require('waas-wasm'); `import` gives the very same functions (checked at
// the end), and cli_parity.test.mjs calls through it.
const waas = required;

const load = (name) => JSON.parse(readFileSync(path.join(vectorsDir, name), 'utf8'));

/** Asserts that fn throws a JS Error whose code is `code`. */
function throwsCode(fn, code, what) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, `${what}: not an Error: ${e}`);
    assert.equal(e.code, code, `${what}: ${e.message}`);
    assert.ok(e.message.startsWith(code), `${what}: message ${e.message}`);
    return true;
  }, what);
}

// tests/vectors/{ledger,automation}/X.jsonl: replayLedger's answers and state equal
// X.expected.jsonl line by line (as JSON), its lines are replayLedgerText's.
function scenarios(dir) {
  const files = readdirSync(path.join(vectorsDir, dir)).filter((f) => f.endsWith('.jsonl') && !f.endsWith('.expected.jsonl')).sort();
  assert.ok(files.length > 0, `no scenario in tests/vectors/${dir}`);
  for (const f of files) {
    test(f, () => {
      const input = readFileSync(path.join(vectorsDir, dir, f), 'utf8');
      const want = readFileSync(path.join(vectorsDir, dir, f.replace(/\.jsonl$/, '.expected.jsonl')), 'utf8');
      const parse = (t) => t.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
      const got = waas.replayLedger(input);
      assert.deepEqual([...got.results, { state: got.state }], parse(want));
      const text = waas.replayLedgerText(input);
      assert.equal(got.lines.join('\n') + '\n', text);
      assert.deepEqual(parse(text), parse(want));
      // reserveReport is the state line's reserves alone
      assert.deepEqual(waas.reserveReport(input), got.state.reserves);
    });
  }
}

const runners = {
  'derivation.json'(file) {
    for (const c of file.cases) {
      test(`${c.chain} ${c.path} (${c.mnemonic.split(' ')[0]}...)`, () => {
        // mnemonic -> xpub is checked by the Rust and Python suites (no mnemonics in the browser build)
        for (const a of c.addresses) {
          assert.equal(waas.deriveAddress(c.chain, c.xpub, a.index), a.address, `index ${a.index}`);
        }
        const batch = waas.deriveAddresses(c.chain, c.xpub, c.batch.start, c.batch.count);
        assert.equal(batch.length, c.batch.count);
        assert.equal(batch[0], c.batch.first);
        assert.equal(batch.at(-1), c.batch.last);
        batch.forEach((addr, i) =>
          assert.equal(waas.deriveAddress(c.chain, c.xpub, c.batch.start + i), addr));
        const key = new waas.DepositKey(c.chain, c.xpub); // the object form
        assert.equal(key.xpub, c.xpub);
        assert.deepEqual(key.deriveAddresses(c.batch.start, c.batch.count), batch);
        for (const a of c.addresses) assert.equal(key.deriveAddress(a.index), a.address);
        key.free();
      });
    }
    for (const e of file.errors) {
      test(`refuses ${e.what}`, () => throwsCode(() => ('count' in e
        ? waas.deriveAddresses(e.chain, e.xpub, e.start, e.count)
        : waas.deriveAddress(e.chain, e.xpub, e.index)), e.code, e.what));
    }
  },
  'addresses.json'(file) {
    test(`${file.valid.length} valid addresses are canonicalized`, () => {
      for (const v of file.valid) assert.equal(waas.canonicalAddress(v.chain, v.input), v.canonical);
    });
    test(`${file.invalid.length} invalid addresses are refused`, () => {
      for (const v of file.invalid) throwsCode(() => waas.canonicalAddress(v.chain, v.input), v.code, v.input);
    });
  },
  'amounts.json'(file) {
    test(`${file.to_base_units.length} toBaseUnits`, () => {
      for (const v of file.to_base_units) assert.equal(waas.toBaseUnits(v.amount, v.decimals), v.units, v.amount);
    });
    test(`${file.from_base_units.length} fromBaseUnits`, () => {
      for (const v of file.from_base_units) assert.equal(waas.fromBaseUnits(v.units, v.decimals), v.amount, v.units);
    });
    test(`${file.errors.length} bad amounts are refused with their code`, () => {
      for (const v of file.errors) throwsCode(() => waas[v.op](v.input, v.decimals), v.code, `${v.op}(${v.input})`);
    });
  },
  'journal.json'(file) {
    for (const c of file.cases) {
      test(`journal: ${c.name}`, () => {
        if (c.expected.ok !== undefined) {
          assert.equal(waas.verifyJournal(c.jsonl), c.expected.ok);
          // the audit verifies the same entries (and has reserves only for a whole journal)
          const audit = waas.auditJournal(c.jsonl, {}, '1');
          assert.equal(`ok ${audit.verified.entries} entries`, c.expected.ok);
          if (!audit.verified.complete) assert.deepEqual([audit.reserves, audit.history], [{}, []]);
        } else {
          throwsCode(() => waas.auditJournal(c.jsonl, {}, '1'), c.expected.error, c.name);
          throwsCode(() => waas.verifyJournal(c.jsonl), c.expected.error, c.name);
          assert.throws(() => waas.verifyJournal(c.jsonl), (e) => e.message.includes(`line ${c.expected.line}:`), c.name);
        }
      });
    }
  },
  'webhooks.json'(file) {
    const bodyOf = (c) => ('body_hex' in c ? Uint8Array.from(Buffer.from(c.body_hex, 'hex')) : c.body);
    const canonicalTs = (t) => /^(0|[1-9][0-9]{0,15})$/.test(t);
    for (const c of file.verify) {
      test(`verify: ${c.name}`, () => {
        const tol = c.tolerance;
        // the header text as received, and (when it is a plain number) the number form
        const forms = [c.timestamp, ...(canonicalTs(c.timestamp) ? [Number(c.timestamp)] : [])];
        for (const ts of forms) {
          const calls = [
            () => waas.verifyWebhook(c.secret, c.id, ts, bodyOf(c), c.signature, c.now, tol),
            () => new waas.WebhookVerifier([c.secret], tol).verify(c.id, ts, bodyOf(c), c.signature, c.now),
          ];
          for (const call of calls) {
            if (c.expected.result === 'valid') assert.equal(call(), undefined);
            else throwsCode(call, c.expected.code, c.name);
          }
        }
      });
    }
    test(`${file.sign.length} sign cases`, () => {
      for (const c of file.sign) {
        assert.equal(waas.signWebhook(c.secret, c.id, Number(c.timestamp), c.body), c.expected_signature);
      }
    });
    for (const c of file.envelopes) {
      test(`envelope: ${c.name}`, () => {
        const text = 'input_text' in c ? c.input_text : JSON.stringify(c.input);
        const call = () => waas.checkEnvelope(text, c.mode === 'lenient');
        if (c.expected.result === 'valid') {
          assert.equal(waas.checkEnvelopeText(text, c.mode === 'lenient'), c.expected.normalized);
          assert.deepEqual(call(), JSON.parse(c.expected.normalized));
        } else {
          throwsCode(call, c.expected.code, c.name);
          try { call(); } catch (e) {
            assert.ok(e.message.startsWith(`${c.expected.code}: ${c.expected.field}`), `${c.name}: ${e.message}`);
          }
        }
      });
    }
  },
  ledger: scenarios,
  automation: scenarios,
  // EVM transactions signed in the browser build, byte for byte against eth-account's output.
  'transactions.json'(file) {
    test(`${file.transactions.length} transactions, ${file.erc20_transfers.length} ERC-20 call data`, () => {
      let signed = 0;
      for (const t of file.transactions) {
        if (!t.chain || !t.to) continue; // chains outside the registry, contract creation: Rust suite
        const tx = waas.signTransaction(t.chain, t.private_key, t.nonce, t.to, t.gas_limit, t.value,
          t.data, t.gas_price ?? undefined, t.max_fee_per_gas ?? undefined, t.max_priority_fee_per_gas ?? undefined);
        assert.equal(tx.raw, t.expected.raw, t.name);
        assert.equal(tx.hash, t.expected.hash, t.name);
        signed++;
      }
      assert.ok(signed >= 70, `signed ${signed}`);
      for (const e of file.erc20_transfers) assert.equal(waas.erc20TransferData(e.to, e.amount), e.expected);
      throwsCode(() => waas.signTransaction('ethereum', '0x' + '46'.repeat(32), '1', '0x3535353535353535353535353535353535353535', '21000'), 'INVALID_ARGUMENT', 'no fee mode');
      throwsCode(() => waas.signTransaction('tron', '0x' + '46'.repeat(32), '1', '0x3535353535353535353535353535353535353535', '21000', '0', '0x', '1'), 'INVALID_ARGUMENT', 'tron');
    });
  },
  // The binding surface takes xpubs, not seeds: every xpub of BIP-32 must be accepted and derive
  // like its batch form; every xprv must be refused (a secret pasted where an xpub goes).
  'bip32.json'(file) {
    test('BIP-32 xpubs are accepted, xprvs refused', () => {
      let n = 0;
      for (const v of file.vectors) for (const c of v.chains) {
        const single = waas.deriveAddress('ethereum', c.xpub, 0);
        assert.deepEqual(waas.deriveAddresses('ethereum', c.xpub, 0, 1), [single]);
        throwsCode(() => waas.deriveAddress('ethereum', c.xprv, 0), 'INVALID_KEY', c.path);
        n++;
      }
      assert.equal(n, 14);
    });
  },
  // Mnemonics and seeds are not part of the browser build (a seed phrase does not belong in a web
  // page): this file is run by the Rust suite (seeds) and the Python suite (account xpubs).
  'bip39.json'(file) {
    test('not applicable to the wasm surface', { skip: 'no mnemonic functions in waas-wasm by design' }, () => {});
    test('and indeed not exposed', () => assert.equal(waas.accountXpub, undefined));
  },
};
// Generator scripts of the vector files: the tools/ folder and *.py files.
const isVector = (n) => n !== 'tools' && !n.endsWith('.py');

const names = readdirSync(vectorsDir).filter(isVector).sort();
for (const name of names) {
  describe(`tests/vectors/${name}`, () => {
    const run = runners[name];
    if (!run) {
      test('has a runner', () => assert.fail(`no runner knows tests/vectors/${name}: add one to every suite`));
      return;
    }
    run(statSync(path.join(vectorsDir, name)).isDirectory() ? name : load(name));
  });
}

describe('JavaScript translation', () => {
  const xpub = load('derivation.json').cases[0].xpub;
  test('numbers that are not whole u32 are refused, not truncated', () => {
    for (const bad of [1.5, -1, 2 ** 32, NaN, Infinity]) {
      throwsCode(() => waas.deriveAddress('ethereum', xpub, bad), 'INVALID_INDEX', String(bad));
    }
    throwsCode(() => waas.toBaseUnits('1', 2.5), 'INVALID_AMOUNT', 'decimals 2.5');
    throwsCode(() => waas.fromBaseUnits('1', 300), 'INVALID_AMOUNT', 'decimals 300');
  });
  test('errors are Error objects named WaasError with code and message', () => {
    try {
      waas.canonicalAddress('ethereum', '0x123');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'WaasError');
      assert.equal(e.code, 'INVALID_ADDRESS');
      assert.match(e.message, /^INVALID_ADDRESS: /);
    }
  });
  test('API keys: generated keys hash like hashApiKey; bad keys are UNAUTHORIZED', () => {
    const k = waas.newApiKey('sandbox');
    assert.match(k.key, /^waas_test_[0-9a-f]{64}$/);
    assert.equal(waas.hashApiKey(k.key), k.hash);
    assert.ok(k.key.startsWith(k.hint));
    assert.equal(k.environment, 'sandbox');
    assert.notEqual(waas.newApiKey('live').key, waas.newApiKey('live').key);
    throwsCode(() => waas.hashApiKey('sk_nope'), 'UNAUTHORIZED', 'foreign key');
    throwsCode(() => waas.newApiKey('prod'), 'INVALID_ARGUMENT', 'bad environment');
  });
  test('webhook arguments: numbers must be whole, bodies text or bytes', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sig = waas.signWebhook(secret, 'msg_1', 1614265330, 'hi');
    assert.equal(waas.signWebhook(secret, 'msg_1', 1614265330, new TextEncoder().encode('hi')), sig);
    waas.verifyWebhook(secret, 'msg_1', 1614265330, 'hi', sig, 1614265330);
    throwsCode(() => waas.signWebhook(secret, 'msg_1', 1.5, 'hi'), 'INVALID_ARGUMENT', 'ts 1.5');
    throwsCode(() => waas.verifyWebhook(secret, 'msg_1', 1614265330, 'hi', sig, 0.5), 'INVALID_ARGUMENT', 'now 0.5');
    throwsCode(() => waas.verifyWebhook(secret, 'msg_1', 1614265330, 42, sig, 1614265330), 'INVALID_ARGUMENT', 'body 42');
    throwsCode(() => waas.verifyWebhook(secret, 'msg_1', 1614265330, 'hi', sig, 1614265330 + 301), 'TIMESTAMP_OUT_OF_TOLERANCE', 'late');
    waas.verifyWebhook(secret, 'msg_1', 1614265330, 'hi', sig, 1614265330 + 301, 400);
    // rotation: a verifier with the new and the old secret accepts the old signature
    const other = 'whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
    new waas.WebhookVerifier([other, secret]).verify('msg_1', '1614265330', 'hi', sig, 1614265330);
    throwsCode(() => new waas.WebhookVerifier([other]).verify('msg_1', 1614265330, 'hi', sig, 1614265330), 'INVALID_SIGNATURE', 'rotated out');
    throwsCode(() => new waas.WebhookVerifier([]), 'INVALID_SECRET', 'no secret');
  });
  test('a non-string where a string belongs is INVALID_ARGUMENT, and nothing breaks after it', () => {
    const key = new waas.DepositKey('ethereum', xpub);
    const before = key.deriveAddress(7);
    const addr = waas.deriveAddress('ethereum', xpub, 0);
    for (const bad of [123, 12n, null, undefined, {}, [], true, Symbol('s'), new String('0x')]) {
      const what = typeof bad === 'symbol' ? 'symbol' : `${typeof bad} ${String(bad)}`;
      throwsCode(() => waas.canonicalAddress('ethereum', bad), 'INVALID_ARGUMENT', `address ${what}`);
      throwsCode(() => waas.deriveAddress(bad, xpub, 0), 'INVALID_ARGUMENT', `chain ${what}`);
      throwsCode(() => waas.toBaseUnits(bad, 6), 'INVALID_ARGUMENT', `amount ${what}`);
      throwsCode(() => waas.checkEnvelope(bad, false), 'INVALID_ARGUMENT', `envelope ${what}`);
      throwsCode(() => waas.replayLedger(bad), 'INVALID_ARGUMENT', `scenario ${what}`);
      throwsCode(() => waas.hashApiKey(bad), 'INVALID_ARGUMENT', `api key ${what}`);
      throwsCode(() => new waas.DepositKey('ethereum', bad), 'INVALID_ARGUMENT', `xpub ${what}`);
    }
    // the module's memory is intact: the same answers as before the bad calls
    assert.equal(key.deriveAddress(7), before);
    assert.equal(waas.canonicalAddress('ethereum', addr.toLowerCase()), addr);
  });
  test('fromBaseUnits takes base units as a string or a BigInt', () => {
    assert.equal(waas.fromBaseUnits(12500000n, 6), '12.5');
    assert.equal(waas.fromBaseUnits(10n ** 27n + 5n, 18), '1000000000.000000000000000005');
    throwsCode(() => waas.fromBaseUnits(-1n, 6), 'INVALID_AMOUNT', 'negative BigInt');
    for (const bad of [12500000, null, undefined, {}, true]) {
      throwsCode(() => waas.fromBaseUnits(bad, 6), 'INVALID_AMOUNT', `units ${String(bad)}`);
    }
  });
  test('isWaasError tells the package\'s errors from others', () => {
    try {
      waas.toBaseUnits('1.1234567', 6);
      assert.fail('no error');
    } catch (e) {
      assert.ok(waas.isWaasError(e));
    }
    assert.ok(!waas.isWaasError(new Error('x')));
    assert.ok(!waas.isWaasError({ name: 'WaasError', code: 'INVALID_AMOUNT' }));
  });
  test('aliases resolve like the CLI', () => {
    assert.equal(waas.deriveAddress('eth', xpub, 0), waas.deriveAddress('ethereum', xpub, 0));
    throwsCode(() => waas.deriveAddress('bitcoin', xpub, 0), 'UNKNOWN_CHAIN', 'bitcoin');
  });
});

describe('the package', () => {
  const names = (m) => Object.keys(m).filter((n) => n !== 'default' && n !== '__esModule').sort();
  test('import and require give the same functions and classes', () => {
    assert.deepEqual(names(imported), names(required));
    for (const n of names(required)) assert.equal(imported[n], required[n], n);
    assert.equal(typeof imported.default, 'function'); // init(): nothing to do in Node
    assert.equal(imported.default, required.default);
  });
  test('index.d.ts declares exactly the exports, and every error code of the core', () => {
    const dts = readFileSync(path.join(packageDir, 'index.d.ts'), 'utf8');
    const declared = [...dts.matchAll(/^export (?:function|class) (\w+)/gm)].map((m) => m[1]).sort();
    assert.deepEqual([...new Set(declared)], names(required));
    assert.match(dts, /^export default function init/m);
    assert.equal(readFileSync(path.join(packageDir, 'index.d.mts'), 'utf8'), dts);
    const core = readFileSync(path.join(root, 'core/src/error.rs'), 'utf8');
    const codes = new Set([...core.matchAll(/=> "([A-Z_]+)",/g)].map((m) => m[1]));
    const union = dts.slice(dts.indexOf('export type ErrorCode'), dts.indexOf(';', dts.indexOf('export type ErrorCode')));
    assert.deepEqual(new Set([...union.matchAll(/'([A-Z_]+)'|"([A-Z_]+)"/g)].map((m) => m[1] ?? m[2])), codes);
  });
  test('package.json: name, workspace version, licence, exports', () => {
    const pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
    const version = readFileSync(path.join(root, 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"/m)[1];
    assert.equal(pkg.name, 'waas-wasm');
    assert.equal(pkg.version, version);
    assert.equal(pkg.license, 'MIT OR Apache-2.0');
    assert.ok(pkg.repository.url);
    assert.deepEqual(Object.keys(pkg.exports['.']), ['node', 'browser', 'default']);
    for (const f of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'web/waas_wasm_bg.wasm', 'web/index.js', 'node/index.cjs', 'node/index.mjs']) {
      assert.ok(statSync(path.join(packageDir, f)).isFile(), f);
    }
  });
});
