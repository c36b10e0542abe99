/**
 * What the MCP tools need from cao-server, and its HTTP implementation (over `http-client.ts`).
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
import { CaoHttpError, CaoUnreachable, jsonRequester, serverUrl, type HttpClientOptions, type JsonRequester } from '../http-client.js';

export { CaoHttpError, CaoUnreachable, abortError, isAbort } from '../http-client.js';

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
  /** `POST /handoffs/cancel` by request id: for a create whose answer never came. Null: nothing was running. */
  cancelHandoffRequest(requestId: string, signal?: AbortSignal): Promise<Handoff | null>;
  /** `POST /assignments` (201). Idempotent by `request_id`. */
  createAssignment(body: CreateAssignment, signal?: AbortSignal): Promise<Assignment>;
  /** `POST /terminals/{receiver}/inbox/messages`. Idempotent by `request_id`. */
  sendInboxMessage(receiverId: string, body: SendInboxMessage, signal?: AbortSignal): Promise<InboxMessageReceipt>;
}

/** Failures that may go away by themselves: no answer, or 503 (server starting or shutting down). */
export const isTransient = (e: unknown): boolean => e instanceof CaoUnreachable || (e instanceof CaoHttpError && e.status === 503);

export interface HttpCaoApiOptions extends HttpClientOptions {
  /** Per-call timeout for calls that do not long-poll. */
  timeoutMs?: number;
}

export class HttpCaoApi implements McpCaoApi {
  private readonly timeoutMs: number;
  private readonly call: JsonRequester;

  constructor(
    readonly baseUrl: string,
    o: HttpCaoApiOptions = {},
  ) {
    this.timeoutMs = o.timeoutMs ?? 15_000;
    this.call = jsonRequester(baseUrl, o);
  }

  static fromEnv(env: NodeJS.ProcessEnv, o: Omit<HttpCaoApiOptions, 'token'> = {}): HttpCaoApi {
    return new HttpCaoApi(serverUrl(env), { ...o, token: loadConfig(env).apiToken });
  }

  private request<T>(method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    return this.call<T>({ method, path, body, timeoutMs, signal });
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

  async cancelHandoffRequest(requestId: string, signal?: AbortSignal): Promise<Handoff | null> {
    return (await this.request<{ handoff: Handoff | null }>('POST', '/handoffs/cancel', { request_id: requestId }, this.timeoutMs, signal)).handoff;
  }

  createAssignment(body: CreateAssignment, signal?: AbortSignal): Promise<Assignment> {
    return this.request('POST', '/assignments', body, this.timeoutMs, signal);
  }

  sendInboxMessage(receiverId: string, body: SendInboxMessage, signal?: AbortSignal): Promise<InboxMessageReceipt> {
    return this.request('POST', `/terminals/${encodeURIComponent(receiverId)}/inbox/messages`, body, this.timeoutMs, signal);
  }
}
