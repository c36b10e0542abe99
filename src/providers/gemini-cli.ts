/**
 * Gemini CLI (`gemini`, checked against 0.61.0). See docs/providers/gemini_cli.md.
 *
 * Launch: every terminal gets its own Gemini home (GEMINI_CLI_HOME=<terminalDir>/gemini-home) with
 * its own settings.json (MCP servers, auth type, update checks off) and its own global context file
 * (`.gemini/GEMINI.md` = the profile's system prompt, which Gemini appends to its built-in system
 * prompt). Nothing is written into the user's project or ~/.gemini. (The system-settings override
 * GEMINI_CLI_SYSTEM_SETTINGS_PATH is not usable: 0.61 skips a system settings file that is not
 * owned by root, parent directories included.)
 *
 * Screen (0.61): the transcript, then a status line (` ⠹ Thinking... (esc to cancel, 1s)` while
 * working, else `? for shortcuts`), a rule, the mode line, the input box (` >   Type your message`;
 * ` * ` in YOLO mode) and a footer (`workspace … sandbox … /model` / `<cwd> no sandbox Auto`).
 * The input box stays visible while Gemini works; it disappears while a question box
 * (`Allow execution of …`, `Action Required`) waits for an answer. In the transcript a prompt is
 * echoed as ` > prompt`, an answer starts with `✦ `, an API error with `✕ `, an interrupted turn
 * ends with `ℹ Request cancelled.`.
 */
import { join } from 'node:path';
import { instructionsOf } from '../profiles/schema.js';
import { isCaoMcpServer, mcpServersFor, type McpServerSpec } from './mcp-config.js';
import { normalizeScreen } from './screen.js';
import type { LaunchContext, LaunchSpec, Provider, ScreenStatus } from './types.js';

// ── screen grammar ───────────────────────────────────────────────────────────

