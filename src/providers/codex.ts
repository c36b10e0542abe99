/**
 * Codex CLI (`@openai/codex`, verified with 0.171.0). See docs/providers/codex.md.
 *
 * Launch: everything cao needs goes on the command line as `-c key=value` overrides (the value is
 * TOML, written by ./toml.ts), so the user's `$CODEX_HOME/config.toml` is never touched — Codex
 * rewrites that file itself, and appending to it can land keys in the wrong table.
 *
 * Screen (inline mode, `--no-alt-screen`, read from the bottom):
 *
 *   › Say hello                          ← the echoed prompt of the current turn
 *
 *   • Ran ls                             ← a tool cell …
 *     └ file.txt
 *
 *   • Hello from the model.              ← … and the model's answer, continued on indented lines
 *
 *     Worked for 3s • 20:32              ← the turn is over (absent while the answer streams)
 *
 *   ◦ Working (1s • esc to interrupt)    ← (while busy, just above the composer)
 *
 *   › Ask Codex to do anything           ← the composer: a placeholder or the user's draft
 *
 *     gpt-5.2 default · /work · Say hello   ← status line (repeats the thread's first prompt!)
 *     ← for agents · ? for shortcuts        ⚠ 1 warning · f2 to view
 *
 * A turn ends in `■ <message>` when it failed and in `■ Conversation interrupted …` when it was
 * interrupted (Esc, or a declined approval). Approval questions replace the composer with a form
 * that ends in "Press enter to confirm or esc to cancel" / "enter to submit | esc to cancel".
 */
import { MAX_HANDOFF_TIMEOUT_S } from '../handoff-limits.js';
import { instructionsOf } from '../profiles/schema.js';
import { isCaoMcpServer, mcpServersFor, type McpServerSpec } from './mcp-config.js';
import { normalizeScreen } from './screen.js';
import { TomlRaw, tomlFloat, tomlInlineTable, tomlString, type TomlValue } from './toml.js';
import type { LaunchContext, LaunchSpec, Provider, ScreenStatus } from './types.js';

// ---------------------------------------------------------------------------------------------
// Screen grammar

/** The composer and the echoed prompts start with U+203A. */
const PROMPT = /^›(?: |$)/;
/** The live status row while a turn runs: "• Working (3s • esc to interrupt)", "◦ Reconnecting... 2/5 (…)". */
const BUSY = /^[•◦]\s.*\besc to interrupt\)/;
/**
 * The end of a finished turn: "Worked for 3s • 20:32", "Worked for <1s • 8:05 PM", "Worked for
 * 1m 02s • …" ("─ Worked for 1m 02s ─" in older versions). Exact, so an answer line that starts
 * with the same words cannot end a turn.
 */
const WORKED = /^\s*(?:─+ )?Worked for <?\d+[hms](?: \d+[hms])*(?: • \d{1,2}:\d{2}(?: ?[AP]M)?)? ?─*$/;
/** Footer while a message submitted during start-up waits for the session: "Waiting for startup  · esc cancel". */
const STARTING = /^\s*Waiting for startup\b/;
/** The footer of the first frame, before the session is ready. */
const BARE_FOOTER = /^\s*\? for shortcuts$/;
/** The banner at the top of a fresh session. */
const BANNER = /^\s*>_ OpenAI Codex\b/;
const INTERRUPTED = /^■ Conversation interrupted\b/;
const FAILED = /^■ /;
/** First line of a transcript cell: a glyph in column 0 (continuation lines are indented). */
const CELL = /^[•◦■✔✗⚠›]/;
/** A notice cell (warnings): says nothing about the turn. */
const NOTICE = /^⚠ /;
/**
 * The key hint a form ends with when it replaces the composer and waits for a key (approval,
 * MCP elicitation, trust, login, the warnings list). Anchored at the line start: the status line
 * under the composer repeats the thread's first prompt, which may contain any of these words.
 */
const FORM_HINT = /^\s*(?:Press enter to (?:confirm|continue)\b|enter to submit \| esc to cancel|enter continue · esc back|k keep & next · esc dismiss)/i;
/** Questions Codex asks; counted only when no composer is below them. */
const QUESTION =
  /Would you like to (?:run the following command|make the following edits|grant these permissions|send input to the existing terminal)\?|Allow the .+ MCP server to run tool|Do you want to proceed\?|Trust this folder\?|Sign in with ChatGPT/;

// Older Codex TUIs (the original cao's fixtures): "You <prompt>" / "assistant: <answer>" / "❯".
const LEGACY_PROMPT = /^\s*(?:❯|›|codex>)\s*$/;
const LEGACY_USER = /^You\b/;
const LEGACY_ANSWER = /^(?:assistant|codex|agent):\s?/i;
const LEGACY_QUESTION = /^\s*(?:Approve|Allow)\b.*(?:\[y\/n\]|\(y\/n\)|y\/n|yes\/no|yes or no)/i;
const LEGACY_ERROR = /^(?:Error:|ERROR:|Traceback \(most recent call last\):|panic:)/;

