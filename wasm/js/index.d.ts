// Types of the npm package waas-wasm (one declaration file for Node, CommonJS and ES module, and
// for browsers and bundlers). wasm/build.sh fills in ErrorCode from core/src/error.rs.

/** The stable error codes of the waas core (`ErrorCode::as_str` in core/src/error.rs). */
export type ErrorCode = __ERROR_CODES__;

/** Every error this package throws: an `Error` named `WaasError`, message `CODE: human text`. */
export interface WaasError extends Error {
  name: 'WaasError';
  code: ErrorCode;
}

/** Whether `error` is a WaasError; narrows a `catch (e)` so that `e.code` can be switched on. */
export function isWaasError(error: unknown): error is WaasError;

/**
 * Browsers and bundlers: fetches and instantiates the .wasm (beside the module by default; pass a
 * URL, a Response, bytes or a WebAssembly.Module to load it from elsewhere). Call it once, before
 * anything else. In Node the module is ready on load and this resolves at once.
 */
export default function init(moduleOrPath?: unknown): Promise<unknown>;
/** Instantiates the module synchronously from its bytes or a WebAssembly.Module (browsers); a no-op in Node. */
export function initSync(module: unknown): unknown;

/** The deposit address of virtual wallet `index` under an account xpub, in canonical form. */
export function deriveAddress(chain: string, xpub: string, index: number): string;
/** The deposit addresses of virtual wallets `start .. start + count`, in canonical form. */
export function deriveAddresses(chain: string, xpub: string, start: number, count: number): string[];
/** Checks an address of a blockchain (checksum included) and returns its canonical form. */
export function canonicalAddress(chain: string, address: string): string;
/** A decimal amount ("12.5") in integer base units of a token, as a decimal string. */
export function toBaseUnits(amount: string, decimals: number): string;
/** Integer base units ("12500000" or 12500000n) as the normalized decimal amount ("12.5"). */
export function fromBaseUnits(units: string | bigint, decimals: number): string;

/** The `webhook-signature` value (`v1,` + base64 HMAC-SHA256) of a delivery; `timestamp` in seconds. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string | Uint8Array): string;
/**
 * Verifies a Standard Webhooks delivery; returns nothing, throws INVALID_SIGNATURE,
 * TIMESTAMP_OUT_OF_TOLERANCE or INVALID_SECRET. `timestamp` is in seconds (or the header text as
 * received); `toleranceSeconds` defaults to 300 either side.
 */
export function verifyWebhook(
  secret: string, id: string, timestamp: number | string, body: string | Uint8Array,
  signatureHeader: string, nowSeconds: number, toleranceSeconds?: number,
): void;

/** Final status of a webhook envelope. */
export type EnvelopeStatus = 'SUCCESS' | 'CANCELLED' | 'FAILED';
/** A webhook envelope, validated and normalized (`data` keys sorted). */
export interface Envelope {
  operation: string;
  sub_operation: string;
  operation_id: string;
  status: EnvelopeStatus;
  /** Present when the operation failed (required then), optional otherwise. */
  reason?: string;
  data: Record<string, unknown>;
}
/**
 * Validates a webhook envelope (JSON text) and returns it normalized; `lenient` also accepts status
 * FINISHED (as SUCCESS) and unknown operations, and drops unknown fields. Throws INVALID_WEBHOOK.
 */
export function checkEnvelope(json: string, lenient: boolean): Envelope;
/** The same, as the normalized JSON text (what the native CLI `waas webhook check` prints). */
export function checkEnvelopeText(json: string, lenient: boolean): string;

/** A reserve report: amounts as decimal strings; `ratio` is null when nothing is owed. */
export interface Reserve {
  holding: string;
  in_transit: string;
  liabilities: string;
  ratio: string | null;
  leverage: string;
  withdrawable: string;
}
/** Reserve reports keyed `client/blockchain/token`. */
export type ReserveReport = Record<string, Reserve>;

/** One balance of a wallet; `held` and `available` only where funds are on hold. */
export interface Balance {
  confirmed: string;
  unconfirmed: string;
  total: string;
  status: WalletStatus;
  held?: string;
  available?: string;
}
export type WalletStatus = 'active' | 'inactive' | 'frozen';
/** A wallet in the state of a replayed ledger. */
export interface WalletState {
  kind: 'virtual' | 'treasury' | 'card';
  client: string;
  account: string;
  status: WalletStatus;
  /** Balances keyed by token. */
  balances: Record<string, Balance>;
  flags: string[];
  blockchain?: string;
  /** Virtual wallets: the derivation index and the on-chain balance per token. */
  index?: number;
  on_chain?: Record<string, string>;
}
/** A deposit below the minimum, waiting for a decision or decided. */
export interface BelowMinimumDeposit {
  tx: string;
  to: string;
  token: string;
  amount: string;
  usd_value: string;
  status: string;
}
/** The ledger a scenario leaves (docs/LEDGER.md, the `{"state":...}` line). */
export interface LedgerState {
  wallets: Record<string, WalletState>;
  /** Reserve reports, or `{ error: {...} }` when they cannot be computed. */
  reserves: ReserveReport;
  below_minimum: BelowMinimumDeposit[];
  rules: Record<string, unknown>[];
}
/** The answer to one scenario line: `ok` and its fields, or the refusal with its code. */
export type ReplayAnswer =
  | ({ ok: true } & Record<string, unknown>)
  | { ok: false; code: ErrorCode; message: string };
