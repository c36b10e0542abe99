/**
 * Kimi CLI (`kimi`, Moonshot AI's Kimi Code CLI 1.x, a prompt_toolkit shell). It runs in the
 * requested working directory (`--work-dir`, and the pane's cwd), with a per-terminal agent file
 * (`--agent-file`, extending Kimi's default agent with the profile's system prompt) and MCP config
 * (`--mcp-config-file`) under the terminal's own folder.
 *
 * The screen, bottom up: a status bar (`23:15  yolo  agent (kimi-for-coding, thinking)  …`), blank
 * rows, the prompt (`💫` in thinking mode, `✨` without; older versions prefix `user@dir`). A
 * submitted message is echoed after the prompt emoji (≥1.20) or in a `╭─ │ … │ ╰─` box (older),
 * answers are `•` bullets, approvals are a panel `… is requesting approval to …` with
 * `[1] Approve once` … options.
 */
import { join } from 'node:path';
import { instructionsOf } from '../profiles/schema.js';
import { claudeMcpConfig, mcpServersFor } from './mcp-config.js';
import { lastIndex, normalizeScreen, trimBlankEdges } from './screen.js';
import type { LaunchContext, LaunchSpec, Provider, ScreenStatus } from './types.js';

const EMOJI = '(?:✨|💫)';
const USER_AT_HOST = '(?:[\\w.-]+@[\\w.-]+)?';
/** The prompt with nothing typed after it: the shell is waiting for input. */
const PROMPT_BARE = new RegExp(`^${USER_AT_HOST}${EMOJI}$`, 'u');
/** The prompt followed by text: typed input, or the echo of a submitted message. */
const PROMPT_INPUT = new RegExp(`^${USER_AT_HOST}${EMOJI}[^\\S\\n]+\\S`, 'u');
const STATUS_BAR = /^\d{1,2}:\d{2}\s+.*\b(?:agent|shell)\b\s*\(/;
const BOX_TOP = /^╭─/;
const BOX_BOTTOM = /^╰─/;
const WELCOME_BOX = /Welcome to Kimi|^│\s*(?:Directory|Session|Model):/;
const BULLET = /^•(?: |$)/;
const ERROR_LINE = /^(?:Error:|ERROR:|Traceback \(most recent call last\):|[A-Za-z]*Error: |LLM provider error)/;
const APPROVAL = /is requesting approval to\b|\[1\] Approve once|\[2\] Approve for this session/;
/** Kimi's live "Thinking ⠋  1.2s · 340 chars" line while the model reasons. */
const THINKING_LIVE = /^Thinking\b.*\b\d+(?:\.\d+)?s\b/;

interface Screen {
  lines: string[];
  /** The bottom line that is neither blank nor the status bar, or -1. */
  bottom: number;
  /** First line of the current turn (after the last submitted message's echo), or -1 if none is visible. */
  turnStart: number;
}

function read(raw: string): Screen {
  const lines = normalizeScreen(raw).split('\n');
  const bottom = lastIndex(lines, (l) => l.trim() !== '' && !STATUS_BAR.test(l.trim()));
  const end = bottom < 0 ? 0 : bottom;
  // The last echo of a submitted message above the bottom line: `💫 text`, and/or an input box
  // (not the welcome box) right after it.
  let turnStart = -1;
  const echo = lastIndex(lines, (l) => PROMPT_INPUT.test(l.trim()), end - 1);
  if (echo >= 0) turnStart = echo + 1;
  for (let i = 0; i < end; i++) {
    if (!BOX_TOP.test(lines[i]!.trim())) continue;
    let j = i + 1;
    while (j < end && !BOX_BOTTOM.test(lines[j]!.trim())) j++;
    if (j >= end) break;
    // The welcome box and approval panels are boxes too, but not an echo of the user's message.
    const other = lines.slice(i, j + 1).some((l) => WELCOME_BOX.test(l.trim()) || APPROVAL.test(l) || /^╭─+ approval\b/.test(l.trim()));
    if (!other && j + 1 > turnStart) turnStart = j + 1;
    i = j;
  }
  return { lines, bottom, turnStart };
}

const turnLines = (s: Screen) => (s.turnStart < 0 ? [] : s.lines.slice(s.turnStart, s.bottom).filter((l) => !STATUS_BAR.test(l.trim())));

export function classifyKimi(raw: string): ScreenStatus {
  const s = read(raw);
  if (s.bottom < 0) return 'processing';
  const bottom = s.lines[s.bottom]!.trim();
  const turn = turnLines(s).map((l) => l.trim());
  // An approval panel at the bottom of the current turn, with no answer after it.
  const from = Math.max(s.turnStart, s.lines.length - 40, 0);
  const approval = lastIndex(s.lines, (l) => APPROVAL.test(l), s.lines.length - 1, from);
  if (approval >= 0 && lastIndex(s.lines, (l) => BULLET.test(l.trim()) || PROMPT_BARE.test(l.trim()), s.lines.length - 1, approval + 1) < 0) {
    return 'waiting_user_answer';
  }
  if (turn.some((l) => THINKING_LIVE.test(l))) return 'processing';
  const lastError = lastIndex(turn, (l) => ERROR_LINE.test(l));
  const failed = lastError >= 0 && lastIndex(turn, (l) => BULLET.test(l), turn.length - 1, lastError + 1) < 0;
  if (PROMPT_BARE.test(bottom)) {
    if (s.turnStart < 0) return 'idle';
    if (failed) return 'error';
    return 'completed';
  }
  // Text after the prompt at the bottom: typed, or submitted and not yet answered.
  if (PROMPT_INPUT.test(bottom)) return 'processing';
  // The turn ended in an error before any answer (no prompt drawn yet).
  if (ERROR_LINE.test(bottom) && !turn.some((l) => BULLET.test(l))) return 'error';
  return 'processing';
}

export function extractKimiAnswer(raw: string): string | undefined {
  const s = read(raw);
  if (s.bottom < 0 || !PROMPT_BARE.test(s.lines[s.bottom]!.trim()) || s.turnStart < 0) return undefined;
  if (classifyKimi(raw) === 'error') return undefined;
  // Plain captures carry no colours, so Kimi's grey thinking bullets cannot be told from answer
  // bullets: both are kept (see docs/providers/kimi_cli.md).
  const answer = trimBlankEdges(turnLines(s).map((l) => l.replace(BULLET, '')));
  return answer.length > 0 ? answer.join('\n') : undefined;
}

function launchKimi(ctx: LaunchContext): LaunchSpec {
  const { profile } = ctx;
  const dir = join(ctx.terminalDir, 'kimi');
  const argv = ['kimi', '--work-dir', ctx.workingDirectory];
  const files: LaunchSpec['files'] = [];
  const instructions = instructionsOf(profile);
  if (instructions) {
    const agentFile = join(dir, 'agent.yaml');
    files.push({ path: join(dir, 'system.md'), content: instructions });
    // Extends Kimi's built-in default agent (its tools); only the system prompt changes.
    files.push({ path: agentFile, content: 'version: 1\nagent:\n  extend: default\n  system_prompt_path: ./system.md\n' });
    argv.push('--agent-file', agentFile);
  }
  const servers = mcpServersFor(profile, ctx.terminalId, ctx.caoEnv);
  if (Object.keys(servers).length > 0) {
    const mcpFile = join(dir, 'mcp.json');
    files.push({ path: mcpFile, content: claudeMcpConfig(servers) });
    argv.push('--mcp-config-file', mcpFile);
  }
  if (profile.model) argv.push('--model', profile.model);
  if (ctx.yolo) argv.push('--yolo');
  // Kimi CLI ≥1.20 exits silently under TERM=tmux-256color (tmux's default).
  return { argv, env: { TERM: 'xterm-256color' }, files };
}

export const kimiCliProvider: Provider = {
  id: 'kimi_cli',
  displayName: 'Kimi CLI',
  binary: 'kimi',
  supported: true,
  launch: launchKimi,
  startupDialogs: [],
  classify: classifyKimi,
  extractLastMessage: extractKimiAnswer,
  input: { bracketed: true, submitKeys: ['Enter'], awaitEcho: true },
  exit: { text: '/exit' },
  interruptKeys: ['C-c'],
};
