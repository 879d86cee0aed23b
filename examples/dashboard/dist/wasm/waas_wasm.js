/**
 * An account xpub bound to a blockchain: parse once, derive many deposit addresses.
 */
export class DepositKey {
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        DepositKeyFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_depositkey_free(ptr, 0);
    }
    /**
     * The deposit address of virtual wallet `index`.
     * @param {number} index
     * @returns {string}
     */
    deriveAddress(index) {
        let deferred2_0;
        let deferred2_1;
        try {
            const ret = wasm.depositkey_deriveAddress(this.__wbg_ptr, index);
            var ptr1 = ret[0];
            var len1 = ret[1];
            if (ret[3]) {
                ptr1 = 0; len1 = 0;
                throw takeFromExternrefTable0(ret[2]);
            }
            deferred2_0 = ptr1;
            deferred2_1 = len1;
            return getStringFromWasm0(ptr1, len1);
        } finally {
            wasm.__wbindgen_export3(deferred2_0, deferred2_1, 1);
        }
    }
    /**
     * The deposit addresses of virtual wallets `start .. start + count`.
     * @param {number} start
     * @param {number} count
     * @returns {string[]}
     */
    deriveAddresses(start, count) {
        const ret = wasm.depositkey_deriveAddresses(this.__wbg_ptr, start, count);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayJsValueFromWasm0(ret[0], ret[1]);
        wasm.__wbindgen_export3(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * Parses `xpub` for the blockchain `chain` (id or alias).
     * @param {string} chain
     * @param {string} xpub
     */
    constructor(chain, xpub) {
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(chain, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(xpub, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_export3(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_export3(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.depositkey_new(ptr0, len0, ptr1, len1);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        this.__wbg_ptr = ret[0];
        DepositKeyFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * The canonical xpub text.
     * @returns {string}
     */
    get xpub() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.depositkey_xpub(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_export3(deferred1_0, deferred1_1, 1);
        }
    }
}
if (Symbol.dispose) DepositKey.prototype[Symbol.dispose] = DepositKey.prototype.free;

/**
 * A newly generated API key: show `key` once, store only `hash`.
 */
export class NewApiKey {
    static __wrap(ptr) {
        const obj = Object.create(NewApiKey.prototype);
        obj.__wbg_ptr = ptr;
        NewApiKeyFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        NewApiKeyFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_newapikey_free(ptr, 0);
    }
    /**
     * `sandbox` or `live`.
     * @returns {string}
     */
    get environment() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.__wbg_get_newapikey_environment(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_export3(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * SHA-256 of the key, 64 hex digits: what the platform stores.
     * @returns {string}
     */
    get hash() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.__wbg_get_newapikey_hash(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_export3(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * A non-secret hint for listings (prefix and first characters).
     * @returns {string}
     */
    get hint() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.__wbg_get_newapikey_hint(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_export3(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The key text (secret; shown once).
     * @returns {string}
     */
    get key() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.__wbg_get_newapikey_key(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_export3(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * `sandbox` or `live`.
     * @param {string} arg0
     */
    set environment(arg0) {
        const ptr0 = passStringToWasm0(arg0, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        wasm.__wbg_set_newapikey_environment(this.__wbg_ptr, ptr0, len0);
    }
    /**
     * SHA-256 of the key, 64 hex digits: what the platform stores.
     * @param {string} arg0
     */
    set hash(arg0) {
        const ptr0 = passStringToWasm0(arg0, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        wasm.__wbg_set_newapikey_hash(this.__wbg_ptr, ptr0, len0);
    }
    /**
     * A non-secret hint for listings (prefix and first characters).
     * @param {string} arg0
     */
    set hint(arg0) {
        const ptr0 = passStringToWasm0(arg0, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        wasm.__wbg_set_newapikey_hint(this.__wbg_ptr, ptr0, len0);
    }
    /**
     * The key text (secret; shown once).
     * @param {string} arg0
     */
    set key(arg0) {
        const ptr0 = passStringToWasm0(arg0, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        wasm.__wbg_set_newapikey_key(this.__wbg_ptr, ptr0, len0);
    }
}
if (Symbol.dispose) NewApiKey.prototype[Symbol.dispose] = NewApiKey.prototype.free;

/**
 * A signed EVM transaction: the raw bytes (for `eth_sendRawTransaction`) and its hash, `0x` hex.
 */
export class SignedTx {
    static __wrap(ptr) {
        const obj = Object.create(SignedTx.prototype);
        obj.__wbg_ptr = ptr;
        SignedTxFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        SignedTxFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_signedtx_free(ptr, 0);
    }
    /**
     * keccak-256 of the raw bytes, `0x` hex.
     * @returns {string}
     */
    get hash() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.__wbg_get_signedtx_hash(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_export3(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The signed transaction, `0x` hex.
     * @returns {string}
     */
    get raw() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.__wbg_get_signedtx_raw(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_export3(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * keccak-256 of the raw bytes, `0x` hex.
     * @param {string} arg0
     */
    set hash(arg0) {
        const ptr0 = passStringToWasm0(arg0, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        wasm.__wbg_set_signedtx_hash(this.__wbg_ptr, ptr0, len0);
    }
    /**
     * The signed transaction, `0x` hex.
     * @param {string} arg0
     */
    set raw(arg0) {
        const ptr0 = passStringToWasm0(arg0, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        wasm.__wbg_set_signedtx_raw(this.__wbg_ptr, ptr0, len0);
    }
}
if (Symbol.dispose) SignedTx.prototype[Symbol.dispose] = SignedTx.prototype.free;

/**
 * A webhook receiver's verifier: one or more secrets (during a rotation) and a tolerance,
 * parsed once.
 */
export class WebhookVerifier {
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        WebhookVerifierFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_webhookverifier_free(ptr, 0);
    }
    /**
     * A verifier for these secrets (`whsec_` + base64 each); `toleranceSeconds` defaults to 300.
     * @param {string[]} secrets
     * @param {number | null} [toleranceSeconds]
     */
    constructor(secrets, toleranceSeconds) {
        const val2 = +(isLikeNone(toleranceSeconds) ? 0 : toleranceSeconds);
        const ptr0 = passArrayJsValueToWasm0(secrets, wasm.__wbindgen_export);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.webhookverifier_new(ptr0, len0, !isLikeNone(toleranceSeconds), val2);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        this.__wbg_ptr = ret[0];
        WebhookVerifierFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * Verifies a delivery, like `verifyWebhook`; returns nothing, throws on failure.
     * @param {string} id
     * @param {number | string} timestamp
     * @param {string | Uint8Array} body
     * @param {string} signatureHeader
     * @param {number} nowSeconds
     */
    verify(id, timestamp, body, signatureHeader, nowSeconds) {
        const val3 = +nowSeconds;
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(id, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(signatureHeader, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_export3(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_export3(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.webhookverifier_verify(this.__wbg_ptr, ptr0, len0, timestamp, body, ptr1, len1, val3);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
}
if (Symbol.dispose) WebhookVerifier.prototype[Symbol.dispose] = WebhookVerifier.prototype.free;

/**
 * Verifies a journal export and recomputes the books from it: `wallets` is a JSON object of
 * virtual wallet id -> blockchain, `minReserveRatio` a decimal string. Returns JSON: `verified`
 * (entries, last_hash, complete, balances by account and unit), `reserves` by
 * `blockchain/token` and their `history`; throws `JOURNAL_MISMATCH` naming the first bad entry.
 * @param {string} jsonl
 * @param {string} wallets
 * @param {string} minReserveRatio
 * @returns {string}
 */
export function auditJournal(jsonl, wallets, minReserveRatio) {
    let deferred5_0;
    let deferred5_1;
    try {
        let ptr0, len0, ptr1, len1, ptr2, len2;
        try {
            ptr0 = passStringToWasm0(jsonl, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(wallets, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len1 = WASM_VECTOR_LEN;
            ptr2 = passStringToWasm0(minReserveRatio, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len2 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr2) { wasm.__wbindgen_export3(ptr2, len2 * 1, 1); }
            if (ptr1) { wasm.__wbindgen_export3(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_export3(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.auditJournal(ptr0, len0, ptr1, len1, ptr2, len2);
        var ptr4 = ret[0];
        var len4 = ret[1];
        if (ret[3]) {
            ptr4 = 0; len4 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred5_0 = ptr4;
        deferred5_1 = len4;
        return getStringFromWasm0(ptr4, len4);
    } finally {
        wasm.__wbindgen_export3(deferred5_0, deferred5_1, 1);
    }
}

/**
 * Checks an address of a blockchain (checksum included) and returns its canonical form.
 * @param {string} chain
 * @param {string} address
 * @returns {string}
 */
export function canonicalAddress(chain, address) {
    let deferred4_0;
    let deferred4_1;
    try {
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(chain, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(address, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_export3(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_export3(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.canonicalAddress(ptr0, len0, ptr1, len1);
        var ptr3 = ret[0];
        var len3 = ret[1];
        if (ret[3]) {
            ptr3 = 0; len3 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred4_0 = ptr3;
        deferred4_1 = len3;
        return getStringFromWasm0(ptr3, len3);
    } finally {
        wasm.__wbindgen_export3(deferred4_0, deferred4_1, 1);
    }
}

/**
 * Validates a webhook envelope (JSON text) and returns its normalized JSON; `lenient` also
 * accepts status FINISHED (as SUCCESS) and unknown operations, and drops unknown fields.
 * @param {string} json
 * @param {boolean} lenient
 * @returns {string}
 */
export function checkEnvelope(json, lenient) {
    let deferred4_0;
    let deferred4_1;
    try {
        const val2 = +lenient;
        const ptr0 = passStringToWasm0(json, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.checkEnvelope(ptr0, len0, val2);
        var ptr3 = ret[0];
        var len3 = ret[1];
        if (ret[3]) {
            ptr3 = 0; len3 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred4_0 = ptr3;
        deferred4_1 = len3;
        return getStringFromWasm0(ptr3, len3);
    } finally {
        wasm.__wbindgen_export3(deferred4_0, deferred4_1, 1);
    }
}

/**
 * The deposit address of virtual wallet `index` under an account xpub, in canonical form.
 * @param {string} chain
 * @param {string} xpub
 * @param {number} index
 * @returns {string}
 */
export function deriveAddress(chain, xpub, index) {
    let deferred5_0;
    let deferred5_1;
    try {
        const val3 = +index;
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(chain, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(xpub, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_export3(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_export3(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.deriveAddress(ptr0, len0, ptr1, len1, val3);
        var ptr4 = ret[0];
        var len4 = ret[1];
        if (ret[3]) {
            ptr4 = 0; len4 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred5_0 = ptr4;
        deferred5_1 = len4;
        return getStringFromWasm0(ptr4, len4);
    } finally {
        wasm.__wbindgen_export3(deferred5_0, deferred5_1, 1);
    }
}

/**
 * The deposit addresses of virtual wallets `start .. start + count`, in canonical form.
 * @param {string} chain
 * @param {string} xpub
 * @param {number} start
 * @param {number} count
 * @returns {string[]}
 */
export function deriveAddresses(chain, xpub, start, count) {
    const val3 = +start;
    const val4 = +count;
    let ptr0, len0, ptr1, len1;
    try {
        ptr0 = passStringToWasm0(chain, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len0 = WASM_VECTOR_LEN;
        ptr1 = passStringToWasm0(xpub, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len1 = WASM_VECTOR_LEN;
    } catch (e) {
        if (ptr1) { wasm.__wbindgen_export3(ptr1, len1 * 1, 1); }
        if (ptr0) { wasm.__wbindgen_export3(ptr0, len0 * 1, 1); }
        throw e;
    }
    const ret = wasm.deriveAddresses(ptr0, len0, ptr1, len1, val3, val4);
    if (ret[3]) {
        throw takeFromExternrefTable0(ret[2]);
    }
    var v5 = getArrayJsValueFromWasm0(ret[0], ret[1]);
    wasm.__wbindgen_export3(ret[0], ret[1] * 4, 4);
    return v5;
}

/**
 * The call data of an ERC-20 `transfer(to, amount)`, `0x` hex; `amount` in base units (decimal).
 * @param {string} to
 * @param {string} amount
 * @returns {string}
 */
export function erc20TransferData(to, amount) {
    let deferred4_0;
    let deferred4_1;
    try {
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(to, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(amount, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_export3(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_export3(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.erc20TransferData(ptr0, len0, ptr1, len1);
        var ptr3 = ret[0];
        var len3 = ret[1];
        if (ret[3]) {
            ptr3 = 0; len3 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred4_0 = ptr3;
        deferred4_1 = len3;
        return getStringFromWasm0(ptr3, len3);
    } finally {
        wasm.__wbindgen_export3(deferred4_0, deferred4_1, 1);
    }
}

/**
 * Integer base units ("12500000" or 12500000n) as the normalized decimal amount ("12.5").
 * @param {string | bigint} units
 * @param {number} decimals
 * @returns {string}
 */
export function fromBaseUnits(units, decimals) {
    let deferred2_0;
    let deferred2_1;
    try {
        const ret = wasm.fromBaseUnits(units, decimals);
        var ptr1 = ret[0];
        var len1 = ret[1];
        if (ret[3]) {
            ptr1 = 0; len1 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred2_0 = ptr1;
        deferred2_1 = len1;
        return getStringFromWasm0(ptr1, len1);
    } finally {
        wasm.__wbindgen_export3(deferred2_0, deferred2_1, 1);
    }
}

/**
 * The stored form (SHA-256, 64 hex digits) of a presented API key; `UNAUTHORIZED` when the text
 * is not a waas key.
 * @param {string} key
 * @returns {string}
 */
export function hashApiKey(key) {
    let deferred3_0;
    let deferred3_1;
    try {
        const ptr0 = passStringToWasm0(key, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.hashApiKey(ptr0, len0);
        var ptr2 = ret[0];
        var len2 = ret[1];
        if (ret[3]) {
            ptr2 = 0; len2 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred3_0 = ptr2;
        deferred3_1 = len2;
        return getStringFromWasm0(ptr2, len2);
    } finally {
        wasm.__wbindgen_export3(deferred3_0, deferred3_1, 1);
    }
}

/**
 * Generates an API key for `environment` (`sandbox` or `live`) from the platform's randomness.
 * @param {string} environment
 * @returns {NewApiKey}
 */
export function newApiKey(environment) {
    const ptr0 = passStringToWasm0(environment, wasm.__wbindgen_export, wasm.__wbindgen_export2);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.newApiKey(ptr0, len0);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return NewApiKey.__wrap(ret[0]);
}

/**
 * Replays a ledger scenario (JSON Lines) and returns its output (JSON Lines, ending with the
 * `{"state":...}` line that holds the reserve reports).
 * @param {string} jsonl
 * @returns {string}
 */
export function replayLedger(jsonl) {
    let deferred2_0;
    let deferred2_1;
    try {
        const ptr0 = passStringToWasm0(jsonl, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.replayLedger(ptr0, len0);
        deferred2_0 = ret[0];
        deferred2_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
    } finally {
        wasm.__wbindgen_export3(deferred2_0, deferred2_1, 1);
    }
}

/**
 * Replays a ledger scenario (JSON Lines) and returns the reserve reports it leaves: a JSON object
 * keyed `client/blockchain/token`, each with holding, in_transit, liabilities, ratio, leverage
 * and withdrawable. Refused lines change nothing (`replayLedger` names them).
 * @param {string} jsonl
 * @returns {string}
 */
export function reserveReport(jsonl) {
    let deferred3_0;
    let deferred3_1;
    try {
        const ptr0 = passStringToWasm0(jsonl, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.reserveReport(ptr0, len0);
        var ptr2 = ret[0];
        var len2 = ret[1];
        if (ret[3]) {
            ptr2 = 0; len2 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred3_0 = ptr2;
        deferred3_1 = len2;
        return getStringFromWasm0(ptr2, len2);
    } finally {
        wasm.__wbindgen_export3(deferred3_0, deferred3_1, 1);
    }
}

/**
 * Signs an EVM transaction locally: legacy with `gasPrice`, EIP-1559 with `maxFeePerGas` and
 * `maxPriorityFeePerGas`; numbers are decimal strings (wei), the key is 64 hex digits.
 * @param {string} chain
 * @param {string} privateKey
 * @param {string} nonce
 * @param {string} to
 * @param {string} gasLimit
 * @param {string | null} [value]
 * @param {string | null} [data]
 * @param {string | null} [gasPrice]
 * @param {string | null} [maxFeePerGas]
 * @param {string | null} [maxPriorityFeePerGas]
 * @returns {SignedTx}
 */
export function signTransaction(chain, privateKey, nonce, to, gasLimit, value, data, gasPrice, maxFeePerGas, maxPriorityFeePerGas) {
    let ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, ptr4, len4, ptr5, len5, ptr6, len6, ptr7, len7, ptr8, len8, ptr9, len9;
    try {
        ptr0 = passStringToWasm0(chain, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len0 = WASM_VECTOR_LEN;
        ptr1 = passStringToWasm0(privateKey, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len1 = WASM_VECTOR_LEN;
        ptr2 = passStringToWasm0(nonce, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len2 = WASM_VECTOR_LEN;
        ptr3 = passStringToWasm0(to, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len3 = WASM_VECTOR_LEN;
        ptr4 = passStringToWasm0(gasLimit, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len4 = WASM_VECTOR_LEN;
        ptr5 = isLikeNone(value) ? 0 : passStringToWasm0(value, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len5 = WASM_VECTOR_LEN;
        ptr6 = isLikeNone(data) ? 0 : passStringToWasm0(data, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len6 = WASM_VECTOR_LEN;
        ptr7 = isLikeNone(gasPrice) ? 0 : passStringToWasm0(gasPrice, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len7 = WASM_VECTOR_LEN;
        ptr8 = isLikeNone(maxFeePerGas) ? 0 : passStringToWasm0(maxFeePerGas, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len8 = WASM_VECTOR_LEN;
        ptr9 = isLikeNone(maxPriorityFeePerGas) ? 0 : passStringToWasm0(maxPriorityFeePerGas, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len9 = WASM_VECTOR_LEN;
    } catch (e) {
        if (ptr9) { wasm.__wbindgen_export3(ptr9, len9 * 1, 1); }
        if (ptr8) { wasm.__wbindgen_export3(ptr8, len8 * 1, 1); }
        if (ptr7) { wasm.__wbindgen_export3(ptr7, len7 * 1, 1); }
        if (ptr6) { wasm.__wbindgen_export3(ptr6, len6 * 1, 1); }
        if (ptr5) { wasm.__wbindgen_export3(ptr5, len5 * 1, 1); }
        if (ptr4) { wasm.__wbindgen_export3(ptr4, len4 * 1, 1); }
        if (ptr3) { wasm.__wbindgen_export3(ptr3, len3 * 1, 1); }
        if (ptr2) { wasm.__wbindgen_export3(ptr2, len2 * 1, 1); }
        if (ptr1) { wasm.__wbindgen_export3(ptr1, len1 * 1, 1); }
        if (ptr0) { wasm.__wbindgen_export3(ptr0, len0 * 1, 1); }
        throw e;
    }
    const ret = wasm.signTransaction(ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, ptr4, len4, ptr5, len5, ptr6, len6, ptr7, len7, ptr8, len8, ptr9, len9);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return SignedTx.__wrap(ret[0]);
}

/**
 * The `webhook-signature` value (`v1,` + base64 HMAC-SHA256) of a delivery.
 *
 * `secret` is `whsec_` + base64; `timestamp` is in seconds; `body` is the exact text or bytes sent.
 * @param {string} secret
 * @param {string} id
 * @param {number} timestamp
 * @param {string | Uint8Array} body
 * @returns {string}
 */
export function signWebhook(secret, id, timestamp, body) {
    let deferred5_0;
    let deferred5_1;
    try {
        const val3 = +timestamp;
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(secret, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(id, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_export3(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_export3(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.signWebhook(ptr0, len0, ptr1, len1, val3, body);
        var ptr4 = ret[0];
        var len4 = ret[1];
        if (ret[3]) {
            ptr4 = 0; len4 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred5_0 = ptr4;
        deferred5_1 = len4;
        return getStringFromWasm0(ptr4, len4);
    } finally {
        wasm.__wbindgen_export3(deferred5_0, deferred5_1, 1);
    }
}

/**
 * A decimal amount ("12.5") in integer base units of a token, as a decimal string.
 * @param {string} amount
 * @param {number} decimals
 * @returns {string}
 */
export function toBaseUnits(amount, decimals) {
    let deferred4_0;
    let deferred4_1;
    try {
        const val2 = +decimals;
        const ptr0 = passStringToWasm0(amount, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.toBaseUnits(ptr0, len0, val2);
        var ptr3 = ret[0];
        var len3 = ret[1];
        if (ret[3]) {
            ptr3 = 0; len3 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred4_0 = ptr3;
        deferred4_1 = len3;
        return getStringFromWasm0(ptr3, len3);
    } finally {
        wasm.__wbindgen_export3(deferred4_0, deferred4_1, 1);
    }
}

/**
 * Verifies a journal export (JSON Lines from `GET /v1/journal/export`): its hash chain, every
 * running balance, and that each movement sums to zero. Returns `ok N entries`; throws
 * `JOURNAL_MISMATCH` naming the line of the first entry that does not match.
 * @param {string} jsonl
 * @returns {string}
 */
export function verifyJournal(jsonl) {
    let deferred3_0;
    let deferred3_1;
    try {
        const ptr0 = passStringToWasm0(jsonl, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.verifyJournal(ptr0, len0);
        var ptr2 = ret[0];
        var len2 = ret[1];
        if (ret[3]) {
            ptr2 = 0; len2 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred3_0 = ptr2;
        deferred3_1 = len2;
        return getStringFromWasm0(ptr2, len2);
    } finally {
        wasm.__wbindgen_export3(deferred3_0, deferred3_1, 1);
    }
}

/**
 * Verifies a Standard Webhooks delivery; returns nothing, throws `INVALID_SIGNATURE`,
 * `TIMESTAMP_OUT_OF_TOLERANCE` or `INVALID_SECRET`.
 *
 * `timestamp` is in seconds (or the `webhook-timestamp` header text as received), `body` the
 * exact text or bytes received, `nowSeconds` the current time; `toleranceSeconds` defaults to the
 * core's 300 s either side.
 * @param {string} secret
 * @param {string} id
 * @param {number | string} timestamp
 * @param {string | Uint8Array} body
 * @param {string} signatureHeader
 * @param {number} nowSeconds
 * @param {number | null} [toleranceSeconds]
 */
export function verifyWebhook(secret, id, timestamp, body, signatureHeader, nowSeconds, toleranceSeconds) {
    const val4 = +nowSeconds;
    const val5 = +(isLikeNone(toleranceSeconds) ? 0 : toleranceSeconds);
    let ptr0, len0, ptr1, len1, ptr2, len2;
    try {
        ptr0 = passStringToWasm0(secret, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len0 = WASM_VECTOR_LEN;
        ptr1 = passStringToWasm0(id, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len1 = WASM_VECTOR_LEN;
        ptr2 = passStringToWasm0(signatureHeader, wasm.__wbindgen_export, wasm.__wbindgen_export2);
        len2 = WASM_VECTOR_LEN;
    } catch (e) {
        if (ptr2) { wasm.__wbindgen_export3(ptr2, len2 * 1, 1); }
        if (ptr1) { wasm.__wbindgen_export3(ptr1, len1 * 1, 1); }
        if (ptr0) { wasm.__wbindgen_export3(ptr0, len0 * 1, 1); }
        throw e;
    }
    const ret = wasm.verifyWebhook(ptr0, len0, ptr1, len1, timestamp, body, ptr2, len2, val4, !isLikeNone(toleranceSeconds), val5);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg___wbindgen_is_bigint_5fa10641e039d3ef: function(arg0) {
            const ret = typeof(arg0) === 'bigint';
            return ret;
        },
        __wbg___wbindgen_number_get_934b640d0889af78: function(arg0, arg1) {
            const obj = arg1;
            const ret = typeof(obj) === 'number' ? obj : undefined;
            getDataViewMemory0().setFloat64((arg0 >>> 0) + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, !isLikeNone(ret), true);
        },
        __wbg___wbindgen_string_get_7ce8eee7fd327545: function(arg0, arg1) {
            const obj = arg1;
            const ret = typeof(obj) === 'string' ? obj : undefined;
            var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_export, wasm.__wbindgen_export2);
            var len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg___wbindgen_throw_4c88d8bf264fd984: function(arg0, arg1) {
            throw new Error(getStringFromWasm0(arg0, arg1));
        },
        __wbg_getRandomValues_5d8c030b527203a6: function() { return handleError(function (arg0, arg1) {
            globalThis.crypto.getRandomValues(getArrayU8FromWasm0(arg0, arg1));
        }, arguments); },
        __wbg_instanceof_Uint8Array_d7aeb0dcb3108fea: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Uint8Array;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_length_186163212ffe79c3: function(arg0) {
            const ret = arg0.length;
            return ret;
        },
        __wbg_new_13de428334042d26: function(arg0) {
            const ret = new Uint8Array(arg0);
            return ret;
        },
        __wbg_new_787b9fb330d55d78: function(arg0, arg1) {
            const ret = new Error(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbg_prototypesetcall_13162965d1fe7aa3: function(arg0, arg1, arg2) {
            Uint8Array.prototype.set.call(getArrayU8FromWasm0(arg0, arg1), arg2);
        },
        __wbg_set_2793479888329cb6: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = Reflect.set(arg0, arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_set_name_822e3903f3184979: function(arg0, arg1, arg2) {
            arg0.name = getStringFromWasm0(arg1, arg2);
        },
        __wbg_toString_ac62c4a5cb3e62c7: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.toString(arg1);
            return ret;
        }, arguments); },
        __wbindgen_generic_0000000000000001: function(arg0, arg1) {
            // Cast intrinsic for `Ref(String) -> Externref`.
            const ret = getStringFromWasm0(arg0, arg1);
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            table.set(0, undefined);
            table.set(1024, undefined);
            table.set(1025, null);
            table.set(1026, true);
            table.set(1027, false);
        },
    };
    return {
        __proto__: null,
        "./waas_wasm_bg.js": import0,
    };
}

const DepositKeyFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_depositkey_free(ptr, 1));
const NewApiKeyFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_newapikey_free(ptr, 1));
const SignedTxFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_signedtx_free(ptr, 1));
const WebhookVerifierFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_webhookverifier_free(ptr, 1));

function addToExternrefTable0(obj) {
    const idx = wasm.__wbindgen_export5();
    wasm.__wbindgen_externrefs.set(idx, obj);
    return idx;
}

function getArrayJsValueFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    const mem = getDataViewMemory0();
    const result = [];
    for (let i = ptr; i < ptr + 4 * len; i += 4) {
        result.push(wasm.__wbindgen_externrefs.get(mem.getUint32(i, true)));
    }
    wasm.__wbindgen_export7(ptr, len);
    return result;
}

function getArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

let cachedDataViewMemory0 = null;
function getDataViewMemory0() {
    if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)) {
        cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
    }
    return cachedDataViewMemory0;
}

function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function handleError(f, args) {
    try {
        return f.apply(this, args);
    } catch (e) {
        const idx = addToExternrefTable0(e);
        wasm.__wbindgen_export4(idx);
    }
}

function isLikeNone(x) {
    return x === undefined || x === null;
}

function passArrayJsValueToWasm0(array, malloc) {
    const ptr = malloc(array.length * 4, 4) >>> 0;
    for (let i = 0; i < array.length; i++) {
        const add = addToExternrefTable0(array[i]);
        getDataViewMemory0().setUint32(ptr + 4 * i, add, true);
    }
    WASM_VECTOR_LEN = array.length;
    return ptr;
}

function passStringToWasm0(arg, malloc, realloc) {
    if (typeof arg !== 'string') {
        const error = new Error(`INVALID_ARGUMENT: expected a string, found ${arg === null ? 'null' : typeof arg}`);
        error.name = 'WaasError';
        error.code = 'INVALID_ARGUMENT';
        throw error;
    }
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;

    const mem = getUint8ArrayMemory0();

    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);

        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }

    WASM_VECTOR_LEN = offset;
    return ptr;
}

function takeFromExternrefTable0(idx) {
    const value = wasm.__wbindgen_externrefs.get(idx);
    wasm.__wbindgen_export6(idx);
    return value;
}

let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}

const cachedTextEncoder = new TextEncoder();

if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}

let WASM_VECTOR_LEN = 0;

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
    cachedDataViewMemory0 = null;
    cachedUint8ArrayMemory0 = null;
    wasm.__wbindgen_start();
    return wasm;
}

async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}

let __wbg_init_promise;
async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    if (__wbg_init_promise === undefined) {
        __wbg_init_promise = __wbg_init_once(module_or_path);
        __wbg_init_promise.catch(() => { __wbg_init_promise = undefined; });
    }
    return __wbg_init_promise;
}

async function __wbg_init_once(module_or_path) {

    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('waas_wasm_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);
}

export { initSync, __wbg_init as default };
