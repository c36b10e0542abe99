/**
 * Status-detection benchmark for cao-server (run: npx tsx bench/status-latency.ts).
 *
 * cao learns what an agent is doing only from its screen: tmux reports output, the server waits
 * for a quiet moment, captures the pane, classifies it and pushes the status on `GET /events`.
 * This measures what that costs, against an isolated server running the mock agent:
 *
 *   A. Detection latency: per turn, (arrival of the SSE `completed` event at this client) minus
 *      (the moment the mock agent finished drawing its final prompt, from its CAO_MOCK_TRACE line).
 *      Both are epoch ms from performance.timeOrigin + performance.now() on the same machine.
 *   B. Idle cost: CPU of the server (and of tmux) while 50 idle agents do nothing.
 *
 * Options: --turns N (200) --idle-seconds S (30) --terminals N (50) --seed N (1)
 *          --pause-ms MS (0): quiet time between a turn's `completed` event and the next input.
 *          --work-ms MIN-MAX (20-200): the random work time of each turn (the word delay=MS).
 *          --out FILE (bench/results/status-latency.json)
 * Exit code: 0 when the measurement ran (goals may still FAIL), 1 when the benchmark broke.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { api, checkBuild, launchServer, ROOT, sleep, type BenchServer } from './lib/server.js';
import { SseClient, type SseEvent } from './lib/sse.js';
import { childPids, measureCpu, seededRandom, summarize } from './lib/stats.js';
import { TraceReader } from './lib/trace.js';

const GOALS = { p50Ms: 50, p99Ms: 250, serverIdleCpuPct: 3 };

interface Terminal { id: string; session_name: string; status: string }
interface TurnSample { turn: number; delay_ms: number; outcome: 'ok' | 'missing' | 'wrong-turn'; latency_ms?: number; server_ms?: number; got?: string }

const { values: argv } = parseArgs({
  options: {
    turns: { type: 'string', default: '200' },
    'idle-seconds': { type: 'string', default: '30' },
    terminals: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    'pause-ms': { type: 'string', default: '0' },
    'work-ms': { type: 'string', default: '20-200' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'status-latency.json') },
  },
});
const opts = { turns: Number(argv.turns), idleSeconds: Number(argv['idle-seconds']), terminals: Number(argv.terminals), seed: Number(argv.seed), pauseMs: Number(argv['pause-ms']),
  workMinMs: Number(argv['work-ms']!.split('-')[0]), workMaxMs: Number(argv['work-ms']!.split('-')[1]) };
if (Object.values(opts).some((v) => !Number.isFinite(v) || v < 0) || opts.turns < 1 || opts.terminals < 1 || opts.workMaxMs < opts.workMinMs) {
  console.error(`invalid options: ${JSON.stringify(opts)}`);
  process.exit(2);
}

/** Latest status per terminal, kept from the event stream. */
function trackStatuses(sse: SseClient, snapshot: SseEvent): Map<string, string> {
  const statuses = new Map<string, string>();
  for (const t of snapshot.data.terminals as Terminal[]) statuses.set(t.id, t.status);
  sse.on((e) => {
    if (e.type === 'terminal.status') statuses.set(e.data.terminal_id as string, e.data.status as string);
    if (e.type === 'terminal.removed') statuses.delete(e.data.terminal_id as string);
  });
  return statuses;
}

