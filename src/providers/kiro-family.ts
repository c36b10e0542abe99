/**
 * Kiro CLI and Amazon Q CLI: near twins (Kiro CLI is the successor of Amazon Q Developer CLI).
 * Shared here: the agent JSON both read (`--agent <name>`), and the screen rules for
 *
 * - the legacy line-based chat (Q CLI, Kiro ≤ 2.x `--legacy-ui`/classic): the prompt line
 *   `[agent] 12% λ > `, answers that start with a green `> `, permission questions
 *   `Allow this action? … [y/n/t]:`;
 * - Kiro's full-screen terminal UI (the default since Kiro CLI 2.0; the only one from 3.0): a
 *   frame at the bottom (separator, `agent · model · ◔ 4%` header, composer line whose placeholder
 *   reads `ask a question or describe a task ↵` when idle and `Kiro is working · …` while busy),
 *   approval panels (`shell requires approval` / `❯ Yes, single permission`, or the lite
 *   `[y] allow once · [t] … · [n] deny`), `▸ Credits: …` after each turn.
 *
 * Where these strings come from is documented in docs/providers/kiro_cli.md and
 * test/fixtures/screens/kiro_cli/README.md. Everything is judged from the bottom of the screen
 * and from the current turn only.
 */
import type { AgentProfile } from '../profiles/schema.js';
import type { McpServerSpec } from './mcp-config.js';
import { lastIndex, normalizeScreen, trimBlankEdges } from './screen.js';
import type { ScreenStatus, StartupDialog } from './types.js';

// ---------------------------------------------------------------------------------------------
// Agent JSON
// ---------------------------------------------------------------------------------------------

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
const record = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export interface AgentJsonInput {
  /** The agent's name: `kiro-cli chat --agent <name>` selects it. */
  name: string;
  /** Absolute path of the system prompt file, given to the agent as a `file://` resource. */
  promptFile?: string;
  /** The MCP servers, ready for the CLI (see mcpServersFor). */
  servers: Record<string, McpServerSpec>;
  /**
   * `allowedTools` when the profile has none. `install` keeps the original cao's default (built-in
   * tools, file and shell tools, every MCP server); `launch` pre-approves only the profile's MCP
   * servers, so without --yolo writes and shell commands ask (waiting_user_answer).
   */
  defaults: 'install' | 'launch';
}

/**
 * The agent configuration file Kiro CLI and Q CLI read. Field set and defaults follow the original
 * cao's `cao install` (name, description, prompt, mcpServers, tools, toolAliases, allowedTools,
 * resources, hooks, toolsSettings, useLegacyMcpJson, model); keys without a value are left out.
 * Unlike the original, the profile's own `resources` are kept (after the system prompt).
 */
export function kiroAgentJson(profile: AgentProfile, input: AgentJsonInput): Record<string, unknown> {
  const f = profile.frontmatter;
  const serverNames = Object.keys(input.servers);
  const defaultAllowed =
    input.defaults === 'install' ? ['@builtin', 'fs_*', 'execute_bash', ...serverNames.map((n) => `@${n}`)] : serverNames.map((n) => `@${n}`);
  const resources = [...(input.promptFile ? [`file://${input.promptFile}`] : []), ...(strings(f.resources) ?? [])];
  const json: Record<string, unknown> = {
    name: input.name,
    description: profile.description,
    prompt: typeof f.prompt === 'string' ? f.prompt : undefined,
    mcpServers: serverNames.length > 0 ? input.servers : undefined,
    tools: strings(f.tools) ?? ['*'],
    toolAliases: record(f.toolAliases),
    allowedTools: strings(f.allowedTools) ?? defaultAllowed,
    resources: resources.length > 0 ? resources : undefined,
    hooks: record(f.hooks),
    toolsSettings: record(f.toolsSettings),
    useLegacyMcpJson: false,
    model: typeof f.model === 'string' ? f.model : undefined,
  };
  for (const k of Object.keys(json)) if (json[k] === undefined) delete json[k];
  return json;
}

