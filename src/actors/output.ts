/** Reading what an agent wrote: the whole history, its tail, or the last answer. */
import { conflict } from '../errors.js';
import { getProvider } from '../providers/registry.js';
import { normalizeScreen } from '../providers/screen.js';
import type { TerminalRecord } from '../store/terminals.js';
import type { TmuxClient } from '../tmux/client.js';

export const OUTPUT_MODES = ['full', 'last', 'tail'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];
export const DEFAULT_TAIL_LINES = 50;

export async function readOutput(tmux: TmuxClient, r: TerminalRecord, mode: OutputMode, lines = DEFAULT_TAIL_LINES): Promise<string> {
  let raw: string;
  try {
    raw = await tmux.capture(r.paneId, { history: 'all' });
  } catch {
    throw conflict(`Terminal '${r.id}' has no screen any more: its tmux window was closed`);
  }
  const screen = normalizeScreen(raw);
  if (mode === 'full') return screen;
  if (mode === 'tail') return screen.split('\n').slice(-lines).join('\n');
  const answer = getProvider(r.provider).extractLastMessage(raw);
  if (answer === undefined) throw conflict(`Terminal '${r.id}' has no answer on its screen yet`);
  return answer;
}
