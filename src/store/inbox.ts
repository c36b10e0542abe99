/** Inbox messages: persisted before anyone is told their id, updated as they are delivered. */
import type { Keyv } from 'keyv';
import { versionedRepo } from './db.js';

export const MESSAGE_RECORD_VERSION = 1;
export const MESSAGE_STATUSES = ['pending', 'delivering', 'delivered', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
/** message: from send_message (typed with a sender line); task: a handoff's or assignment's task (typed as is). */
export type MessageKind = 'message' | 'task';

export interface MessageRecord {
  v: typeof MESSAGE_RECORD_VERSION;
  id: number;
  sender_id: string;
  receiver_id: string;
  message: string;
  kind: MessageKind;
  status: MessageStatus;
  created_at: string;
  delivered_at: string | null;
  attempts: number;
  last_error: string | null;
  /** The receiver's turn this message started. */
  turn: number | null;
  /** Idempotency key of the request that created it. */
  request_id: string | null;
}

/** Zero-padded so that keys sort as ids do. */
const key = (id: number) => String(id).padStart(12, '0');

export const inboxRepo = (kv: Keyv) => versionedRepo<MessageRecord, number>(kv, MESSAGE_RECORD_VERSION, (m) => m.id, key);
export type InboxRepo = ReturnType<typeof inboxRepo>;
