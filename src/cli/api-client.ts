/**
 * The CLI's client of cao-server (over `http-client.ts`). It says plainly when the server is not
 * running, and turns HTTP errors into the server's own message.
 */
import type { StampedEvent } from '../actors/events.js';
import type { FlowView } from '../actors/flows.js';
import type { SessionView, TerminalMeta, TerminalView } from '../actors/views.js';
import type { FlowRun } from '../machines/flow.js';
import { loadConfig } from '../config.js';
import { CaoHttpError, CaoUnreachable, jsonRequester, serverUrl, type JsonRequester } from '../http-client.js';

/** Nothing listens at the server's address: said so, with how to start it. */
export class ServerUnreachable extends CaoUnreachable {
  constructor(baseUrl: string) {
    super(`cao-server is not running at ${baseUrl}. Start it with \`cao-server\` (or point CAO_API_HOST / CAO_API_PORT at it).`, baseUrl);
    this.name = 'ServerUnreachable';
  }
}

/** Calls that answer at once; those that wait for an agent to start pass `null` (no deadline). */
const TIMEOUT_MS = 30_000;

export interface Health {
  status: string;
  version: string;
  cao_home: string;
  tmux_socket: string | null;
  pid: number;
}

export type SnapshotEvent = { type: 'snapshot'; terminals: TerminalView[] };
export type StreamEvent = StampedEvent | SnapshotEvent;

export class ApiClient {
  private readonly call: JsonRequester;

  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {
    this.call = jsonRequester(baseUrl, { token });
  }

  static fromEnv(env: NodeJS.ProcessEnv): ApiClient {
    return new ApiClient(serverUrl(env), loadConfig(env).apiToken);
  }

  private async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, timeoutMs: number | null = TIMEOUT_MS): Promise<T> {
    try {
      return await this.call<T>({ method, path, body, timeoutMs });
    } catch (e) {
      throw e instanceof CaoUnreachable && !e.timedOut ? new ServerUnreachable(this.baseUrl) : e;
    }
  }

  health = () => this.request<Health>('GET', '/health');
  listSessions = () => this.request<SessionView[]>('GET', '/sessions');
  getSession = (name: string) => this.request<{ session: SessionView; terminals: TerminalMeta[] }>('GET', `/sessions/${encodeURIComponent(name)}`);
  deleteSession = (name: string) => this.request<{ success: boolean; errors: string[] }>('DELETE', `/sessions/${encodeURIComponent(name)}`);
  createSession = (b: { agent_profile: string; provider?: string; session_name?: string; working_directory?: string; yolo?: boolean; wait?: boolean }) =>
    this.request<TerminalView>('POST', '/sessions', b, b.wait === false ? TIMEOUT_MS : null);
  addTerminal = (session: string, b: { agent_profile: string; provider?: string; working_directory?: string; wait?: boolean }) =>
    this.request<TerminalView>('POST', `/sessions/${encodeURIComponent(session)}/terminals`, b, b.wait === false ? TIMEOUT_MS : null);
  getTerminal = (id: string) => this.request<TerminalView>('GET', `/terminals/${id}`);
  sendInput = (id: string, message: string) => this.request<{ success: boolean }>('POST', `/terminals/${id}/input`, { message });
  sendKeys = (id: string, keys: string[]) => this.request<{ success: boolean }>('POST', `/terminals/${id}/keys`, { keys });
  output = (id: string, mode: 'full' | 'last' | 'tail', lines?: number) =>
    this.request<{ output: string }>('GET', `/terminals/${id}/output?mode=${mode}${lines ? `&lines=${lines}` : ''}`).then((r) => r.output);

  listFlows = () => this.request<FlowView[]>('GET', '/flows');
  addFlowFile = (filePath: string) => this.request<FlowView>('POST', '/flows', { file_path: filePath });
  removeFlow = (name: string) => this.request<{ success: boolean }>('DELETE', `/flows/${encodeURIComponent(name)}`);
  setFlowEnabled = (name: string, enabled: boolean) =>
    this.request<{ flow: FlowView }>('POST', `/flows/${encodeURIComponent(name)}/${enabled ? 'enable' : 'disable'}`).then((r) => r.flow);
  /** Waits while the flow's script runs and its agent starts. */
  runFlow = (name: string) => this.request<{ executed: boolean; run: FlowRun }>('POST', `/flows/${encodeURIComponent(name)}/run`, undefined, null);

  /**
   * Follow the event stream. Resolves once connected (after the snapshot arrived); events are
   * passed to `onEvent` until `signal` aborts.
   */
  async events(onEvent: (e: StreamEvent) => void, signal: AbortSignal, filter: { terminal_id?: string; session_name?: string } = {}): Promise<void> {
    const qs = new URLSearchParams(filter as Record<string, string>).toString();
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/events${qs ? `?${qs}` : ''}`, { signal, headers: this.token ? { authorization: `Bearer ${this.token}` } : {} });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ServerUnreachable(this.baseUrl);
    }
    if (!res.ok || !res.body) throw new CaoHttpError(res.status, undefined, `cannot follow events (HTTP ${res.status})`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let connected!: () => void;
    let failed!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      connected = resolve;
      failed = reject;
    });
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (!data) continue;
            const e = JSON.parse(data) as StreamEvent;
            onEvent(e);
            if (e.type === 'snapshot') connected();
          }
        }
      } catch {
        /* aborted or connection closed */
      }
      failed(new ServerUnreachable(this.baseUrl)); // no effect once connected
    })();
    await ready;
  }
}
