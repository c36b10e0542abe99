/** A private cao-server for the demo: its own CAO_HOME, tmux socket and port, removed afterwards. */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort } from '../../net.js';
import { PACKAGE_ROOT } from '../../package.js';
import { TmuxClient } from '../../tmux/client.js';
import { spawnDetached } from '../../tmux/exec.js';
import { ApiClient } from '../api-client.js';

export interface LocalServer {
  api: ApiClient;
  home: string;
  socket: string;
  project: string;
  stop(): Promise<void>;
}

const withoutCaoSettings = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('CAO_')));

export async function startLocalServer(env: NodeJS.ProcessEnv): Promise<LocalServer> {
  const home = mkdtempSync(join(tmpdir(), 'cao-demo-'));
  const project = join(home, 'project');
  mkdirSync(project);
  const socket = `cao-demo-${process.pid}`;
  const port = await freePort();
  let stderr = '';
  const child: ChildProcess = spawnDetached([process.execPath, join(PACKAGE_ROOT, 'bin', 'cao-server.js'), '--port', String(port)], {
    // None of the user's own CAO_* settings (a token, another home) may reach the private server.
    env: { ...withoutCaoSettings(env), CAO_HOME: home, CAO_TMUX_SOCKET: socket, CAO_LOG_LEVEL: 'warn', CAO_API_HOST: '127.0.0.1', CAO_API_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    await new TmuxClient(socket).killServer().catch(() => undefined);
    // An agent CLI may still be writing into its folder for a moment after its window closed.
    rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  const api = new ApiClient(`http://127.0.0.1:${port}`);
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await api.health();
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`the demo server did not start: ${stderr.trim() || 'no output'}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { api, home, socket, project, stop };
}
