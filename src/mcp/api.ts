/**
 * What the MCP tools need from cao-server, and its HTTP implementation.
 *
 * Two kinds of failure are kept apart because the tools treat them differently:
 * - `CaoUnreachable`: no answer (connection refused/reset, timeout). Worth retrying: the server may
 *   be restarting, and every write carries an idempotency key (`request_id`).
 * - `CaoHttpError`: the server answered with an error (`{ error: { code, message } }`). Not retried,
 *   except 503.
 * A call aborted through the caller's signal rejects with that signal's reason (an AbortError).
 */
import { loadConfig } from '../config.js';
import { MAX_HANDOFF_WAIT_S } from '../handoff-limits.js';

export type HandoffStatus = 'running' | 'succeeded' | 'failed';

export interface HandoffOutcome {
  success: boolean;
  message: string;
  output: string | null;
  terminal_id: string | null;
}

export interface Handoff {
  id: string;
  status: HandoffStatus;
  phase: string;
  agent_profile: string;
  worker_id: string | null;
  worker_status: string | null;
  provider: string | null;
  elapsed_ms: number;
  /** Set once status is not `running`. */
  result: HandoffOutcome | null;
}

export interface CreateHandoff {
  agent_profile: string;
  message: string;
  timeout_seconds: number;
  caller_id?: string;
  working_directory?: string;
  request_id: string;
}

export interface CreateAssignment {
  agent_profile: string;
  message: string;
  caller_id?: string;
  working_directory?: string;
  request_id: string;
}

export interface Assignment {
  success: boolean;
  terminal_id: string;
  message: string;
  assignment_id: string;
}

export interface SendInboxMessage {
  sender_id: string;
  message: string;
  request_id: string;
}

export interface InboxMessageReceipt {
  success: boolean;
  message_id: number;
  sender_id: string;
  receiver_id: string;
  created_at: string;
  status: string;
}

export interface McpCaoApi {
  /** Where the server is, for messages. */
  readonly baseUrl: string;
  /** `POST /handoffs` (202). Idempotent by `request_id`. */
  createHandoff(body: CreateHandoff, signal?: AbortSignal): Promise<Handoff>;
  /** `GET /handoffs/{id}?wait=N`: returns when the handoff is finished or after `waitSeconds` (0–60). */
  getHandoff(id: string, waitSeconds: number, signal?: AbortSignal): Promise<Handoff>;
  /** `POST /handoffs/{id}/cancel`. */
  cancelHandoff(id: string, signal?: AbortSignal): Promise<Handoff>;
  /** `POST /assignments` (201). Idempotent by `request_id`. */
  createAssignment(body: CreateAssignment, signal?: AbortSignal): Promise<Assignment>;
  /** `POST /terminals/{receiver}/inbox/messages`. Idempotent by `request_id`. */
  sendInboxMessage(receiverId: string, body: SendInboxMessage, signal?: AbortSignal): Promise<InboxMessageReceipt>;
}

/** cao-server did not answer (not running, restarting, or too slow). Retrying is safe. */
export class CaoUnreachable extends Error {
  constructor(message: string) {
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

/** Failures that may go away by themselves: no answer, or 503 (server starting or shutting down). */
export const isTransient = (e: unknown): boolean => e instanceof CaoUnreachable || (e instanceof CaoHttpError && e.status === 503);

export const isAbort = (e: unknown): boolean => e instanceof Error && e.name === 'AbortError';

export interface HttpCaoApiOptions {
  token?: string;
  /** Per-call timeout for calls that do not long-poll. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class HttpCaoApi implements McpCaoApi {
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;

  constructor(
    readonly baseUrl: string,
    private readonly o: HttpCaoApiOptions = {},
  ) {
    this.timeoutMs = o.timeoutMs ?? 15_000;
    this.doFetch = o.fetch ?? fetch;
  }

  static fromEnv(env: NodeJS.ProcessEnv, o: Omit<HttpCaoApiOptions, 'token'> = {}): HttpCaoApi {
    const c = loadConfig(env);
    const host = c.apiHost.includes(':') ? `[${c.apiHost}]` : c.apiHost;
    return new HttpCaoApi(`http://${host}:${c.apiPort}`, { ...o, token: c.apiToken });
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw abortError();
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await this.doFetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: combined,
      });
      text = await res.text();
    } catch (e) {
      if (signal?.aborted) throw abortError();
      if (timeout.aborted) throw new CaoUnreachable(`cao-server at ${this.baseUrl} did not answer ${method} ${path.split('?')[0]} within ${Math.round(timeoutMs / 1000)} s`);
      throw new CaoUnreachable(`cannot reach cao-server at ${this.baseUrl} (${describe(e)})`);
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
    if (data === undefined) throw new CaoHttpError(res.status, undefined, `cao-server sent no JSON for ${method} ${path.split('?')[0]}`);
    return data as T;
  }

  createHandoff(body: CreateHandoff, signal?: AbortSignal): Promise<Handoff> {
    return this.request('POST', '/handoffs', body, this.timeoutMs, signal);
  }

  getHandoff(id: string, waitSeconds: number, signal?: AbortSignal): Promise<Handoff> {
    const wait = Math.max(0, Math.min(MAX_HANDOFF_WAIT_S, Math.floor(waitSeconds)));
    // The server holds the request up to `wait` seconds: allow for that on top of the usual timeout.
    return this.request('GET', `/handoffs/${encodeURIComponent(id)}?wait=${wait}`, undefined, wait * 1000 + this.timeoutMs, signal);
  }

  cancelHandoff(id: string, signal?: AbortSignal): Promise<Handoff> {
    return this.request('POST', `/handoffs/${encodeURIComponent(id)}/cancel`, {}, this.timeoutMs, signal);
  }

  createAssignment(body: CreateAssignment, signal?: AbortSignal): Promise<Assignment> {
    return this.request('POST', '/assignments', body, this.timeoutMs, signal);
  }

  sendInboxMessage(receiverId: string, body: SendInboxMessage, signal?: AbortSignal): Promise<InboxMessageReceipt> {
    return this.request('POST', `/terminals/${encodeURIComponent(receiverId)}/inbox/messages`, body, this.timeoutMs, signal);
  }
}

/** Thrown when the caller's signal aborts a call, whatever reason the signal carries. */
export function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** fetch hides the interesting part (ECONNREFUSED, ECONNRESET…) in `cause`. */
function describe(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}