/** An input-box line: ` >   Type your message…`, ` > typed text`, ` *   …` (YOLO), ` ! …` (shell mode). */
const INPUT_LINE = /^ ?[>*!] {1,3}\S/;
/** A prompt echoed in the transcript (always `>`, also in YOLO mode). */
const ECHO = /^ ?> \S/;
/** Continuation lines of an echoed (multi-line) prompt or of typed input. */
const ECHO_CONTINUATION = /^ {3}/;
const BORDER = /^[▀▄▔▁]+$/;
const RULE = /^[─━]{20,}$/;
const BUSY = /\(esc to cancel\b/;
const ANSWER = /^✦ /;
/** An answer's continuation lines are indented by two spaces (the width of `✦ `). */
const ANSWER_CONTINUATION = /^  \S|^ {3,}\S/;
const ERROR_LINE = /^✕ /;
const CANCELLED = /^ℹ Request cancelled\./;
const TOOL_BOX_TOP = /^ ?╭/;
const BOX_BOTTOM = /^ ?╰─+╯$/;
const BOX_TOP = /^ ?╭─+╮$/;
/** Lines that belong to the transcript or a dialog, never to the footer below the input box. */
const CONTENT_MARK = /^[✦✕ℹ╭│╰⚠]|^ [│╭╰]|\(esc to cancel|Allow execution of|Action Required/;
/** Inside a question box: a selected numbered option, or the question itself. */
const QUESTION = /^[│ ]*● \d+\. |Allow execution of|Action Required|Apply this change\?|Do you want to proceed\?|Do you trust the files in this folder\?|How would you like to authenticate/;
const WAITING_FOR_AUTH = /Waiting for auth/;
const FATAL = /^\s*(?:Error|FatalError|Fatal error)\b.*:/;

/** Normalised lines with trailing blank lines removed. */
const linesOf = (raw: string) => normalizeScreen(raw).split('\n');

/**
 * The input box's first line, judged from the bottom: below it only the footer (at most four
 * short lines without transcript marks), borders, and continuation lines of a multi-line input.
 */
function inputBoxIndex(lines: string[]): number {
  let footer = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (l.trim() === '' || BORDER.test(l)) continue;
    if (INPUT_LINE.test(l)) return i;
    if (CONTENT_MARK.test(l)) return -1;
    if (ECHO_CONTINUATION.test(l)) continue;
    if (++footer > 4) return -1;
  }
  return -1;
}

const isStatusLine = (l: string) => l.trim() === '' || /\? for shortcuts$/.test(l) || BUSY.test(l);

/** Where the transcript ends above the input box: before the status line and rule. */
function transcriptEnd(lines: string[], input: number): number {
  let i = input - 1;
  let seen = 0;
  while (i >= 0 && seen < 4) {
    const l = lines[i]!;
    if (RULE.test(l)) {
      // With NO_COLOR the input box's borders are rules too: rule, mode line, rule above the box.
      if (!isStatusLine(lines[i - 1] ?? '') && RULE.test(lines[i - 2] ?? '')) i -= 2;
      // The line above the rule is the status line (`? for shortcuts`, the spinner, or blank).
      return isStatusLine(lines[i - 1] ?? '') ? i - 1 : i;
    }
    if (l.trim() !== '' && !BORDER.test(l)) seen++;
    i--;
  }
  // Older layout (no rule): skip borders and one right-aligned mode line (`YOLO mode (…)`).
  i = input - 1;
  while (i >= 0 && (lines[i]!.trim() === '' || BORDER.test(lines[i]!))) i--;
  return i >= 0 && /^ {10,}\S|YOLO|accepting edits|shortcuts/.test(lines[i]!) ? i : i + 1;
}

/** The header Gemini prints once its configuration is loaded (0.61's small logo, older versions' big one). */
const BANNER = /Gemini CLI v\d|Tips for getting started|[█░▝▜▗▟]{3}/;
/** `  Queued (press ↑ to edit):` above the status line: submitted messages wait to be sent. */
const QUEUED = /^ {2}Queued \(press ↑ to edit\):$/;
/** Notices above a submitted prompt that Gemini has not taken yet (it is still starting). */
const NOT_TAKEN_YET = /^ℹ (?:Waiting for MCP servers to initialize\b|Initializing\.\.\. Prompts will be queued)/;
/** Lines that only exist once Gemini is up: its header, or history. */
const STARTED = [BANNER, ECHO, ANSWER, ERROR_LINE, CANCELLED, TOOL_BOX_TOP, ANSWER_CONTINUATION];

interface Turn {
  lines: string[];
  /** The turn's prompt is on screen. */
  echoed: boolean;
  /** No prompt and no banner visible: the turn began above the screen's top. */
  headless: boolean;
}

/** The current turn: the transcript lines after the last echoed prompt (all of them if none is visible). */
function currentTurn(transcript: string[]): Turn {
  for (let i = transcript.length - 1; i >= 0; i--) {
    if (ECHO.test(transcript[i]!)) {
      let start = i + 1;
      while (start < transcript.length && (ECHO_CONTINUATION.test(transcript[start]!) || transcript[start]!.trim() === '' || BORDER.test(transcript[start]!))) start++;
      return { lines: transcript.slice(start), echoed: true, headless: false };
    }
  }
  return { lines: transcript, echoed: false, headless: !transcript.some((l) => BANNER.test(l)) };
}

type Outcome = 'answer' | 'error' | 'cancelled' | 'submitted' | 'none';

/** How the turn ended: its last answer, error or cancellation mark. */
function outcome(turn: Turn): Outcome {
  const { lines } = turn;
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (ANSWER.test(l)) return 'answer';
    if (ERROR_LINE.test(l)) return 'error';
    if (CANCELLED.test(l)) return 'cancelled';
  }
  const last = lines.filter((l) => l.trim() !== '' && !BORDER.test(l)).at(-1);
  // The prompt was just submitted: nothing below its echo yet (the spinner follows).
  if (last === undefined) return turn.echoed ? 'submitted' : 'none';
  // Only the end of a long answer is visible (its `✦` line scrolled away with the prompt).
  return turn.headless && ANSWER_CONTINUATION.test(last) ? 'answer' : 'none';
}

/** The box that ends the screen (a question box), as its lines, or undefined. */
function bottomBox(lines: string[]): string[] | undefined {
  let end = lines.length - 1;
  while (end >= 0 && lines[end]!.trim() === '') end--;
  if (end < 0 || !BOX_BOTTOM.test(lines[end]!)) return undefined;
  // Boxes nest (the command preview inside a permission box): find the outermost top.
  const width = lines[end]!.trim().length;
  for (let i = end - 1; i >= 0; i--) if (BOX_TOP.test(lines[i]!) && lines[i]!.trim().length === width) return lines.slice(i, end + 1);
  return undefined;
}

const PLACEHOLDER = /Type your message/;

/** The input box's text: '' for its placeholder, undefined when no input box is at the bottom. */
export function geminiTypedInput(raw: string): string | undefined {
  const lines = linesOf(raw);
  const input = inputBoxIndex(lines);
  if (input === -1) return undefined;
  if (PLACEHOLDER.test(lines[input]!)) return '';
  const box = [lines[input]!.replace(/^ ?[>*!] {1,3}/, '')];
  for (let i = input + 1; i < lines.length && ECHO_CONTINUATION.test(lines[i]!); i++) box.push(lines[i]!.trim());
  return box.join('\n').trim();
}

