/**
 * Handoff round trip benchmark (run: npx tsx bench/handoff.ts).
 *
 * A handoff starts a new worker terminal, types the task into it once it is ready, waits for the
 * turn to complete, reads the answer and returns it. The worker here answers instantly (a mock
 * script `^(.*)$ → reply "done {{match.1}}"`), so what is measured is cao's own cost, worker start
 * included. Two client paths, N rounds each, one handoff at a time:
 *
 *   REST: POST /handoffs {caller_id} → GET /handoffs/{id}?wait=30 until it is no longer running;
 *         time from sending the POST to the `succeeded` response.
 *   MCP:  a real MCP client (SDK Client + StdioClientTransport) running `node bin/cao.js
 *         mcp-server` with CAO_TERMINAL_ID = the caller; time from callTool to its result.
 *
 * Every result's output must be the worker's answer. Each round is broken down with the SSE events
 * (worker created → idle → task delivered → answer drawn (mock trace) → completed →
 * handoff.finished → result). After a round the benchmark waits for the worker's removal before
 * the next one (removal is reported, not counted).
 *
 * Options: --rounds N (20) --wait-s S (30: the GET long poll and the tool's timeout) --out FILE
 * Exit code: 0 when the measurement ran (goals may still FAIL), 1 when the benchmark broke.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { writeMockAgent } from './lib/agents.js';
import { is, type EventLog } from './lib/events.js';
import { defaultOut, ms, printTable, round2, writeResult, type GoalRow } from './lib/report.js';
import { runBench } from './lib/run.js';
import { api, ROOT, type BenchServer } from './lib/server.js';
import { now } from './lib/sse.js';
import { summarize, type Summary } from './lib/stats.js';
import { TraceReader } from './lib/trace.js';

const GOALS = { p50Ms: 1000 };
const WORKER = 'bench_instant';
const CALLER = 'bench_caller';
const INSTANT = [{ match: '^(.*)$', steps: [{ reply: 'done {{match.1}}' }] }];

const { values: argv } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    'wait-s': { type: 'string', default: '30' },
    out: { type: 'string', default: defaultOut('handoff') },
  },
});
const opts = { rounds: Number(argv.rounds), waitS: Number(argv['wait-s']) };
if (!Number.isInteger(opts.rounds) || opts.rounds < 1 || !Number.isInteger(opts.waitS) || opts.waitS < 1 || opts.waitS > 60) {
  console.error(`invalid options: ${JSON.stringify(opts)} (--rounds ≥ 1, --wait-s 1..60)`);
  process.exit(2);
}

interface Handoff { id: string; status: 'running' | 'succeeded' | 'failed'; worker_id: string; result: { success: boolean; output: string | null; message: string } | null }

/** Milestones of one round, in ms after the request was sent (client clock; trace = agent clock, same machine). */
interface Timeline {
  post_returned?: number;
  worker_created?: number;
  worker_idle?: number;
  task_delivered?: number;
  answer_drawn?: number;
  worker_completed?: number;
  handoff_finished?: number;
  result: number;
  worker_removed?: number;
}

interface Round {
  path: 'rest' | 'mcp';
  round: number;
  worker_id: string | null;
  ok: boolean;
  /** Why the round does not count as a correct handoff. */
  problem?: string;
  round_trip_ms: number;
  timeline: Timeline;
}

/**
 * Phases between consecutive milestones; together they add up to the round trip. `message.delivered`
 * and `handoff.finished` are not phase ends: the server emits them after the persist that follows
 * the action (the instant worker has already answered when `message.delivered` arrives, and the
 * long poll has already answered when `handoff.finished` does). They are shown in the timeline.
 */
const PHASES: [name: string, from: keyof Timeline | 'start', to: keyof Timeline][] = [
  ['request → worker window created', 'start', 'worker_created'],
  ['worker start (agent up, first prompt seen as idle)', 'worker_created', 'worker_idle'],
  ['task typed in, worker answered (instant)', 'worker_idle', 'answer_drawn'],
  ['completion detected', 'answer_drawn', 'worker_completed'],
  ['answer read, result at the client', 'worker_completed', 'result'],
];