// ---------------------------------------------------------------------------------------------
// Screens: shared pieces
// ---------------------------------------------------------------------------------------------

/** "Kiro is having trouble responding right now" / "Amazon Q is having trouble responding right now". */
const TROUBLE = /(?:Kiro|Amazon Q) is having trouble responding right now/i;

/** Remove the indentation every non-blank line shares. */
const dedent = (lines: string[]): string[] => {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length);
  const n = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(n, l.length - l.trimStart().length)));
};

// ---------------------------------------------------------------------------------------------
// Legacy line-based chat (Q CLI, Kiro classic)
// ---------------------------------------------------------------------------------------------

/** `[agent] >`, `[agent] 16% λ > `, `[agent] !>`, at the start of a line. */
const LEGACY_PROMPT = /^\s*\[[^\]\n]{1,120}\]\s*(?:\d+%\s*)?(?:λ\s*)?!?>/;
/** The same anywhere on a line (an old-style capture may hold `[y/n/t]: [agent]>` on one line). */
const LEGACY_PROMPT_ANYWHERE = /\[[^\]\n]{1,120}\]\s*(?:\d+%\s*)?(?:λ\s*)?!?>/;
/** An answer starts with the green arrow. */
const LEGACY_ANSWER = /^>(?: |$)/;
const LEGACY_PERMISSION = /Allow this action\?[^\n]*\[\s*y\s*\/\s*n\s*\/\s*t\s*\]:|requires approval, press 'y' to approve/;

/** Text typed after a legacy prompt, or undefined if the line is not a prompt. */
function promptText(line: string): string | undefined {
  const m = LEGACY_PROMPT.exec(line);
  return m ? line.slice(m[0].length).trim() : undefined;
}

const lastNonBlank = (lines: string[], before = lines.length) => lastIndex(lines, (l) => l.trim() !== '', before - 1);

/**
 * Index of the prompt line the user submitted the current turn from (a prompt line with text), or
 * -1 when it scrolled away. A bare `y`/`n`/`t` right after a permission question answers the question
 * and does not start a turn.
 */
function legacyTurnStart(lines: string[], end: number): number {
  return lastIndex(
    lines,
    (l, i) => {
      const text = promptText(l);
      if (!text) return false;
      const above = lastNonBlank(lines, i);
      return !(above >= 0 && LEGACY_PERMISSION.test(lines[above]!) && /^[ynt]$/i.test(text));
    },
    end - 1,
  );
}

function classifyLegacy(lines: string[]): ScreenStatus {
  const last = lastNonBlank(lines);
  if (last < 0) return 'processing';
  // A permission question is open while at most one prompt was drawn after it and that prompt (or
  // the question itself) is the bottom line: the CLI is waiting on it. Once answered, output follows.
  const perm = lastIndex(lines, (l) => LEGACY_PERMISSION.test(l));
  if (perm >= 0) {
    const rest = lines[perm]!.replace(LEGACY_PERMISSION, '');
    const prompts: number[] = LEGACY_PROMPT_ANYWHERE.test(rest) ? [perm] : [];
    for (let i = perm + 1; i < lines.length; i++) if (LEGACY_PROMPT.test(lines[i]!)) prompts.push(i);
    if ((prompts.length === 0 && perm === last) || (prompts.length === 1 && prompts[0] === last)) return 'waiting_user_answer';
  }
  const typed = promptText(lines[last]!);
  if (typed === undefined) return 'processing';
  // Text on the bottom prompt line: someone is typing there, or the turn was just submitted and the
  // agent has not printed anything yet. Either way it is not ready (the original's S1 bug read the
  // user's own `[agent] > question` line as the prompt after the previous answer).
  if (typed !== '') return 'processing';
  const turn = lines.slice(legacyTurnStart(lines, last) + 1, last);
  const answer = lastIndex(turn, (l) => LEGACY_ANSWER.test(l));
  const error = lastIndex(turn, (l) => TROUBLE.test(l));
  if (error > answer) return 'error';
  return answer >= 0 ? 'completed' : 'idle';
}

