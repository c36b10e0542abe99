/**
 * A real `cao-server` process for API tests: its own CAO_HOME, tmux socket and port, started from
 * the built `bin/cao-server.js` (run `npx tsc -p tsconfig.json` first), plus small HTTP helpers and
 * readers for the event streams (SSE and WebSocket).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket, { type ClientOptions } from 'ws';
import { TmuxClient } from '../../src/tmux/client.js';
import { freePort } from './env.js';
import type { TerminalView } from '../../src/actors/views.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER_BIN = join(REPO_ROOT, 'bin', 'cao-server.js');

let n = 0;

/** This process's environment without CAO_* settings, which would leak into the server under test. */
const inheritedEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAO_')));

export interface ServerOptions {
  home?: string;
  socket?: string;
  port?: number;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** CAO_API_TOKEN for the server; the helpers send it as a bearer token. */
  token?: string;
}

/** A JSON reply: status, parsed body (undefined if not JSON) and the raw text. */
export interface Reply<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export class CaoServer {
  readonly url: string;
  readonly tmux: TmuxClient;
  /** A fresh directory agents may run in (removed by stop()). */
  readonly workdir: string;
  proc!: ChildProcess;
  private stderr = '';
  private exited!: Promise<void>;

  private constructor(
    readonly home: string,
    readonly socket: string,
    readonly port: number,
    private readonly extraEnv: Record<string, string>,
    private readonly ownedDirs: string[],
    readonly token?: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.tmux = new TmuxClient(socket);
    this.workdir = realpathSync(mkdtempSync(join(tmpdir(), 'cao-api-work-')));
    this.ownedDirs.push(this.workdir);
  }

  static async start(o: ServerOptions = {}): Promise<CaoServer> {
    const owned: string[] = [];
    const home = o.home ?? mkdtempSync(join(tmpdir(), 'cao-api-home-'));
    if (!o.home) owned.push(home);
    const socket = o.socket ?? `cao-api-${process.pid}-${++n}`;
    const port = o.port ?? (await freePort());
    const env = { ...o.env, ...(o.token ? { CAO_API_TOKEN: o.token } : {}) };
    const s = new CaoServer(home, socket, port, env, owned, o.token);
    try {
      await s.launch();
    } catch (e) {
      await s.stop();
      throw e;
    }
    return s;
  }

  /** What the current process wrote to stderr (for failure messages). */
  logs(): string {
    return this.stderr;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private async launch(): Promise<void> {
    this.stderr = '';
    const proc = spawn(process.execPath, [SERVER_BIN, '--port', String(this.port)], {
      cwd: REPO_ROOT,
      env: { ...inheritedEnv(), CAO_HOME: this.home, CAO_TMUX_SOCKET: this.socket, CAO_LOG_LEVEL: 'warn', ...this.extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`cao-server exited early (${proc.exitCode ?? proc.signalCode}): ${this.stderr}`);
      }
      try {
        const r = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000), headers: this.authHeaders() });
        const body = (await r.json()) as { pid?: number };
        if (r.ok && body.pid === proc.pid) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`cao-server did not answer /health within 20 s: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Send a signal to the server process and wait until it has exited (SIGKILL after 5 s). */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.alive) return;
    this.proc.kill(signal);
    const escalate = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(escalate);
  }

  /** Start a new server process with the same CAO_HOME, socket and port (stops the old one first). */
  async restart(): Promise<void> {
    await this.kill('SIGTERM');
    await this.launch();
  }

  /** Stop the process, kill this server's tmux server, remove the directories created for it. */
  async stop(): Promise<void> {
    if (this.proc) await this.kill('SIGTERM');
    await this.tmux.killServer().catch(() => undefined);
    // tmux 3.3 leaves its socket file behind after kill-server.
    const socketDir = join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`);
    for (const f of [this.socket, `${this.socket}.lock`]) rmSync(join(socketDir, f), { force: true });
    for (const d of this.ownedDirs) rmSync(d, { recursive: true, force: true });
  }

  // ── HTTP ──────────────────────────────────────────────────────────────────

  authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  async fetch<T = any>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
    const headers = this.authHeaders();
    const init: RequestInit = { method, signal: AbortSignal.timeout(25_000), headers };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const r = await fetch(`${this.url}${path}`, init);
    const text = await r.text();
    let parsed: T;
    try {
      parsed = JSON.parse(text) as T;
    } catch {
      parsed = undefined as T;
    }
    return { status: r.status, body: parsed, text, headers: r.headers };
  }

  get<T = any>(path: string): Promise<Reply<T>> {
    return this.fetch<T>('GET', path);
  }

  post<T = any>(path: string, body?: unknown): Promise<Reply<T>> {
    return this.fetch<T>('POST', path, body);
  }

  del<T = any>(path: string): Promise<Reply<T>> {
    return this.fetch<T>('DELETE', path);
  }

  /** POST /sessions with the mock provider in this server's workdir; throws unless 201. */
  async createSession(extra: Record<string, unknown> = {}): Promise<TerminalJson> {
    const r = await this.post<TerminalJson>('/sessions', { agent_profile: 'developer', provider: 'mock', working_directory: this.workdir, ...extra });
    if (r.status !== 201) throw new Error(`POST /sessions answered ${r.status}: ${r.text}`);
    return r.body;
  }

  /** GET /events (optionally filtered, e.g. `?terminal_id=…`), resolved once the snapshot arrived. */
  events(query = ''): Promise<EventStream> {
    return openEvents(`${this.url}/events${query}`, this.authHeaders());
  }
}

export const startServer = (o?: ServerOptions) => CaoServer.start(o);