export function classifyGemini(raw: string): ScreenStatus {
  const lines = linesOf(raw);
  const input = inputBoxIndex(lines);
  if (input === -1) {
    const box = bottomBox(lines);
    if (box?.some((l) => QUESTION.test(l))) return 'waiting_user_answer';
    const tail = lines.filter((l) => l.trim() !== '').slice(-3);
    if (tail.some((l) => WAITING_FOR_AUTH.test(l))) return 'waiting_user_answer';
    if (tail.some((l) => FATAL.test(l))) return 'error';
    // Starting up, or a screen we do not know: not ready.
    return 'processing';
  }
  const end = transcriptEnd(lines, input);
  // The status line sits between the transcript and the input box; the spinner is only ever there.
  if (lines.slice(Math.max(0, end), input).some((l) => BUSY.test(l))) return 'processing';
  // Text in the input box that was not submitted: cao's own paste waiting for its Enter, or
  // someone typing. Not a new turn, and an older answer above must not complete one: idle.
  if (!PLACEHOLDER.test(lines[input]!)) return 'idle';
  // Messages submitted while Gemini was not ready wait in its queue, drawn above the status line.
  if (lines.slice(0, input).some((l) => QUEUED.test(l))) return 'processing';
  // A message sent while Gemini initialises or its MCP servers start waits behind one of these
  // notices (Gemini takes it from the queue a moment later): the last line above the status line,
  // so nothing ran yet.
  if (NOT_TAKEN_YET.test(lines.slice(0, Math.max(0, end)).filter((l) => l.trim() !== '').at(-1) ?? '')) return 'processing';
  // Until its configuration is loaded Gemini draws no header and no history above the input box:
  // not ready yet (input typed now is queued, and an Enter can be lost while it is busy).
  const transcript = lines.slice(0, Math.max(0, end));
  if (!transcript.some((l) => STARTED.some((r) => r.test(l)))) return 'processing';
  switch (outcome(currentTurn(transcript))) {
    case 'answer':
      return 'completed';
    case 'error':
      return 'error';
    case 'submitted':
      return 'processing';
    default:
      return 'idle';
  }
}

/** The last turn's final answer: its `✦` blocks after the last tool box, without the 2-space indent. */
export function extractGeminiAnswer(raw: string): string | undefined {
  const lines = linesOf(raw);
  const input = inputBoxIndex(lines);
  const transcript = input === -1 ? lines : lines.slice(0, Math.max(0, transcriptEnd(lines, input)));
  const turn = currentTurn(transcript);
  if (outcome(turn) !== 'answer') return undefined;
  let blocks: string[][] = [];
  // A headless turn may start inside an answer whose `✦` line scrolled away.
  let current: string[] | null = turn.headless ? [] : null;
  if (current) blocks.push(current);
  for (const l of turn.lines) {
    if (ANSWER.test(l)) blocks.push((current = [l.slice(2)]));
    else if (current && (l.trim() === '' || l.startsWith('  '))) current.push(l.slice(2));
    else {
      current = null;
      // A tool box after an answer: what came before was a progress note, not the answer.
      if (TOOL_BOX_TOP.test(l)) blocks = [];
    }
  }
  blocks = blocks.filter((b) => b.some((l) => l.trim() !== ''));
  if (blocks.length === 0) return undefined;
  return blocks.map((b) => b.join('\n').replace(/^\n+/, '').trimEnd()).join('\n');
}

// ── launch ───────────────────────────────────────────────────────────────────

/** Gemini's MCPServerConfig keys (its settings schema rejects unknown ones). */
const GEMINI_MCP_KEYS = ['command', 'args', 'env', 'cwd', 'url', 'httpUrl', 'headers', 'tcp', 'timeout', 'description', 'includeTools', 'excludeTools', 'oauth', 'authProviderType'];

export function geminiMcpServer(s: McpServerSpec, trust: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of GEMINI_MCP_KEYS) if (s[k] !== undefined) out[k] = s[k];
  const type = typeof s.type === 'string' ? s.type.toLowerCase() : undefined;
  if (type === 'stdio' || type === 'local') out.type = 'stdio';
  else if (type === 'sse') out.type = 'sse';
  else if (type === 'http' || type === 'streamable-http' || type === 'streamablehttp') out.type = 'http';
  out.trust = trust;
  return out;
}

