/**
 * The inbox: per-receiver queues of messages, delivered by typing them into the receiver when it
 * is ready (idle or completed), in order, once.
 *
 * - A message is persisted before its id is returned.
 * - Delivery is claimed (status `delivering`, persisted) before anything is typed, one receiver at
 *   a time; after typing, the receiver is `processing` until that turn settles, so the next message
 *   waits for the next ready screen.
 * - A failed attempt goes back to `pending` and is retried with backoff; after MAX_ATTEMPTS, or
 *   when the receiver exits, it is `failed` with the reason.
 * - After a restart, `pending` messages are delivered; a `delivering` one (the server died while
 *   typing it) is looked for on the receiver's screen: found → delivered, not found → typed again.
 * - Retention: a receiver keeps its last KEEP_SETTLED delivered/failed messages; a removed
 *   receiver's messages are dropped REMOVED_RETENTION_MS after its removal (at once on a restart).
 *   Work per event is bounded by the receiver's own queue, not by every message ever sent.
 */
import { notFound } from '../errors.js';
import type { Logger } from '../log.js';
import type { TerminalStatus } from '../providers/types.js';
import type { InboxRepo, MessageKind, MessageRecord, MessageStatus } from '../store/inbox.js';

export { MESSAGE_STATUSES } from '../store/inbox.js';
import { keyedSerial } from '../tmux/serial.js';
import type { EventBus, StampedEvent } from './events.js';

const MAX_ATTEMPTS = 5;
/** Delivered/failed messages kept per receiver (for `GET …/inbox/messages`). */
export const KEEP_SETTLED = 200;
/** How long a removed receiver's messages can still be looked up by id. */
export const REMOVED_RETENTION_MS = 60 * 60 * 1000;
const READY: TerminalStatus[] = ['idle', 'completed'];

/** What the inbox needs from the terminals. */
export interface InboxPort {
  status(id: string): TerminalStatus | undefined;
  /** Type `text` into the terminal and submit it; resolves with the turn it started. */
  deliver(id: string, text: string): Promise<number>;
  /** The terminal's whole screen history, to settle an interrupted delivery. */
  screen(id: string): Promise<string>;
  profileOf(id: string): string | undefined;
}

export interface PostRequest {
  receiverId: string;
  senderId: string;
  message: string;
  kind?: MessageKind;
  requestId?: string;
}

export interface InboxOptions {
  keepSettled?: number;
  removedRetentionMs?: number;
}

export class Inbox {
  private readonly byId = new Map<number, MessageRecord>();
  /** Every receiver's messages, oldest first. */
  private readonly byReceiver = new Map<string, MessageRecord[]>();
  private readonly byRequest = new Map<string, number>();
  private readonly serial = keyedSerial();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly drops = new Map<string, NodeJS.Timeout>();
  private readonly keepSettled: number;
  private readonly removedRetentionMs: number;
  private nextId = 1;
  private stopped = false;

  constructor(
    private readonly repo: InboxRepo,
    private readonly port: InboxPort,
    private readonly events: EventBus,
    private readonly log: Logger,
    o: InboxOptions = {},
  ) {
    this.keepSettled = o.keepSettled ?? KEEP_SETTLED;
    this.removedRetentionMs = o.removedRetentionMs ?? REMOVED_RETENTION_MS;
  }

  /** Load every message; call `resume()` once the terminals are restored. */
  async load(): Promise<void> {
    for (const m of (await this.repo.all()).sort((a, b) => a.id - b.id)) {
      this.index(m);
      this.nextId = Math.max(this.nextId, m.id + 1);
    }
  }

