/**
 * The mock provider: cao's own scripted agent CLI (src/mock-agent), used by `cao demo`, the tests
 * and anyone without an API key. Its screen grammar is documented in src/mock-agent/agent.ts.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { nodeEntry } from '../package.js';
import { instructionsOf } from '../profiles/schema.js';
import { claudeMcpConfig, mcpServersFor } from './mcp-config.js';
import { bottomLines, normalizeScreen } from './screen.js';
import type { LaunchContext, LaunchSpec, Provider, ScreenStatus } from './types.js';

const PROMPT = /^❯(?: |$)/;
const SPINNER_LINE = /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Working… \(\d+s · esc to interrupt\)$/;
const QUESTION = /(?:^\s*Allow\?|Trust this folder\?) \[y\/n\]$/;
const ANSWER = /^● /;
const ERROR = /^✗ Error: /;

/** Lines of the current turn: after the last submitted input, up to (not including) the prompt. */
function lastTurn(lines: string[]): string[] {
  const end = lines.length - 1;
  for (let i = end - 1; i >= 0; i--) if (PROMPT.test(lines[i]!)) return lines.slice(i + 1, end);
  return [];
}

export function classifyMock(raw: string): ScreenStatus {
  const lines = bottomLines(normalizeScreen(raw), 200);
  const last = lines[lines.length - 1] ?? '';
  if (QUESTION.test(last)) return 'waiting_user_answer';
  if (SPINNER_LINE.test(last)) return 'processing';
  if (!PROMPT.test(last)) return 'processing';
  const turn = lastTurn(lines);
  if (turn.some((l) => ERROR.test(l))) return 'error';
  if (turn.some((l) => ANSWER.test(l))) return 'completed';
  return 'idle';
}

/** The text on the prompt line at the bottom ('' when empty), undefined when no prompt is there. */
export function mockTypedInput(raw: string): string | undefined {
  const last = bottomLines(normalizeScreen(raw), 1)[0] ?? '';
  return PROMPT.test(last) ? last.slice(1).trim() : undefined;
}

export function extractMockAnswer(raw: string): string | undefined {
  const lines = normalizeScreen(raw).split('\n');
  while (lines.length > 0 && !PROMPT.test(lines[lines.length - 1]!)) lines.pop();
  const blocks: string[][] = [];
  let current: string[] | null = null;
  for (const l of lastTurn(lines)) {
    if (ANSWER.test(l)) blocks.push((current = [l.slice(2)]));
    // An answer continues on blank and indented lines; any other line (a new block, or a hint
    // such as "(press Ctrl-C again to exit)") ends it.
    else if (current && (l === '' || l.startsWith('  '))) current.push(l.slice(2));
    else current = null;
  }
  if (blocks.length === 0) return undefined;
  return blocks.map((b) => b.join('\n').replace(/\n+$/, '')).join('\n');
}

function launchMock(ctx: LaunchContext): LaunchSpec {
  const { profile } = ctx;
  const promptFile = join(ctx.terminalDir, 'system-prompt.md');
  const argv = [...nodeEntry('mock-agent/main.ts'), '--profile', profile.name, '--system-prompt-file', promptFile];
  if (profile.mockScript) {
    const base = profile.path ? dirname(profile.path) : process.cwd();
    argv.push('--script', isAbsolute(profile.mockScript) ? profile.mockScript : resolve(base, profile.mockScript));
  }
  if (ctx.yolo) argv.push('--yolo');
  const files = [{ path: promptFile, content: instructionsOf(profile) }];
  const servers = mcpServersFor(profile, ctx.terminalId, ctx.caoEnv);
  if (Object.keys(servers).length > 0) {
    const mcpFile = join(ctx.terminalDir, 'mcp.json');
    files.push({ path: mcpFile, content: claudeMcpConfig(servers) });
    argv.push('--mcp-config', mcpFile);
  }
  return { argv, env: {}, files };
}

export const mockProvider: Provider = {
  id: 'mock',
  displayName: 'Mock agent (built in, no API key)',
  binary: process.execPath,
  supported: true,
  launch: launchMock,
  startupDialogs: [{ name: 'trust folder', pattern: /Trust this folder\? \[y\/n\]$/, keys: ['y'] }],
  classify: classifyMock,
  extractLastMessage: extractMockAnswer,
  input: { bracketed: true, submitKeys: ['Enter'] },
  typedInput: mockTypedInput,
  exit: { text: '/exit' },
  interruptKeys: ['Escape'],
};
