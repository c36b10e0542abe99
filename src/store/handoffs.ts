/** Finished handoffs: their results stay readable (for a caller that reconnects) after the actor is gone. */
import type { Keyv } from 'keyv';
import type { HandoffResult } from '../machines/handoff.js';
import { allValues } from './db.js';

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

export const handoffRepo = (kv: Keyv) => ({
  put: (r: HandoffRecord) => kv.set(r.id, r).then(() => r),
  get: async (id: string) => {
    const r = (await kv.get(id)) as HandoffRecord | undefined;
    return r?.v === 1 ? r : undefined;
  },
  all: async () => (await allValues<HandoffRecord>(kv)).filter((r) => r.v === 1),
});
export type HandoffRepo = ReturnType<typeof handoffRepo>;
