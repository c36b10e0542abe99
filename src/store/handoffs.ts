/** Finished handoffs: their results stay readable (for a caller that reconnects) after the actor is gone. */
import type { Keyv } from 'keyv';
import type { HandoffResult } from '../machines/handoff.js';
import { versionedRepo } from './db.js';

export interface HandoffRecord {
  v: 1;
  id: string;
  request_id: string | null;
  caller_id: string | null;
  agent_profile: string;
  worker_id: string;
  provider: string;
  created_at: string;
  finished_at: string;
  result: HandoffResult;
}

export const handoffRepo = (kv: Keyv) => versionedRepo<HandoffRecord, string>(kv, 1, (r) => r.id);
export type HandoffRepo = ReturnType<typeof handoffRepo>;