function extractLegacy(lines: string[]): string | undefined {
  const last = lastNonBlank(lines);
  if (last < 0 || promptText(lines[last]!) !== '') return undefined;
  const turn = lines.slice(legacyTurnStart(lines, last) + 1, last);
  const start = lastIndex(turn, (l) => LEGACY_ANSWER.test(l));
  // No answer, or the turn ended in an error after it: there is no answer to report.
  if (start < 0 || lastIndex(turn, (l) => TROUBLE.test(l)) > start) return undefined;
  const answer = trimBlankEdges([turn[start]!.replace(LEGACY_ANSWER, ''), ...turn.slice(start + 1)]);
  return answer.length > 0 ? answer.join('\n') : undefined;
}

// ---------------------------------------------------------------------------------------------
// Kiro's terminal UI
// ---------------------------------------------------------------------------------------------

/**
 * The composer's placeholder when idle: `ask a question, or describe a task ↵` (≤1.28),
 * `Ask a question or describe a task ↵` / `›  ask a question or describe a task ↵` (2.x), and the
 * newest lite layout's `> ask a question, or type / for commands`.
 */
const TUI_IDLE = /ask a question,? or (?:describe a task|type \/ for commands)/i;
/** The composer (or a status line) while the agent is busy or still starting. */
const TUI_BUSY =
  /Kiro is working|^\s*(?:[›>❯]\s*)?Thinking\.\.\.|Initializing(?:\.\.\.|\s*·\s*type to queue)|mcp servers initialized\.\s*ctrl-c to start chatting now|Editing queued message|bash is waiting for input · ctrl\+c to interrupt|running shell command · ctrl\+c to cancel/i;
/** The header line of the frame: `developer · auto · ◔ 4%   ~/project · (main)`. */
const TUI_HEADER = /^\s*[\w.@~/-]+ · \S+/;
/** The context gauge in that header: `· ◔ 4%`, or `· 4% ctx` in the newest lite layout. */
const TUI_CONTEXT_GAUGE = /·\s*[◔◑◕●○]\s*\d+%|·\s*\d+% ctx\b/;
/** Approval panels: full TUI, lite TUI, and the first TUI releases. (`\S`, not `\S+`: unanchored, that rescans every long run.) */
const TUI_APPROVAL =
  /\S requires approval\b|\S needs approval\b|^\s*❯?\s*Yes, single permission|\[y\] allow once|\bYes\s+No\s+Always [Aa]llow\b|esc to close · ↑↓ to navigate · ↵ to select/;