function phases(t: Timeline): Record<string, number | null> {
  return Object.fromEntries(
    PHASES.map(([name, a, b]) => {
      const from = a === 'start' ? 0 : t[a];
      const to = t[b];
      return [name, from === undefined || to === undefined ? null : round2(to - from)];
    }),
  );
}

/** Reads a round's milestones from the event log and the worker's trace line. */
async function timeline(log: EventLog, trace: TraceReader, from: number, t0: number, workerId: string, result: number, postReturned?: number): Promise<Timeline> {
  const rel = (x: number | undefined) => (x === undefined ? undefined : round2(x - t0));
  const ev = (pred: Parameters<EventLog['find']>[0]) => rel(log.find(pred, from)?.receivedAt);
  const removed = await log.waitFor(is.removed(workerId), 10_000, from, `worker ${workerId} removed`).catch(() => undefined);
  const delivered = log.find(is.deliveredTo(workerId), from);
  const turn = (delivered?.data.turn as number | undefined) ?? 1;
  return {
    post_returned: rel(postReturned),
    worker_created: ev(is.created(workerId)),
    worker_idle: ev(is.status(workerId, 'idle')),
    task_delivered: rel(delivered?.receivedAt),
    answer_drawn: rel(await trace.turnDone(workerId, turn, 2000)),
    worker_completed: ev(is.status(workerId, 'completed', turn)),
    handoff_finished: ev(is.handoffFinished(workerId)),
    result: round2(result - t0),
    worker_removed: rel(removed?.receivedAt),
  };
}

async function restRound(s: BenchServer, log: EventLog, trace: TraceReader, callerId: string, round: number, nonce: string): Promise<Round> {
  const message = `rest round ${round} ${nonce}`;
  const from = log.mark();
  const t0 = now();
  let h = await api<Handoff>(s.url, 'POST', '/handoffs', { agent_profile: WORKER, message, caller_id: callerId, timeout_seconds: opts.waitS });
  const tPost = now();
  while (h.status === 'running' && now() - t0 < (opts.waitS + 5) * 1000) h = await api<Handoff>(s.url, 'GET', `/handoffs/${h.id}?wait=${opts.waitS}`);
  const t1 = now();
  const expected = `done ${message}`;
  const problem =
    h.status !== 'succeeded' ? `status ${h.status}: ${h.result?.message ?? 'no result'}`
    : h.result?.output !== expected ? `output ${JSON.stringify(h.result?.output)} instead of ${JSON.stringify(expected)}`
    : undefined;
  return { path: 'rest', round, worker_id: h.worker_id, ok: !problem, problem, round_trip_ms: round2(t1 - t0), timeline: await timeline(log, trace, from, t0, h.worker_id, t1, tPost) };
}

async function mcpRound(client: Client, log: EventLog, trace: TraceReader, round: number, nonce: string): Promise<Round> {
  const message = `mcp round ${round} ${nonce}`;
  const from = log.mark();
  const t0 = now();
  const r = await client.callTool({ name: 'handoff', arguments: { agent_profile: WORKER, message, timeout: opts.waitS } }, undefined, { timeout: (opts.waitS + 40) * 1000 });
  const t1 = now();
  const out = r.structuredContent as { success: boolean; output: string | null; message: string; terminal_id: string | null } | undefined;
  const expected = `done ${message}`;
  const text = (r.content as { type: string; text?: string }[] | undefined)?.map((c) => c.text ?? '').join('\n') ?? '';
  const problem =
    r.isError || !out ? `tool error: ${JSON.stringify(r.content)}`
    : !out.success ? `failed: ${out.message}`
    : out.output !== expected ? `output ${JSON.stringify(out.output)} instead of ${JSON.stringify(expected)}`
    : !text.endsWith(`\n\n${expected}`) ? `the text content does not end with the answer: ${JSON.stringify(text)}`
    : undefined;
  const workerId = out?.terminal_id ?? null;
  const tl: Timeline = workerId ? await timeline(log, trace, from, t0, workerId, t1) : { result: round2(t1 - t0) };
  return { path: 'mcp', round, worker_id: workerId, ok: !problem, problem, round_trip_ms: round2(t1 - t0), timeline: tl };
}