/** Tool cells (what Codex did, not what the model said). */
const TOOL_CELL =
  /^• (?:Ran|Running|Explored|Exploring|Updated Plan|Waited for|Waiting for|Interacted with|Viewed Image|Searched|Searching)\b|^• Call(?:ed|ing)(?:$| \S+\.\S)|^• (?:Edited|Editing|Added|Deleted) \S/;
/** Hint rows the alt-screen TUI sometimes leaves inside an answer cell. */
const TIP_ROW = /^\s*└ Tip: /;

const nonEmpty = (lines: string[]) => lines.flatMap((l, i) => (l.trim() === '' ? [] : [i]));

/**
 * Index of the composer line: the last `›` line among the bottom non-empty lines (below it: the
 * rest of a multi-line draft, the status line and the footer).
 */
function composerIndex(lines: string[]): number | undefined {
  const idx = nonEmpty(lines).slice(-8);
  for (let k = idx.length - 1; k >= 0; k--) if (PROMPT.test(lines[idx[k]!]!)) return idx[k];
  return undefined;
}

/** Index of the last echoed prompt above the composer, if it is on the screen. */
function echoIndex(lines: string[], composer: number): number | undefined {
  for (let i = composer - 1; i >= 0; i--) if (PROMPT.test(lines[i]!)) return i;
  return undefined;
}

/** The first line after an echoed prompt (its continuation lines are indented). */
function afterEcho(lines: string[], echo: number, end: number): number {
  let i = echo + 1;
  while (i < end && !CELL.test(lines[i]!) && !WORKED.test(lines[i]!)) i++;
  return i;
}

interface Cell {
  /** Line indexes [start, end) on the screen. */
  start: number;
  end: number;
  head: string;
}

/** The cells of lines [from, to): each starts at a glyph line (or a "Worked for" line). */
function cells(lines: string[], from: number, to: number): Cell[] {
  const out: Cell[] = [];
  for (let i = from; i < to; i++) {
    const l = lines[i]!;
    if (CELL.test(l) || WORKED.test(l)) {
      if (out.length > 0) out[out.length - 1]!.end = i;
      out.push({ start: i, end: to, head: l });
    }
  }
  return out;
}

/** Lines [from, to) of the current turn: after the last echoed prompt, or the whole screen above the composer. */
function currentTurn(lines: string[], composer: number): { from: number; to: number; echoed: boolean } {
  const echo = echoIndex(lines, composer);
  if (echo === undefined) return { from: 0, to: composer, echoed: false };
  return { from: afterEcho(lines, echo, composer), to: composer, echoed: true };
}

/** How the turn ended, judged from its last cell (notices skipped); undefined while it runs. */
function turnEnd(turn: Cell[]): 'completed' | 'interrupted' | 'failed' | undefined {
  for (let k = turn.length - 1; k >= 0; k--) {
    const head = turn[k]!.head;
    if (NOTICE.test(head)) continue;
    if (WORKED.test(head)) return 'completed';
    if (INTERRUPTED.test(head)) return 'interrupted';
    if (FAILED.test(head)) return 'failed';
    return undefined;
  }
  return undefined;
}

export function classifyCodex(raw: string): ScreenStatus {
  const lines = normalizeScreen(raw).split('\n');
  const bottom = nonEmpty(lines).map((i) => lines[i]!);
  // A form (approval, MCP elicitation, trust, login, the warnings list) waits for a key.
  if (bottom.slice(-2).some((l) => FORM_HINT.test(l))) return 'waiting_user_answer';
  const composer = composerIndex(lines);
  if (composer === undefined) {
    if (bottom.slice(-20).some((l) => QUESTION.test(l))) return 'waiting_user_answer';
    return classifyLegacy(bottom);
  }
  // Codex draws its composer before the session is ready: first with a bare "? for shortcuts"
  // footer (the status line and "← for agents" come ~0.1 s later), and a message submitted then
  // waits in the composer over "Waiting for startup". Still starting, not ready for input.
  const footer = lines.slice(composer + 1).filter((l) => l.trim() !== '');
  if (footer.some((l) => STARTING.test(l))) return 'processing';
  if (footer.length > 0 && footer.every((l) => BARE_FOOTER.test(l))) return 'processing';
  // The busy row sits just above the composer (queued inputs or retry details may come between).
  const above = nonEmpty(lines.slice(0, composer)).slice(-6).reverse();
  for (const i of above) {
    const l = lines[i]!;
    if (BUSY.test(l)) return 'processing';
    if (PROMPT.test(l) || WORKED.test(l) || FAILED.test(l)) break;
  }
  const { from, to, echoed } = currentTurn(lines, composer);
  const turn = cells(lines, from, to);
  switch (turnEnd(turn)) {
    case 'completed':
      return 'completed';
    case 'interrupted':
      return 'idle';
    case 'failed':
      return 'error';
  }
  // No end yet: a submitted turn is still running. Without a prompt on the screen, the banner
  // means the fresh start; anything else is a turn whose prompt scrolled away (a long answer).
  if (echoed || turn.some((c) => !NOTICE.test(c.head))) return 'processing';
  return lines.slice(0, composer).some((l) => BANNER.test(l)) ? 'idle' : 'processing';
}

