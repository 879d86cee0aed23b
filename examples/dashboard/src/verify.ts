// Trust, checked in this browser: the books recomputed from the journal export and compared
// with what the API reports, and every deposit address derived again from the holding wallet's
// xpub. The server is only a source of data here; the judgement runs in waas-wasm.

import { Api, ApiError } from './api.js';
import { addDecimal, sameAmount } from './format.js';
import type { HoldingDetail, HoldingSummary, Treasury, VirtualWallet, WalletBalance, WalletConfiguration } from './types.js';
import type { WaasModule } from './waas.js';
import type { JournalAudit } from 'waas-wasm';

/** The outcome of a check: `ok`, the line the dashboard shows, and every disagreement found. */
export interface Outcome {
  ok: boolean;
  text: string;
  problems: string[];
}

/** What the API reports that the journal must agree with. */
interface Reported {
  wallets: VirtualWallet[];
  /** Treasury wallets (none when the key may not read them). */
  treasury: Treasury[];
  holdings: HoldingDetail[];
}

const RESERVE_FIELDS = ['holding', 'in_transit', 'liabilities', 'ratio', 'leverage', 'withdrawable'] as const;

async function reported(api: Api): Promise<Reported> {
  const wallets = await api.all<VirtualWallet>('/v1/wallets/virtual');
  const summaries = await api.all<HoldingSummary>('/v1/wallets/holding');
  const holdings = await Promise.all(summaries.map((h) => api.get<HoldingDetail>(`/v1/wallets/holding/${encodeURIComponent(h.blockchain)}`)));
  const treasury = await api.all<Treasury>('/v1/treasury').catch((e) => {
    if (e instanceof ApiError && e.status === 403) return [] as Treasury[];
    throw e;
  });
  return { wallets, treasury, holdings };
}

/** The API's figures against the audit's: every wallet balance and every reserve. */
function compare(audit: JournalAudit, seen: Reported): string[] {
  const problems: string[] = [];
  const balances = audit.verified.balances;
  const walletLike: { id: string; balances: Record<string, WalletBalance> }[] = [...seen.wallets, ...seen.treasury];
  for (const w of walletLike) {
    const journal = balances[`wallet:${w.id}`] ?? {};
    const tokens = new Set([...Object.keys(w.balances ?? {}), ...Object.keys(journal)]);
    for (const token of tokens) {
      const j = journal[token];
      const fromJournal = j ? addDecimal(j.posted, j.pending) : '0';
      const fromApi = w.balances?.[token]?.total ?? '0';
      if (!sameAmount(fromApi, fromJournal)) {
        problems.push(`wallet ${w.id} ${token}: the API reports ${fromApi}, the journal ${fromJournal}`);
      }
    }
  }
  for (const h of seen.holdings) {
    const tokens = new Set([
      ...Object.keys(h.reserve ?? {}),
      ...Object.keys(audit.reserves).filter((k) => k.startsWith(`${h.blockchain}/`)).map((k) => k.slice(h.blockchain.length + 1)),
    ]);
    for (const token of tokens) {
      const api = h.reserve?.[token];
      const journal = audit.reserves[`${h.blockchain}/${token}`];
      for (const field of RESERVE_FIELDS) {
        const a = api?.[field] ?? (field === 'ratio' ? null : '0');
        const b = journal?.[field] ?? (field === 'ratio' ? null : '0');
        const same = a === null || b === null ? a === b : sameAmount(a, b);
        if (!same) {
          problems.push(`reserve ${h.blockchain} ${token} ${field}: the API reports ${a ?? 'none'}, the journal ${b ?? 'none'}`);
        }
      }
    }
  }
  return problems;
}

function sameReport(a: Reported, b: Reported): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Downloads the journal (for a period when `from`/`to` are given), verifies its hash chain and
 * running balances, recomputes the reserves and compares them and every wallet balance with the
 * API. The API is read before and after the export; if the platform moved in between, it tries
 * again (three times at most).
 */
