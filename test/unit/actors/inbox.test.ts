/**
 * The inbox over a real SQLite file with a scripted receiver: order, retention, and what happens to
 * a removed receiver's messages (at run time and across a restart).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus, type StampedEvent } from '../../../src/actors/events.js';
import { Inbox, type InboxOptions, type InboxPort } from '../../../src/actors/inbox.js';
import { silentLogger } from '../../../src/log.js';
import type { TerminalStatus } from '../../../src/providers/types.js';
import { openDb, type Db } from '../../../src/store/db.js';
import { inboxRepo, type MessageRecord } from '../../../src/store/inbox.js';

/** Receivers that are idle until typed into, then "work" until the test says they are done. */
class Receivers implements InboxPort {
  readonly status_ = new Map<string, TerminalStatus>();
  readonly typed: Array<{ id: string; text: string }> = [];
  constructor(private readonly bus: EventBus) {}
  add(id: string, s: TerminalStatus = 'idle') {
    this.status_.set(id, s);
  }
  status = (id: string) => this.status_.get(id);
  deliver = async (id: string, text: string) => {
    this.typed.push({ id, text });
    this.status_.set(id, 'processing');
    return this.typed.filter((t) => t.id === id).length;
  };
  screen = async () => '';
  profileOf = () => 'supervisor';
  /** The receiver finished its turn: ready for the next message. */
  done(id: string) {
    this.status_.set(id, 'completed');
    this.bus.emit({ type: 'terminal.status', terminal_id: id, status: 'completed', turn: 0 } as never);
  }
  remove(id: string) {
    this.status_.delete(id);
    this.bus.emit({ type: 'terminal.removed', terminal_id: id, session_name: 'cao-s' });
  }
}

let dir: string;
let db: Db;
const open: Inbox[] = [];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cao-inbox-'));
  db = await openDb(join(dir, 'cao.db'));
});
afterEach(async () => {
  open.splice(0).forEach((i) => i.stop());
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(setup: (r: Receivers) => void = () => undefined, o: InboxOptions = {}) {
  const bus = new EventBus();
  const receivers = new Receivers(bus);
  setup(receivers);
  const inbox = new Inbox(inboxRepo(db.collection('inbox')), receivers, bus, silentLogger, o);
  bus.subscribe((e) => inbox.onEvent(e));
  open.push(inbox);
  await inbox.load();
  await inbox.resume();
  return { bus, receivers, inbox };
}

const settled = (bus: EventBus, id: number) =>
  new Promise<StampedEvent>((resolve) => {
    const off = bus.subscribe((e) => {
      if ((e.type === 'message.delivered' || e.type === 'message.failed') && e.message_id === id) {
        off();
        resolve(e);
      }
    });
  });
const stored = async () => (await inboxRepo(db.collection('inbox')).all()).map((m) => m.id).sort((a, b) => a - b);

describe('Inbox', () => {
  it('delivers one message per ready screen, in order, naming the sender', async () => {
    const { bus, receivers, inbox } = await start((r) => r.add('ab000001', 'processing'));
    const ms: MessageRecord[] = [];
    for (const text of ['one', 'two', 'three']) ms.push(await inbox.post({ receiverId: 'ab000001', senderId: 'cd000001', message: text }));
    expect(receivers.typed).toEqual([]);
    for (const m of ms) {
      const next = settled(bus, m.id);
      receivers.done('ab000001');
      await next;
    }
    expect(receivers.typed.map((t) => t.text)).toEqual([
      `[Message #${ms[0]!.id} from supervisor (terminal cd000001)]\none`,
      `[Message #${ms[1]!.id} from supervisor (terminal cd000001)]\ntwo`,
      `[Message #${ms[2]!.id} from supervisor (terminal cd000001)]\nthree`,
    ]);
  });

  it('keeps a receiver’s newest settled messages and drops older ones from memory and disk; unsent ones are never dropped', async () => {
    const { bus, receivers, inbox } = await start((r) => r.add('ab000001', 'processing'), { keepSettled: 2 });
    const ms: MessageRecord[] = [];
    for (let i = 0; i < 5; i++) ms.push(await inbox.post({ receiverId: 'ab000001', senderId: 'cao', message: `m${i}` }));
    for (const m of ms.slice(0, 4)) {
      const next = settled(bus, m.id);
      receivers.done('ab000001');
      await next;
    }
    // m2 and m3 delivered and kept, m4 still pending; m0 and m1 dropped.
    expect(inbox.list('ab000001').map((m) => [m.message, m.status])).toEqual([['m2', 'delivered'], ['m3', 'delivered'], ['m4', 'pending']]);
    expect(() => inbox.get(ms[0]!.id)).toThrow(/not found/);
    await expect.poll(stored).toEqual(ms.slice(2).map((m) => m.id));
  });

  it("fails a removed receiver's pending messages at once and drops its messages after the retention time", async () => {
    const { bus, receivers, inbox } = await start((r) => r.add('ab000001', 'processing'), { removedRetentionMs: 100 });
    const m = await inbox.post({ receiverId: 'ab000001', senderId: 'cao', message: 'late' });
    const failed = settled(bus, m.id);
    receivers.remove('ab000001');
    expect(await failed).toMatchObject({ type: 'message.failed', reason: 'its terminal was removed' });
    expect(inbox.get(m.id).status).toBe('failed');
    await new Promise((r) => setTimeout(r, 300));
    expect(() => inbox.get(m.id)).toThrow(/kept for/);
    await expect.poll(stored).toEqual([]);
  });

  it('after a restart: pending messages of a live receiver are delivered, those of a vanished one are failed and dropped', async () => {
    const first = await start((r) => {
      r.add('ab000001', 'processing');
      r.add('ab000002', 'processing');
    });
    const live = await first.inbox.post({ receiverId: 'ab000001', senderId: 'cao', message: 'for the live one' });
    const gone = await first.inbox.post({ receiverId: 'ab000002', senderId: 'cao', message: 'for the gone one' });
    first.inbox.stop();

    const second = await start((r) => r.add('ab000001', 'idle'));
    await new Promise((r) => setTimeout(r, 50));
    expect(second.receivers.typed.map((t) => t.text)).toEqual([`[Message #${live.id} from supervisor (terminal cao)]\nfor the live one`]);
    expect(second.inbox.get(live.id).status).toBe('delivered');
    expect(() => second.inbox.get(gone.id)).toThrow(/not found/);
    expect(await stored()).toEqual([live.id]);
    // Numbering goes on after the highest id ever stored.
    expect((await second.inbox.post({ receiverId: 'ab000001', senderId: 'cao', message: 'x' })).id).toBe(gone.id + 1);
  });
});
