/**
 * What the inbox's own bookkeeping costs once a long-running server has history: the Inbox (real
 * SQLite file, receivers that finish each turn at once, no tmux) holds a backlog of settled
 * messages for many receivers, then new messages are posted and delivered one ready screen at a
 * time. Reported: time per message (post → delivered) with no backlog and with it, and how many
 * messages the store holds at the end: retention keeps KEEP_SETTLED per receiver, so a backlog
 * larger than that shrinks as soon as each receiver gets a new message.
 *
 *   npx tsx bench/inbox-backlog.ts [--receivers N] [--backlog N per receiver] [--messages N] [--out FILE]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EventBus } from '../src/actors/events.js';
import { Inbox, KEEP_SETTLED, type InboxPort } from '../src/actors/inbox.js';
import { silentLogger } from '../src/log.js';
import type { TerminalStatus } from '../src/providers/types.js';
import { openDb } from '../src/store/db.js';
import { inboxRepo, type MessageRecord } from '../src/store/inbox.js';
import { defaultOut, printTable, writeResult, type GoalRow } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    receivers: { type: 'string', default: '20' },
    backlog: { type: 'string', default: '1000' },
    messages: { type: 'string', default: '1000' },
    out: { type: 'string' },
  },
});
const receivers = Number(values.receivers);
const backlog = Number(values.backlog);
const messages = Number(values.messages);
if (![receivers, backlog, messages].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('--receivers, --backlog and --messages must be positive integers');
  process.exit(2);
}
const ids = Array.from({ length: receivers }, (_, i) => `be${String(i).padStart(6, '0')}`);

/** Post `messages` messages round-robin over the receivers; each is delivered before the next is posted. */
async function run(withBacklog: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'cao-bench-inbox-'));
  const db = await openDb(join(dir, 'cao.db'));
  try {
    const repo = inboxRepo(db.collection('inbox'));
    if (withBacklog) {
      let id = 1;
      const at = new Date().toISOString();
      for (const receiver of ids) {
        for (let k = 0; k < backlog; k++) {
          const m: MessageRecord = {
            v: 1, id: id++, sender_id: 'cao', receiver_id: receiver, message: `old ${k}`, kind: 'message', status: 'delivered',
            created_at: at, delivered_at: at, attempts: 1, last_error: null, turn: k + 1, request_id: null,
          };
          await repo.put(m);
        }
      }
    }
    const bus = new EventBus();
    const status = new Map<string, TerminalStatus>(ids.map((r) => [r, 'idle']));
    const port: InboxPort = {
      status: (r) => status.get(r),
      deliver: async () => 1,
      screen: async () => '',
      profileOf: () => undefined,
    };
    const inbox = new Inbox(repo, port, bus, silentLogger);
    bus.subscribe((e) => inbox.onEvent(e));
    await inbox.load();
    await inbox.resume();
    const samples: number[] = [];
    for (let i = 0; i < messages; i++) {
      const receiver = ids[i % ids.length]!;
      const t = performance.now();
      const delivered = new Promise<void>((resolve) => {
        const off = bus.subscribe((e) => {
          if (e.type === 'message.delivered' && e.terminal_id === receiver) {
            off();
            resolve();
          }
        });
      });
      await inbox.post({ receiverId: receiver, senderId: 'cao', message: `new ${i}` });
      await delivered;
      samples.push(performance.now() - t);
    }
    inbox.stop();
    return { perMessage: summarize(samples), stored: (await repo.all()).length };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const empty = await run(false);
const loaded = await run(true);
const ratio = loaded.perMessage.p50 / empty.perMessage.p50;
const rows: GoalRow[] = [
  ['post → delivered p50 / p99, empty inbox', `${empty.perMessage.p50.toFixed(2)} / ${empty.perMessage.p99.toFixed(2)} ms`, 'reference', true],
  [`post → delivered p50 / p99, ${receivers * backlog} settled messages`, `${loaded.perMessage.p50.toFixed(2)} / ${loaded.perMessage.p99.toFixed(2)} ms`, 'reference', true],
  ['backlog / empty (p50)', `${ratio.toFixed(2)}×`, '< 2×', ratio < 2],
  ['messages stored at the end (with backlog)', String(loaded.stored), `≤ ${receivers * KEEP_SETTLED} (${KEEP_SETTLED} per receiver)`, loaded.stored <= receivers * KEEP_SETTLED],
];
printTable(rows, [`${receivers} receivers, ${backlog} settled messages each in the backlog, ${messages} new messages.`]);
const file = writeResult(values.out ?? defaultOut('inbox-backlog'), 'inbox-backlog', { receivers, backlog, messages, empty, loaded, ratio });
console.log(`\nwritten to ${file}`);