function classifyLegacy(bottom: string[]): ScreenStatus {
  if (bottom.length === 0) return 'processing';
  const user = bottom.findLastIndex((l) => LEGACY_USER.test(l));
  const turn = bottom.slice(user + 1);
  const answered = turn.some((l) => LEGACY_ANSWER.test(l));
  if (!answered && turn.slice(-3).some((l) => LEGACY_QUESTION.test(l))) return 'waiting_user_answer';
  if (!answered && turn.some((l) => LEGACY_ERROR.test(l))) return 'error';
  if (!LEGACY_PROMPT.test(bottom[bottom.length - 1]!)) return 'processing';
  return user >= 0 && answered ? 'completed' : 'idle';
}

export function extractCodexAnswer(raw: string): string | undefined {
  const lines = normalizeScreen(raw).split('\n');
  const composer = composerIndex(lines);
  if (composer === undefined) return extractLegacy(lines);
  const { from, to } = currentTurn(lines, composer);
  const turn = cells(lines, from, to);
  if (turnEnd(turn) !== 'completed') return undefined;
  const said = turn.filter((c) => c.head.startsWith('• ') && !TOOL_CELL.test(c.head));
  if (said.length === 0) return undefined;
  // What the model said after its last tool call (the final answer); if it said nothing after
  // it, its last message before it.
  const lastTool = turn.findLastIndex((c) => TOOL_CELL.test(c.head));
  const final = said.filter((c) => turn.indexOf(c) > lastTool);
  const chosen = final.length > 0 ? final : [said[said.length - 1]!];
  const text = chosen.map((c) => cellText(lines, c)).join('\n\n');
  return text === '' ? undefined : text;
}

/** A cell's text: the glyph and the two-column indent removed, hint rows and trailing blanks dropped. */
function cellText(lines: string[], c: Cell): string {
  const out = [c.head.slice(2)];
  for (let i = c.start + 1; i < c.end; i++) {
    const l = lines[i]!;
    if (TIP_ROW.test(l)) continue;
    out.push(l.startsWith('  ') ? l.slice(2) : l.trimStart());
  }
  while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
  return out.join('\n').trim() === '' ? '' : out.join('\n');
}

function extractLegacy(lines: string[]): string | undefined {
  const end = lines.findLastIndex((l) => LEGACY_PROMPT.test(l));
  if (end < 0) return undefined;
  const user = lines.slice(0, end).findLastIndex((l) => LEGACY_USER.test(l));
  if (user < 0) return undefined;
  const start = lines.findIndex((l, i) => i > user && i < end && LEGACY_ANSWER.test(l));
  if (start < 0) return undefined;
  const text = [lines[start]!.replace(LEGACY_ANSWER, ''), ...lines.slice(start + 1, end)].join('\n').trim();
  return text === '' ? undefined : text;
}

// ---------------------------------------------------------------------------------------------
// Launch

/**
 * `tool_timeout_sec` for every MCP server unless the profile sets one: longer than the longest
 * handoff cao allows, plus 5 minutes for the MCP tool's grace period, so Codex never cuts a
 * handoff short. Codex's own default is 60 s.
 */
export const CODEX_TOOL_TIMEOUT_SEC = MAX_HANDOFF_TIMEOUT_S + 300;


type Kind = 'string' | 'strings' | 'strings table' | 'boolean' | 'table';
/**
 * Codex keys of an `[mcp_servers.<name>]` table that cao passes on from a profile, with the TOML
 * type Codex wants: a value of another type (say Copilot's `tools: ["*"]`) would stop Codex from
 * starting, so it is left out.
 */
