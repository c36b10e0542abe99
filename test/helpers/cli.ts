/** Run the cao CLI in-process and collect what it prints; a real server for it to talk to. */
import { PassThrough } from 'node:stream';
import { Cli } from 'clipanion';
import { buildCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { startServer } from '../../src/server/main.js';
import { freePort, testEnv, type TestEnv } from './env.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCao(argv: string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const stdin = new PassThrough();
  const code = await buildCli().run(argv, { ...Cli.defaultContext, stdin, stdout, stderr, env, cwd, colorDepth: 1 });
  return { code, stdout: out, stderr: err };
}

export interface CliServer {
  env: TestEnv;
  /** The environment the CLI gets: PATH, HOME and the server's CAO_* variables. */
  cliEnv: NodeJS.ProcessEnv;
  /** The server's address, for checks through its REST API. */
  base: string;
  /** Stop the server, then remove its tmux server and folders. */
  close(): Promise<void>;
}

/** cao-server in-process with its own home, tmux socket and port. */
export async function startCliServer(): Promise<CliServer> {
  const env = testEnv();
  const port = await freePort();
  const vars = { CAO_HOME: env.home, CAO_TMUX_SOCKET: env.socket, CAO_API_HOST: '127.0.0.1', CAO_API_PORT: String(port) };
  const server = await startServer(loadConfig(vars), silentLogger);
  return {
    env,
    cliEnv: { PATH: process.env.PATH, HOME: process.env.HOME, ...vars },
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      await server.close();
      await env.cleanup();
    },
  };
}

