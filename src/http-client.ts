/**
 * The one way cao's own programs (the CLI, `cao mcp-server`) call cao-server: JSON in and out,
 * the bearer token when there is one, a deadline, and two kinds of failure kept apart:
 * - `CaoUnreachable`: no answer (connection refused/reset, or the deadline passed);
 * - `CaoHttpError`: the server answered with an error, carrying the server's own message
 *   (`{ error: { code, message } }`), or the start of a body that was not JSON.
 * A call aborted through the caller's signal rejects with an AbortError.
 */
import { loadConfig } from './config.js';

/** cao-server did not answer (not running, restarting, or too slow). */
export class CaoUnreachable extends Error {
  constructor(
    message: string,
    readonly baseUrl?: string,
    /** It accepted the connection but did not answer in time (so it is running). */
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'CaoUnreachable';
  }
}

/** cao-server answered with an error status; `message` is the server's own. */
export class CaoHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'CaoHttpError';
  }
}

export const isAbort = (e: unknown): boolean => e instanceof Error && e.name === 'AbortError';

/** Thrown when the caller's signal aborts a call, whatever reason the signal carries. */
export function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** `http://host:port` of the server named by CAO_API_HOST / CAO_API_PORT (IPv6 hosts bracketed). */
export function serverUrl(env: NodeJS.ProcessEnv): string {
  const c = loadConfig(env);
  return `http://${c.apiHost.includes(':') ? `[${c.apiHost}]` : c.apiHost}:${c.apiPort}`;
}

export interface JsonRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, e.g. `/terminals/ab12cd34/output?mode=last`. */
  path: string;
  body?: unknown;
  /** No answer within this long is CaoUnreachable; `null` waits as long as the server works. */
  timeoutMs: number | null;
  signal?: AbortSignal;
}

export interface HttpClientOptions {
  token?: string;
  fetch?: typeof fetch;
}

export type JsonRequester = <T>(r: JsonRequest) => Promise<T>;

export function jsonRequester(baseUrl: string, o: HttpClientOptions = {}): JsonRequester {
  const doFetch = o.fetch ?? fetch;
  return async <T>({ method, path, body, timeoutMs, signal }: JsonRequest): Promise<T> => {
    if (signal?.aborted) throw abortError();
    const what = `${method} ${path.split('?')[0]}`;
    const timeout = timeoutMs === null ? undefined : AbortSignal.timeout(timeoutMs);
    const signals = [signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    let res: Response;
    let text: string;
    try {
      res = await doFetch(`${baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: signals.length === 0 ? undefined : AbortSignal.any(signals),
      });
      text = await res.text();
    } catch (e) {
      if (signal?.aborted) throw abortError();
      if (timeout?.aborted) throw new CaoUnreachable(`cao-server at ${baseUrl} did not answer ${what} within ${Math.round(timeoutMs! / 1000)} s`, baseUrl, true);
      throw new CaoUnreachable(`cannot reach cao-server at ${baseUrl} (${describe(e)})`, baseUrl);
    }
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) {
      const err = (data as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const message = typeof err?.message === 'string' && err.message ? err.message : `HTTP ${res.status}${text && data === undefined ? `: ${text.slice(0, 200)}` : ''}`;
      throw new CaoHttpError(res.status, typeof err?.code === 'string' ? err.code : undefined, message);
    }
    if (data === undefined) throw new CaoHttpError(res.status, undefined, `cao-server sent no JSON for ${what}`);
    return data as T;
  };
}

/** fetch hides the interesting part (ECONNREFUSED, ECONNRESET…) in `cause`. */
function describe(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}
