/**
 * Inbox delivery latency benchmark (run: npx tsx bench/delivery.ts).
 *
 * A message sent to a busy agent waits in its inbox and is typed in as soon as the agent is ready
 * again. How soon? One mock receiver (built-in behaviour: `delay=MS` words), and per sample:
 *
 *   1. the receiver gets work through POST /terminals/{id}/input: `work K delay=MS`, MS random
 *      (seeded) in --work-ms; this is turn W;
 *   2. right after, while it works, a message is queued: POST /terminals/{id}/inbox/messages;
 *   3. latency = arrival of the `message.delivered` SSE event for that message minus the trace time
 *      `t` at which the receiver drew the prompt that ended turn W (CAO_MOCK_TRACE): the moment it
 *      was ready again. Both epoch ms (performance.timeOrigin + performance.now()), same machine.
 *   4. the message's own turn (W+1, 100 ms of work) completes before the next sample.
 *
 * The latency is split in two: status detection (arrival of the receiver's `terminal.status`
 * completed event for turn W − t; also its server `at` − t) and the inbox's own share (delivered −
 * completed, client arrival times; and the server `at` difference, 1 ms resolution).
 *
 * A sample whose message was queued only after the receiver was ready again (POST answered after
 * t) does not measure "waiting for ready" and is left out (counted as queued-late).
 *
 * Options: --samples N (200) --work-ms MIN-MAX (50-500) --seed N (1) --out FILE
 * Exit code: 0 when the measurement ran (goals may still FAIL), 1 when the benchmark broke.
 */
import { parseArgs } from 'node:util';
import { writeMockAgent } from './lib/agents.js';
import { at, is, type EventLog } from './lib/events.js';
import { defaultOut, ms, printTable, round2, writeResult, type GoalRow } from './lib/report.js';
import { runBench } from './lib/run.js';
import { api, type BenchServer } from './lib/server.js';
import { now } from './lib/sse.js';
import { seededRandom, summarize } from './lib/stats.js';
import { TraceReader } from './lib/trace.js';

const GOALS = { p99Ms: 200 };
const RECEIVER = 'bench_receiver';

const { values: argv } = parseArgs({
  options: {
    samples: { type: 'string', default: '200' },
    'work-ms': { type: 'string', default: '50-500' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: defaultOut('delivery') },
  },
});
const [workMin, workMax] = argv['work-ms']!.split('-').map(Number);
const opts = { samples: Number(argv.samples), workMinMs: workMin!, workMaxMs: workMax!, seed: Number(argv.seed) };
if (!Number.isInteger(opts.samples) || opts.samples < 1 || !(opts.workMinMs >= 0) || !(opts.workMaxMs >= opts.workMinMs) || !Number.isFinite(opts.seed)) {
  console.error(`invalid options: ${JSON.stringify(opts)}`);
  process.exit(2);
}

interface Sample {
  sample: number;
  work_ms: number;
  work_turn: number;
  message_id: number;
  outcome: 'ok' | 'queued-late' | 'missing' | 'wrong-turn';
  detail?: string;
  /** message.delivered arrival − trace t */
  latency_ms?: number;
  /** completed (turn W) arrival − trace t */
  detection_ms?: number;
  /** completed `at` − trace t (1 ms resolution) */
  detection_server_ms?: number;
  /** message.delivered arrival − completed arrival */
  inbox_ms?: number;
  /** message.delivered `at` − completed `at` (1 ms resolution) */
  inbox_server_ms?: number;
  /** POST of the message answered, relative to trace t (negative: while the receiver worked) */
  queued_rel_ms?: number;
}

async function runSample(s: BenchServer, log: EventLog, trace: TraceReader, id: string, k: number, workMs: number, turnBefore: number): Promise<{ sample: Sample; turnAfter: number }> {
  const W = turnBefore + 1;
  const from = log.mark();
  await api(s.url, 'POST', `/terminals/${id}/input`, { message: `work ${k} delay=${workMs}` });
  const m = await api<{ message_id: number }>(s.url, 'POST', `/terminals/${id}/inbox/messages`, { sender_id: 'bench', message: `sample ${k}` });
  const queuedAt = now();
  const base: Sample = { sample: k, work_ms: workMs, work_turn: W, message_id: m.message_id, outcome: 'ok' };
  const delivered = await log.waitFor(is.delivered(m.message_id), workMs + 15_000, from, `message ${m.message_id} delivered`).catch(() => undefined);
  const t = await trace.turnDone(id, W, delivered ? 2000 : 10_000);
  if (t === undefined) throw new Error(`the receiver wrote no trace line for turn ${W} (is CAO_MOCK_TRACE honoured?)`);
  if (!delivered) {
    const term = await api<{ turn: number }>(s.url, 'GET', `/terminals/${id}`);
    return { sample: { ...base, outcome: 'missing', detail: `no message.delivered within ${workMs + 15_000} ms` }, turnAfter: term.turn };
  }
  const deliveredTurn = delivered.data.turn as number;
  // The message's own turn must end before the next sample's input (the mock ignores typing while it works).
  await log.waitFor(is.status(id, 'completed', deliveredTurn), 15_000, from, `the message's turn ${deliveredTurn} completed`);
  const completed = log.find(is.status(id, 'completed', W), from);
  if (deliveredTurn !== W + 1 || !completed) {
    return { sample: { ...base, outcome: 'wrong-turn', detail: `delivered as turn ${deliveredTurn}, expected ${W + 1}${completed ? '' : `; no completed event for turn ${W}`}` }, turnAfter: deliveredTurn };
  }
  const sample: Sample = {
    ...base,
    latency_ms: round2(delivered.receivedAt - t),
    detection_ms: round2(completed.receivedAt - t),
    detection_server_ms: round2(at(completed) - t),
    inbox_ms: round2(delivered.receivedAt - completed.receivedAt),
    inbox_server_ms: at(delivered) - at(completed),
    queued_rel_ms: round2(queuedAt - t),
  };
  if (queuedAt > t) sample.outcome = 'queued-late';
  return { sample, turnAfter: deliveredTurn };
}

