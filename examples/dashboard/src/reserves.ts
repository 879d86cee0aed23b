// Overview: per blockchain and token, what the holding wallet holds, what the client owes, the
// reserve ratio, leverage and what may be withdrawn; and their history from the journal.

import { Api } from './api.js';
import { lineChart } from './chart.js';
import { ratio } from './format.js';
import type { HoldingDetail, HoldingSummary } from './types.js';
import { amount, Column, el, message, state, table } from './ui.js';
import type { JournalAudit } from 'waas-wasm';

interface Row {
  chain: string;
  token: string;
  holding: HoldingDetail;
}

const columns: Column<Row>[] = [
  { head: 'Blockchain', cell: (r) => r.chain },
  { head: 'Token', cell: (r) => r.token },
  { head: 'Holding', numeric: true, cell: (r) => amount(r.holding.reserve[r.token].holding, r.token) },
  { head: 'In transit', numeric: true, cell: (r) => amount(r.holding.reserve[r.token].in_transit, r.token) },
  { head: 'Liabilities', numeric: true, cell: (r) => amount(r.holding.reserve[r.token].liabilities, r.token) },
  {
    head: 'Reserve ratio', numeric: true,
    cell: (r) => el('span', { class: 'amount ratio', 'data-test': `reserve-${r.chain}-${r.token}` }, ratio(r.holding.reserve[r.token].ratio)),
  },
  { head: 'Leverage', numeric: true, cell: (r) => amount(r.holding.reserve[r.token].leverage, r.token) },
  { head: 'Withdrawable', numeric: true, cell: (r) => amount(r.holding.reserve[r.token].withdrawable, r.token) },
];

/** Loads every holding wallet's reserves into `container`; answers the holding wallets read. */
export async function showReserves(api: Api, container: HTMLElement): Promise<HoldingDetail[]> {
  state(container, 'loading', 'Loading reserves…');
  try {
    const summaries = await api.all<HoldingSummary>('/v1/wallets/holding');
    const holdings = await Promise.all(summaries.map((h) => api.get<HoldingDetail>(`/v1/wallets/holding/${encodeURIComponent(h.blockchain)}`)));
    const rows: Row[] = holdings.flatMap((h) => Object.keys(h.reserve).sort().map((token) => ({ chain: h.blockchain, token, holding: h })));
    if (rows.length === 0) {
      state(container, 'empty', 'No holding wallet yet: one is made with the first virtual wallet of a blockchain.');
      return holdings;
    }
    const wallets = table(
      [
        { head: 'Blockchain', cell: (h: HoldingDetail) => h.blockchain },
        { head: 'Holding address', cell: (h: HoldingDetail) => el('code', {}, h.address) },
        { head: 'Account xpub', cell: (h: HoldingDetail) => el('code', { class: 'xpub', title: h.xpub }, h.xpub) },
      ],
      holdings,
    );
    container.replaceChildren(el('div', { class: 'scroll' }, table(columns, rows)), el('h3', {}, 'Holding wallets'), el('div', { class: 'scroll' }, wallets));
    return holdings;
  } catch (e) {
    state(container, 'error', message(e));
    return [];
  }
}

/** Draws the reserve ratio and leverage of each reserve over time from a journal audit. */
export function showHistory(container: HTMLElement, audit: JournalAudit): void {
  const keys = [...new Set(audit.history.map((p) => p.reserve))].sort();
  if (keys.length === 0) {
    state(container, 'empty', audit.verified.complete ? 'The journal has no reserve movement yet.' : 'A period export has no history: verify the whole journal.');
    return;
  }
  const select = el('select', { 'aria-label': 'Reserve', 'data-test': 'history-reserve' }, ...keys.map((k) => el('option', { value: k }, k.replace('/', ' · '))));
  const charts = el('div', { class: 'charts' });
  const draw = () => {
    const points = audit.history.filter((p) => p.reserve === select.value);
    const token = select.value.split('/')[1] ?? '';
    charts.replaceChildren(
      lineChart('Reserve ratio (holding / liabilities)', points.filter((p) => p.report.ratio !== null).map((p) => ({ at: p.created_at, value: p.report.ratio as string }))),
      lineChart(`Leverage (${token} owed beyond the holding)`, points.map((p) => ({ at: p.created_at, value: p.report.leverage })), ` ${token}`),
    );
  };
  select.onchange = draw;
  container.replaceChildren(el('label', { class: 'inline' }, 'Reserve ', select), charts);
  draw();
}
