/**
 * The frame every benchmark runs in: check the build, start an isolated server, connect the event
 * stream, run the body, and always clean up — after success, after an error, and on Ctrl-C or
 * SIGTERM. Extra resources (an MCP client and its process…) register their own cleanup with
 * `onCleanup`; those run first, then the server's (kill by pid, kill its tmux server, remove temp
 * directories).
 *
 * Exit codes: 0 when the measurement ran (goals may have failed), 1 when the benchmark broke,
 * 130 when interrupted.
 */
import { checkBuild, launchServer, type BenchServer } from './server.js';
import { EventLog } from './events.js';
import { SseClient } from './sse.js';

export interface BenchContext {
  server: BenchServer;
  sse: SseClient;
  log: EventLog;
  onCleanup(fn: () => unknown): void;
}

export async function runBench(o: { serverEnv?: Record<string, string> }, body: (ctx: BenchContext) => Promise<void>): Promise<never> {
  checkBuild();
  const cleanups: (() => unknown)[] = [];
  let server: BenchServer | undefined;
  let sse: SseClient | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      sse?.close();
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (e) {
          console.error(`cleanup: ${(e as Error).message}`);
        }
      }
      await server?.cleanup();
    })());
  let interrupted = false;
  const stop = (why: string, code: number) => {
    if (interrupted) return;
    interrupted = true;
    void cleanup().finally(() => {
      console.error(`\n${why}: cleaned up`);
      process.exit(code);
    });
  };
  // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and relayed by npx and
  // tsx), and under tsx a signal with no listener left exits at once, in the middle of the cleanup.
  process.on('SIGINT', () => stop('SIGINT', 130)).on('SIGTERM', () => stop('SIGTERM', 143));
  process.on('unhandledRejection', (e) => {
    console.error(`benchmark failed (unhandled): ${(e as Error)?.stack ?? e}`);
    stop('unhandled rejection', 1);
  });

  let code = 0;
  try {
    server = await launchServer({ env: o.serverEnv });
    await server.ready();
    const conn = await SseClient.connect(server.url);
    sse = conn.client;
    const log = new EventLog(sse, conn.snapshot);
    await body({ server, sse, log, onCleanup: (fn) => cleanups.push(fn) });
  } catch (e) {
    if (!interrupted) {
      console.error(`benchmark failed: ${(e as Error).stack ?? e}`);
      try {
        server?.assertAlive();
      } catch (dead) {
        console.error((dead as Error).message); // the usual reason a request failed
      }
    }
    code = 1;
  } finally {
    await cleanup();
  }
  // An interrupt's own exit (130/143) wins: it is already on its way.
  if (interrupted) await new Promise(() => undefined);
  process.exit(code);
}
