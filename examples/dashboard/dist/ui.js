// Small DOM helpers: elements, tables with right-aligned amounts, and lists that page through
// the API with loading, empty and error states.
/** An element with attributes (`dataset` keys as `data-*`, `class`, others as attributes). */
export function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs))
        if (v !== undefined)
            e.setAttribute(k, v);
    for (const c of children)
        if (c !== null && c !== undefined && c !== false)
            e.append(c);
    return e;
}
/** An amount cell: right-aligned, with its token. */
export function amount(value, token = '') {
    return el('span', { class: 'amount' }, value ?? '0', token ? el('span', { class: 'unit' }, token) : null);
}
/** A status shown as a coloured badge. */
export function badge(text) {
    return el('span', { class: `badge badge-${text.replace(/[^a-z_]/gi, '')}` }, text);
}
/** A table of rows; `rowAttrs` may mark rows (a flagged address, a failed delivery). */
export function table(columns, rows, rowAttrs) {
    const head = el('tr', {}, ...columns.map((c) => el('th', c.numeric ? { class: 'num' } : {}, c.head)));
    const body = el('tbody');
    for (const row of rows) {
        const tr = el('tr', rowAttrs ? rowAttrs(row) : {});
        for (const c of columns) {
            const v = c.cell(row);
            const td = el('td', c.numeric ? { class: 'num' } : {});
            for (const part of Array.isArray(v) ? v : [v])
                if (part !== null && part !== undefined && part !== false)
                    td.append(part);
            tr.append(td);
        }
        body.append(tr);
    }
    return el('table', {}, el('thead', {}, head), body);
}
/** Replaces a container's content with a state line: loading, empty or an error. */
export function state(container, kind, text) {
    container.replaceChildren(el('p', { class: `state state-${kind}`, 'data-state': kind, role: kind === 'error' ? 'alert' : 'status' }, text));
}
/** The message of anything thrown. */
export function message(e) {
    return e instanceof Error ? e.message : String(e);
}
/** A list that pages with the API's cursors (previous pages kept as a stack); `reload` starts over. */
export function pagedList(container, spec) {
    const cursors = [null];
    const show = async () => {
        const cursor = cursors[cursors.length - 1];
        state(container, 'loading', 'Loading…');
        let page;
        try {
            const path = typeof spec.path === 'string' ? spec.path : spec.path();
            page = await spec.api.get(path, { ...spec.query(), limit: spec.pageSize ?? 50, cursor: cursor ?? undefined });
        }
        catch (e) {
            state(container, 'error', message(e));
            return;
        }
        const rows = spec.order ? spec.order(page.data) : page.data;
        if (rows.length === 0 && cursors.length === 1) {
            state(container, 'empty', spec.empty);
            return;
        }
        const prev = el('button', { type: 'button', class: 'secondary' }, '← Previous');
        prev.disabled = cursors.length === 1;
        prev.onclick = () => { cursors.pop(); void show(); };
        const next = el('button', { type: 'button', class: 'secondary' }, 'Next →');
        next.disabled = !page.next_cursor;
        next.onclick = () => { cursors.push(page.next_cursor); void show(); };
        const pager = el('div', { class: 'pager' }, prev, el('span', {}, `page ${cursors.length} · ${rows.length} rows`), next);
        container.replaceChildren(el('div', { class: 'scroll' }, table(spec.columns, rows, spec.rowAttrs)), pager);
        spec.shown?.(rows);
    };
    return { reload: () => { cursors.splice(1); return show(); } };
}
