// Small DOM helpers: elements, tables with right-aligned amounts, and lists that page through
// the API with loading, empty and error states.

import { Api, Page, Query } from './api.js';

type Child = Node | string | null | undefined | false;

/** An element with attributes (`dataset` keys as `data-*`, `class`, others as attributes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** An amount cell: right-aligned, with its token. */
export function amount(value: string | undefined, token = ''): HTMLElement {
  return el('span', { class: 'amount' }, value ?? '0', token ? el('span', { class: 'unit' }, token) : null);
}

/** A status shown as a coloured badge. */
export function badge(text: string): HTMLElement {
  return el('span', { class: `badge badge-${text.replace(/[^a-z_]/gi, '')}` }, text);
}

/** A column of a table: its header, how a row shows in it, and whether it holds numbers. */
export interface Column<T> {
  head: string;
  cell: (row: T) => Child | Child[];
  numeric?: boolean;
}

/** A table of rows; `rowAttrs` may mark rows (a flagged address, a failed delivery). */
export function table<T>(columns: Column<T>[], rows: T[], rowAttrs?: (row: T) => Record<string, string | undefined>): HTMLTableElement {
  const head = el('tr', {}, ...columns.map((c) => el('th', c.numeric ? { class: 'num' } : {}, c.head)));
  const body = el('tbody');
  for (const row of rows) {
    const tr = el('tr', rowAttrs ? rowAttrs(row) : {});
    for (const c of columns) {
      const v = c.cell(row);
      const td = el('td', c.numeric ? { class: 'num' } : {});
      for (const part of Array.isArray(v) ? v : [v]) if (part !== null && part !== undefined && part !== false) td.append(part);
      tr.append(td);
    }
    body.append(tr);
  }
  return el('table', {}, el('thead', {}, head), body);
}

/** Replaces a container's content with a state line: loading, empty or an error. */
export function state(container: HTMLElement, kind: 'loading' | 'empty' | 'error', text: string): void {
  container.replaceChildren(el('p', { class: `state state-${kind}`, 'data-state': kind, role: kind === 'error' ? 'alert' : 'status' }, text));
}

/** The message of anything thrown. */
export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What a paged list shows and where it reads from. */
export interface ListSpec<T> {
  api: Api;
  /** The list's path, or a function giving it when it depends on a form. */
  path: string | (() => string);
  query: () => Query;
  columns: Column<T>[];
  empty: string;
  pageSize?: number;
  rowAttrs?: (row: T) => Record<string, string | undefined>;
  /** Orders a page before it is shown (e.g. failed deliveries first). */
  order?: (rows: T[]) => T[];
  /** Called with each page shown (e.g. to check its addresses). */
  shown?: (rows: T[]) => void;
}

/** A list that pages with the API's cursors (previous pages kept as a stack); `reload` starts over. */
export function pagedList<T>(container: HTMLElement, spec: ListSpec<T>): { reload: () => Promise<void> } {
  const cursors: (string | null)[] = [null];
  const show = async (): Promise<void> => {
    const cursor = cursors[cursors.length - 1];
    state(container, 'loading', 'Loading…');
    let page: Page<T>;
    try {
      const path = typeof spec.path === 'string' ? spec.path : spec.path();
      page = await spec.api.get<Page<T>>(path, { ...spec.query(), limit: spec.pageSize ?? 50, cursor: cursor ?? undefined });
    } catch (e) {
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