async function waitUntil(what: string, ok: () => boolean, sse: SseClient, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (sse.broken) throw new Error(`event stream broke while waiting for ${what}: ${sse.broken.message}`);
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

const newTerminal = (s: BenchServer, session?: string) =>
  api<Terminal>(s.url, 'POST', session ? `/sessions/${session}/terminals` : '/sessions', { agent_profile: 'developer', provider: 'mock', working_directory: s.scratch });

/** One turn: send work, wait for the first settled status, pair it with the agent's trace line. */
async function runTurn(s: BenchServer, sse: SseClient, trace: TraceReader, id: string, turn: number, delay: number): Promise<TurnSample> {
  const settled = sse
    .waitFor((e) => e.type === 'terminal.status' && e.data.terminal_id === id && e.data.status !== 'processing', delay + 10_000)
    .catch((err: Error) => (sse.broken ? Promise.reject(err) : undefined));
  await api(s.url, 'POST', `/terminals/${id}/input`, { message: `turn ${turn} delay=${delay}` });
  const e = await settled;
  const done = await trace.turnDone(id, turn, e ? 2000 : 10_000);
  if (done === undefined) throw new Error(`the mock agent wrote no trace line for turn ${turn} (is CAO_MOCK_TRACE honoured?)`);
  const sample: TurnSample = { turn, delay_ms: delay, outcome: 'ok' };
  if (!e || e.data.status !== 'completed') return { ...sample, outcome: 'missing', got: e ? `${e.data.status}` : 'nothing' };
  if (e.data.turn !== turn) return { ...sample, outcome: 'wrong-turn', got: `turn ${e.data.turn}` };
  const round = (x: number) => Math.round(x * 100) / 100;
  return { ...sample, latency_ms: round(e.receivedAt - done), server_ms: round(Date.parse(e.data.at as string) - done) };
}

async function partA(s: BenchServer, sse: SseClient, statuses: Map<string, string>) {
  const trace = new TraceReader(s.traceFile);
  const term = await newTerminal(s);
  await waitUntil('the first terminal to be idle', () => statuses.get(term.id) === 'idle', sse, 30_000);
  const random = seededRandom(opts.seed);
  const samples: TurnSample[] = [];
  for (let turn = 1; turn <= opts.turns; turn++) {
    s.assertAlive();
    const sample = await runTurn(s, sse, trace, term.id, turn, opts.workMinMs + Math.floor(random() * (opts.workMaxMs - opts.workMinMs + 1)));
    samples.push(sample);
    if (sample.outcome !== 'ok') {
      console.warn(`turn ${turn}: expected 'completed' for turn ${turn}, got ${sample.got}`);
      await sleep(1000); // let the terminal settle before the next turn
    }
    if (opts.pauseMs > 0) await sleep(opts.pauseMs);
    if (turn % 50 === 0) console.log(`  ${turn}/${opts.turns} turns`);
  }
  await api(s.url, 'DELETE', `/sessions/${term.session_name}`);
  const ok = samples.filter((x) => x.outcome === 'ok');
  if (ok.length === 0) throw new Error('no turn produced a completed event');
  return {
    latency: summarize(ok.map((x) => x.latency_ms!)),
    serverSide: summarize(ok.map((x) => x.server_ms!)),
    missing: samples.filter((x) => x.outcome === 'missing').length,
    wrongTurn: samples.filter((x) => x.outcome === 'wrong-turn').length,
    samples,
  };
}

async function partB(s: BenchServer, sse: SseClient, statuses: Map<string, string>) {
  const started = performance.now();
  const first = await newTerminal(s);
  const ids = [first.id];
  for (let left = opts.terminals - 1; left > 0; left -= 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, left) }, () => newTerminal(s, first.session_name)));
    ids.push(...batch.map((t) => t.id));
  }
  await waitUntil(`${ids.length} idle terminals`, () => ids.every((id) => statuses.get(id) === 'idle'), sse, 60_000);
  const createSeconds = (performance.now() - started) / 1000;
  await sleep(2000); // let start-up work (snapshot saves, first safety reads) finish
  const tmuxPid = Number(s.tmux(['display-message', '-p', '#{pid}']).trim());
  let statusEvents = 0;
  const off = sse.on((e) => void (e.type === 'terminal.status' && statusEvents++));
  const cpu = await measureCpu({ server: [s.pid], controlClients: childPids(s.pid), tmux: [tmuxPid] }, opts.idleSeconds);
  off();
  s.assertAlive();
  return { terminals: ids.length, createSeconds: Math.round(createSeconds * 10) / 10, cpu, statusEventsWhileIdle: statusEvents };
}

type A = Awaited<ReturnType<typeof partA>>;
type B = Awaited<ReturnType<typeof partB>>;