await runBench({}, async ({ server, log }) => {
  console.log(`cao inbox delivery benchmark: ${opts.samples} samples, work ${opts.workMinMs}-${opts.workMaxMs} ms`);
  writeMockAgent(server.home, RECEIVER);
  const trace = new TraceReader(server.traceFile);
  const receiver = await api<{ id: string; status: string; turn: number }>(server.url, 'POST', '/sessions', { agent_profile: RECEIVER, provider: 'mock', working_directory: server.scratch });
  if (receiver.status !== 'idle') throw new Error(`the receiver is ${receiver.status}, not idle`);
  const random = seededRandom(opts.seed);
  const samples: Sample[] = [];
  let turn = receiver.turn;
  for (let k = 1; k <= opts.samples; k++) {
    server.assertAlive();
    const ready = () => ['idle', 'completed'].includes(log.statuses.get(receiver.id) ?? '');
    await log.until(`the receiver to be ready before sample ${k}`, ready, 30_000);
    const workMs = opts.workMinMs + Math.floor(random() * (opts.workMaxMs - opts.workMinMs + 1));
    const r = await runSample(server, log, trace, receiver.id, k, workMs, turn);
    turn = r.turnAfter;
    samples.push(r.sample);
    if (r.sample.outcome !== 'ok') console.warn(`  sample ${k}: ${r.sample.outcome}${r.sample.detail ? `: ${r.sample.detail}` : ` (queued ${r.sample.queued_rel_ms} ms after ready)`}`);
    if (k % 50 === 0 || k === opts.samples) console.log(`  ${k}/${opts.samples} samples`);
  }
  const ok = samples.filter((x) => x.outcome === 'ok');
  if (ok.length === 0) throw new Error('no sample measured a delivery');
  const pick = (f: keyof Sample) => ok.map((x) => x[f] as number);
  const latency = summarize(pick('latency_ms'));
  const detection = summarize(pick('detection_ms'));
  const detectionServer = summarize(pick('detection_server_ms'));
  const inbox = summarize(pick('inbox_ms'));
  const inboxServer = summarize(pick('inbox_server_ms'));
  const count = (o: Sample['outcome']) => samples.filter((x) => x.outcome === o).length;
  const missing = count('missing');
  const wrongTurn = count('wrong-turn');
  const queuedLate = count('queued-late');

  const rows: GoalRow[] = [
    ['delivery latency after ready p99', ms(latency.p99), `< ${GOALS.p99Ms} ms`, latency.p99 < GOALS.p99Ms],
    ['messages not delivered / wrong turn', `${missing} / ${wrongTurn}`, '0 / 0', missing + wrongTurn === 0],
  ];
  printTable(rows, [
    `${latency.count} samples: p50 ${ms(latency.p50)}, p90 ${ms(latency.p90)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)}, mean ${ms(latency.mean)}`,
    `  status detection (completed arrives − ready): p50 ${ms(detection.p50)}, p90 ${ms(detection.p90)}, p99 ${ms(detection.p99)}, max ${ms(detection.max)}` +
      ` (server 'at' − ready: p50 ${ms(detectionServer.p50)}, p99 ${ms(detectionServer.p99)})`,
    `  inbox's own share (delivered − completed): p50 ${ms(inbox.p50)}, p90 ${ms(inbox.p90)}, p99 ${ms(inbox.p99)}, max ${ms(inbox.max)}` +
      ` (server 'at' difference: p50 ${ms(inboxServer.p50)}, p99 ${ms(inboxServer.p99)})`,
    `  samples left out: ${queuedLate} queued only after the receiver was ready again`,
  ]);
  const file = writeResult(argv.out!, 'delivery', {
    options: opts,
    goals: GOALS,
    latency_ms: latency,
    detection_ms: detection,
    detection_server_ms: detectionServer,
    inbox_ms: inbox,
    inbox_server_ms: inboxServer,
    missing,
    wrong_turn: wrongTurn,
    queued_late: queuedLate,
    pass: { p99: latency.p99 < GOALS.p99Ms, delivered: missing + wrongTurn === 0 },
    samples,
  });
  console.log(`\nwrote ${file}`);
});