  /**
   * Settle deliveries a crash interrupted, then deliver everything pending. Messages of receivers
   * that are gone for good are failed (if pending) and dropped.
   */
  async resume(): Promise<void> {
    for (const receiver of [...this.byReceiver.keys()]) {
      if (this.port.status(receiver) !== undefined) continue;
      for (const m of this.pendingFor(receiver)) await this.settle(m, 'failed', { last_error: 'the receiver does not exist' });
      await this.drop(receiver);
    }
    for (const m of this.byId.values()) {
      if (m.status !== 'delivering') continue;
      const seen = await this.port.screen(m.receiver_id).then((s) => s.includes(this.fingerprint(m))).catch(() => false);
      if (seen) await this.settle(m, 'delivered', { delivered_at: new Date().toISOString() });
      else await this.update(m, { status: 'pending' });
      this.log.info(`message ${m.id} to ${m.receiver_id} was being typed when the server stopped: ${seen ? 'found on screen' : 'typing it again'}`);
    }
    for (const receiver of this.byReceiver.keys()) this.kick(receiver);
  }

  stop(): void {
    this.stopped = true;
    for (const t of [...this.retries.values(), ...this.drops.values()]) clearTimeout(t);
  }

  /** Queue a message; it is on disk when this resolves. Idempotent by request id. */
  async post(r: PostRequest): Promise<MessageRecord> {
    if (r.requestId) {
      const existing = this.byRequest.get(r.requestId);
      if (existing !== undefined) return this.byId.get(existing)!;
    }
    const m: MessageRecord = {
      v: 1, id: this.nextId++, sender_id: r.senderId, receiver_id: r.receiverId, message: r.message,
      kind: r.kind ?? 'message', status: 'pending', created_at: new Date().toISOString(), delivered_at: null,
      attempts: 0, last_error: null, turn: null, request_id: r.requestId ?? null,
    };
    this.index(m);
    await this.repo.put(m);
    this.events.emit({ type: 'message.queued', message_id: m.id, terminal_id: m.receiver_id, sender_id: m.sender_id });
    this.kick(m.receiver_id);
    return m;
  }

  byRequestId(requestId: string): MessageRecord | undefined {
    const id = this.byRequest.get(requestId);
    return id === undefined ? undefined : this.byId.get(id);
  }

  get(id: number): MessageRecord {
    const m = this.byId.get(id);
    if (!m) throw notFound(`Message ${id} not found (a removed terminal's messages are kept for ${Math.round(this.removedRetentionMs / 60_000)} minutes)`);
    return m;
  }

  /** A receiver's messages, oldest first; `limit` keeps the most recent ones. */
  list(receiverId: string, o: { status?: MessageStatus; limit?: number } = {}): MessageRecord[] {
    const all = (this.byReceiver.get(receiverId) ?? []).filter((m) => !o.status || m.status === o.status);
    return o.limit ? all.slice(-o.limit) : all;
  }

  /**
   * What happens to terminals: a ready receiver gets its next message; one that exited or was
   * removed for good fails what is pending for it.
   */
  onEvent(e: StampedEvent): void {
    if (e.type === 'terminal.status' && (READY.includes(e.status) || e.status === 'exited')) this.kick(e.terminal_id);
    else if (e.type === 'terminal.removed') {
      this.kick(e.terminal_id, 'its terminal was removed');
      this.dropLater(e.terminal_id);
    }
  }

  /** Deliver the receiver's oldest pending message if it is ready. One receiver at a time. */
  private kick(receiver: string, gone?: string): void {
    if (this.stopped) return;
    void this.serial(receiver, async () => {
      const next = this.pendingFor(receiver)[0];
      if (!next || this.retries.has(receiver)) return;
      const status = this.port.status(receiver);
      if (gone || status === undefined || status === 'exited') {
        const reason = gone ?? (status === 'exited' ? 'the receiver has exited' : 'the receiver does not exist');
        for (const m of this.pendingFor(receiver)) await this.settle(m, 'failed', { last_error: reason });
        return;
      }
      if (!READY.includes(status)) return;
      await this.attempt(next);
    }).catch((e: Error) => this.log.error(`inbox delivery to ${receiver}: ${e.message}`));
  }