const STDIO_KEYS: Record<string, Kind> = { command: 'string', args: 'strings', env: 'strings table', env_vars: 'strings', cwd: 'string' };
const HTTP_KEYS: Record<string, Kind> = { url: 'string', bearer_token_env_var: 'string', http_headers: 'strings table', env_http_headers: 'strings table' };
const COMMON_KEYS: Record<string, Kind> = {
  enabled: 'boolean',
  required: 'boolean',
  enabled_tools: 'strings',
  disabled_tools: 'strings',
  default_tools_approval_mode: 'string',
  tools: 'table',
};
const SECONDS_KEYS = ['startup_timeout_sec', 'tool_timeout_sec'] as const;

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isKind: Record<Kind, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  strings: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  'strings table': (v) => isTable(v) && Object.values(v).every((x) => typeof x === 'string'),
  boolean: (v) => typeof v === 'boolean',
  table: (v) => isTable(v) && isTomlValue(v),
};

/** Codex server names become a dotted config path: keep them to the characters that survive it. */
export const codexServerName = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_');

const isTomlValue = (v: unknown): v is TomlValue =>
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v)) ||
  (Array.isArray(v) && v.every(isTomlValue)) ||
  (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isTomlValue));


/** One profile MCP server as a Codex inline table. */
export function codexMcpTable(s: McpServerSpec): string {
  const t: Record<string, TomlValue> = {};
  const copy = (keys: Record<string, Kind>) => {
    for (const [k, kind] of Object.entries(keys)) if (isKind[kind](s[k])) t[k] = s[k] as TomlValue;
  };
  const http = typeof s.url === 'string' && s.command === undefined;
  if (http) {
    copy(HTTP_KEYS);
    // Claude-style `headers` are Codex's `http_headers`; Codex refuses `env` on HTTP servers.
    if (t.http_headers === undefined && isKind['strings table'](s.headers)) t.http_headers = s.headers as TomlValue;
  } else copy(STDIO_KEYS);
  copy(COMMON_KEYS);
  // Kiro / Claude style `disabled: true`.
  if (t.enabled === undefined && s.disabled === true) t.enabled = false;
  for (const k of SECONDS_KEYS) if (typeof s[k] === 'number' && Number.isFinite(s[k])) t[k] = new TomlRaw(tomlFloat(s[k]));
  t.tool_timeout_sec ??= new TomlRaw(tomlFloat(CODEX_TOOL_TIMEOUT_SEC));
  // cao's own tools (handoff, assign, send_message) are why the profile lists this server: they
  // run without a question, as they did in the original cao.
  if (isCaoMcpServer(s)) t.default_tools_approval_mode ??= 'approve';
  return tomlInlineTable(t);
}

export function launchCodex(ctx: LaunchContext): LaunchSpec {
  const { profile } = ctx;
  const argv = ['codex', '--no-alt-screen', '--no-daemon'];
  const set = (key: string, value: string) => argv.push('-c', `${key}=${value}`);
  // No detached app-server daemon (it would outlive the terminal), and none shared with other
  // Codex sessions (--no-daemon above); an update check would only show a notice.
  set('features.daemon_auto_start', 'false');
  set('check_for_update_on_startup', 'false');
  // Trust the working directory without asking (and without Codex saving that answer). An inline
  // table, because Codex splits dotted -c paths at every dot, including dots inside quotes.
  set('projects', tomlInlineTable({ [ctx.workingDirectory]: { trust_level: 'trusted' } }));
  const instructions = instructionsOf(profile);
  if (instructions !== '') set('developer_instructions', tomlString(instructions));
  for (const [name, server] of Object.entries(mcpServersFor(profile, ctx.terminalId, ctx.caoEnv))) {
    set(`mcp_servers.${codexServerName(name)}`, codexMcpTable(server));
  }
  if (profile.model) argv.push('--model', profile.model);
  // Only with the user's consent: no approvals, no sandbox. Otherwise Codex asks (on-request in a
  // trusted folder) and cao reports the question as waiting_user_answer.
  if (ctx.yolo) argv.push('--dangerously-bypass-approvals-and-sandbox');
  // Nothing to add to the environment: Codex finds its config and login through CODEX_HOME (or
  // ~/.codex), which the agent inherits from cao-server unchanged.
  return { argv, env: {}, files: [] };
}

export const codexProvider: Provider = {
  id: 'codex',
  displayName: 'Codex CLI',
  binary: 'codex',
  supported: true,
  launch: launchCodex,
  startupDialogs: [
    // Not expected (the folder is trusted on the command line), but if it shows: "1. Trust and continue".
    { name: 'trust folder', pattern: /Trust this folder\? Codex can read/, keys: ['Enter'] },
    // The startup warnings list (F2) closes with Esc.
    { name: 'startup warnings', pattern: /esc dismiss & close/, keys: ['Escape'] },
  ],
  classify: classifyCodex,
  extractLastMessage: extractCodexAnswer,
  input: { bracketed: true, submitKeys: ['Enter'] },
  exit: { text: '/exit' },
  interruptKeys: ['Escape'],
};
