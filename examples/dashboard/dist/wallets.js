// Wallets: accounts, virtual wallets (address, status, available / held / pending per token) with
// filters, treasury wallets and cards, each paged with the API's cursors.
import { short } from './format.js';
import { amount, badge, el, pagedList } from './ui.js';
/** Wallet ids whose shown address the xpub does not derive (set by "Verify deposit addresses"). */
export const substituted = new Map();
function balances(b, part) {
    const tokens = Object.keys(b ?? {}).sort();
    if (tokens.length === 0)
        return [amount('0')];
    return tokens.map((t) => el('div', {}, amount(b[t][part], t)));
}
const walletColumns = [
    { head: 'Wallet', cell: (w) => el('code', { class: 'id', title: w.id }, short(w.id, 12)) },
    { head: 'Account', cell: (w) => el('code', { class: 'id', title: w.account_id ?? '' }, short(w.account_id ?? '—', 12)) },
    { head: 'Chain', cell: (w) => w.blockchain ?? '—' },
    { head: 'Index', numeric: true, cell: (w) => String(w.index ?? '—') },
    {
        head: 'Deposit address',
        cell: (w) => {
            const derived = substituted.get(w.id);
            return [
                el('code', { class: 'address', 'data-address': w.id }, w.address ?? '—'),
                derived !== undefined ? el('div', { class: 'flag', 'data-test': 'address-flag' }, `⚠ not derived from the xpub (expected ${derived || 'no address'})`) : null,
            ];
        },
    },
    { head: 'Status', cell: (w) => [badge(w.status), ...(w.flags ?? []).map((f) => el('div', { class: 'note' }, f))] },
    { head: 'Available', numeric: true, cell: (w) => balances(w.balances, 'available') },
    { head: 'Held', numeric: true, cell: (w) => balances(w.balances, 'held') },
    { head: 'Pending', numeric: true, cell: (w) => balances(w.balances, 'unconfirmed') },
];
/** The wallets tab: filters, and the four paged lists. Answers a function that reloads them. */
export function wallets(api, root, chains) {
    const chain = el('select', { name: 'blockchain' }, el('option', { value: '' }, 'every chain'), ...chains.map((c) => el('option', { value: c }, c)));
    const status = el('select', { name: 'status' }, ...['', 'active', 'inactive', 'frozen'].map((s) => el('option', { value: s }, s || 'any status')));
    const account = el('input', { name: 'account_id', placeholder: 'acc_…', size: '24' });
    const filters = el('form', { class: 'filters' }, el('label', {}, 'Blockchain ', chain), el('label', {}, 'Status ', status), el('label', {}, 'Account ', account), el('button', { type: 'submit' }, 'Filter'));
    const vw = el('div', { 'data-list': 'virtual-wallets' });
    const acc = el('div', { 'data-list': 'accounts' });
    const tr = el('div', { 'data-list': 'treasury' });
    const cards = el('div', { 'data-list': 'cards' });
    root.replaceChildren(el('h2', {}, 'Virtual wallets'), filters, vw, el('h2', {}, 'Accounts'), acc, el('h2', {}, 'Treasury wallets'), tr, el('h2', {}, 'Cards'), cards);
    const lists = [
        pagedList(vw, {
            api, path: '/v1/wallets/virtual', columns: walletColumns, empty: 'No virtual wallet matches.',
            query: () => ({ blockchain: chain.value, status: status.value, account_id: account.value.trim() }),
            rowAttrs: (w) => (substituted.has(w.id) ? { class: 'flagged', 'data-flagged': 'address' } : {}),
        }),
        pagedList(acc, {
            api, path: '/v1/accounts', query: () => ({}), empty: 'No account yet.',
            columns: [{ head: 'Account', cell: (a) => el('code', {}, a.id) }, { head: 'Name', cell: (a) => a.name }],
        }),
        pagedList(tr, {
            api, path: '/v1/treasury', query: () => ({}), empty: 'No treasury wallet.',
            columns: [
                { head: 'Wallet', cell: (t) => el('code', {}, t.id) },
                { head: 'Chain', cell: (t) => t.blockchain },
                { head: 'Address', cell: (t) => el('code', {}, t.address) },
                { head: 'Status', cell: (t) => badge(t.status) },
                { head: 'Balance', numeric: true, cell: (t) => balances(t.balances, 'total') },
            ],
        }),
        pagedList(cards, {
            api, path: '/v1/cards', query: () => ({}), empty: 'No card.',
            columns: [
                { head: 'Card', cell: (c) => el('code', {}, c.id) },
                { head: 'Brand', cell: (c) => `${c.brand} ·· ${c.last4}` },
                { head: 'Label', cell: (c) => c.label ?? '—' },
                { head: 'Balance', numeric: true, cell: (c) => amount(c.balance_usd, 'USD') },
            ],
        }),
    ];
    filters.onsubmit = (ev) => { ev.preventDefault(); void lists[0].reload(); };
    return () => { for (const l of lists)
        void l.reload(); };
}
