// A wallet's statement: its journal entries, newest first, with the running balance after each.

import { Api } from './api.js';
import { time } from './format.js';
import type { StatementEntry } from './types.js';
import { amount, el, pagedList } from './ui.js';

/** The statement tab: which wallet (virtual, treasury or holding), which token, then the entries. */
export function statement(api: Api, root: HTMLElement): (wallet?: string) => void {
  const kind = el('select', { name: 'kind' }, el('option', { value: 'virtual' }, 'virtual wallet'), el('option', { value: 'treasury' }, 'treasury wallet'), el('option', { value: 'holding' }, 'holding wallet (blockchain)'));
  const id = el('input', { name: 'wallet', placeholder: 'vw_… / tr_… / ethereum', size: '40', required: '', 'data-test': 'statement-wallet' });
  const token = el('input', { name: 'token', placeholder: 'any token', size: '8' });
  const form = el('form', { class: 'filters' }, el('label', {}, 'Wallet ', kind), el('label', {}, 'Id ', id), el('label', {}, 'Token ', token), el('button', { type: 'submit', 'data-test': 'statement-show' }, 'Show'));
  const out = el('div', { 'data-list': 'statement' }, el('p', { class: 'note' }, 'Pick a wallet to see its entries and running balances.'));
  root.replaceChildren(el('h2', {}, 'Statement'), form, out);
  const path = () => {
    const w = encodeURIComponent(id.value.trim());
    return kind.value === 'treasury' ? `/v1/treasury/${w}/statement` : kind.value === 'holding' ? `/v1/wallets/holding/${w}/statement` : `/v1/wallets/virtual/${w}/statement`;
  };
  const list = pagedList<StatementEntry>(out, {
    api, path, query: () => ({ token: token.value.trim() }), empty: 'No entry for this wallet.',
    columns: [
      { head: 'Entry', numeric: true, cell: (e) => String(e.seq) },
      { head: 'When', cell: (e) => time(e.created_at) },
      { head: 'Movement', cell: (e) => el('code', {}, e.movement_id) },
      { head: 'Amount', numeric: true, cell: (e) => amount(e.amount, e.token) },
      { head: 'Balance after', numeric: true, cell: (e) => amount(e.balance_after, e.token) },
      { head: 'Confirmed / pending after', numeric: true, cell: (e) => el('span', { class: 'amount' }, `${e.confirmed_after} / ${e.pending_after}`) },
    ],
  });
  form.onsubmit = (ev) => {
    ev.preventDefault();
    void list.reload();
  };
  return (wallet?: string) => {
    if (wallet) { kind.value = 'virtual'; id.value = wallet; form.requestSubmit(); }
  };
}
