/**
 * GitHub Copilot CLI (`copilot`, checked against 1.0.102). See docs/providers/copilot_cli.md.
 *
 * Launch: Copilot keeps the user's sign-in in its own home (~/.copilot, or COPILOT_HOME) and the
 * system credential store, so cao leaves the home alone and passes everything per terminal on the
 * command line: the profile's MCP servers as `--additional-mcp-config @<terminalDir>/copilot-mcp.json`
 * (added to the user's own servers for this session only), the system prompt as a custom agent
 * (`<terminalDir>/copilot-agent/.github/agents/<name>.agent.md`, loaded with `--add-dir` and chosen
 * with `--agent`), the model with `--model`. The folder-trust question is answered "Yes" for this
 * session only (nothing is remembered).
 *
 * Screen (1.0.102, an alternate-screen TUI): the transcript, the working directory, the input box
 * (`────` / `❯ …` / `────`) and a footer (`◎ Working …` while busy). A question replaces the input
 * box with a box (`Do you want to run this command?`, `Do you want to use this tool?`). In the
 * transcript a prompt is echoed as ` ❯ prompt   HH:MM`; blocks start at column 1 with a glyph:
 * ` ● ` answers, notes and finished tools, ` ✗ ` errors and failed tools, ` $ ` shell commands,
 * ` ○ ` pending tools; continuation lines are indented by three spaces. A scroll bar (`┃`) may
 * occupy the last column.
 */
import { join } from 'node:path';
import { instructionsOf } from '../profiles/schema.js';
import { isCaoMcpServer, mcpServersFor, type McpServerSpec } from './mcp-config.js';
import { normalizeScreen } from './screen.js';
import type { LaunchContext, LaunchSpec, Provider, ScreenStatus } from './types.js';

// ── screen grammar ───────────────────────────────────────────────────────────

const RULE = /^─{20,}$/;
const INPUT_LINE = /^❯(?: |$)/;
const ECHO = /^ ❯ \S/;
/** A block's first line: one space, a glyph, a space. */
const BLOCK = /^ ([^\s]) (.*)$/;
/**
 * A footer led by a spinner glyph is a status: `◎ Working …`, `● Cancelling`, `● Loading: 1 agent, 2
 * skills` (the idle footers are `← open sidebar · …`, `Interactive · …`, `ctrl+c again to exit`).
 */
const BUSY_FOOTER = /^\s*[○◎◉●◐◑◒◓⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\s+\S|^\s*(?:Working|Thinking|Compacting|Cancelling|Loading)\b/;
const BOX_BOTTOM = /^╰─+╯$/;
const BOX_TOP = /^╭─+╮$/;
const QUESTION = /Do you want to|Do you trust|enter to select|\[y\/n\]/i;
const CANCELLED = /^Operation cancelled by user\b/;
const BANNER = /Copilot v\d|^ \[Current\]/;
/** The working-directory line above the input box. */
const CWD_LINE = /^ (?:~|\/|[A-Za-z]:\\)\S*/;
/** A finished tool shown with `●`: an MCP tool, or any block with `└` result lines. */
const MCP_TOOL = / \(MCP: [^)]*\)/;
const DETAIL = /^\s+└ /;
const PENDING = new Set(['○', '◎', '◉', '◐', '◑', '◒', '◓']);

/** Normalised lines without the scroll bar in the last column. */
const linesOf = (raw: string) => normalizeScreen(raw).split('\n').map(withoutScrollBar);

function withoutScrollBar(l: string): string {
  const bar = l.at(-1);
  if ((bar !== '┃' && bar !== '█') || !/\s/.test(l.at(-2) ?? '')) return l;
  return l.slice(0, -1).trimEnd();
}

interface Layout {
  /** Index of the input box's top rule, or -1 when there is no input box. */
  inputTop: number;
  /** Index of the input box's bottom rule (-1 with inputTop). */
  inputEnd: number;
  /** The footer below the input box. */
  footer: string[];
}

/** The input box from the bottom: footer, rule, `❯ …` (possibly several lines), rule. */
function layout(lines: string[]): Layout {
  let bottom = lines.length - 1;
  while (bottom >= 0 && lines[bottom]!.trim() === '') bottom--;
  let rule = -1;
  for (let i = bottom, seen = 0; i >= 0 && seen < 3; i--) {
    if (RULE.test(lines[i]!)) {
      rule = i;
      break;
    }
    if (lines[i]!.trim() !== '') seen++;
  }
  const none = { inputTop: -1, inputEnd: -1, footer: [] };
  if (rule === -1) return none;
  for (let i = rule - 1; i >= Math.max(0, rule - 60); i--) {
    if (RULE.test(lines[i]!)) return INPUT_LINE.test(lines[i + 1] ?? '') ? { inputTop: i, inputEnd: rule, footer: lines.slice(rule + 1, bottom + 1) } : none;
  }
  return none;
}

