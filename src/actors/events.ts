/** The live event stream: what changed, pushed to whoever listens (SSE clients, the CLI, tests). */
import { EventEmitter } from 'node:events';
import type { TerminalStatus } from '../providers/types.js';

export type CaoEvent =
  | { type: 'terminal.status'; terminal_id: string; session_name: string; status: TerminalStatus; previous: TerminalStatus | null; turn: number; reason: string | null }
  | { type: 'terminal.created'; terminal_id: string; session_name: string; agent_profile: string; provider: string }
  | { type: 'terminal.removed'; terminal_id: string; session_name: string }
  | { type: 'session.removed'; session_name: string }
  | { type: 'message.queued'; message_id: number; terminal_id: string; sender_id: string }
  | { type: 'message.delivered'; message_id: number; terminal_id: string; sender_id: string; turn: number }
  | { type: 'message.failed'; message_id: number; terminal_id: string; sender_id: string; reason: string }
  | { type: 'handoff.finished'; handoff_id: string; terminal_id: string | null; success: boolean; message: string };

export type StampedEvent = CaoEvent & { seq: number; at: string };

export class EventBus {
  private readonly emitter = new EventEmitter();
  private seq = 0;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  emit(e: CaoEvent): StampedEvent {
    const stamped = { ...e, seq: ++this.seq, at: new Date().toISOString() } as StampedEvent;
    this.emitter.emit('event', stamped);
    return stamped;
  }

  subscribe(fn: (e: StampedEvent) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }
}