const TUI_TRUST_MODAL = /running in trust all tools mode/;
const TUI_MENU_CURSOR = /^\s*❯\s*(?:No, exit|Yes, I accept|Yes, and don't ask again)\s*$/;
/**
 * End of a turn: `▸ Credits: 0.24 • Time: 3s`, `▸ Credits: turn 0.12 • session 0.12 | Time: 3s`, or
 * the newest lite layout's turn summary `0.12 credits • 3s`.
 */
const TUI_CREDITS = /^\s*▸\s*Credits:|^\s*[\d.,]+ (?:credits?|tokens?|requests?)(?: · [\d.,]+ \w+)*(?: • [\dhms. ]+)?\s*$/;
const TUI_SEPARATOR = /^\s*[─━]{8,}\s*$/;
/** Frame and banner lines that are never part of a conversation. */
const TUI_CHROME =
  /^\s*(?:✨\s*)?What's new\b|Welcome to (?:the new )?Kiro CLI|^\s*Tip:|Trust All Tools active|ctrl\+g: agent monitor|^\s*✓ .* loaded in [\d.]+ ?m?s$|\btasks? remaining\b.*ctrl\+x|^\s*Loading…?$|Press Ctrl\+C or Ctrl\+D again to exit/i;
/** A failed turn: the lite UI's `error: …`, a `✗ …` line, or the service's apology. */
const TUI_ERROR = /^\s*(?:error: |✗ )|(?:Kiro|Amazon Q) is having trouble responding right now/;
/** The lite UI of Kiro 2.25 marks the agent's text with a bullet. */
const TUI_ANSWER_BULLET = /^• /;
/** The newest lite layout tags messages: `You: …` for the user, `<agent>: …` (default `Kiro`) for the agent. */
const TUI_USER_TAG = /^You: /;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The agent's role tag, named after the agent shown first in the header (`developer · auto · …`). */
function agentTag(lines: string[]): RegExp {
  const header = lastIndex(lines, (l) => TUI_HEADER.test(l) && TUI_CONTEXT_GAUGE.test(l));
  const name = header >= 0 ? lines[header]!.trim().split(' · ')[0]!.trim() : '';
  return new RegExp(`^(?:${name ? `${escapeRegExp(name)}|` : ''}Kiro): ?`);
}

const isFrameChrome = (l: string) => l.trim() === '' || TUI_SEPARATOR.test(l) || TUI_HEADER.test(l) || TUI_CHROME.test(l);
const isComposer = (l: string) => TUI_IDLE.test(l) || TUI_BUSY.test(l);

/** Is this Kiro's terminal UI? Decided from the bottom of the screen. */
function isTui(lines: string[]): boolean {
  const tail = lines.filter((l) => l.trim() !== '').slice(-15);
  return tail.some(
    (l) => TUI_IDLE.test(l) || TUI_BUSY.test(l) || TUI_CONTEXT_GAUGE.test(l) || TUI_APPROVAL.test(l) || TUI_TRUST_MODAL.test(l) || TUI_MENU_CURSOR.test(l),
  );
}

/**
 * The conversation lines of the last turn above the idle composer at `composer`: from the end of the
 * turn before (its credits line, or an older frame's composer left in scrollback) or the top, down to
 * the frame around the composer.
 */
function tuiTurn(lines: string[], composer: number): string[] {
  let end = composer;
  while (end > 0 && isFrameChrome(lines[end - 1]!)) end--;
  // The turn's own credits line closes it; an earlier one closes the turn before.
  const own = end > 0 && TUI_CREDITS.test(lines[end - 1]!) ? end - 1 : end;
  const start = Math.max(lastIndex(lines, isComposer, end - 1), lastIndex(lines, (l) => TUI_CREDITS.test(l), own - 1)) + 1;
  return lines.slice(start, end).filter((l) => !TUI_SEPARATOR.test(l) && !TUI_CHROME.test(l));
}

/**
 * The idle composer line of the current frame, or -1 when the agent is busy, still starting, or
 * text is typed in the composer (then the placeholder is gone; an older frame's placeholder may
 * still sit in scrollback, but the current frame's header is below it).
 */
function idleComposer(lines: string[]): number {
  const idle = lastIndex(lines, (l) => TUI_IDLE.test(l));
  const busy = lastIndex(lines, (l) => TUI_BUSY.test(l));
  if (idle < 0 || busy > idle) return -1;
  if (lastIndex(lines, (l) => TUI_HEADER.test(l) && TUI_CONTEXT_GAUGE.test(l)) > idle) return -1;
  return idle;
}

function classifyTui(lines: string[]): ScreenStatus {
  const from = Math.max(0, lines.length - 40);
  const composer = Math.max(
    lastIndex(lines, (l) => TUI_IDLE.test(l)),
    lastIndex(lines, (l) => TUI_BUSY.test(l)),
  );
  // The trust-all-tools consent menu and approval panels replace the composer while they wait.
  const modal = lastIndex(lines, (l) => TUI_TRUST_MODAL.test(l) || TUI_MENU_CURSOR.test(l), lines.length - 1, from);
  if (modal > composer) return 'waiting_user_answer';
  const approval = lastIndex(lines, (l) => TUI_APPROVAL.test(l), lines.length - 1, from);
  if (approval > composer) return 'waiting_user_answer';
  const idle = idleComposer(lines);
  if (idle < 0) return 'processing';
  const turn = trimBlankEdges(tuiTurn(lines, idle));
  const content = turn.filter((l) => !TUI_CREDITS.test(l));
  const lastContent = lastNonBlank(content);
  if (lastContent >= 0 && TUI_ERROR.test(content[lastContent]!)) return 'error';
  return turn.some((l) => l.trim() !== '') ? 'completed' : 'idle';
}

function extractTui(lines: string[]): string | undefined {
  const idle = idleComposer(lines);
  if (idle < 0) return undefined;
  let content = trimBlankEdges(tuiTurn(lines, idle).filter((l) => !TUI_CREDITS.test(l)));
  if (content.length > 0 && TUI_ERROR.test(content[content.length - 1]!)) return undefined;
  let answer: string[];
  const tag = agentTag(lines);
  const user = lastIndex(content, (l) => TUI_USER_TAG.test(l));
  if (user >= 0) content = content.slice(user + 1);
  const tagged = lastIndex(content, (l) => tag.test(l));
  const bullet = content.findIndex((l) => TUI_ANSWER_BULLET.test(l));
  if (tagged >= 0) {
    // Newest lite UI: the agent's last message, behind its role tag (a code block starts below it).
    answer = [content[tagged]!.replace(tag, ''), ...content.slice(tagged + 1)];
  } else if (bullet >= 0) {
    // Lite UI: the user's message, then the agent's text behind a bullet.
    answer = content.slice(bullet).map((l) => l.replace(TUI_ANSWER_BULLET, ''));
  } else if (user >= 0) {
    answer = [];
  } else {
    // Full UI: the user's message is the first paragraph, the agent's reply follows a blank line.
    const gap = content.findIndex((l) => l.trim() === '');
    if (gap < 0) return undefined;
    answer = dedent(content.slice(gap + 1));
  }
  answer = trimBlankEdges(answer);
  return answer.length > 0 ? answer.join('\n') : undefined;
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

const linesOf = (raw: string) => normalizeScreen(raw).split('\n');

/**
 * The agent cao configured was not found: Q/Kiro print "no agent with name X found. Falling back to
 * user specified default" (classic; Q CLI source), Kiro's newer harness "failed to set agent 'X'".
 * The CLI then runs its default agent without cao's prompt and MCP servers: report an error rather
 * than a ready agent. Only before the first turn: after that the line is history.
 */
const AGENT_MISSING = /no agent with name \S+ found|failed to set agent '/i;

function agentMissing(lines: string[], tui: boolean): boolean {
  if (!lines.some((l) => AGENT_MISSING.test(l))) return false;
  if (tui) return !lines.some((l) => TUI_CREDITS.test(l) || TUI_USER_TAG.test(l) || TUI_ANSWER_BULLET.test(l));
  const last = lastNonBlank(lines);
  return legacyTurnStart(lines, last + 1) < 0 && !lines.some((l) => LEGACY_ANSWER.test(l));
}

export function classifyKiroFamily(raw: string): ScreenStatus {
  const lines = linesOf(raw);
  const tui = isTui(lines);
  const status = tui ? classifyTui(lines) : classifyLegacy(lines);
  if ((status === 'idle' || status === 'completed') && agentMissing(lines, tui)) return 'error';
  return status;
}

export function extractKiroFamilyAnswer(raw: string): string | undefined {
  const lines = linesOf(raw);
  return isTui(lines) ? extractTui(lines) : extractLegacy(lines);
}

/**
 * Kiro's terminal UI asks before running with --trust-all-tools ("Kiro is running in trust all
 * tools mode" with `❯ No, exit` selected). One key per screen: Down onto "Yes, I accept", then
 * Enter. "Yes, and don't ask again" is never chosen: it would change the user's Kiro settings.
 */
export const TRUST_ALL_TOOLS_DIALOGS: StartupDialog[] = [
  { name: 'trust all tools: select "Yes, I accept"', pattern: /running in trust all tools mode[\s\S]*^\s*❯\s*No, exit\s*$/m, keys: ['Down'] },
  { name: 'trust all tools: accept for this session', pattern: /running in trust all tools mode[\s\S]*^\s*❯\s*Yes, I accept\s*$/m, keys: ['Enter'] },
];
