/**
 * Inbox under load (run: npx tsx bench/inbox-load.ts): 20 agents × 50 messages.
 *
 * 20 mock receivers answer every input at once (script rule `(.*)` → reply `got {{match.1}}`; a
 * message arrives as `[Message #N from <sender>]\n<text>`, so the answer repeats its first line).
 * 1000 messages are posted as fast as possible by several concurrent senders, interleaved across
 * receivers (message k for every receiver, then k+1…). The benchmark waits, on the SSE stream and
 * with a generous deadline, until every message is `message.delivered` or `message.failed`, then
 * checks every receiver:
 *
 *   - its inbox (GET /terminals/{id}/inbox/messages?limit=500): each message `delivered`, with
 *     consecutive turns in id order;
 *   - its screen history (GET /terminals/{id}/output?mode=full): the echo line
 *     `❯ [Message #<id> from` of each message appears exactly once, at increasing positions in id
 *     order.
 *
 * Counted: lost (never on screen and not failed), doubled (echo more than once, or more than one
 * `message.delivered` event), out of order, failed, turn breaks. Reported: totals, wall time (first
 * POST → last settle event), messages/s, POST latency, and the CPU of the server, its tmux control
 * clients, the tmux server and the agents over the run (utime+stime from /proc, % of one core).
 *
 * Options: --agents N (20) --messages N (50 per agent) --senders N (5) --deadline-s S (300) --out FILE
 * Exit code: 0 when the measurement ran (goals may still FAIL), 1 when the benchmark broke.
 */
import { parseArgs } from 'node:util';
import { writeMockAgent } from './lib/agents.js';
import type { EventLog } from './lib/events.js';
import { defaultOut, ms, printTable, round2, writeResult, type GoalRow } from './lib/report.js';
import { runBench } from './lib/run.js';
import { api, sleep, type BenchServer } from './lib/server.js';
import { now } from './lib/sse.js';
import { childPids, cpuMeter, summarize } from './lib/stats.js';

const RECEIVER = 'bench_echo';
const ECHO = [{ match: '(.*)', steps: [{ reply: 'got {{match.1}}' }] }];
/** tmux keeps 2000 lines of history by default; a message takes about 5 lines of screen. */
const HISTORY_LINES = 2000;

const { values: argv } = parseArgs({
  options: {
    agents: { type: 'string', default: '20' },
    messages: { type: 'string', default: '50' },
    senders: { type: 'string', default: '5' },
    'deadline-s': { type: 'string', default: '300' },
    out: { type: 'string', default: defaultOut('inbox-load') },
  },
});
const opts = { agents: Number(argv.agents), messages: Number(argv.messages), senders: Number(argv.senders), deadlineS: Number(argv['deadline-s']) };
if (Object.values(opts).some((v) => !Number.isInteger(v) || v < 1)) {
  console.error(`invalid options: ${JSON.stringify(opts)}`);
  process.exit(2);
}
if (opts.messages * 5 > HISTORY_LINES - 100) console.warn(`warning: ${opts.messages} messages may not fit in tmux's ${HISTORY_LINES} lines of history; echoes that scrolled away count as lost`);

interface Terminal { id: string; session_name: string; status: string }
interface Posted { id: number; receiver: string; k: number; sender: string; post_ms: number }
interface MessageView { id: number; status: string; turn: number | null; attempts: number; last_error: string | null }

interface ReceiverCheck {
  receiver: string;
  messages: number;
  delivered: number;
  failed: number;
  lost: number[];
  doubled: number[];
  out_of_order: number[];
  turn_breaks: number;
  /** delivered per the inbox, but its echo is not on the screen */
  delivered_without_echo: number[];
  /** on the screen, but the inbox does not say delivered */
  echo_without_delivered: number[];
  max_attempts: number;
}

async function createReceivers(s: BenchServer, log: EventLog): Promise<Terminal[]> {
  const body = { agent_profile: RECEIVER, provider: 'mock', working_directory: s.scratch };
  const first = await api<Terminal>(s.url, 'POST', '/sessions', body);
  const all = [first];
  for (let left = opts.agents - 1; left > 0; left -= 10) {
    all.push(...(await Promise.all(Array.from({ length: Math.min(10, left) }, () => api<Terminal>(s.url, 'POST', `/sessions/${first.session_name}/terminals`, body)))));
  }
  await log.until(`${all.length} idle receivers`, () => all.every((t) => log.statuses.get(t.id) === 'idle'), 60_000);
  return all;
}

/** Per message id: how many message.delivered and message.failed events arrived, and when the first did. */
function trackSettles(log: EventLog, sse: { on(fn: (e: { type: string; data: Record<string, unknown>; receivedAt: number }) => void): () => void }) {
  const settles = new Map<number, { delivered: number; failed: number; first: number }>();
  const add = (e: { type: string; data: Record<string, unknown>; receivedAt: number }) => {
    if (e.type !== 'message.delivered' && e.type !== 'message.failed') return;
    const id = e.data.message_id as number;
    const s = settles.get(id) ?? { delivered: 0, failed: 0, first: e.receivedAt };
    if (e.type === 'message.delivered') s.delivered++;
    else s.failed++;
    settles.set(id, s);
  };
  for (const e of log.events) add(e);
  sse.on(add);
  return settles;
}

