// The public HTTP API of the host, with the operator's key held in this object only: never
// stored, never put in a URL. Every view reads the platform through it.
/** A refusal of the API: its HTTP status and the stable error code of the envelope. */
export class ApiError extends Error {
    status;
    code;
    constructor(status, code, message) {
        super(`${code}: ${message}`);
        this.status = status;
        this.code = code;
        this.name = 'ApiError';
    }
}
/** The most rows one list request asks for (the API's own limit). */
export const MAX_PAGE = 500;
export class Api {
    #key;
    constructor(key) {
        this.#key = key;
    }
    /** Sends a request with the key; answers the response, or throws the API's refusal. */
    async request(method, path, query = {}, body) {
        const url = new URL(path, location.origin);
        for (const [k, v] of Object.entries(query)) {
            if (v !== undefined && v !== '')
                url.searchParams.set(k, String(v));
        }
        const headers = { 'X-API-Key': this.#key, Accept: 'application/json' };
        if (body !== undefined)
            headers['Content-Type'] = 'application/json';
        const res = await fetch(url, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            cache: 'no-store',
            credentials: 'omit',
        });
        if (!res.ok) {
            let code = `HTTP_${res.status}`;
            let message = res.statusText;
            try {
                const envelope = (await res.json());
                code = envelope.error?.code ?? code;
                message = envelope.error?.message ?? message;
            }
            catch {
                // not the JSON envelope: keep the status
            }
            throw new ApiError(res.status, code, message);
        }
        return res;
    }
    /** GET, parsed as JSON. */
    async get(path, query = {}) {
        return (await (await this.request('GET', path, query)).json());
    }
    /** GET, as text (the journal export is JSON Lines). */
    async text(path, query = {}) {
        return (await this.request('GET', path, query)).text();
    }
    /** POST with a JSON body, parsed as JSON. */
    async post(path, body = {}) {
        return (await (await this.request('POST', path, {}, body)).json());
    }
    /** Every row of a list, page after page (at most `limit` rows). */
    async all(path, query = {}, limit = 1_000_000) {
        const rows = [];
        let cursor = null;
        do {
            const page = await this.get(path, { ...query, limit: MAX_PAGE, cursor: cursor ?? undefined });
            rows.push(...page.data);
            cursor = page.next_cursor;
        } while (cursor && rows.length < limit);
        return rows;
    }
}
