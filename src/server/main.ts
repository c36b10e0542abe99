/**
 * `cao-server`: opens the store, restores the actors, reconciles them with tmux and serves the API
 * on 127.0.0.1:9889 (CAO_API_HOST / CAO_API_PORT, or --host / --port).
 */
import { createServer, type Server } from 'node:http';
import { Builtins, Cli, Command, Option, UsageError } from 'clipanion';
import { Orchestrator } from '../actors/orchestrator.js';
import { homePaths, loadConfig, type CaoConfig } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { VERSION } from '../package.js';
import { openDb, type Db } from '../store/db.js';
import { TmuxClient } from '../tmux/client.js';
import { createApp } from './app.js';
import { attachWebSockets } from './ws.js';
import { isLoopbackBind } from './security.js';

export interface RunningServer {
  server: Server;
  orchestrator: Orchestrator;
  url: string;
  close(): Promise<void>;
}

/** tmux 3.2 brought `new-session -e` and control-mode flags that cao relies on. */
async function checkTmux(tmux: TmuxClient): Promise<void> {
  let version: string;
  try {
    version = await tmux.version();
  } catch {
    throw new Error('tmux is not installed (cao needs tmux 3.2 or newer on PATH)');
  }
  const m = /(\d+)\.(\d+)/.exec(version);
  if (m && (Number(m[1]) < 3 || (Number(m[1]) === 3 && Number(m[2]) < 2))) throw new Error(`cao needs tmux 3.2 or newer, found ${version}`);
}

export async function startServer(config: CaoConfig, log: Logger): Promise<RunningServer> {
  if (!isLoopbackBind(config.apiHost) && !config.apiToken) {
    throw new Error(`refusing to listen on ${config.apiHost} without an API token: set CAO_API_TOKEN (clients send it as a bearer token)`);
  }
  const tmux = new TmuxClient(config.tmuxSocket);
  await checkTmux(tmux);
  let db: Db | undefined;
  try {
    db = await openDb(homePaths(config.home).db);
    const orchestrator = await Orchestrator.start({ config, tmux, db, log });
    const app = createApp({ api: orchestrator, info: { version: VERSION, home: config.home, tmuxSocket: config.tmuxSocket }, log, token: config.apiToken });
    const server = createServer(app.callback());
    const wss = attachWebSockets(server, orchestrator, config.apiToken);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.apiPort, config.apiHost, () => resolve());
    });
    const { port } = server.address() as { port: number };
    orchestrator.setApiAddress(isLoopbackBind(config.apiHost) ? config.apiHost : '127.0.0.1', port);
    const close = async () => {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await orchestrator.stop();
      await db!.close();
    };
    return { server, orchestrator, url: `http://${config.apiHost}:${port}`, close };
  } catch (e) {
    await db?.close();
    throw e;
  }
}

class ServeCommand extends Command {
  static paths = [Command.Default];
  static usage = Command.Usage({
    description: 'Run the cao server (REST API, event stream, agent supervision)',
    details: 'Agents keep running in tmux when the server stops; a restarted server picks them up again.',
    examples: [['Serve on the default 127.0.0.1:9889', '$0'], ['Serve on another port', '$0 --port 9900']],
  });
  host = Option.String('--host', { description: 'Address to bind (default CAO_API_HOST or 127.0.0.1)' });
  port = Option.String('--port', { description: 'Port (default CAO_API_PORT or 9889)' });

  async execute(): Promise<number> {
    const env = { ...process.env };
    if (this.host) env.CAO_API_HOST = this.host;
    if (this.port) {
      if (!/^\d+$/.test(this.port) || Number(this.port) > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got '${this.port}'`);
      env.CAO_API_PORT = this.port;
    }
    const config = loadConfig(env);
    if (this.port === '0') config.apiPort = 0;
    const log = createLogger();
    // One bad request or a failing agent must not take every other agent's supervision down.
    process.on('uncaughtException', (e) => log.error(`uncaught: ${e.stack ?? e.message}`));
    process.on('unhandledRejection', (e) => log.error(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
    let running: RunningServer;
    try {
      running = await startServer(config, log);
    } catch (e) {
      this.context.stderr.write(`cao-server: ${(e as Error).message}\n`);
      return 1;
    }
    log.info(`cao-server ${VERSION} listening on ${running.url} (CAO_HOME=${config.home}${config.tmuxSocket ? `, tmux socket ${config.tmuxSocket}` : ''})`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info(`${signal}: stopping (agents keep running in tmux)`);
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    await running.close();
    return 0;
  }
}

export function runServerCli(argv: string[]): void {
  const cli = new Cli({ binaryName: 'cao-server', binaryLabel: 'cao server', binaryVersion: VERSION });
  cli.register(ServeCommand);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  void cli.runExit(argv);
}