function checkReceiver(receiver: string, posted: Posted[], inbox: MessageView[], screen: string, settles: ReturnType<typeof trackSettles>): ReceiverCheck {
  const positions = new Map<number, number[]>();
  screen.split('\n').forEach((line, i) => {
    const m = /^❯ \[Message #(\d+) from /.exec(line);
    if (m) positions.set(Number(m[1]), [...(positions.get(Number(m[1])) ?? []), i]);
  });
  const records = new Map(inbox.map((m) => [m.id, m]));
  const mine = posted.map((p) => p.id).sort((a, b) => a - b);
  const c: ReceiverCheck = {
    receiver, messages: mine.length, delivered: 0, failed: 0, lost: [], doubled: [], out_of_order: [], turn_breaks: 0,
    delivered_without_echo: [], echo_without_delivered: [], max_attempts: 0,
  };
  let lastPos = -1;
  let lastTurn: number | null = null;
  for (const id of mine) {
    const r = records.get(id);
    const echoes = positions.get(id) ?? [];
    const status = r?.status ?? 'missing';
    c.max_attempts = Math.max(c.max_attempts, r?.attempts ?? 0);
    if (status === 'delivered') c.delivered++;
    if (status === 'failed') c.failed++;
    if (echoes.length === 0 && status !== 'failed') c.lost.push(id);
    if (echoes.length > 1 || (settles.get(id)?.delivered ?? 0) > 1) c.doubled.push(id);
    if (status === 'delivered' && echoes.length === 0) c.delivered_without_echo.push(id);
    if (status !== 'delivered' && echoes.length > 0) c.echo_without_delivered.push(id);
    if (echoes.length > 0) {
      if (echoes[0]! < lastPos) c.out_of_order.push(id);
      lastPos = Math.max(lastPos, echoes[0]!);
    }
    if (status === 'delivered' && r?.turn != null) {
      if (lastTurn !== null && r.turn !== lastTurn + 1) c.turn_breaks++;
      lastTurn = r.turn;
    }
  }
  return c;
}

await runBench({}, async ({ server, sse, log }) => {
  const total = opts.agents * opts.messages;
  console.log(`cao inbox load benchmark: ${opts.agents} agents × ${opts.messages} messages = ${total}, ${opts.senders} concurrent senders`);
  writeMockAgent(server.home, RECEIVER, { rules: ECHO });
  const created = performance.now();
  const receivers = await createReceivers(server, log);
  console.log(`  ${receivers.length} receivers idle in ${((performance.now() - created) / 1000).toFixed(1)} s`);

  // Interleaved: message 1 for every receiver, then message 2…; sender j posts every S-th of them, in order.
  const plan = Array.from({ length: total }, (_, i) => ({ receiver: receivers[i % opts.agents]!.id, k: Math.floor(i / opts.agents) + 1 }));
  const settles = trackSettles(log, sse);
  const tmuxPid = Number(server.tmux(['display-message', '-p', '#{pid}']).trim());
  const agentPids = server.tmux(['list-panes', '-a', '-F', '#{pane_pid}']).split('\n').filter(Boolean).map(Number);
  const cpu = cpuMeter({ server: [server.pid], controlClients: childPids(server.pid), tmux: [tmuxPid], agents: agentPids });
  const posted: Posted[] = [];
  const t0 = now();
  await Promise.all(
    Array.from({ length: opts.senders }, async (_, j) => {
      const sender = `sender${j + 1}`;
      for (let i = j; i < plan.length; i += opts.senders) {
        const { receiver, k } = plan[i]!;
        const t = now();
        const r = await api<{ message_id: number }>(server.url, 'POST', `/terminals/${receiver}/inbox/messages`, { sender_id: sender, message: `load ${receiver} m${k} by ${sender}` });
        posted.push({ id: r.message_id, receiver, k, sender, post_ms: round2(now() - t) });
      }
    }),
  );
  const tPosted = now();
  console.log(`  ${posted.length} messages posted in ${((tPosted - t0) / 1000).toFixed(2)} s; waiting for delivery (deadline ${opts.deadlineS} s)`);
  if (new Set(posted.map((p) => p.id)).size !== posted.length) throw new Error('the server gave two messages the same id');

  const unsettled = () => posted.filter((p) => !settles.has(p.id)).length;
  const deadline = t0 + opts.deadlineS * 1000;
  let lastReport = now();
  while (unsettled() > 0 && now() < deadline) {
    server.assertAlive();
    if (sse.broken) throw new Error(`event stream broke: ${sse.broken.message}`);
    if (now() - lastReport > 5000) {
      lastReport = now();
      console.log(`  ${posted.length - unsettled()}/${posted.length} settled after ${((lastReport - t0) / 1000).toFixed(0)} s`);
    }
    await sleep(20);
  }
  const reading = cpu.stop();
  const settledAt = posted.map((p) => settles.get(p.id)?.first).filter((x): x is number => x !== undefined);
  const tEnd = settledAt.length ? Math.max(...settledAt) : now();
  const notSettled = unsettled();
  if (notSettled > 0) console.warn(`  ${notSettled} messages neither delivered nor failed after ${opts.deadlineS} s`);

  // The last message's turn must end before its receiver's screen is read.
  await log.until('every receiver to be ready', () => receivers.every((t) => ['idle', 'completed'].includes(log.statuses.get(t.id) ?? '')), 30_000).catch((e: Error) => console.warn(`  ${e.message}`));
  const checks: ReceiverCheck[] = [];
  for (const t of receivers) {
    const inbox = await api<MessageView[]>(server.url, 'GET', `/terminals/${t.id}/inbox/messages?limit=500`);
    const { output } = await api<{ output: string }>(server.url, 'GET', `/terminals/${t.id}/output?mode=full`);
    checks.push(checkReceiver(t.id, posted.filter((p) => p.receiver === t.id), inbox, output, settles));
  }

  const sum = (f: (c: ReceiverCheck) => number) => checks.reduce((a, c) => a + f(c), 0);
  const totals = {
    messages: posted.length,
    delivered: sum((c) => c.delivered),
    failed: sum((c) => c.failed),
    lost: sum((c) => c.lost.length),
    doubled: sum((c) => c.doubled.length),
    out_of_order: sum((c) => c.out_of_order.length),
    turn_breaks: sum((c) => c.turn_breaks),
    delivered_without_echo: sum((c) => c.delivered_without_echo.length),
    echo_without_delivered: sum((c) => c.echo_without_delivered.length),
    not_settled_at_deadline: notSettled,
    retried: sum((c) => (c.max_attempts > 1 ? 1 : 0)),
  };
  const wallS = (tEnd - t0) / 1000;
  const rate = totals.delivered / wallS;
  const postMs = summarize(posted.map((p) => p.post_ms));
  const perReceiverS = summarize(receivers.map((t) => {
    const mine = posted.filter((p) => p.receiver === t.id).map((p) => settles.get(p.id)?.first ?? NaN).filter(Number.isFinite);
    return mine.length ? (Math.max(...mine) - t0) / 1000 : NaN;
  }).filter(Number.isFinite));

  const pct = (x: number) => `${x.toFixed(1)} %`;
  const rows: GoalRow[] = [
    ['lost (never delivered)', String(totals.lost), '0', totals.lost === 0],
    ['doubled (delivered more than once)', String(totals.doubled), '0', totals.doubled === 0],
    ['out of order', String(totals.out_of_order), '0', totals.out_of_order === 0],
    ['failed', String(totals.failed), '0', totals.failed === 0],
    ['turns not consecutive (breaks)', String(totals.turn_breaks), '0', totals.turn_breaks === 0],
  ];
  printTable(rows, [
    `${totals.delivered}/${totals.messages} delivered in ${wallS.toFixed(2)} s (first POST → last settle event): ${rate.toFixed(1)} messages/s`,
    `  all ${posted.length} POSTs done after ${((tPosted - t0) / 1000).toFixed(2)} s; POST latency p50 ${ms(postMs.p50)}, p99 ${ms(postMs.p99)}, max ${ms(postMs.max)}`,
    `  per receiver, last message settled after: p50 ${perReceiverS.p50.toFixed(2)} s, max ${perReceiverS.max.toFixed(2)} s (${opts.messages} messages each: one every ${((perReceiverS.p50 * 1000) / Math.max(1, opts.messages - 1)).toFixed(0)} ms)`,
    `  CPU over ${reading.seconds} s (% of one core): server ${pct(reading.pct.server!)} (${reading.cpuSeconds.server} s), its tmux control clients ${pct(reading.pct.controlClients!)}, tmux server ${pct(reading.pct.tmux!)}, ${agentPids.length} agents together ${pct(reading.pct.agents!)}`,
    `  checks: ${totals.delivered_without_echo} delivered without an echo, ${totals.echo_without_delivered} echoed without 'delivered', ${totals.not_settled_at_deadline} unsettled at the deadline, ${totals.retried} receivers with retried deliveries`,
  ]);
  const file = writeResult(argv.out!, 'inbox-load', {
    options: opts,
    goals: { lost: 0, doubled: 0, out_of_order: 0 },
    totals,
    wall_seconds: round2(wallS),
    post_seconds: round2((tPosted - t0) / 1000),
    messages_per_second: round2(rate),
    post_latency_ms: postMs,
    per_receiver_done_seconds: perReceiverS,
    cpu: { ...reading, note: 'pct = % of one core over seconds; from the first POST until every message settled' },
    pass: { lost: totals.lost === 0, doubled: totals.doubled === 0, out_of_order: totals.out_of_order === 0, failed: totals.failed === 0, turns: totals.turn_breaks === 0 },
    receivers: checks,
  });
  console.log(`\nwrote ${file}`);
});
