/** Flow records: the definition and whether it is enabled; runs and the next fire time live in the actor. */
import type { Keyv } from 'keyv';
import type { FlowDefinition } from '../flows/definition.js';
import type { FlowRun } from '../machines/flow.js';
import { versionedRepo } from './db.js';

export interface FlowRecord {
  v: 1;
  name: string;
  filePath: string | null;
  definition: FlowDefinition;
  enabled: boolean;
  createdAt: string;
  /** A copy of the latest runs, so history survives even if actor snapshots are discarded. */
  runs: FlowRun[];
}

export const flowRepo = (kv: Keyv) => versionedRepo<FlowRecord, string>(kv, 1, (r) => r.name);
export type FlowRepo = ReturnType<typeof flowRepo>;