/** The box that ends the given lines, or undefined. */
function bottomBox(lines: string[]): string[] | undefined {
  let end = lines.length - 1;
  while (end >= 0 && lines[end]!.trim() === '') end--;
  if (end < 0 || !BOX_BOTTOM.test(lines[end]!)) return undefined;
  const width = lines[end]!.length;
  for (let i = end - 1; i >= 0; i--) if (BOX_TOP.test(lines[i]!) && lines[i]!.length === width) return lines.slice(i, end + 1);
  return undefined;
}

/** Transcript lines above the input box, without the working-directory line. */
function transcriptOf(lines: string[], inputTop: number): string[] {
  let end = inputTop;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  if (end > 0 && CWD_LINE.test(lines[end - 1]!)) end--;
  return lines.slice(0, end);
}

interface Block {
  glyph: string;
  first: string;
  rest: string[];
}

interface Turn {
  blocks: Block[];
  /** The turn's prompt is on screen. */
  echoed: boolean;
}

/** The blocks of the current turn (after the last echoed prompt), or undefined when no turn is visible. */
function turnBlocks(transcript: string[]): Turn | undefined {
  let start = -1;
  for (let i = transcript.length - 1; i >= 0; i--) {
    if (ECHO.test(transcript[i]!)) {
      start = i + 1;
      break;
    }
  }
  // No echo visible: either nothing was asked yet (the banner is still on screen), or the turn's
  // beginning scrolled away and what is visible all belongs to it.
  if (start === -1) {
    if (transcript.some((l) => BANNER.test(l))) return undefined;
    start = 0;
  }
  const blocks: Block[] = [];
  // Without an echo, lines before the first block are the end of a block whose first line
  // scrolled away (an answer, as far as the screen tells); with one, they continue the prompt.
  if (start === 0) blocks.push({ glyph: '●', first: '', rest: [] });
  for (const l of transcript.slice(start)) {
    const m = BLOCK.exec(l);
    if (m) blocks.push({ glyph: m[1]!, first: m[2]!, rest: [] });
    else if (blocks.length > 0) blocks[blocks.length - 1]!.rest.push(l);
  }
  return { blocks: blocks.filter((b) => b.first !== '' || b.rest.some((l) => l.trim() !== '')), echoed: start > 0 };
}

const isCancelled = (b: Block) => b.glyph === '●' && CANCELLED.test(b.first);
const isToolBlock = (b: Block) => MCP_TOOL.test(b.first) || b.rest.some((l) => DETAIL.test(l));
/**
 * Copilot's own notes, drawn like answers (`●`) or as warnings (`!`), also in the middle of a turn
 * (the MCP reload after the trust answer lands in the first turn). They neither answer nor end it.
 */
const NOTICE = /^(?:MCP Servers? reloaded|Selected custom agent|Tip: |No copilot-instructions\.md found|Folder .* trusted folders|Request failed due to a transient API error|Loading: |Environment )/;
const isNotice = (b: Block) => b.glyph === '!' || (b.glyph === '●' && !CANCELLED.test(b.first) && NOTICE.test(b.first));

/** How the turn ended: the last block that is not one of Copilot's notes. */
function lastBlock(blocks: Block[]): Block | undefined {
  for (let i = blocks.length - 1; i >= 0; i--) if (!isNotice(blocks[i]!)) return blocks[i];
  return undefined;
}

/** The input box's text ('' when empty), undefined when no input box is at the bottom. */
export function copilotTypedInput(raw: string): string | undefined {
  const lines = linesOf(raw);
  const { inputTop, inputEnd } = layout(lines);
  if (inputTop === -1) return undefined;
  return lines.slice(inputTop + 1, inputEnd).join('\n').replace(/^❯ ?/, '').trim();
}

export function classifyCopilot(raw: string): ScreenStatus {
  const lines = linesOf(raw);
  const { inputTop, footer } = layout(lines);
  if (inputTop === -1) {
    const box = bottomBox(lines);
    return box?.some((l) => QUESTION.test(l)) ? 'waiting_user_answer' : 'processing';
  }
  if (footer.some((l) => BUSY_FOOTER.test(l))) return 'processing';
  const transcript = transcriptOf(lines, inputTop);
  if (bottomBox(transcript)?.some((l) => QUESTION.test(l))) return 'waiting_user_answer';
  const turn = turnBlocks(transcript);
  if (!turn) return 'idle';
  const last = lastBlock(turn.blocks);
  // Copilot ends the "Working" footer a moment before it draws the turn's last message: a prompt
  // with nothing below it yet is still being answered.
  if (!last) return turn.echoed ? 'processing' : 'idle';
  if (isCancelled(last)) return 'idle';
  if (last.glyph === '✗') return 'error';
  if (PENDING.has(last.glyph)) return 'processing';
  // A turn ends with a message: after a tool (`$ Shell …`, a finished MCP tool) the model is asked
  // again, and Copilot may show its idle footer in between.
  if (last.glyph !== '●' || isToolBlock(last)) return 'processing';
  return 'completed';
}

