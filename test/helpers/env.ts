/** Isolation for tests: every test file gets its own CAO_HOME, tmux socket and port. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TmuxClient } from '../../src/tmux/client.js';

let n = 0;

export interface TestEnv {
  home: string;
  socket: string;
  tmux: TmuxClient;
  /** A working directory for agents. */
  workdir: string;
  cleanup(): Promise<void>;
}

export function testEnv(): TestEnv {
  const home = mkdtempSync(join(tmpdir(), 'cao-test-home-'));
  const workdir = mkdtempSync(join(tmpdir(), 'cao-test-work-'));
  const socket = `cao-test-${process.pid}-${++n}`;
  const tmux = new TmuxClient(socket);
  return {
    home, socket, tmux, workdir,
    cleanup: async () => {
      await tmux.killServer().catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}

export { freePort } from '../../src/net.js';

/** Resolve when `pred` holds for an event, or reject after `ms`. */
export function nextEvent<T>(subscribe: (fn: (e: T) => void) => () => void, pred: (e: T) => boolean, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsub();
      reject(new Error(`no matching event within ${ms} ms`));
    }, ms);
    const unsub = subscribe((e) => {
      if (pred(e)) {
        clearTimeout(timer);
        unsub();
        resolve(e);
      }
    });
  });
}

/** Whether a process runs (a zombie, killed but not yet reaped by whoever adopted it, does not). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * Resolve once none of `pids` runs, or after `ms`, with those still running. Polls: a process that
 * is not our child gives no event when it ends.
 */
export async function waitGone(pids: number[], ms = 10_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(isRunning);
}

