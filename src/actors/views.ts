/** The shapes the API returns (field names as the original cao's, plus cao's additions). */
import type { TerminalContext } from '../machines/terminal.js';
import type { MessageRecord } from '../store/inbox.js';
import type { TerminalStatus } from '../providers/types.js';
import type { TerminalRecord } from '../store/terminals.js';
import type { SessionInfo } from '../tmux/client.js';

export interface TerminalView {
  id: string;
  name: string;
  provider: string;
  session_name: string;
  agent_profile: string;
  status: TerminalStatus;
  last_active: string;
  created_at: string;
  working_directory: string;
  turn: number;
  exit_code: number | null;
  reason: string | null;
}

export interface TerminalMeta {
  id: string;
  tmux_session: string;
  tmux_window: string;
  provider: string;
  agent_profile: string;
  status: TerminalStatus;
  last_active: string;
}

export interface SessionView {
  id: string;
  name: string;
  /** active: a person is attached; detached: nobody is; ended: tmux no longer has it. */
  status: 'active' | 'detached' | 'ended';
  windows: number;
  created_at: string;
}

export function terminalView(r: TerminalRecord, status: TerminalStatus, ctx?: TerminalContext): TerminalView {
  return {
    id: r.id,
    name: r.windowName,
    provider: r.provider,
    session_name: r.session,
    agent_profile: r.agentProfile,
    status,
    last_active: r.lastActive,
    created_at: r.createdAt,
    working_directory: r.workingDirectory,
    turn: ctx?.turn ?? 0,
    exit_code: ctx?.exitCode ?? null,
    reason: ctx?.reason ?? null,
  };
}

export function terminalMeta(r: TerminalRecord, status: TerminalStatus): TerminalMeta {
  return {
    id: r.id,
    tmux_session: r.session,
    tmux_window: r.windowName,
    provider: r.provider,
    agent_profile: r.agentProfile,
    status,
    last_active: r.lastActive,
  };
}

export const sessionViews = (live: SessionInfo[]): SessionView[] =>
  live.map((s) => ({
    id: s.name,
    name: s.name,
    status: s.attached > 0 ? 'active' : 'detached',
    windows: s.windows,
    created_at: s.createdAt.toISOString(),
  }));

export type MessageView = Omit<MessageRecord, 'v'>;

export function messageView({ v: _v, ...m }: MessageRecord): MessageView {
  return m;
}
