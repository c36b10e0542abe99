/**
 * Claude Code (`claude`), checked against 2.1.197.
 *
 * Launch: every terminal gets its own Claude config folder, `CLAUDE_CONFIG_DIR=<terminalDir>/claude`,
 * with a `.claude.json` saying what a person would otherwise click through (onboarding done, the
 * working directory trusted, the API key in the environment approved by its last 20 characters,
 * bypass mode accepted under --yolo) and a `settings.json` copied from the user's own. The user's
 * `~/.claude.json` and `~/.claude/` are read, never written. Credentials stay where they are:
 * `CLAUDE_SECURESTORAGE_CONFIG_DIR` points Claude's credential store (`.credentials.json`, or the
 * macOS keychain entry) at the user's own config folder, so a subscription login works and its
 * token refreshes land where the user's own `claude` reads them.
 *
 * Screen (`capture-pane -p -J`, bottom up):
 *
 *     ❯ Say hello                                   ← a prompt in the transcript
 *     ● Hello from the model.                       ← an answer block (continuation lines indented 2)
 *     ● Bash(touch x)                               ← a tool call, its output after ⎿
 *       ⎿  Done
 *     ✻ Worked for 5s                               ← the end of a turn
 *     ────────────────────────────                  ← the input box…
 *     ❯                                             ← …holding what is typed (a restored prompt after Esc)
 *     ────────────────────────────
 *       ? for shortcuts · ← for agents              ← footer: `esc to interrupt` while it works
 *
 * A question (permission, trust, API key) replaces the input box with a dialog whose options are
 * `❯ 1. Yes` / `  2. …`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { instructionsOf } from '../profiles/schema.js';
import { claudeMcpConfig, mcpServersFor } from './mcp-config.js';
import { normalizeScreen } from './screen.js';
import type { LaunchContext, LaunchSpec, Provider, ScreenStatus } from './types.js';

// ── screen grammar ──────────────────────────────────────────────────────────

const BORDER = /^─{10,}/;
/** The first line inside the input box. */
const BOX_PROMPT = /^[❯>](?:[\s\u00a0]|$)/;
/** A prompt in the transcript (column 0; answers and tool output are indented or start with ●). */
const TRANSCRIPT_PROMPT = /^[❯>] \S/;
const BUSY = /\besc to interrupt\b/;
/** The highlighted option of a dialog. */
const CHOICE = /^\s*❯\s*\d+\.\s/;
const DIALOG_HINT = /Enter to confirm|Esc to cancel|Do you want to (?:proceed|make this edit|create)|Would you like to/;
const BLOCK = /^[●⏺] /;
const UNREACHABLE = /^\s*Unable to connect to Anthropic services$/;
/**
 * `● Bash(ls)`, `● MCP Wait For Servers(…)`, `● cao-mcp-server - handoff (MCP)(…)`, `● Read 2 files (ctrl+o to
 * expand)`: a tool call, not an answer. A finished group of calls may lose its bullet (`  Called x (ctrl+o to expand)`).
 */
const TOOL_NAME = String.raw`[A-Za-z][\w.-]*(?: [A-Z][\w.-]*)*(?: - [\w.-]+ \(MCP\))?\(`;
const TOOL_CALL = new RegExp(String.raw`^[●⏺] (?:${TOOL_NAME}|.*\(ctrl\+o to expand\)$|Calling \S+…$)`);
const COLLAPSED_CALL = /^ {2}\S.*\(ctrl\+o to expand\)$/;
/** 2.1.332 drops the hint: `  Called cao-mcp-server` as a paragraph of its own. */
const CALLED = /^ {2}(?:Called|Calling) \S+?…?$/;
/** A running call's bullet blinks: `  Bash(sleep 8)` over `  ⎿  Running…`. */
const BARE_CALL = new RegExp(String.raw`^ {2}${TOOL_NAME}`);
const TOOL_OUTPUT = /^\s+⎿/;
const INTERRUPTED = /^\s*⎿\s+Interrupted\b/;
/** Claude's error lines, shown as an answer block (`● API Error: 400 …`) or under the prompt (`⎿  Not logged in · …`). */
const ERROR_TEXT =
  /^(?:API Error\b|Prompt is too long|Credit balance is too low|Not logged in · |Invalid API key · |OAuth token revoked|Authentication error · |Your (?:ANTHROPIC_API_KEY belongs to a disabled organization|organization has disabled)|Repeated 529 Overloaded errors|Request timed out|.*usage limit reached)/;

