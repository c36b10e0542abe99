/**
 * An isolated cao-server for benchmarks: its own CAO_HOME, tmux socket and port, and one
 * idempotent cleanup that kills the server by pid, kills its tmux server and removes temp dirs.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/net.js';

export interface BenchServer {
  url: string;
  pid: number;
  socket: string;
  /** The server's CAO_HOME (agent profiles go to `<home>/agent-store`, see agents.ts). */
  home: string;
  /** A scratch directory for agents' working directory and the trace file. */
  scratch: string;
  traceFile: string;
  tmux(args: string[]): string;
  /** Throws if the server process has exited. */
  assertAlive(): void;
  /** Resolves once /health answers; throws if the server exits or stays silent for `ms`. */
  ready(ms?: number): Promise<void>;
  cleanup(): Promise<void>;
}

export const ROOT = join(import.meta.dirname, '..', '..');


/** The benchmark runs the compiled server: refuse a missing build, warn about a stale one. */
export function checkBuild(): void {
  const entry = join(ROOT, 'dist', 'server', 'main.js');
  if (!existsSync(entry)) throw new Error('dist/ is missing: build first with `npx tsc -p tsconfig.json`');
  const newer = execFileSync('find', [join(ROOT, 'src'), '-name', '*.ts', '-newer', entry], { encoding: 'utf8' }).trim();
  if (newer) console.warn('warning: src/ has files newer than dist/: the numbers are for the last build');
}

/** Spawns the server and returns at once: register `cleanup` for signals, then await `ready()`. */
export async function launchServer(o: { env?: Record<string, string> } = {}): Promise<BenchServer> {
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), 'cao-bench-home-'));
  const scratch = mkdtempSync(join(tmpdir(), 'cao-bench-work-'));
  const socket = `cao-bench-${process.pid}`;
  const traceFile = join(scratch, 'trace.jsonl');
  const socketPath = join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid!()}`, socket);
  const env: NodeJS.ProcessEnv = { ...process.env, CAO_HOME: home, CAO_TMUX_SOCKET: socket, CAO_LOG_LEVEL: 'warn', CAO_MOCK_TRACE: traceFile, ...o.env };
  for (const k of ['CAO_API_HOST', 'CAO_API_PORT', 'CAO_API_TOKEN', 'TMUX', 'TMUX_PANE']) delete env[k];
  // e.g. CAO_BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the server
  const nodeArgs = (process.env.CAO_BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin', 'cao-server.js'), '--port', String(port)], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    process.stderr.write(`[cao-server] ${b.toString()}`);
  });
  const tmux = (args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tryTmux = (args: string[]) => {
    try {
      return tmux(args);
    } catch {
      return ''; // no tmux server (left): fine
    }
  };
  let cleaned: Promise<void> | undefined;
  const server: BenchServer = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    socket,
    home,
    scratch,
    traceFile,
    tmux,
    assertAlive: () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`cao-server exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
    },
    ready: (ms = 15_000) => waitForHealth(server, ms),
    cleanup: () =>
      (cleaned ??= (async () => {
        await stopProcess(child);
        const agents = tryTmux(['list-panes', '-a', '-F', '#{pane_pid}']).split('\n').filter(Boolean).map(Number);
        tryTmux(['kill-server']);
        rmSync(socketPath, { force: true }); // tmux leaves its socket file behind
        await reap(agents, 2000); // agents die of SIGHUP shortly after their tmux server
        rmSync(home, { recursive: true, force: true });
        rmSync(scratch, { recursive: true, force: true });
      })()),
  };
  return server;
}

async function waitForHealth(s: BenchServer, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    s.assertAlive();
    const ok = await fetch(`${s.url}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`cao-server did not answer /health within ${ms} ms`);
    await sleep(100);
  }
}

/** SIGTERM, then SIGKILL if the process is still there after 3 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Waits for processes to end (zombies count as ended), then SIGKILLs whatever is left. */
async function reap(pids: number[], ms: number): Promise<void> {
  const alive = (pid: number) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  const deadline = performance.now() + ms;
  while (pids.some(alive) && performance.now() < deadline) await sleep(50);
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** JSON REST call; throws with the server's message on a non-2xx answer. */
export async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((e: Error & { cause?: { code?: string; message?: string } }) => {
    // fetch only says "fetch failed"; the cause (ECONNREFUSED, ECONNRESET…) tells what happened
    throw new Error(`${method} ${path}: ${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`, { cause: e });
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