/** The last turn's final answer: its last `●` text block, without the 3-space indent. */
export function extractCopilotAnswer(raw: string): string | undefined {
  const lines = linesOf(raw);
  const { inputTop } = layout(lines);
  const turn = turnBlocks(inputTop === -1 ? lines : transcriptOf(lines, inputTop));
  const last = turn && lastBlock(turn.blocks);
  if (!turn || !last || last.glyph === '✗' || isCancelled(last)) return undefined;
  const { blocks } = turn;
  for (let i = blocks.length - 1; i >= 0; i--) {
    const b = blocks[i]!;
    if (b.glyph !== '●' || isCancelled(b) || isNotice(b) || isToolBlock(b)) continue;
    const rest = b.rest.map((l) => (l.startsWith('   ') ? l.slice(3) : l.trimStart()));
    return [b.first, ...rest].join('\n').replace(/^\n+/, '').trimEnd();
  }
  return undefined;
}

// ── launch ───────────────────────────────────────────────────────────────────

/** Copilot's MCP server shape: `local` (stdio) or `http`/`sse`, with a tool list. */
export function copilotMcpServer(s: McpServerSpec): Record<string, unknown> {
  const type = typeof s.type === 'string' ? s.type.toLowerCase() : undefined;
  const remote = typeof s.url === 'string';
  const out: Record<string, unknown> = { type: remote ? (type === 'sse' ? 'sse' : 'http') : 'local' };
  for (const k of remote ? ['url', 'headers', 'timeout'] : ['command', 'args', 'env', 'cwd', 'timeout']) if (s[k] !== undefined) out[k] = s[k];
  out.tools = Array.isArray(s.tools) ? s.tools : ['*'];
  return out;
}

/** cao's own MCP server, as mcpServersFor points it at this installation. */

/** The custom agent's name: one per profile, marked as cao's. */
export const copilotAgentName = (profileName: string) => `cao-${profileName}`;

function launchCopilot(ctx: LaunchContext): LaunchSpec {
  const { profile } = ctx;
  const argv = ['copilot', '--no-auto-update', '--stream', 'off'];
  const files: LaunchSpec['files'] = [];
  const env: Record<string, string> = {};
  const instructions = instructionsOf(profile);
  if (instructions !== '') {
    const agentDir = join(ctx.terminalDir, 'copilot-agent');
    const name = copilotAgentName(profile.name);
    // JSON strings are valid YAML scalars: any name or description is quoted safely.
    const front = ['---', `name: ${JSON.stringify(name)}`, `description: ${JSON.stringify(profile.description || `cao profile ${profile.name}`)}`, '---'];
    files.push({ path: join(agentDir, '.github', 'agents', `${name}.agent.md`), content: `${front.join('\n')}\n${instructions}\n` });
    argv.push('--add-dir', agentDir, '--agent', name);
  }
  const servers = mcpServersFor(profile, ctx.terminalId, ctx.caoEnv);
  if (Object.keys(servers).length > 0) {
    const mcpFile = join(ctx.terminalDir, 'copilot-mcp.json');
    const config = { mcpServers: Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, copilotMcpServer(s)])) };
    files.push({ path: mcpFile, content: `${JSON.stringify(config, null, 2)}\n` });
    argv.push('--additional-mcp-config', `@${mcpFile}`);
    // cao's own tools (handoff, assign, send_message) run without a question, as in the original cao.
    for (const [name, s] of Object.entries(servers)) if (isCaoMcpServer(s)) argv.push(`--allow-tool=${name}`);
  }
  if (profile.model) argv.push('--model', profile.model);
  if (ctx.yolo) argv.push('--allow-all');
  // COPILOT_ALLOW_ALL in the user's environment would approve every tool: only with yolo.
  else if (ctx.env.COPILOT_ALLOW_ALL !== undefined) env.COPILOT_ALLOW_ALL = 'false';
  return { argv, env, files };
}

export const copilotCliProvider: Provider = {
  id: 'copilot_cli',
  displayName: 'GitHub Copilot CLI',
  binary: 'copilot',
  supported: true,
  launch: launchCopilot,
  startupDialogs: [
    {
      // "1. Yes" (preselected) trusts the folder for this session only.
      name: 'folder trust',
      pattern: /Confirm folder trust[^]*Do you trust the files in this folder\?[^]*❯ 1\. Yes[^]*╰─+╯\s*$/,
      keys: ['Enter'],
    },
  ],
  classify: classifyCopilot,
  extractLastMessage: extractCopilotAnswer,
  input: { bracketed: true, submitKeys: ['Enter'] },
  typedInput: copilotTypedInput,
  // `/exit` pasted opens the command picker, which takes the Enter; Ctrl-D shuts Copilot down.
  exit: { keys: ['C-d'] },
  // Esc does not stop a running turn; Ctrl-C does ("● Operation cancelled by user").
  interruptKeys: ['C-c'],
};