export async function verifyBooks(api: Api, waas: WaasModule, period: { from?: string; to?: string } = {}): Promise<Outcome & { audit?: JournalAudit }> {
  const config = await api.get<WalletConfiguration>('/v1/wallets/configuration');
  for (let attempt = 1; ; attempt++) {
    const before = await reported(api);
    const journal = await api.text('/v1/journal/export', period);
    const after = await reported(api);
    if (!sameReport(before, after) && attempt < 3) continue;
    const chains: Record<string, string> = {};
    for (const w of after.wallets) if (w.blockchain) chains[w.id] = w.blockchain;
    let audit: JournalAudit;
    try {
      audit = waas.auditJournal(journal, chains, config.min_reserve_ratio);
    } catch (e) {
      const text = `mismatch: ${e instanceof Error ? e.message : String(e)}`;
      return { ok: false, text, problems: [text] };
    }
    const n = audit.verified.entries;
    if (n === 0 && !period.from && !period.to) {
      const empty = after.wallets.every((w) => Object.values(w.balances ?? {}).every((b) => sameAmount(b.total, '0')));
      return empty
        ? { ok: true, text: 'verified: 0 entries (nothing recorded yet)', problems: [], audit }
        : { ok: false, text: 'mismatch: the journal is empty but the API reports balances', problems: [], audit };
    }
    if (!audit.verified.complete) {
      return { ok: true, text: `verified: ${n} entries (a period: hash chain and running balances; balances and reserves need the whole journal)`, problems: [], audit };
    }
    const problems = compare(audit, after);
    if (problems.length > 0) {
      return { ok: false, text: `mismatch: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, problems, audit };
    }
    const reserves = Object.keys(audit.reserves).length;
    return { ok: true, text: `verified: ${n} entries; ${after.wallets.length + after.treasury.length} wallets and ${reserves} reserves agree with the API`, problems, audit };
  }
}

/** A wallet whose shown deposit address is not the one the holding wallet's xpub derives. */
export interface Substituted {
  wallet: string;
  index: number | null;
  shown: string | null;
  derived: string | null;
}

/**
 * Derives every virtual wallet's address from its holding wallet's xpub (at the wallet's index)
 * and names each wallet whose shown address differs: a substituted deposit address would send
 * users' deposits elsewhere.
 */
export async function verifyAddresses(api: Api, waas: WaasModule, wallets?: VirtualWallet[]): Promise<Outcome & { flagged: Substituted[] }> {
  const list = wallets ?? (await api.all<VirtualWallet>('/v1/wallets/virtual'));
  const chains = [...new Set(list.map((w) => w.blockchain).filter((c): c is string => !!c))];
  const keys = new Map<string, InstanceType<WaasModule['DepositKey']>>();
  const flagged: Substituted[] = [];
  try {
    for (const chain of chains) {
      const holding = await api.get<HoldingDetail>(`/v1/wallets/holding/${encodeURIComponent(chain)}`);
      keys.set(chain, new waas.DepositKey(chain, holding.xpub));
    }
    for (const w of list) {
      const key = w.blockchain ? keys.get(w.blockchain) : undefined;
      let derived: string | null = null;
      let shown: string | null = w.address;
      if (key && w.index !== null && w.index !== undefined) {
        derived = key.deriveAddress(w.index);
        try {
          shown = w.address ? waas.canonicalAddress(w.blockchain as string, w.address) : null;
        } catch {
          // not an address of that chain at all: flagged below
        }
      }
      if (derived === null || shown !== derived) flagged.push({ wallet: w.id, index: w.index, shown: w.address, derived });
    }
  } finally {
    for (const k of keys.values()) k.free();
  }
  if (flagged.length > 0) {
    const f = flagged[0];
    const text = `mismatch: ${flagged.length} of ${list.length} addresses do not derive from the xpub; first: ${f.wallet} (index ${f.index ?? '?'}) shows ${f.shown ?? 'no address'}, the xpub derives ${f.derived ?? 'nothing'}`;
    return { ok: false, text, problems: flagged.map((x) => x.wallet), flagged };
  }
  return { ok: true, text: `verified: ${list.length} addresses derive from the holding wallets' xpubs`, problems: [], flagged };
}
