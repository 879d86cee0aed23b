// The operator dashboard: sign in with an API key (kept in memory only), see the platform, and
// check it in this browser: the books from the journal, the deposit addresses from the xpubs.

import { Api } from './api.js';
import { activity } from './activity.js';
import { showHistory, showReserves } from './reserves.js';
import { statement } from './statement.js';
import type { Blockchain, VirtualWallet } from './types.js';
import { el, message, state } from './ui.js';
import { verifyAddresses, verifyBooks } from './verify.js';
import { substituted, wallets } from './wallets.js';
import { waas } from './waas.js';

const $ = <T extends HTMLElement>(selector: string): T => {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`the page lacks ${selector}`);
  return found;
};

/** Shows a check's outcome: green `verified…`, or red `mismatch…`. */
function outcome(target: HTMLElement, ok: boolean, text: string): void {
  target.textContent = text;
  target.className = ok ? 'result ok' : 'result bad';
  target.dataset.ok = String(ok);
}

/** Everything that needs the signed-in key. */
function signedIn(api: Api, chains: Blockchain[]): void {
  const byId = new Map(chains.map((c) => [c.id, c]));
  const reloadWallets = wallets(api, $('#tab-wallets'), chains.map((c) => c.id));
  const reloadActivity = activity(api, $('#tab-activity'), byId);
  const openStatement = statement(api, $('#tab-statement'));
  const reloadReserves = () => void showReserves(api, $('#reserves'));
  const tabs: Record<string, () => void> = {
    overview: reloadReserves,
    wallets: reloadWallets,
    activity: reloadActivity,
    statement: () => openStatement(),
  };
  for (const button of document.querySelectorAll<HTMLButtonElement>('nav [data-tab]')) {
    button.onclick = () => {
      for (const b of document.querySelectorAll<HTMLButtonElement>('nav [data-tab]')) b.setAttribute('aria-selected', String(b === button));
      for (const panel of document.querySelectorAll<HTMLElement>('.tab')) panel.hidden = panel.id !== `tab-${button.dataset.tab}`;
      tabs[button.dataset.tab ?? '']?.();
    };
  }
  reloadReserves();

  const books = $('[data-test=verify-books]') as HTMLButtonElement;
  const booksResult = $('[data-test=verify-result]');
  books.onclick = async () => {
    books.disabled = true;
    outcome(booksResult, true, 'checking: downloading the journal…');
    booksResult.className = 'result';
    try {
      const from = $<HTMLInputElement>('#period-from').value;
      const to = $<HTMLInputElement>('#period-to').value;
      const period = { from: from ? new Date(from).toISOString() : undefined, to: to ? new Date(to).toISOString() : undefined };
      const result = await verifyBooks(api, await waas(), period);
      outcome(booksResult, result.ok, result.text);
      $('#verify-problems').replaceChildren(...result.problems.slice(1, 20).map((p) => el('li', {}, p)));
      if (result.audit) showHistory($('#history'), result.audit);
      reloadReserves();
    } catch (e) {
      outcome(booksResult, false, `mismatch: the check could not run: ${message(e)}`);
    } finally {
      books.disabled = false;
    }
  };

  const addresses = $('[data-test=verify-addresses]') as HTMLButtonElement;
  const addressResult = $('[data-test=address-result]');
  addresses.onclick = async () => {
    addresses.disabled = true;
    outcome(addressResult, true, 'checking: deriving every address…');
    addressResult.className = 'result';
    try {
      const list = await api.all<VirtualWallet>('/v1/wallets/virtual');
      const result = await verifyAddresses(api, await waas(), list);
      substituted.clear();
      for (const f of result.flagged) substituted.set(f.wallet, f.derived ?? '');
      outcome(addressResult, result.ok, result.text);
      reloadWallets();
    } catch (e) {
      outcome(addressResult, false, `mismatch: the check could not run: ${message(e)}`);
    } finally {
      addresses.disabled = false;
    }
  };
}

function main(): void {
  const form = $<HTMLFormElement>('#sign-in');
  const input = $<HTMLInputElement>('[data-test=api-key]');
  const status = $('#sign-in-status');
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    const api = new Api(key);
    status.textContent = 'Signing in…';
    status.className = 'note';
    try {
      // Any read the key may make proves it; the chain list feeds the filters.
      const { blockchains } = await api.get<{ blockchains: Blockchain[] }>('/v1/management/blockchains').catch(async (e) => {
        if (e?.status === 403) return { blockchains: [] as Blockchain[] };
        throw e;
      });
      await api.get('/v1/wallets/holding', { limit: 1 });
      input.value = ''; // the key lives on in `api` only
      $('#signed-out').hidden = true;
      $('#app').hidden = false;
      $('#who').textContent = 'signed in';
      $('#who').hidden = false;
      signedIn(api, blockchains);
    } catch (e) {
      status.textContent = `Sign-in failed: ${message(e)}`;
      status.className = 'bad';
    }
  };
  $('#sign-out').onclick = () => location.reload();
  void waas().then(
    () => { $('#wasm').textContent = 'waas-wasm ready'; $('#wasm').dataset.state = 'ready'; },
    (e) => { $('#wasm').textContent = `waas-wasm failed: ${message(e)}`; $('#wasm').dataset.state = 'failed'; },
  );
  state($('#history'), 'empty', 'Verify the books to draw the reserve history from the journal.');
}

main();
