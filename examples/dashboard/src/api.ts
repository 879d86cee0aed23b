// The public HTTP API of the host, with the operator's key held in this object only: never
// stored, never put in a URL. Every view reads the platform through it.

/** A refusal of the API: its HTTP status and the stable error code of the envelope. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ApiError';
  }
}

/** One page of a list: `{"data":[...],"next_cursor":...}`. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Query parameters; empty values are left out. */
export type Query = Record<string, string | number | undefined>;

/** The most rows one list request asks for (the API's own limit). */
export const MAX_PAGE = 500;

export class Api {
  readonly #key: string;

  constructor(key: string) {
    this.#key = key;
  }

  /** Sends a request with the key; answers the response, or throws the API's refusal. */
  async request(method: string, path: string, query: Query = {}, body?: unknown): Promise<Response> {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { 'X-API-Key': this.#key, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
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
        const envelope = (await res.json()) as { error?: { code?: string; message?: string } };
        code = envelope.error?.code ?? code;
        message = envelope.error?.message ?? message;
      } catch {
        // not the JSON envelope: keep the status
      }
      throw new ApiError(res.status, code, message);
    }
    return res;
  }

  /** GET, parsed as JSON. */
  async get<T>(path: string, query: Query = {}): Promise<T> {
    return (await (await this.request('GET', path, query)).json()) as T;
  }

  /** GET, as text (the journal export is JSON Lines). */
  async text(path: string, query: Query = {}): Promise<string> {
    return (await this.request('GET', path, query)).text();
  }

  /** POST with a JSON body, parsed as JSON. */
  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return (await (await this.request('POST', path, {}, body)).json()) as T;
  }

  /** Every row of a list, page after page (at most `limit` rows). */
  async all<T>(path: string, query: Query = {}, limit = 1_000_000): Promise<T[]> {
    const rows: T[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<T> = await this.get<Page<T>>(path, { ...query, limit: MAX_PAGE, cursor: cursor ?? undefined });
      rows.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor && rows.length < limit);
    return rows;
  }
}