async function startMcpClient(s: BenchServer, callerId: string, onCleanup: (fn: () => unknown) => void): Promise<{ client: Client; stderr: () => string }> {
  const port = new URL(s.url).port;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(ROOT, 'bin', 'cao.js'), 'mcp-server'],
    env: { CAO_TERMINAL_ID: callerId, CAO_API_HOST: '127.0.0.1', CAO_API_PORT: port, CAO_LOG_LEVEL: 'warn' },
    cwd: s.scratch,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const client = new Client({ name: 'cao-bench-handoff', version: '1.0.0' });
  onCleanup(async () => {
    const pid = transport.pid;
    await client.close().catch(() => undefined); // closes stdin: the server exits, the SDK kills it if not
    if (pid) {
      try {
        process.kill(pid, 0);
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
  await client.connect(transport);
  const { tools } = await client.listTools();
  if (!tools.some((t) => t.name === 'handoff')) throw new Error(`cao mcp-server has no handoff tool (tools: ${tools.map((t) => t.name).join(', ')})`);
  return { client, stderr: () => stderr };
}

interface PathResult {
  round_trip_ms: Summary;
  correct: number;
  wrong: number;
  phases_p50_ms: Record<string, number>;
  worker_removed_after_result_p50_ms: number;
}

function summarizePath(rounds: Round[]): PathResult {
  const ok = rounds.filter((r) => r.ok);
  const ph = ok.map((r) => phases(r.timeline));
  const removal = ok.map((r) => (r.timeline.worker_removed === undefined ? NaN : r.timeline.worker_removed - r.timeline.result)).filter(Number.isFinite);
  return {
    round_trip_ms: summarize(ok.map((r) => r.round_trip_ms)),
    correct: ok.length,
    wrong: rounds.length - ok.length,
    phases_p50_ms: Object.fromEntries(PHASES.map(([name]) => [name, summarize(ph.map((p) => p[name]).filter((x): x is number => x !== null)).p50])),
    worker_removed_after_result_p50_ms: summarize(removal).p50,
  };
}

/** One round as a timeline, in the order things happened. */
function drawRound(r: Round): string[] {
  const t = r.timeline;
  const lines = [`${r.path.toUpperCase()} round ${r.round} (worker ${r.worker_id}), round trip ${ms(r.round_trip_ms)}:`];
  const milestones: [string, number | undefined][] = [
    ['request sent', 0],
    ['POST answered (202)', t.post_returned],
    ['worker terminal.created', t.worker_created],
    ['worker idle (first prompt)', t.worker_idle],
    ['task message.delivered', t.task_delivered],
    ['worker drew its answer (trace)', t.answer_drawn],
    ['worker completed', t.worker_completed],
    ['handoff.finished', t.handoff_finished],
    ['result at the client', t.result],
    ['worker removed (after the result)', t.worker_removed],
  ];
  const known = milestones.filter((m): m is [string, number] => m[1] !== undefined).sort((a, b) => a[1] - b[1]);
  for (const [what, x] of known) lines.push(`  ${`+${x.toFixed(1)}`.padStart(8)} ms  ${what}`);
  return lines;
}

await runBench({}, async ({ server, log, onCleanup }) => {
  console.log(`cao handoff benchmark: instant worker, ${opts.rounds} rounds over REST and ${opts.rounds} over MCP`);
  writeMockAgent(server.home, WORKER, { rules: INSTANT });
  writeMockAgent(server.home, CALLER, { rules: INSTANT });
  const trace = new TraceReader(server.traceFile);
  const caller = await api<{ id: string; status: string }>(server.url, 'POST', '/sessions', { agent_profile: CALLER, provider: 'mock', working_directory: server.scratch });
  if (caller.status !== 'idle') throw new Error(`the caller terminal is ${caller.status}, not idle`);
  const nonce = randomBytes(3).toString('hex');

  const rounds: Round[] = [];
  const run = async (path: 'rest' | 'mcp', once: (i: number) => Promise<Round>) => {
    for (let i = 1; i <= opts.rounds; i++) {
      server.assertAlive();
      const r = await once(i);
      rounds.push(r);
      if (!r.ok) console.warn(`  ${path} round ${i}: ${r.problem}`);
      if (r.worker_id && r.timeline.worker_removed === undefined) console.warn(`  ${path} round ${i}: worker ${r.worker_id} was not removed within 10 s`);
      if (i % 10 === 0 || i === opts.rounds) console.log(`  ${path}: ${i}/${opts.rounds} rounds`);
    }
  };
  console.log('REST: POST /handoffs + GET /handoffs/{id}?wait=…');
  await run('rest', (i) => restRound(server, log, trace, caller.id, i, nonce));
  console.log('MCP: handoff tool of `cao mcp-server` over stdio');
  const mcp = await startMcpClient(server, caller.id, onCleanup);
  await run('mcp', (i) => mcpRound(mcp.client, log, trace, i, nonce));
  if (mcp.stderr().trim()) console.warn(`cao mcp-server stderr:\n${mcp.stderr().trim()}`);

  const rest = summarizePath(rounds.filter((r) => r.path === 'rest'));
  const viaMcp = summarizePath(rounds.filter((r) => r.path === 'mcp'));
  if (rest.correct + viaMcp.correct === 0) throw new Error('no handoff succeeded with the right output');

  const rows: GoalRow[] = [
    ['REST round trip p50 (worker start included)', ms(rest.round_trip_ms.p50), `< ${GOALS.p50Ms} ms`, rest.round_trip_ms.p50 < GOALS.p50Ms],
    ['MCP round trip p50 (worker start included)', ms(viaMcp.round_trip_ms.p50), `< ${GOALS.p50Ms} ms`, viaMcp.round_trip_ms.p50 < GOALS.p50Ms],
    ['results with the worker\'s answer', `${rest.correct + viaMcp.correct}/${rounds.length}`, `${rounds.length}/${rounds.length}`, rest.wrong + viaMcp.wrong === 0],
  ];
  const sumLine = (name: string, p: PathResult) =>
    `${name} ${p.round_trip_ms.count} rounds: p50 ${ms(p.round_trip_ms.p50)}, p90 ${ms(p.round_trip_ms.p90)}, max ${ms(p.round_trip_ms.max)}, mean ${ms(p.round_trip_ms.mean)}; worker removed ${ms(p.worker_removed_after_result_p50_ms)} after the result (p50)`;
  const phaseLines = PHASES.map(([name]) => `  ${name.padEnd(52)} REST ${ms(rest.phases_p50_ms[name]!).padStart(9)}   MCP ${ms(viaMcp.phases_p50_ms[name]!).padStart(9)}`);
  const okRest = rounds.filter((r) => r.path === 'rest' && r.ok).sort((a, b) => a.round_trip_ms - b.round_trip_ms);
  const median = okRest[Math.ceil(okRest.length / 2) - 1];
  printTable(rows, [
    sumLine('REST', rest),
    sumLine('MCP ', viaMcp),
    '',
    'Phases (p50 over the correct rounds):',
    ...phaseLines,
    '',
    ...(median ? drawRound(median) : []),
  ]);
  const file = writeResult(argv.out!, 'handoff', {
    options: opts,
    goals: GOALS,
    rest: { ...rest, pass: rest.round_trip_ms.p50 < GOALS.p50Ms },
    mcp: { ...viaMcp, pass: viaMcp.round_trip_ms.p50 < GOALS.p50Ms },
    median_rest_round: median ?? null,
    rounds: rounds.map((r) => ({ ...r, phases_ms: phases(r.timeline) })),
  });
  console.log(`\nwrote ${file}`);
});