/** The API's terminal object, as the server defines it. */
export type TerminalJson = TerminalView;

// ── raw HTTP (any Host / Origin header) ────────────────────────────────────

export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request with node:http and no connection reuse, so every header (Host included) is ours. */
export function rawRequest(port: number, o: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path, headers: o.headers, agent: false, timeout: 20_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${o.method ?? 'GET'} ${o.path} timed out`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

// ── event streams ─────────────────────────────────────────────────────────

export interface StreamMessage {
  /** SSE event name, or the `type` of a WebSocket JSON message. */
  event: string;
  data: any;
  id?: string;
  /** Position in the stream (0 is the snapshot). */
  index: number;
}

type Pred = (m: StreamMessage) => boolean;

/** Messages of one stream, kept in order; waitFor resolves with the first match from a position on. */
export class MessageLog {
  readonly messages: StreamMessage[] = [];
  private ended: Error | undefined;
  private readonly waiters = new Set<{ pred: Pred; from: number; resolve(m: StreamMessage): void; reject(e: Error): void }>();

  push(m: Omit<StreamMessage, 'index'>): void {
    const msg = { ...m, index: this.messages.length };
    this.messages.push(msg);
    for (const w of [...this.waiters]) if (msg.index >= w.from && w.pred(msg)) w.resolve(msg);
  }

  end(reason: Error): void {
    this.ended ??= reason;
    for (const w of [...this.waiters]) w.reject(reason);
  }

  /** The current length: pass it as `from` to only match later messages. */
  mark(): number {
    return this.messages.length;
  }

  waitFor(pred: Pred, o: { timeout?: number; from?: number; what?: string } = {}): Promise<StreamMessage> {
    const from = o.from ?? 0;
    const found = this.messages.find((m) => m.index >= from && pred(m));
    if (found) return Promise.resolve(found);
    const what = o.what ?? 'a matching event';
    if (this.ended) return Promise.reject(new Error(`stream ended before ${what}: ${this.ended.message}\n${this.summary()}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`no ${what} within ${o.timeout ?? 15_000} ms; received:\n${this.summary()}`));
      }, o.timeout ?? 15_000);
      const w = {
        pred, from,
        resolve: (m: StreamMessage) => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          this.waiters.delete(w);
          reject(new Error(`stream ended before ${what}: ${e.message}\n${this.summary()}`));
        },
      };
      this.waiters.add(w);
    });
  }

  /** terminal.status events (in order) of one terminal. */
  statuses(terminalId: string): { status: string; previous: string | null; turn: number }[] {
    return this.messages.filter((m) => m.event === 'terminal.status' && m.data.terminal_id === terminalId).map((m) => m.data);
  }

  summary(): string {
    return this.messages
      .map((m) => `  #${m.index} ${m.event} ${m.event === 'snapshot' ? `(${m.data.terminals.length} terminals)` : JSON.stringify(m.data)}`)
      .join('\n');
  }
}

/** A `terminal.status` event of a terminal with this status (and turn, if given). */
export const statusIs = (terminalId: string, status: string, turn?: number): Pred => (m) =>
  m.event === 'terminal.status' && m.data.terminal_id === terminalId && m.data.status === status && (turn === undefined || m.data.turn === turn);

/** The status event above, or a snapshot that already shows the terminal in that status (and turn). */
export const statusReached = (terminalId: string, status: string, turn?: number): Pred => (m) =>
  statusIs(terminalId, status, turn)(m) ||
  (m.event === 'snapshot' &&
    (m.data.terminals as TerminalJson[]).some((t) => t.id === terminalId && t.status === status && (turn === undefined || t.turn === turn)));

export interface EventStream extends MessageLog {
  close(): void;
  /** The first message (the snapshot). */
  snapshot: StreamMessage;
}

/** Parse one SSE block (lines up to a blank line) into a message, or undefined for comments/retry. */
function parseSseBlock(block: string): Omit<StreamMessage, 'index'> | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return undefined;
  const text = data.join('\n');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { event, data: parsed, id };
}

/** Open an SSE stream with fetch and collect its messages; resolves after the first (snapshot). */
export async function openEvents(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal, headers: { accept: 'text/event-stream', ...headers } });
  if (res.status !== 200 || !res.body) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  const log = new MessageLog() as EventStream;
  log.close = () => abort.abort();
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const m = parseSseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (m) log.push(m);
        }
      }
      log.end(new Error('the server closed the event stream'));
    } catch (e) {
      log.end(e instanceof Error ? e : new Error(String(e)));
    }
  })();
  log.snapshot = await log.waitFor(() => true, { what: 'snapshot' });
  return log;
}

export interface WsStream extends MessageLog {
  ws: WebSocket;
  close(): void;
}

/** Connect to a WebSocket endpoint; resolves once open (messages are collected from the start). */
export function openWs(url: string, o: ClientOptions = {}): Promise<WsStream> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, o);
    const log = new MessageLog() as WsStream;
    log.ws = ws;
    log.close = () => ws.terminate();
    ws.on('message', (raw) => {
      const data = JSON.parse(String(raw)) as { type: string };
      log.push({ event: data.type, data });
    });
    ws.on('close', () => log.end(new Error('the WebSocket closed')));
    ws.on('open', () => resolve(log));
    ws.on('error', (e) => {
      log.end(e);
      reject(e);
    });
  });
}

/**
 * Try a WebSocket upgrade that should be refused: resolves with the HTTP status the server
 * answered instead of 101, or rejects if the connection was accepted.
 */
export function refusedUpgrade(url: string, o: ClientOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, o);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`the WebSocket upgrade to ${url} was accepted`));
    });
    ws.on('error', (e) => reject(e));
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
