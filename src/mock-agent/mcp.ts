/**
 * The mock agent's MCP client: connects to the stdio MCP servers of a Claude Code style
 * `--mcp-config` and runs the tools of a script's `call` steps.
 *
 * ```json
 * { "mcpServers": { "cao": { "type": "stdio", "command": "cao-mcp-server", "args": [], "env": { "K": "V" } } } }
 * ```
 * Servers are started in the background when the agent starts (the prompt does not wait for them);
 * a call waits for its server. Their stderr is captured (its tail explains a server that failed),
 * never shown on the agent's screen. Only stdio servers are supported; others are reported.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { VERSION } from '../package.js';

/** One server of the config. Fields of other transports (url, headers, …) pass through. */
const ServerEntry = z.looseObject({
  type: z.string().optional(),
  command: z.string().min(1).optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
});

export const McpConfig = z.looseObject({
  mcpServers: z.record(z.string(), z.unknown()).default({}),
});
export type McpConfig = z.infer<typeof McpConfig>;

export interface StdioServer {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** A config's servers: the stdio ones we can start, and why the others cannot be. */
export interface McpServers {
  stdio: Map<string, StdioServer>;
  unsupported: Map<string, string>;
}

/** Sort a config's servers into stdio servers and unsupported ones (with the reason). */
export function parseServers(config: McpConfig): McpServers {
  const stdio = new Map<string, StdioServer>();
  const unsupported = new Map<string, string>();
  for (const [name, raw] of Object.entries(config.mcpServers)) {
    const r = ServerEntry.safeParse(raw);
    if (!r.success) {
      unsupported.set(name, `invalid entry (${r.error.issues.map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`).join('; ')})`);
    } else if (r.data.type !== undefined && r.data.type !== 'stdio') {
      unsupported.set(name, `type '${r.data.type}' (the mock agent starts stdio servers only)`);
    } else if (r.data.command === undefined) {
      unsupported.set(name, 'no command (the mock agent starts stdio servers only)');
    } else {
      stdio.set(name, { command: r.data.command, args: r.data.args ?? [], env: r.data.env ?? {} });
    }
  }
  return { stdio, unsupported };
}

/**
 * Read an `--mcp-config` value: JSON text when it starts with `{` (as Claude Code accepts), else a
 * file path (relative to `cwd`). Throws an Error with a clear message when it is unusable.
 */
export function loadMcpConfig(value: string, cwd = process.cwd()): McpConfig {
  const inline = value.trimStart().startsWith('{');
  const what = inline ? 'MCP config (inline JSON)' : `MCP config ${value}`;
  let text: string;
  if (inline) text = value;
  else {
    try {
      text = readFileSync(resolve(cwd, value), 'utf8');
    } catch (e) {
      throw new Error(`${what} cannot be read: ${(e as Error).message}`);
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${(e as Error).message}`);
  }
  const r = McpConfig.safeParse(data);
  if (!r.success) {
    throw new Error(`${what} is invalid: ${r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}

/** Merge configs; a later config's server replaces an earlier one of the same name. */
export function mergeMcpConfigs(configs: McpConfig[]): McpConfig {
  return { mcpServers: Object.assign({}, ...configs.map((c) => c.mcpServers)) as Record<string, unknown> };
}

export interface McpManagerOptions {
  /** Per-request timeout of a tool call, restarted by each progress notification. Default: 1 hour. */
  callTimeoutMs?: number;
  /** How long a server may take to start and answer `initialize`. Default: 30 s. */
  connectTimeoutMs?: number;
  /** The environment servers inherit (before their own `env`). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Working directory of the servers. Default: the agent's. */
  cwd?: string;
}

/** Called with a line of text for each progress notification of a running call. */
export type ProgressListener = (message: string) => void;

const STDERR_TAIL = 2000;

interface Connection {
  client: Client;
  transport: StdioClientTransport;
  /** Settles when the server is connected (and its tools listed); rejects if it failed to start. */
  ready: Promise<void>;
  stderr: string;
  /** Settles when the server's stderr has ended (the process is gone): its last words are in. */
  stderrEnded: Promise<void>;
  exited: boolean;
}

export class McpManager {
  /** structuredContent of the last call (undefined when it had none), for `{{result.field}}`. */
  lastStructured: unknown = undefined;
  private readonly servers: McpServers;
  private readonly conns = new Map<string, Connection>();
  private readonly callTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private closed = false;

  constructor(config: McpConfig, private readonly opts: McpManagerOptions = {}) {
    this.servers = parseServers(config);
    this.callTimeoutMs = opts.callTimeoutMs ?? 3_600_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
  }

  /** Lines worth telling the user at start: servers of the config that will not be started. */
  get problems(): string[] {
    return [...this.servers.unsupported].map(([name, why]) => `MCP server '${name}' is unsupported: ${why}`);
  }

  get serverNames(): string[] {
    return [...this.servers.stdio.keys(), ...this.servers.unsupported.keys()];
  }

  /** The process id of a started server (tests use it to prove close() ends it). */
  pid(server: string): number | null {
    return this.conns.get(server)?.transport.pid ?? null;
  }

  /** Start connecting to every stdio server, in the background. Safe to call once. */
  start(): void {
    if (this.closed) return;
    for (const [name, s] of this.servers.stdio) if (!this.conns.has(name)) this.conns.set(name, this.connect(s));
  }

  private connect(s: StdioServer): Connection {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.opts.env ?? process.env)) if (typeof v === 'string') env[k] = v;
    const transport = new StdioClientTransport({
      command: s.command,
      args: s.args,
      env: { ...env, ...s.env },
      stderr: 'pipe',
      ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}),
    });
    const client = new Client({ name: 'cao-mock-agent', version: VERSION });
    const stderr = transport.stderr;
    const stderrEnded = new Promise<void>((resolve) => (stderr ? stderr.once('close', resolve).once('end', resolve) : resolve()));
    const conn: Connection = { client, transport, ready: Promise.resolve(), stderr: '', stderrEnded, exited: false };
    // Attached before start: the transport hands out its stderr stream at once, so nothing is lost.
    stderr?.on('data', (chunk: Buffer | string) => {
      conn.stderr = (conn.stderr + String(chunk)).slice(-STDERR_TAIL);
    });
    client.onclose = () => {
      conn.exited = true;
    };
    client.onerror = () => undefined; // failures surface through ready and the calls
    conn.ready = (async () => {
      await client.connect(transport, { timeout: this.connectTimeoutMs });
      // As a CLI does: learn the tools (this also lets the client check structured output).
      await client.listTools(undefined, { timeout: this.connectTimeoutMs }).catch(() => undefined);
    })();
    conn.ready.catch(() => undefined); // reported when a call needs the server
    return conn;
  }

  /**
   * Run a tool and return its text (the text contents, one per line). A result with `isError`
   * throws an Error with its text. `onProgress` receives the server's progress notifications.
   */
  async callTool(server: string, tool: string, args: Record<string, unknown>, signal: AbortSignal, onProgress?: ProgressListener): Promise<string> {
    this.lastStructured = undefined;
    const why = this.servers.unsupported.get(server);
    if (why !== undefined) throw new Error(`MCP server '${server}' is unsupported: ${why}`);
    if (!this.servers.stdio.has(server)) {
      const names = this.serverNames;
      throw new Error(`no MCP server '${server}' is configured${names.length ? ` (configured: ${names.join(', ')})` : ''}`);
    }
    if (this.closed) throw new Error(`MCP server '${server}' is closed`);
    this.start();
    const conn = this.conns.get(server)!;
    try {
      await abortable(conn.ready, signal);
    } catch (e) {
      if (signal.aborted) throw e;
      await stderrSettled(conn);
      throw new Error(`MCP server '${server}' failed to start: ${(e as Error).message}${stderrTail(conn)}`);
    }
    if (conn.exited) {
      await stderrSettled(conn);
      throw new Error(`MCP server '${server}' is not running (it exited)${stderrTail(conn)}`);
    }
    let result;
    try {
      result = await conn.client.callTool({ name: tool, arguments: args }, undefined, {
        signal,
        timeout: this.callTimeoutMs,
        resetTimeoutOnProgress: true,
        onprogress: (p) => onProgress?.(progressText(p)),
      });
    } catch (e) {
      if (signal.aborted || !conn.exited) throw e;
      await stderrSettled(conn);
      throw new Error(`MCP server '${server}' exited during ${tool}: ${(e as Error).message}${stderrTail(conn)}`);
    }
    const content = Array.isArray(result.content) ? (result.content as Array<{ type: string; text?: unknown }>) : [];
    const text = content
      .filter((c) => c.type === 'text' && typeof c.text === 'string')
      .map((c) => c.text as string)
      .join('\n');
    if (result.isError) throw new Error(text || `${server} - ${tool} failed`);
    this.lastStructured = result.structuredContent;
    return text;
  }

  /** Close every connection; this ends the server processes. */
  async close(): Promise<void> {
    this.closed = true;
    const conns = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(conns.map((c) => c.client.close().catch(() => c.transport.close().catch(() => undefined))));
  }
}

function progressText(p: Progress): string {
  if (p.message) return p.message;
  return p.total !== undefined ? `${p.progress}/${p.total}` : String(p.progress);
}

function stderrTail(conn: Connection): string {
  const lines = conn.stderr.trim().split('\n').slice(-5).join(' | ');
  return lines ? ` (stderr: ${lines})` : '';
}

/**
 * Let stderr still in flight arrive before it is quoted: until the stream ends, or a moment when
 * the server is still running (a start that timed out) and may never end it.
 */
function stderrSettled(conn: Connection): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<void>((r) => (timer = setTimeout(r, 500)));
  return Promise.race([conn.stderrEnded, cap]).finally(() => clearTimeout(timer));
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
