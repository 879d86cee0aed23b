// Activity: deposits waiting for confirmations (with their progress), below-minimum deposits,
// frozen wallets, and webhook deliveries with failed and dead ones first (with redeliver).

import { Api } from './api.js';
import { short, time } from './format.js';
import type { Blockchain, Delivery, Deposit, VirtualWallet } from './types.js';
import { amount, badge, el, message, pagedList, state, table } from './ui.js';

/** Deposits seen on chain and not yet final, with the confirmations their chain needs. */
async function pending(api: Api, container: HTMLElement, chains: Map<string, Blockchain>, wallets: Map<string, string>): Promise<void> {
  state(container, 'loading', 'Loading deposits…');
  try {
    const rows = (await api.all<Deposit>('/v1/deposits', {}, 5000)).filter((d) => d.status === 'pending');
    if (rows.length === 0) { state(container, 'empty', 'No deposit is waiting for confirmations.'); return; }
    const progress = (d: Deposit) => {
      const chain = chains.get(wallets.get(d.wallet_id) ?? '');
      const c = d.confirmations;
      if (!c) return el('span', { class: 'note' }, `${chain?.confirmations ?? '?'} confirmations needed`);
      return el('span', { class: 'progress', 'data-test': 'deposit-progress' },
        el('progress', { max: String(c.required), value: String(c.seen) }),
        el('span', { class: 'amount' }, ` ${c.seen} / ${c.required}`),
        chain ? el('span', { class: 'note' }, ` on ${chain.name}`) : null);
    };
    container.replaceChildren(el('div', { class: 'scroll' }, table([
      { head: 'Transaction', cell: (d: Deposit) => el('code', { title: d.tx }, short(d.tx, 14)) },
      { head: 'Wallet', cell: (d: Deposit) => el('code', { title: d.wallet_id }, short(d.wallet_id, 12)) },
      { head: 'Amount', numeric: true, cell: (d: Deposit) => amount(d.amount, d.token) },
      { head: 'Below minimum', cell: (d: Deposit) => (d.below_minimum ? badge('below_minimum') : 'no') },
      { head: 'Seen', cell: (d: Deposit) => time(d.created_at) },
      { head: 'Progress', cell: progress },
    ], rows)));
  } catch (e) {
    state(container, 'error', message(e));
  }
}

/** The activity tab. Answers a function that reloads it. */
export function activity(api: Api, root: HTMLElement, chains: Map<string, Blockchain>): () => void {
  const waiting = el('div', { 'data-list': 'pending-deposits' });
  const below = el('div', { 'data-list': 'below-minimum' });
  const frozen = el('div', { 'data-list': 'frozen' });
  const deliveries = el('div', { 'data-list': 'deliveries' });
  const deliveryStatus = el('select', {}, ...['', 'dead', 'pending', 'delivered', 'skipped'].map((s) => el('option', { value: s }, s || 'every status')));
  const feedback = el('p', { class: 'note', role: 'status' });
  root.replaceChildren(
    el('h2', {}, 'Deposits waiting for confirmations'), waiting,
    el('h2', {}, 'Below-minimum deposits'), below,
    el('h2', {}, 'Frozen wallets'), frozen,
    el('h2', {}, 'Webhook deliveries'), el('label', { class: 'inline' }, 'Status ', deliveryStatus), feedback, deliveries,
  );
  const failedFirst = (rows: Delivery[]) => {
    const rank = (d: Delivery) => (d.status === 'dead' ? 0 : d.status === 'pending' && d.last_error ? 1 : 2);
    return [...rows].sort((a, b) => rank(a) - rank(b));
  };
  const deliveryList = pagedList<Delivery>(deliveries, {
    api, path: '/v1/webhooks/deliveries', query: () => ({ status: deliveryStatus.value }), empty: 'No webhook event.', order: failedFirst,
    rowAttrs: (d) => (d.status === 'dead' || d.last_error ? { class: 'failed' } : {}),
    columns: [
      { head: 'Event', cell: (d) => el('code', { class: 'id', title: d.id }, short(d.id, 12)) },
      { head: 'What', cell: (d) => `${d.event.operation ?? '?'} ${d.event.sub_operation ?? ''}` },
      { head: 'Status', cell: (d) => badge(d.status) },
      { head: 'Attempts', numeric: true, cell: (d) => String(d.attempts) },
      { head: 'Last error', cell: (d) => d.last_error ?? '—' },
      { head: 'Queued', cell: (d) => time(d.created_at) },
      {
        head: '',
        cell: (d) => {
          const b = el('button', { type: 'button', class: 'secondary', 'data-redeliver': d.id }, 'Redeliver');
          b.onclick = async () => {
            b.disabled = true;
            try {
              await api.post(`/v1/webhooks/deliveries/${encodeURIComponent(d.id)}/redeliver`);
              feedback.textContent = `${d.id} queued again.`;
              await deliveryList.reload();
            } catch (e) {
              feedback.textContent = message(e);
              b.disabled = false;
            }
          };
          return b;
        },
      },
    ],
  });
  deliveryStatus.onchange = () => void deliveryList.reload();
  const belowList = pagedList<Deposit>(below, {
    api, path: '/v1/deposits', query: () => ({ status: 'below_minimum' }), empty: 'No below-minimum deposit.',
    columns: [
      { head: 'Transaction', cell: (d) => el('code', { title: d.tx }, short(d.tx, 14)) },
      { head: 'Wallet', cell: (d) => el('code', {}, d.wallet_id) },
      { head: 'Amount', numeric: true, cell: (d) => amount(d.amount, d.token) },
      { head: 'Status', cell: (d) => badge(d.credited_by_decision ? 'credited' : d.status) },
      { head: 'Seen', cell: (d) => time(d.created_at) },
    ],
  });
  const frozenList = pagedList<VirtualWallet>(frozen, {
    api, path: '/v1/wallets/virtual', query: () => ({ status: 'frozen' }), empty: 'No frozen wallet.',
    columns: [
      { head: 'Wallet', cell: (w) => el('code', {}, w.id) },
      { head: 'Chain', cell: (w) => w.blockchain ?? '—' },
      { head: 'Address', cell: (w) => el('code', {}, w.address ?? '—') },
      { head: 'Notes', cell: (w) => (w.flags ?? []).join('; ') || '—' },
    ],
  });
  return () => {
    void (async () => {
      const ws = await api.all<VirtualWallet>('/v1/wallets/virtual', {}, 5000).catch(() => [] as VirtualWallet[]);
      await pending(api, waiting, chains, new Map(ws.map((w) => [w.id, w.blockchain ?? ''])));
    })();
    void belowList.reload();
    void frozenList.reload();
    void deliveryList.reload();
  };
}