interface Layout {
  /** Lines above the input box (or above the dialog). */
  transcript: string[];
  /** The input box's text, '' when empty; undefined when no input box is at the bottom. */
  typed?: string;
  /** Lines below the input box, or the dialog's lines. */
  below: string[];
}

/** Split a normalised screen into transcript, input box and footer (or dialog). */
function layout(lines: string[]): Layout {
  let end = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (BORDER.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  if (end === -1) return { transcript: lines, below: [] };
  let start = -1;
  for (let i = end - 1; i >= 0; i--) {
    if (BORDER.test(lines[i]!)) {
      start = i;
      break;
    }
  }
  const below = lines.slice(end + 1);
  if (start !== -1 && BOX_PROMPT.test(lines[start + 1] ?? '') && !below.some((l) => CHOICE.test(l))) {
    const box = lines.slice(start + 1, end);
    const typed = [box[0]!.replace(/^[❯>][\s\u00a0]?/, ''), ...box.slice(1)].join('\n').trim();
    return { transcript: lines.slice(0, start), typed, below };
  }
  return { transcript: lines.slice(0, end), below };
}

/** The lines of the last turn: after the last prompt in the transcript (all of it if none is visible). */
function lastTurn(transcript: string[]): string[] {
  for (let i = transcript.length - 1; i >= 0; i--) if (TRANSCRIPT_PROMPT.test(transcript[i]!)) return transcript.slice(i + 1);
  return transcript;
}

interface Block {
  lines: string[];
  tool: boolean;
}

/** The ● blocks of a turn, each with its indented continuation lines. */
function blocks(turn: string[]): Block[] {
  const out: Block[] = [];
  let current: Block | null = null;
  for (const [i, l] of turn.entries()) {
    if (BLOCK.test(l)) out.push((current = { lines: [l.slice(2)], tool: TOOL_CALL.test(l) }));
    else if (
      COLLAPSED_CALL.test(l) ||
      (CALLED.test(l) && (turn[i - 1] ?? '') === '' && (turn[i + 1] ?? '') === '') ||
      (BARE_CALL.test(l) && TOOL_OUTPUT.test(turn[i + 1] ?? ''))
    ) {
      out.push((current = { lines: [l.trim()], tool: true }));
    }
    else if (current && (l === '' || l.startsWith('  '))) current.lines.push(l.slice(2));
    else current = null;
  }
  for (const b of out) while (b.lines.length > 0 && b.lines[b.lines.length - 1]!.trim() === '') b.lines.pop();
  return out;
}

/** An error Claude printed under the prompt instead of an answer (`⎿  Not logged in · Please run /login`). */
function errorUnderPrompt(turn: string[]): string | undefined {
  for (const l of turn) {
    const m = /^\s*⎿\s+(.*)$/.exec(l);
    if (m && ERROR_TEXT.test(m[1]!)) return m[1];
  }
  return undefined;
}

export function classifyClaude(raw: string): ScreenStatus {
  const lines = normalizeScreen(raw).split('\n');
  const { transcript, typed, below } = layout(lines);
  if (typed === undefined) {
    // No input box at the bottom: a dialog asks something, or the screen is still being drawn.
    const tail = below.length > 0 ? below : lines.slice(-20);
    if (tail.some((l) => CHOICE.test(l)) && tail.some((l) => DIALOG_HINT.test(l))) return 'waiting_user_answer';
    // The first-run screen when Anthropic's servers cannot be reached (onboarding not done): it stays so.
    if (lines.some((l) => UNREACHABLE.test(l))) return 'error';
    return 'processing';
  }
  if (below.some((l) => BUSY.test(l))) return 'processing';
  // Text waiting in the box: typed but not sent, or a prompt Esc put back after an interrupt.
  if (typed !== '') return 'idle';
  const turn = lastTurn(transcript);
  if (turn.some((l) => INTERRUPTED.test(l))) return 'idle';
  const answers = blocks(turn).filter((b) => !b.tool);
  if (answers.length === 0) return errorUnderPrompt(turn) !== undefined ? 'error' : 'idle';
  return ERROR_TEXT.test(answers[answers.length - 1]!.lines[0]!) ? 'error' : 'completed';
}

/** The input box's text ('' when empty), undefined when a dialog or nothing covers the bottom. */
export function claudeTypedInput(raw: string): string | undefined {
  return layout(normalizeScreen(raw).split('\n')).typed;
}

export function extractClaudeAnswer(raw: string): string | undefined {
  const lines = normalizeScreen(raw).split('\n');
  const turn = lastTurn(layout(lines).transcript);
  const all = blocks(turn);
  const lastTool = all.map((b) => b.tool).lastIndexOf(true);
  let answer = all.slice(lastTool + 1);
  if (answer.length === 0) answer = all.filter((b) => !b.tool).slice(-1);
  if (answer.length === 0) return errorUnderPrompt(turn);
  return answer.map((b) => b.lines.join('\n')).join('\n\n');
}

// ── launch ──────────────────────────────────────────────────────────────────

/** System prompts longer than this go through a file: tmux refuses commands over 16 KiB (argv and environment together). */
const INLINE_PROMPT_MAX = 4096;

const readJson = (path: string): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** What the launch reads from the user's own Claude setup (their files are never written). */
export interface ClaudeUserConfig {
  /** `~/.claude/settings.json` (or `$CLAUDE_CONFIG_DIR/settings.json`), if it is a JSON object. */
  settings?: Record<string, unknown>;
  /** `~/.claude.json` (or `$CLAUDE_CONFIG_DIR/.claude.json`), if it is a JSON object. */
  global?: Record<string, unknown>;
}

/** Where the user's own Claude keeps its config (`CLAUDE_CONFIG_DIR` if they set one). */
export function userClaudeDirs(env: Record<string, string>): { configDir: string; globalFile: string } {
  const custom = env.CLAUDE_CONFIG_DIR;
  const home = env.HOME || homedir();
  return custom ? { configDir: custom, globalFile: join(custom, '.claude.json') } : { configDir: join(home, '.claude'), globalFile: join(home, '.claude.json') };
}

export function readUserClaudeConfig(env: Record<string, string>): ClaudeUserConfig {
  const { configDir, globalFile } = userClaudeDirs(env);
  return { settings: readJson(join(configDir, 'settings.json')), global: readJson(globalFile) };
}

/** Profile `allowedTools` that mean something to Claude: its own rules, and `@server` / `@server/tool` for MCP servers. */
export function claudeAllowedTools(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const t of list) {
    if (typeof t !== 'string') continue;
    const mcp = /^@([\w.-]+)(?:\/([\w.-]+))?$/.exec(t);
    if (mcp) out.push(mcp[2] ? `mcp__${mcp[1]}__${mcp[2]}` : `mcp__${mcp[1]}`);
    else if (/^(?:mcp__[\w.-]+|[A-Z][A-Za-z]+(?:\(.*\))?)$/.test(t)) out.push(t);
  }
  return out;
}

