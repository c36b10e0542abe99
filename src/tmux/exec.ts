/**
 * The one place that starts processes. Everything is argv (never a shell string), every call has a
 * deadline that ends in SIGKILL, and every tmux call carries the socket chosen by CAO_TMUX_SOCKET.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export class TmuxError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`tmux ${args[0] ?? ''} failed: ${stderr.trim() || `exit code ${exitCode}`}`);
    this.name = 'TmuxError';
  }
  /** tmux's words for "the thing you named is not there". */
  get isMissing(): boolean {
    return /can't find|no server running|no such|not found|error connecting|session not found/i.test(this.stderr);
  }
}

export interface ExecOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export const socketArgs = (socket: string | undefined) => (socket ? ['-L', socket] : []);
/**
 * `-u`: without a UTF-8 locale in our environment tmux would replace every non-ASCII byte (and our
 * field separator) in its output with '_'. cao parses that output, so it always asks for UTF-8.
 */
const clientArgs = (socket: string | undefined) => ['-u', ...socketArgs(socket)];

/** Run `tmux [-L socket] …args` and return stdout; rejects with TmuxError on a non-zero exit. */
export function tmuxExec(socket: string | undefined, args: string[], o: ExecOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('tmux', [...clientArgs(socket), ...args], { stdio: ['pipe', 'pipe', 'pipe'], signal: o.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 10_000);
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) resolve(stdout);
      else reject(new TmuxError(args, Buffer.concat(err).toString('utf8') || (code === null ? 'killed after timeout' : ''), code));
    });
    child.stdin!.on('error', () => undefined); // tmux may exit before reading its input
    child.stdin!.end(o.input ?? '');
  });
}

/** A long-lived `tmux -C attach` client; the caller owns its stdio. */
export function spawnControlClient(socket: string | undefined, session: string): ChildProcess {
  return spawn('tmux', [...clientArgs(socket), '-C', 'attach-session', '-t', `=${session}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Run tmux in the foreground on the user's terminal (attach / switch-client). Resolves its exit code. */
export function tmuxInteractive(socket: string | undefined, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('tmux', [...socketArgs(socket), ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** Start a detached helper process (used by `cao demo` to run its own server). */
export function spawnDetached(argv: string[], o: SpawnOptions): ChildProcess {
  const [cmd, ...args] = argv;
  return spawn(cmd!, args, o);
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Run a program (argv, no shell) to completion with a deadline: flows' gating scripts. Output is
 * capped so a runaway script cannot exhaust memory. The program gets its own process group, and the
 * deadline kills the whole group: a shell script's children (`sleep`, `curl`) would otherwise keep
 * running and hold the output pipes open long after the deadline.
 */
export function runProcess(argv: string[], o: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv; maxBytes?: number }): Promise<ProcessResult> {
  const max = o.maxBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      resolve({ code, stdout, stderr, timedOut });
    };
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(0, max)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-max)));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      // A process that left the group may still hold the pipes: do not wait for it.
      grace = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        finish(null);
      }, 1000);
    }, o.timeoutMs);
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      reject(e);
    });
    child.on('close', (code) => finish(code));
  });
}