/**
 * Gemini expands `@path` imports in context files (`@` after whitespace or at the start, followed
 * by `.`, `/` or a letter) and replaces the ones it refuses with an HTML comment. A word joiner
 * (U+2060) before such an `@` keeps the prompt's text; code spans are left as they are (Gemini
 * does not import inside them).
 */
export function protectImports(text: string): string {
  const out: string[] = [];
  let last = 0;
  for (const m of text.matchAll(/(`+)[\s\S]*?\1/g)) {
    out.push(text.slice(last, m.index).replace(/(^|[ \t\r\n])@(?=[./A-Za-z])/g, '$1\u2060@'), m[0]);
    last = m.index + m[0].length;
  }
  out.push(text.slice(last).replace(/(^|[ \t\r\n])@(?=[./A-Za-z])/g, '$1\u2060@'));
  return out.join('');
}

/** cao's own MCP server, as mcpServersFor points it at this installation. */

/** Which authentication the agent's environment selects (Gemini's own order of precedence). */
function authType(env: Record<string, string>): string {
  if (env.GOOGLE_GENAI_USE_GCA === 'true') return 'oauth-personal';
  if (env.GOOGLE_GENAI_USE_VERTEXAI === 'true') return 'vertex-ai';
  if (env.GEMINI_API_KEY) return 'gemini-api-key';
  if (env.GOOGLE_GEMINI_BASE_URL) return 'gateway';
  if (env.CLOUD_SHELL === 'true' || env.GEMINI_CLI_USE_COMPUTE_ADC === 'true') return 'compute-default-credentials';
  // No key in the environment: the user signs in with Google (credentials in ~/.gemini).
  return 'oauth-personal';
}

function launchGemini(ctx: LaunchContext): LaunchSpec {
  const { profile } = ctx;
  const home = join(ctx.terminalDir, 'gemini-home');
  const geminiDir = join(home, '.gemini');
  const auth = authType(ctx.env);
  const servers = mcpServersFor(profile, ctx.terminalId, ctx.caoEnv);
  const settings: Record<string, unknown> = {
    security: { auth: { selectedType: auth } },
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    ide: { hasSeenNudge: true },
  };
  if (Object.keys(servers).length > 0) {
    // Trusted servers run their tools without a question: with yolo all of them, otherwise only
    // cao's own (handoff, assign, send_message), as in the original cao.
    settings.mcpServers = Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, geminiMcpServer(s, ctx.yolo || isCaoMcpServer(s))]));
  }
  const files = [{ path: join(geminiDir, 'settings.json'), content: `${JSON.stringify(settings, null, 2)}\n` }];
  const instructions = instructionsOf(profile);
  if (instructions !== '') files.push({ path: join(geminiDir, 'GEMINI.md'), content: `${protectImports(instructions)}\n` });

  const env: Record<string, string> = {
    GEMINI_CLI_HOME: home,
    // Without it Gemini re-launches itself as a child process and the parent ignores SIGHUP: closing
    // the tmux window would leave both running.
    GEMINI_CLI_NO_RELAUNCH: 'true',
  };
  // A Google sign-in lives in the user's ~/.gemini/oauth_creds.json; Gemini also reads cached
  // credentials from GOOGLE_APPLICATION_CREDENTIALS, which lets the per-terminal home use them.
  if (auth === 'oauth-personal' && !ctx.env.GOOGLE_APPLICATION_CREDENTIALS && ctx.env.HOME) {
    env.GOOGLE_APPLICATION_CREDENTIALS = join(ctx.env.HOME, '.gemini', 'oauth_creds.json');
  }

  const argv = ['gemini', '--skip-trust'];
  if (profile.model) argv.push('--model', profile.model);
  if (ctx.yolo) argv.push('--approval-mode', 'yolo');
  // CI=true or GITHUB_ACTIONS=true makes Gemini headless: it would print nothing and exit, so a
  // cao-server started from a CI job could never run a Gemini agent.
  return { argv, env, files, unsetEnv: ['CI', 'GITHUB_ACTIONS'] };
}

export const geminiCliProvider: Provider = {
  id: 'gemini_cli',
  displayName: 'Gemini CLI',
  binary: 'gemini',
  supported: true,
  launch: launchGemini,
  // --skip-trust avoids the folder-trust dialog (answering it would make Gemini restart itself);
  // the auth dialog is the user's choice and shows as waiting_user_answer.
  startupDialogs: [],
  classify: classifyGemini,
  extractLastMessage: extractGeminiAnswer,
  // Gemini drops an Enter that arrives together with the paste.
  input: { bracketed: true, submitKeys: ['Enter'], awaitEcho: true },
  typedInput: geminiTypedInput,
  exit: { text: '/quit' },
  interruptKeys: ['Escape'],
};