function report(a: A, b: B): void {
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const pct = (x: number) => `${x.toFixed(2)} %`;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const rows: [string, string, string, string][] = [
    ['A  detection latency p50', ms(a.latency.p50), `< ${GOALS.p50Ms} ms`, verdict(a.latency.p50 < GOALS.p50Ms)],
    ['A  detection latency p99', ms(a.latency.p99), `< ${GOALS.p99Ms} ms`, verdict(a.latency.p99 < GOALS.p99Ms)],
    ['A  turns missing / wrong turn', `${a.missing} / ${a.wrongTurn}`, '0 / 0', verdict(a.missing + a.wrongTurn === 0)],
    [`B  server CPU, ${b.terminals} idle agents`, pct(b.cpu.server!), `< ${GOALS.serverIdleCpuPct} %`, verdict(b.cpu.server! < GOALS.serverIdleCpuPct)],
  ];
  const l = a.latency;
  const info = [
    `A  ${l.count} turns: p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)}, max ${ms(l.max)}, mean ${ms(l.mean)}`,
    `A  server-side part (event 'at' − trace t, 1 ms resolution): p50 ${ms(a.serverSide.p50)}, p99 ${ms(a.serverSide.p99)}`,
    `B  tmux server CPU ${pct(b.cpu.tmux!)}, server's tmux control clients ${pct(b.cpu.controlClients!)} (% of one core, ${opts.idleSeconds} s)`,
    `B  ${b.terminals} terminals created and idle in ${b.createSeconds} s; ${b.statusEventsWhileIdle} status events while idle`,
  ];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\n${'Goal'.padEnd(w[0]!)}  ${'Result'.padEnd(w[1]!)}  ${'Target'.padEnd(w[2]!)}  Verdict`);
  for (const r of rows) console.log(`${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2].padEnd(w[2]!)}  ${r[3]}`);
  console.log(`\n${info.join('\n')}`);
}

function writeJson(a: A, b: B): string {
  const file = resolve(argv.out!);
  mkdirSync(dirname(file), { recursive: true });
  const git = (() => { try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return null; } })();
  const result = {
    benchmark: 'status-latency', date: new Date().toISOString(), git, options: opts, goals: GOALS,
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version, tmux: execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim() },
    partA: { latency_ms: a.latency, server_side_ms: a.serverSide, missing: a.missing, wrong_turn: a.wrongTurn, pass: { p50: a.latency.p50 < GOALS.p50Ms, p99: a.latency.p99 < GOALS.p99Ms, turns: a.missing + a.wrongTurn === 0 }, samples: a.samples },
    partB: { terminals: b.terminals, create_seconds: b.createSeconds, idle_seconds: opts.idleSeconds, cpu_pct_of_one_core: b.cpu, status_events_while_idle: b.statusEventsWhileIdle, pass: b.cpu.server! < GOALS.serverIdleCpuPct },
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

async function main(): Promise<number> {
  checkBuild();
  console.log(`cao status benchmark: ${opts.turns} turns, ${opts.terminals} terminals idle for ${opts.idleSeconds} s`);
  const server = await launchServer();
  let interrupted = false;
  const stop = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    void server.cleanup().finally(() => { console.error(`\n${signal}: cleaned up`); process.exit(130); });
  };
  // `on`, not `once`: Ctrl-C arrives more than once (terminal, npx, tsx relay), and under tsx a
  // signal with no listener left ends the process at once, in the middle of the cleanup.
  process.on('SIGINT', stop).on('SIGTERM', stop);
  let sse: SseClient | undefined;
  try {
    await server.ready();
    const conn = await SseClient.connect(server.url);
    sse = conn.client;
    const statuses = trackStatuses(sse, conn.snapshot);
    console.log(`Part A: detection latency over ${opts.turns} turns`);
    const a = await partA(server, sse, statuses);
    console.log(`Part B: ${opts.terminals} idle terminals, CPU over ${opts.idleSeconds} s`);
    const b = await partB(server, sse, statuses);
    report(a, b);
    console.log(`\nwrote ${writeJson(a, b)}`);
    return 0;
  } catch (e) {
    if (!interrupted) console.error(`benchmark failed: ${(e as Error).message}`);
    return 1;
  } finally {
    sse?.close();
    await server.cleanup();
  }
}

main().then((code) => process.exit(code), (e: Error) => { console.error(e); process.exit(1); });
