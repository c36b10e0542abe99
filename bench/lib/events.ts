/**
 * Keeps every event of the SSE stream, in order, so a benchmark can wait for an event that may
 * already have arrived (a `message.delivered` often comes before the POST that queued the message
 * has answered) and can read a whole round's timeline afterwards.
 */
import { sleep } from './server.js';
import type { SseClient, SseEvent } from './sse.js';

type Pred = (e: SseEvent) => boolean;

export class EventLog {
  readonly events: SseEvent[] = [];
  /** Latest status per terminal id, from the snapshot and `terminal.status` events. */
  readonly statuses = new Map<string, string>();

  constructor(private readonly sse: SseClient, snapshot: SseEvent) {
    for (const t of snapshot.data.terminals as { id: string; status: string }[]) this.statuses.set(t.id, t.status);
    sse.on((e) => {
      if (e.type === 'error') return;
      this.events.push(e);
      if (e.type === 'terminal.status') this.statuses.set(e.data.terminal_id as string, e.data.status as string);
      if (e.type === 'terminal.removed') this.statuses.delete(e.data.terminal_id as string);
    });
  }

  /** Index of the next event: pass it as `from` to look only at what comes after now. */
  mark(): number {
    return this.events.length;
  }

  find(pred: Pred, from = 0): SseEvent | undefined {
    for (let i = from; i < this.events.length; i++) if (pred(this.events[i]!)) return this.events[i];
    return undefined;
  }

  filter(pred: Pred, from = 0): SseEvent[] {
    return this.events.slice(from).filter(pred);
  }

  /** The first event at or after `from` that satisfies `pred`, already received or still to come. */
  waitFor(pred: Pred, timeoutMs: number, from = 0, what = 'an event'): Promise<SseEvent> {
    const seen = this.find(pred, from);
    if (seen) return Promise.resolve(seen);
    // No gap: find() and the listener waitFor() adds run in the same tick.
    return this.sse.waitFor(pred, timeoutMs).catch((e: Error) => {
      throw new Error(`${what}: ${this.sse.broken ? `event stream broke: ${this.sse.broken.message}` : e.message}`);
    });
  }

  /** Polls `ok` every 20 ms; throws when the stream breaks or after `ms`. */
  async until(what: string, ok: () => boolean, ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (!ok()) {
      if (this.sse.broken) throw new Error(`event stream broke while waiting for ${what}: ${this.sse.broken.message}`);
      if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await sleep(20);
    }
  }
}

/** Predicates for the event types the benchmarks use. */
export const is = {
  status: (id: string, status: string, turn?: number) => (e: SseEvent) =>
    e.type === 'terminal.status' && e.data.terminal_id === id && e.data.status === status && (turn === undefined || e.data.turn === turn),
  created: (id: string) => (e: SseEvent) => e.type === 'terminal.created' && e.data.terminal_id === id,
  removed: (id: string) => (e: SseEvent) => e.type === 'terminal.removed' && e.data.terminal_id === id,
  delivered: (messageId: number) => (e: SseEvent) => e.type === 'message.delivered' && e.data.message_id === messageId,
  deliveredTo: (id: string) => (e: SseEvent) => e.type === 'message.delivered' && e.data.terminal_id === id,
  settled: (messageId: number) => (e: SseEvent) => (e.type === 'message.delivered' || e.type === 'message.failed') && e.data.message_id === messageId,
  handoffFinished: (workerId: string) => (e: SseEvent) => e.type === 'handoff.finished' && e.data.terminal_id === workerId,
};

/** Server-side time of an event (`at`, ms resolution) as epoch ms. */
export const at = (e: SseEvent): number => Date.parse(e.data.at as string);
