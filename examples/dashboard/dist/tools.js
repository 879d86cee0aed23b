// The waas tools page: loads the web build of waas-wasm and computes everything locally.
// The host serves it at /dashboard/tools.html (with the package's web build beside it, in wasm/);
// ?pkg=URL points to another copy of the package's browser entry (web/index.js), e.g. one in a
// project's node_modules/waas-wasm.
const pkgUrl = new URLSearchParams(location.search).get('pkg') ?? './wasm/index.js';
const CHAINS = ['ethereum', 'polygon', 'bsc', 'arbitrum', 'optimism', 'base', 'avalanche', 'tron',
  'sepolia', 'polygon-amoy', 'bsc-testnet', 'tron-nile'];

const $ = (id) => document.getElementById(id);
const describe = (e) => (e && e.code ? `${e.code}: ${e.message.replace(`${e.code}: `, '')}` : String(e));

function show(el, ok, text, code) {
  el.textContent = text;
  el.className = ok ? 'ok' : 'bad';
  el.dataset.ok = String(ok);
  if (code) el.dataset.code = code; else delete el.dataset.code;
}

async function main() {
  const waas = await import(pkgUrl);
  await waas.default(); // init(): fetches and instantiates waas_wasm_bg.wasm beside the module
  for (const sel of document.querySelectorAll('select.chains')) {
    sel.innerHTML = CHAINS.map((c) => `<option>${c}</option>`).join('');
  }

  $('derive-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = $('derive-result').tBodies[0];
    body.replaceChildren();
    $('derive-error').hidden = true;
    try {
      const start = Number($('derive-start').value);
      const list = waas.deriveAddresses($('derive-chain').value, $('derive-xpub').value.trim(), start,
        Number($('derive-count').value));
      list.forEach((addr, i) => {
        const row = body.insertRow();
        row.insertCell().textContent = String(start + i);
        row.insertCell().textContent = addr;
      });
      $('derive-result').hidden = false;
    } catch (e) {
      $('derive-result').hidden = true;
      $('derive-error').hidden = false;
      show($('derive-error'), false, describe(e), e.code);
    }
  });

  $('check-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    try {
      const canonical = waas.canonicalAddress($('check-chain').value, $('check-address').value.trim());
      show($('check-result'), true, `valid — canonical form ${canonical}`);
      $('check-result').dataset.canonical = canonical;
    } catch (e) {
      delete $('check-result').dataset.canonical;
      show($('check-result'), false, `invalid — ${describe(e)}`, e.code);
    }
  });

  if (typeof waas.verifyWebhook !== 'function') {
    $('webhook-unavailable').hidden = false;
    $('webhook-form').querySelector('button').disabled = true;
  }
  $('webhook-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const now = $('webhook-now').value === '' ? Math.floor(Date.now() / 1000) : Number($('webhook-now').value);
    try {
      waas.verifyWebhook($('webhook-secret').value, $('webhook-id').value, Number($('webhook-timestamp').value),
        $('webhook-body').value, $('webhook-signature').value, now);
      show($('webhook-result'), true, 'signature verified');
    } catch (e) {
      show($('webhook-result'), false, `rejected — ${describe(e)}`, e.code);
    }
  });

  if (typeof waas.replayLedger !== 'function' || typeof waas.reserveReport !== 'function') {
    $('reserve-unavailable').hidden = false;
    $('reserve-form').querySelector('button').disabled = true;
  }
  $('reserve-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('reserve-error').hidden = true;
    $('reserve-result').hidden = true;
    try {
      const scenario = $('reserve-scenario').value;
      const replay = waas.replayLedger(scenario); // { results, state, lines }
      $('reserve-output').textContent = replay.lines.join('\n');
      renderReserves(replay, waas.reserveReport(scenario));
    } catch (e) {
      $('reserve-error').hidden = false;
      show($('reserve-error'), false, describe(e), e.code);
    }
  });

  $('status').textContent = 'wasm ready';
  $('status').dataset.state = 'ready';
}

// The reserve reports (reserveReport, keyed client/blockchain/token; see docs/LEDGER.md) in a
// table, with a summary of the replay (replayLedger's answers).
function renderReserves(replay, report) {
  const reserves = Object.entries(report);
  const cols = ['holding', 'in_transit', 'liabilities', 'ratio', 'leverage', 'withdrawable'];
  const table = $('reserve-result');
  table.tHead.innerHTML = `<tr><th>client/blockchain/token</th>${cols.map((c) => `<th>${c}</th>`).join('')}</tr>`;
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const [key, r] of reserves) {
    const row = body.insertRow();
    row.dataset.key = key;
    row.insertCell().textContent = key;
    for (const c of cols) {
      const cell = row.insertCell();
      cell.dataset.col = c;
      cell.textContent = r[c] === null || r[c] === undefined ? '—' : String(r[c]);
    }
  }
  const failed = replay.results.filter((r) => r.ok === false).length;
  $('reserve-summary').textContent = `${replay.results.length} commands replayed, ${failed} refused; ${reserves.length} reserve reports`;
  table.hidden = false;
}

main().catch((e) => {
  $('status').textContent = `could not load waas-wasm from ${pkgUrl}: ${e}`;
  $('status').dataset.state = 'failed';
});
