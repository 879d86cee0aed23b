// The typed layer of the npm package over wasm-bindgen's glue (`raw`): the functions whose core
// answer is JSON text return it parsed, and the text stays available under a *Text name. JSON is
// parsed here, in JavaScript, so the .wasm carries no JavaScript-object serializer.
// wasm/build.sh puts this body into node/index.cjs (CommonJS) and web/index.js (ES module).

/** Replays a ledger scenario (JSON Lines): answers, final state, and the exact output lines. */
function replayLedger(jsonl) {
  const lines = raw.replayLedger(jsonl).split('\n');
  lines.pop(); // the output ends with a newline
  const results = lines.map((line) => JSON.parse(line));
  const state = results.pop().state;
  return { results, state, lines };
}

/** The output of replayLedger as the native CLI prints it (JSON Lines, newline-terminated). */
function replayLedgerText(jsonl) {
  return raw.replayLedger(jsonl);
}

/** The reserve reports a scenario leaves, keyed `client/blockchain/token`. */
function reserveReport(jsonl) {
  return JSON.parse(raw.reserveReport(jsonl));
}

/**
 * Verifies a journal export and recomputes the books from it: every account's balance, the
 * reserves by `blockchain/token` and their history. `wallets` maps each virtual wallet id to its
 * blockchain.
 */
function auditJournal(jsonl, wallets, minReserveRatio) {
  return JSON.parse(raw.auditJournal(jsonl, JSON.stringify(wallets), minReserveRatio));
}

/** A webhook envelope, validated and normalized, as an object. */
function checkEnvelope(json, lenient) {
  return JSON.parse(raw.checkEnvelope(json, lenient));
}

/** The normalized envelope as JSON text (fixed field order, sorted `data` keys). */
function checkEnvelopeText(json, lenient) {
  return raw.checkEnvelope(json, lenient);
}

/** Whether `error` is an error of this package (then `error.code` is one of its codes). */
function isWaasError(error) {
  return error instanceof Error && error.name === 'WaasError' && typeof error.code === 'string';
}