/** `permissions.defaultMode` of the user's settings, if they chose one. */
function userPermissionMode(settings: Record<string, unknown> | undefined): string | undefined {
  const permissions = settings?.permissions;
  if (typeof permissions !== 'object' || permissions === null) return undefined;
  const mode = (permissions as Record<string, unknown>).defaultMode;
  return typeof mode === 'string' && mode !== '' ? mode : undefined;
}

export interface ClaudeLaunchOptions {
  /** Whether the agent runs as root (then --dangerously-skip-permissions needs IS_SANDBOX=1). */
  root: boolean;
  user: ClaudeUserConfig;
}

export function launchClaude(ctx: LaunchContext, o: ClaudeLaunchOptions): LaunchSpec {
  const { profile } = ctx;
  const configDir = join(ctx.terminalDir, 'claude');
  const files: LaunchSpec['files'] = [];
  const argv = ['claude'];

  const key = ctx.env.ANTHROPIC_API_KEY;
  const state: Record<string, unknown> = {
    hasCompletedOnboarding: true,
    numStartups: 1,
    // Keep what describes the user's login and look; nothing else of their global state.
    ...Object.fromEntries(['oauthAccount', 'userID', 'theme'].filter((k) => o.user.global?.[k] !== undefined).map((k) => [k, o.user.global![k]])),
    customApiKeyResponses: { approved: key ? [key.slice(-20)] : [], rejected: [] },
    projects: { [ctx.workingDirectory]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] } },
    ...(ctx.yolo ? { bypassPermissionsModeAccepted: true } : {}),
  };
  files.push({ path: join(configDir, '.claude.json'), content: `${JSON.stringify(state, null, 2)}\n` });
  const settings = {
    ...o.user.settings,
    // Conveniences for a person that would put text on the screen cao reads: a suggested next prompt
    // in the input box, a recap after 5 minutes away.
    promptSuggestionEnabled: false,
    awaySummaryEnabled: false,
    ...(ctx.yolo ? { skipDangerousModePermissionPrompt: true } : {}),
  };
  files.push({ path: join(configDir, 'settings.json'), content: `${JSON.stringify(settings, null, 2)}\n` });

  // Only the profile's MCP servers: none from the user's or the project's config (a project
  // .mcp.json would also stop the start with an approval dialog).
  argv.push('--strict-mcp-config');
  const servers = mcpServersFor(profile, ctx.terminalId, ctx.caoEnv);
  if (Object.keys(servers).length > 0) {
    const mcpFile = join(ctx.terminalDir, 'mcp.json');
    files.push({ path: mcpFile, content: claudeMcpConfig(servers) });
    argv.push('--mcp-config', mcpFile);
  }
  if (profile.model) argv.push('--model', profile.model);
  const allowed = claudeAllowedTools(profile.frontmatter.allowedTools);
  if (allowed.length > 0) argv.push(`--allowedTools=${allowed.join(',')}`);
  // The profile body, or its `prompt` field when the body is empty (as the original cao's profiles may have it).
  const systemPrompt = instructionsOf(profile);
  if (systemPrompt) {
    if (Buffer.byteLength(systemPrompt) <= INLINE_PROMPT_MAX) {
      // `--flag=value`: a prompt starting with "-" stays a value.
      argv.push(`--append-system-prompt=${systemPrompt}`);
    } else {
      const promptFile = join(ctx.terminalDir, 'system-prompt.md');
      files.push({ path: promptFile, content: systemPrompt });
      argv.push('--append-system-prompt-file', promptFile);
    }
  }
  if (ctx.yolo) argv.push('--dangerously-skip-permissions');
  // Without --yolo, questions must reach cao: newer Claude versions start in "auto mode", which runs
  // what a classifier deems safe and blocks the rest without asking. A mode the user chose stays.
  else if (!userPermissionMode(o.user.settings)) argv.push('--permission-mode', 'default');

  const env: Record<string, string> = {
    CLAUDE_CONFIG_DIR: configDir,
    // The credential store stays the user's: '' means ~/.claude and the default keychain entry.
    CLAUDE_SECURESTORAGE_CONFIG_DIR: ctx.env.CLAUDE_CONFIG_DIR ?? '',
    // Updating the CLI is the user's business, not a side effect of an orchestrated run.
    DISABLE_AUTOUPDATER: '1',
  };
  // Claude refuses --dangerously-skip-permissions as root unless told it runs in a sandbox; --yolo is that consent.
  if (ctx.yolo && o.root) env.IS_SANDBOX = '1';
  return { argv, env, files };
}

export const claudeCodeProvider: Provider = {
  id: 'claude_code',
  displayName: 'Claude Code',
  binary: 'claude',
  supported: true,
  launch: (ctx) => launchClaude(ctx, { root: process.getuid?.() === 0, user: readUserClaudeConfig(ctx.env) }),
  // Seeded config makes these rare (another Claude version, a changed config key); number keys pick and confirm.
  startupDialogs: [
    { name: 'trust folder', pattern: /❯ 1\. Yes, I trust this folder/, keys: ['1'] },
    { name: 'use the API key from the environment', pattern: /Do you want to use this API key\?[\s\S]*1\. Yes/, keys: ['1'] },
    { name: 'accept bypass permissions mode', pattern: /Bypass Permissions mode[\s\S]*2\. Yes, I accept/, keys: ['2'] },
  ],
  classify: classifyClaude,
  extractLastMessage: extractClaudeAnswer,
  // Claude drops an Enter that arrives in the same read as the paste: submit once the paste is drawn.
  input: { bracketed: true, submitKeys: ['Enter'], awaitEcho: true },
  // In its first second Claude reads keys as "early input" and turns Enter into a newline.
  typedInput: claudeTypedInput,
  exit: { text: '/exit' },
  interruptKeys: ['Escape'],
};
