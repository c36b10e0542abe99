/**
 * What the examples share: a private cao-server that knows the example's agents, a log of the
 * server's events to wait on, checks that decide the exit code, and cleanup on every way out
 * (success, failure, Ctrl-C).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient, StreamEvent } from '../src/cli/api-client.js';
import { CaoHttpError } from '../src/http-client.js';
import { startLocalServer, type LocalServer } from '../src/cli/demo/local-server.js';
import { PACKAGE_ROOT } from '../src/package.js';

export type CaoEvent = Exclude<StreamEvent, { type: 'snapshot' }>;
export type EventOf<T extends CaoEvent['type']> = Extract<CaoEvent, { type: T }>;

export interface Reply<T> {
  status: number;
  body: T;
}

/** The error shape of every cao-server route. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export interface Example {
  api: ApiClient;
  /** The server's temporary home, tmux socket and a project folder for the agents. */
  home: string;
  socket: string;
  project: string;
  env: NodeJS.ProcessEnv;
  /** Every event the server sent so far, in order. */
  events: CaoEvent[];
  /** Call `fn` for every event from now on (to narrate). */
  on(fn: (e: CaoEvent) => void): void;
  /** The first event (from index `from` on) that matches, waiting up to `timeoutMs`. */
  waitFor<T extends CaoEvent>(what: string, match: (e: CaoEvent) => e is T, o?: { timeoutMs?: number; from?: number }): Promise<T>;
  /**
   * Wait until the agent's turn `turn` (or a later one) ends; throws, with the bottom of its
   * screen, unless it ended with an answer.
   */
  turnEnd(id: string, turn: number, what: string, timeoutMs?: number): Promise<EventOf<'terminal.status'>>;
  /** Routes the CLI's ApiClient has no method for; errors come back as replies, not exceptions. */
  http<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Reply<T>>;
  /** The agent's latest answer, or undefined if it is already busy with its next input. */
  answer(id: string): Promise<string | undefined>;
  log(text: string): void;
  check(what: string, ok: boolean, detail?: string): boolean;
}

const ENDS_A_TURN = ['completed', 'error', 'exited', 'waiting_user_answer'];

export const isType = <T extends CaoEvent['type']>(type: T) => (e: CaoEvent): e is EventOf<T> => e.type === type;

export const firstLine = (s: string) => s.split('\n')[0] ?? '';

/**
 * Run one example: start a private server (own CAO_HOME, tmux socket and port) that finds the
 * profiles in `agentsDir`, run `story`, print the checks, remove everything, and exit 0 only if
 * the story finished and every check passed.
 */
export async function runExample(title: string, agentsDir: string, story: (ex: Example) => Promise<void>): Promise<never> {
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'server', 'main.js'))) {
    process.stderr.write('The examples run the built cao-server: run `npm run build` first.\n');
    process.exit(1);
  }
  const started = Date.now();
  const log = (text: string) => process.stdout.write(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${text}\n`);
  const failures: string[] = [];
  const check = (what: string, ok: boolean, detail?: string) => {
    process.stdout.write(`  ${ok ? '✓' : '✗'} ${what}${!ok && detail ? `\n      ${detail.replace(/\n/g, '\n      ')}` : ''}\n`);
    if (!ok) failures.push(what);
    return ok;
  };

  // Ctrl-C must still clean up: the first signal ends the story, a second one gives up on cleanup.
  let cleaning = false;
  let socket = '';
  let interrupt!: (e: Error) => void;
  const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
  interrupted.catch(() => undefined);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (!cleaning) return interrupt(new Error(`stopped by ${signal}`));
      process.stderr.write(`\nCleanup interrupted; to remove the agents run: tmux -L ${socket} kill-server\n`);
      process.exit(130);
    });
  }

  // The user's CAO_* settings (a token, another home or port) belong to their own server, not this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAO_')));
  const starting = startLocalServer(env);
  starting.catch(() => undefined);
  const abort = new AbortController();
  let error: Error | undefined;
  try {
    const local: LocalServer = await Promise.race([starting, interrupted]);
    socket = local.socket;
    // cao-server reads settings.json at every profile lookup, so registering the folder now, before
    // the first request, is enough (startLocalServer creates CAO_HOME and starts the server at once).
    writeFileSync(join(local.home, 'settings.json'), JSON.stringify({ extra_agent_dirs: [agentsDir] }, null, 2));
    process.stdout.write(`${title}\n(private cao-server ${local.api.baseUrl}, tmux -L ${local.socket}, agents from ${agentsDir})\n\n`);

    const events: CaoEvent[] = [];
    const waiters = new Set<() => void>();
    const listeners: ((e: CaoEvent) => void)[] = [];
    await local.api.events((e) => {
      if (e.type === 'snapshot') return;
      events.push(e);
      for (const fn of listeners) fn(e);
      for (const w of [...waiters]) w();
    }, abort.signal);

    const ex: Example = {
      api: local.api, home: local.home, socket: local.socket, project: local.project, env, events, log, check,
      on: (fn) => listeners.push(fn),
      waitFor: (what, match, o = {}) =>
        new Promise((resolve, reject) => {
          const look = () => {
            const found = events.slice(o.from ?? 0).find(match);
            if (!found) return false;
            done();
            resolve(found);
            return true;
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`timed out after ${(o.timeoutMs ?? 30_000) / 1000} s waiting for ${what}`));
          }, o.timeoutMs ?? 30_000);
          const done = () => {
            clearTimeout(timer);
            waiters.delete(look);
          };
          waiters.add(look);
          look();
        }),
      turnEnd: async (id, turn, what, timeoutMs) => {
        const end = await ex.waitFor(what, (e): e is EventOf<'terminal.status'> =>
          e.type === 'terminal.status' && e.terminal_id === id && e.turn >= turn && ENDS_A_TURN.includes(e.status), { timeoutMs });
        if (end.status !== 'completed') {
          const screen = await local.api.output(id, 'tail', 12).catch(() => '(screen not readable)');
          throw new Error(`${what}: the agent is ${end.status}${end.reason ? ` (${end.reason})` : ''}\n${screen}`);
        }
        return end;
      },
      http: async <T>(method: string, path: string, body?: unknown): Promise<Reply<T>> => {
        const res = await fetch(`${local.api.baseUrl}${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
      },
      answer: (id) =>
        local.api.output(id, 'last').catch((e: unknown) => {
          if (e instanceof CaoHttpError && e.status === 409) return undefined;
          throw e;
        }),
    };

    const profiles = (await ex.http<{ name: string; source: string }[]>('GET', '/agents/profiles')).body;
    if (!profiles.some((p) => p.source === 'custom')) throw new Error(`the server does not list the example's agents from ${agentsDir}`);
    await Promise.race([story(ex), interrupted]);
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  } finally {
    cleaning = true;
    abort.abort();
    const local = await starting.catch(() => undefined);
    await local?.stop();
  }

  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (error) {
    process.stdout.write(`\n✗ The example did not finish (${secs} s): ${error.message}\n`);
    process.exit(error.message.startsWith('stopped by') ? 130 : 1);
  }
  if (failures.length > 0) {
    process.stdout.write(`\n✗ ${failures.length} check(s) failed (${secs} s): ${failures.join('; ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`\n✓ All checks passed in ${secs} s; the server, its agents and its files are removed.\n`);
  process.exit(0);
}
