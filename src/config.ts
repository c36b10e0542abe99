import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Everything cao reads from its environment, resolved once per call so tests can change env. */
export interface CaoConfig {
  /** Root of cao's own files: database, agent store, per-terminal configs, logs. */
  home: string;
  /** tmux socket name (`tmux -L`); undefined means the user's default tmux server. */
  tmuxSocket: string | undefined;
  apiHost: string;
  apiPort: number;
  /** Bearer token required on every request when set (mandatory for non-loopback binds). */
  apiToken: string | undefined;
  /** Keep handoff workers after they answered, for debugging (CAO_KEEP_WORKERS=true). */
  keepWorkers: boolean;
}

export const DEFAULT_PORT = 9889;
export const DEFAULT_HOST = '127.0.0.1';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): CaoConfig {
  const port = Number(env.CAO_API_PORT);
  return {
    home: resolve(env.CAO_HOME || join(homedir(), '.cao')),
    tmuxSocket: env.CAO_TMUX_SOCKET || undefined,
    apiHost: env.CAO_API_HOST || DEFAULT_HOST,
    apiPort: Number.isInteger(port) && port > 0 && port < 65536 ? port : DEFAULT_PORT,
    apiToken: env.CAO_API_TOKEN || undefined,
    keepWorkers: env.CAO_KEEP_WORKERS?.toLowerCase() === 'true',
  };
}

/** Paths inside CAO_HOME, in one place so the layout is documented by code. */
export const homePaths = (home: string) => ({
  db: join(home, 'cao.db'),
  agentStore: join(home, 'agent-store'),
  settings: join(home, 'settings.json'),
  terminals: join(home, 'terminals'),
  terminalDir: (id: string) => join(home, 'terminals', id),
  logs: join(home, 'logs'),
});
