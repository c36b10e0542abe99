/** Terminal metadata: what cao knows about each terminal apart from its live state. */
import type { Keyv } from 'keyv';
import type { ProviderId } from '../providers/types.js';
import { versionedRepo } from './db.js';

export const TERMINAL_RECORD_VERSION = 1;

export interface TerminalRecord {
  v: typeof TERMINAL_RECORD_VERSION;
  id: string;
  session: string;
  windowName: string;
  windowId: string;
  paneId: string;
  provider: ProviderId;
  agentProfile: string;
  workingDirectory: string;
  /** The user let this agent act without asking (its workers inherit it). */
  yolo?: boolean;
  createdAt: string;
  lastActive: string;
}

export const terminalRepo = (kv: Keyv) => versionedRepo<TerminalRecord, string>(kv, TERMINAL_RECORD_VERSION, (r) => r.id);
export type TerminalRepo = ReturnType<typeof terminalRepo>;