  private async attempt(m: MessageRecord): Promise<void> {
    await this.update(m, { status: 'delivering', attempts: m.attempts + 1 });
    let turn: number;
    try {
      turn = await this.port.deliver(m.receiver_id, this.text(m));
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      if (m.attempts >= MAX_ATTEMPTS) return this.settle(m, 'failed', { last_error: `gave up after ${m.attempts} attempts: ${error}` });
      await this.update(m, { status: 'pending', last_error: error });
      const wait = 100 * 2 ** m.attempts;
      this.retries.set(m.receiver_id, setTimeout(() => {
        this.retries.delete(m.receiver_id);
        this.kick(m.receiver_id);
      }, wait));
      return;
    }
    await this.settle(m, 'delivered', { delivered_at: new Date().toISOString(), turn, last_error: null });
  }

  private pendingFor(receiver: string): MessageRecord[] {
    return (this.byReceiver.get(receiver) ?? []).filter((m) => m.status === 'pending');
  }

  private index(m: MessageRecord): void {
    this.byId.set(m.id, m);
    if (m.request_id) this.byRequest.set(m.request_id, m.id);
    const queue = this.byReceiver.get(m.receiver_id);
    if (queue) queue.push(m);
    else this.byReceiver.set(m.receiver_id, [m]);
  }

  private async forget(ms: MessageRecord[]): Promise<void> {
    for (const m of ms) {
      this.byId.delete(m.id);
      if (m.request_id) this.byRequest.delete(m.request_id);
      await this.repo.delete(m.id);
    }
  }

  /** A receiver keeps its newest settled messages; older ones are dropped (never unsent ones). */
  private async trim(receiver: string): Promise<void> {
    const queue = this.byReceiver.get(receiver) ?? [];
    const settled = queue.filter((m) => m.status === 'delivered' || m.status === 'failed');
    if (settled.length <= this.keepSettled) return;
    const old = new Set(settled.slice(0, settled.length - this.keepSettled));
    this.byReceiver.set(receiver, queue.filter((m) => !old.has(m)));
    await this.forget([...old]);
  }

  private async drop(receiver: string): Promise<void> {
    const queue = this.byReceiver.get(receiver) ?? [];
    this.byReceiver.delete(receiver);
    await this.forget(queue);
  }

  private dropLater(receiver: string): void {
    if (this.stopped || this.drops.has(receiver)) return;
    const timer = setTimeout(() => {
      this.drops.delete(receiver);
      void this.serial(receiver, () => this.drop(receiver)).catch((e: Error) => this.log.error(`inbox: dropping messages of ${receiver}: ${e.message}`));
    }, this.removedRetentionMs);
    timer.unref();
    this.drops.set(receiver, timer);
  }

  private async update(m: MessageRecord, patch: Partial<MessageRecord>): Promise<void> {
    Object.assign(m, patch);
    await this.repo.put(m);
  }

  private async settle(m: MessageRecord, status: 'delivered' | 'failed', patch: Partial<MessageRecord>): Promise<void> {
    await this.update(m, { ...patch, status });
    this.events.emit(
      status === 'delivered'
        ? { type: 'message.delivered', message_id: m.id, terminal_id: m.receiver_id, sender_id: m.sender_id, turn: m.turn ?? 0 }
        : { type: 'message.failed', message_id: m.id, terminal_id: m.receiver_id, sender_id: m.sender_id, reason: m.last_error ?? 'unknown' },
    );
    await this.trim(m.receiver_id);
  }

  /** What is typed: messages name their sender; tasks are typed as they are. */
  private text(m: MessageRecord): string {
    if (m.kind === 'task') return m.message;
    const profile = this.port.profileOf(m.sender_id);
    const from = profile ? `${profile} (terminal ${m.sender_id})` : m.sender_id;
    return `${this.fingerprint(m)} ${from}]\n${m.message}`;
  }

  /** Text that appears on the receiver's screen once the message was typed. */
  private fingerprint(m: MessageRecord): string {
    if (m.kind === 'task') return (m.message.split('\n').find((l) => l.trim() !== '') ?? m.message).trim().slice(0, 80);
    return `[Message #${m.id} from`;
  }
}