/** What replayLedger returns. */
export interface ReplayResult {
  /** One answer per command line, in order (blank lines have none). */
  results: ReplayAnswer[];
  /** The state after the last line. */
  state: LedgerState;
  /** The exact output lines, the state line last: `lines.join('\n') + '\n'` is replayLedgerText. */
  lines: string[];
}
/** Replays a ledger scenario (JSON Lines): each line's answer and the state it leaves. */
export function replayLedger(jsonl: string): ReplayResult;
/** The same replay as JSON Lines text, byte for byte what the native CLI `waas ledger replay` prints. */
export function replayLedgerText(jsonl: string): string;
/**
 * The reserve reports a scenario (JSON Lines) leaves. Refused lines change nothing (replayLedger
 * names them).
 */
export function reserveReport(jsonl: string): ReserveReport;
/**
 * Verifies a journal export (JSON Lines from `GET /v1/journal/export`): hash chain, running
 * balances, zero-sum movements. Returns `ok N entries`; throws JOURNAL_MISMATCH naming the line.
 */
export function verifyJournal(jsonl: string): string;
/** A posted and a pending amount (decimal strings). */
export interface PostedPending {
  posted: string;
  pending: string;
}
/** One reserve as it stood after a movement that changed it. */
export interface ReservePoint {
  /** Sequence number of the movement's last entry. */
  seq: number;
  /** When the movement was recorded (RFC 3339). */
  created_at: string;
  /** `blockchain/token`. */
  reserve: string;
  report: Reserve;
}
/** What a journal export establishes about a client's books. */
export interface JournalAudit {
  verified: {
    entries: number;
    last_hash: string | null;
    /** The export starts at the client's first entry (reserves and history need that). */
    complete: boolean;
    /** Each account (`wallet:ID`, `onchain:ID`, `holding:CLIENT/CHAIN`, `system:KEY`) by unit. */
    balances: Record<string, Record<string, PostedPending>>;
  };
  /** Each reserve at the end of the export, by `blockchain/token`. */
  reserves: Record<string, Reserve>;
  /** Each reserve after every movement that changed it, oldest first. */
  history: ReservePoint[];
}
/**
 * Verifies a journal export and recomputes the books from it. `wallets` maps each virtual wallet
 * id to its blockchain (the journal names accounts, not chains); `minReserveRatio` is a decimal
 * string. Throws JOURNAL_MISMATCH naming the first entry that does not verify.
 */
export function auditJournal(jsonl: string, wallets: Record<string, string>, minReserveRatio: string): JournalAudit;

/** A newly generated API key: show `key` once, store only `hash`. */
export class NewApiKey {
  private constructor();
  free(): void;
  /** The key text (secret; shown once). */
  key: string;
  /** SHA-256 of the key, 64 hex digits: what the platform stores. */
  hash: string;
  /** A non-secret hint for listings (prefix and first characters). */
  hint: string;
  environment: 'sandbox' | 'live';
}
/** Generates an API key for `environment` (`sandbox` or `live`) from the platform's randomness. */
export function newApiKey(environment: string): NewApiKey;
/** The stored form (SHA-256, 64 hex digits) of a presented API key; UNAUTHORIZED when it is not a waas key. */
export function hashApiKey(key: string): string;

/** An account xpub bound to a blockchain: parse once, derive many deposit addresses. */
export class DepositKey {
  /** Parses `xpub` for the blockchain `chain` (id or alias). */
  constructor(chain: string, xpub: string);
  free(): void;
  /** The canonical xpub text. */
  readonly xpub: string;
  deriveAddress(index: number): string;
  deriveAddresses(start: number, count: number): string[];
}

/** A webhook receiver's verifier: one or more secrets (during a rotation) and a tolerance, parsed once. */
export class WebhookVerifier {
  /** `toleranceSeconds` defaults to 300. */
  constructor(secrets: string[], toleranceSeconds?: number);
  free(): void;
  /** Verifies a delivery, like verifyWebhook; returns nothing, throws on failure. */
  verify(id: string, timestamp: number | string, body: string | Uint8Array, signatureHeader: string, nowSeconds: number): void;
}

/** A signed EVM transaction, `0x` hex. */
export class SignedTx {
  private constructor();
  free(): void;
  /** The signed transaction, for `eth_sendRawTransaction`. */
  raw: string;
  /** keccak-256 of the raw bytes. */
  hash: string;
}
/**
 * Signs an EVM transaction locally: legacy with `gasPrice`, EIP-1559 with `maxFeePerGas` and
 * `maxPriorityFeePerGas`; numbers are decimal strings (wei), the key is 64 hex digits.
 */
export function signTransaction(
  chain: string, privateKey: string, nonce: string, to: string, gasLimit: string,
  value?: string | null, data?: string | null, gasPrice?: string | null,
  maxFeePerGas?: string | null, maxPriorityFeePerGas?: string | null,
): SignedTx;
/** The call data of an ERC-20 `transfer(to, amount)`, `0x` hex; `amount` in base units (decimal). */
export function erc20TransferData(to: string, amount: string): string;
