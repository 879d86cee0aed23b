// The rows the public API answers, as the dashboard reads them (amounts are decimal strings).

/** One token balance of a wallet. */
export interface WalletBalance {
  available: string;
  held: string;
  confirmed: string;
  unconfirmed: string;
  total: string;
}

export interface VirtualWallet {
  id: string;
  account_id: string | null;
  blockchain: string | null;
  address: string | null;
  index: number | null;
  alias: string | null;
  status: string;
  flags: string[];
  balances: Record<string, WalletBalance>;
}

export interface Treasury {
  id: string;
  account_id: string;
  blockchain: string;
  address: string;
  alias: string | null;
  status: string;
  balances: Record<string, WalletBalance>;
}

export interface Account {
  id: string;
  name: string;
}

export interface Card {
  id: string;
  account_id: string;
  brand: string;
  last4: string;
  label: string | null;
  balance_usd: string;
  status?: string;
}

/** A holding wallet's reserve for one token: the package's own type (the same JSON). */
export type Reserve = import('waas-wasm').Reserve;

export interface HoldingSummary {
  id: string;
  blockchain: string;
  address: string;
  alias: string | null;
}

export interface HoldingDetail extends HoldingSummary {
  balances: Record<string, string>;
  reserve: Record<string, Reserve>;
  xpub: string;
}

export interface Deposit {
  id: string;
  tx: string;
  wallet_id: string;
  status: string;
  token: string;
  amount: string;
  below_minimum: boolean;
  credited_by_decision: boolean;
  created_at: number;
  /** For a pending deposit: the confirmations it has and the ones its chain needs. */
  confirmations?: { seen: number; required: number };
}

export interface Delivery {
  id: string;
  event: { operation?: string; sub_operation?: string; operation_id?: string; status?: string };
  created_at: number;
  attempts: number;
  delivered_at: number | null;
  last_error: string | null;
  status: string;
}

export interface StatementEntry {
  id: string;
  seq: number;
  token: string;
  amount: string;
  balance_after: string;
  confirmed_after: string;
  pending_after: string;
  movement_id: string;
  created_at: string;
}

export interface Blockchain {
  id: string;
  name: string;
  confirmations: number;
  testnet: boolean;
}

export interface WalletConfiguration {
  min_reserve_ratio: string;
}
