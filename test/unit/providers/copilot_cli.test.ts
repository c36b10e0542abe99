/**
 * The GitHub Copilot CLI provider: screen rules checked against real Copilot CLI screens
 * (test/fixtures/screens/copilot_cli, see its README), and the launch spec.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import matter from 'gray-matter';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/package.js';
import type { AgentProfile } from '../../../src/profiles/schema.js';
import { classifyCopilot, copilotCliProvider, copilotMcpServer, copilotTypedInput, extractCopilotAnswer } from '../../../src/providers/copilot-cli.js';
import type { LaunchContext } from '../../../src/providers/types.js';
import { describeScreenFixtures, itExtractsAnswers, screenFixtures, tailFrom } from '../../helpers/screens.js';
import { launchContext } from '../../helpers/launch-context.js';

const fx = screenFixtures('copilot_cli');
const { dir: DIR, files, screen, statusOf } = fx;
const ESC = '\u001b';

describeScreenFixtures(fx, 'classifyCopilot on real screens', classifyCopilot);

describe('classifyCopilot on variants of real screens', () => {
  it('gives the same status when the capture keeps colours (capture-pane -e)', () => {
    const colour = (s: string) =>
      s
        .replace(/^ ([●○◎◉✗$]) /gm, ` ${ESC}[38;5;10m$1${ESC}[39m `)
        .replace(/^( ?❯)/gm, `${ESC}[1m$1${ESC}[22m`)
        .replace(/^(─+)$/gm, `${ESC}[2m$1${ESC}[0m`)
        .replace(/┃$/gm, `${ESC}[38;5;8m┃${ESC}[39m`);
    for (const f of files) expect(classifyCopilot(colour(readFileSync(`${DIR}${f}`, 'utf8'))), f).toBe(statusOf(f));
  });

  it('gives the same status without the scroll bar in the last column', () => {
    for (const f of files) expect(classifyCopilot(readFileSync(`${DIR}${f}`, 'utf8').replace(/\s+┃$/gm, '')), f).toBe(statusOf(f));
  });

  it('judges only the last turn when the older turns have scrolled out of view', () => {
    expect(classifyCopilot(tailFrom(screen('completed.13'), /^ ❯ quick 3/))).toBe('completed');
    expect(classifyCopilot(tailFrom(screen('error.1'), /^ ❯ please fail400/))).toBe('error');
    expect(classifyCopilot(tailFrom(screen('idle.8'), /^ ❯ Say hello slowly/))).toBe('idle');
    // Only the end of a long answer is visible: its prompt and first line scrolled away.
    expect(classifyCopilot(tailFrom(screen('completed.7'), /^ {3}A paragraph/))).toBe('completed');
  });

  it('never takes an older answer, error or cancellation for the current turn', () => {
    // A spinner below an error; a new answer below an error and a cancellation.
    expect(classifyCopilot(screen('processing.6'))).toBe('processing');
    expect(classifyCopilot(screen('completed.10'))).toBe('completed');
    // A failed (rejected) tool inside a turn that then answered is not an error.
    expect(screen('completed.10')).toMatch(/^ ✗ Shell /m);
    // An interrupted turn whose tool failed is idle, not an error.
    expect(screen('idle.9')).toMatch(/^ ✗ Shell .*aborted by user/m);
    expect(classifyCopilot(screen('idle.9'))).toBe('idle');
  });

  it("is processing between the end of Copilot's Working footer and the drawing of the answer", () => {
    // processing.8: footer already idle, the prompt echoed, nothing below it yet.
    expect(screen('processing.8')).toMatch(/← open sidebar/);
    expect(classifyCopilot(screen('processing.8'))).toBe('processing');
    // processing.9: after Ctrl-C the footer says "● Cancelling" until the turn has ended.
    expect(classifyCopilot(screen('processing.9'))).toBe('processing');
  });

  it("does not take Copilot's own notes inside a turn for its answer", () => {
    // As seen through cao: the MCP reload note after the trust answer lands below the first prompt.
    const lines = screen('completed.16').split('\n');
    const note = lines.findIndex((l) => l.startsWith(' ● MCP Servers reloaded'));
    const echo = lines.findIndex((l) => l.startsWith(' ❯ Say hello'));
    expect(note).toBeGreaterThan(0);
    expect(echo).toBeGreaterThan(note);
    const moved = [...lines.slice(0, note), ...lines.slice(note + 2, echo + 2), lines[note]!, '', ...lines.slice(echo + 2)];
    expect(classifyCopilot(moved.join('\n'))).toBe('completed');
    expect(extractCopilotAnswer(moved.join('\n'))).toBe('Hello from the fake model (reply #1). [hello1]');
    // The same before the answer is drawn: still being answered.
    const answer = moved.findIndex((l) => l.startsWith(' ● Hello'));
    const noAnswer = [...moved.slice(0, answer), ...moved.slice(answer + 1)].join('\n');
    expect(classifyCopilot(noAnswer)).toBe('processing');
    expect(extractCopilotAnswer(noAnswer)).toBeUndefined();
  });

  it('is processing when the screen is blank or shows only the banner', () => {
    expect(classifyCopilot('')).toBe('processing');
    const banner = screen('idle.7').split('\n').slice(0, 8).join('\n');
    expect(classifyCopilot(banner)).toBe('processing');
  });
});

describe('copilotTypedInput: the text waiting in the input box', () => {
  it('is the unsent text, \'\' for an empty box, undefined when a question covers the box', () => {
    expect(copilotTypedInput(screen('completed.12'))).toBe('typed but not sent');
    expect(copilotTypedInput(screen('idle.3'))).toBe('');
    expect(copilotTypedInput(screen('waiting_user_answer.1'))).toBeUndefined();
    expect(copilotCliProvider.typedInput).toBe(copilotTypedInput);
  });

  it('is \'\' or undefined on every processing screen captured (none holds unsent text)', () => {
    for (const f of files.filter((f) => f.startsWith('processing.'))) expect(copilotTypedInput(screen(f.replace(/\.txt$/, ''))) ?? '', f).toBe('');
  });
});

describe('extractCopilotAnswer on real screens', () => {
  const cases: [string, string][] = [
    ['completed.1', 'Hello from the fake model (reply #1).'],
    ['completed.2', 'Hello from the fake model (reply #1). [t1]'],
    // The shell tool's block is not the answer; the answer's continuation lines are.
    ['completed.3', 'Tool finished. Result was: bashok96752\n<shellId: 0 completed with exit code 0>'],
    // The finished MCP tool line (`● fake_echo (MCP: fakemcp) …`) is not the answer.
    ['completed.4', 'Tool finished. Result was: fake_echo says: mcpok98819'],
    ['completed.6', 'Hello from the fake model (reply #7). [c2a]'],
    // The whole multi-line answer: blank lines, bullets and deeper indentation kept.
    ['completed.7', 'First line of the answer.\n\nA paragraph after a blank line, with bold text.\n\n• item one\n• item two\n    indented code line\n\nLast line. [cm1]'],
    ['completed.8', 'Tool finished. Result was: out-a\nout-b\n<shellId: 0 completed with exit code 0>'],
    ['completed.9', 'Tool finished. Result was: fake_echo says: ping-c2'],
    ['completed.10', 'Tool finished. Result was: The user rejected this tool call. User feedback: do not touch files tag=fb'],
    // Below a pasted multi-line prompt (its continuation lines are not the answer).
    ['completed.11', 'Hello from the fake model (reply #25). [ml]'],
    // Typed but not submitted: the answer is still the last turn's.
    ['completed.12', 'Hello from the fake model (reply #25). [ml]'],
    // The third of three turns.
    ['completed.13', 'Hello from the fake model (reply #28). [q3]'],
    // Through cao (--stream off): the MCP reload note above the prompt is not the answer.
    ['completed.16', 'Hello from the fake model (reply #1). [hello1]'],
  ];
  itExtractsAnswers(fx, extractCopilotAnswer, cases);

  it('reads the visible end of an answer whose beginning scrolled away', () => {
    const lines = screen('completed.7').split('\n');
    const tail = lines.slice(lines.findIndex((l) => l.startsWith('   A paragraph'))).join('\n');
    expect(extractCopilotAnswer(tail)).toBe('A paragraph after a blank line, with bold text.\n\n• item one\n• item two\n    indented code line\n\nLast line. [cm1]');
  });

  it('has no answer when the last turn failed or was cancelled, even if an older turn answered', () => {
    for (const name of ['error.1', 'error.2', 'error.3', 'idle.4', 'idle.5', 'idle.8', 'idle.9', 'idle.10']) expect(extractCopilotAnswer(screen(name)), name).toBeUndefined();
  });

  it('has no answer before the first turn finished', () => {
    for (const name of ['idle.1', 'idle.3', 'idle.7', 'processing.1', 'processing.2', 'waiting_user_answer.5']) expect(extractCopilotAnswer(screen(name)), name).toBeUndefined();
    expect(extractCopilotAnswer('')).toBeUndefined();
  });

  it('reads through colours, CRLF and the scroll bar', () => {
    const raw = screen('completed.8')
      .replace(/^ ● /gm, ` ${ESC}[38;5;10m●${ESC}[39m `)
      .replace(/\n/g, '\r\n');
    expect(extractCopilotAnswer(raw)).toBe('Tool finished. Result was: out-a\nout-b\n<shellId: 0 completed with exit code 0>');
  });
});

// ── launch ───────────────────────────────────────────────────────────────────

const profile = (over: Partial<AgentProfile> = {}): AgentProfile => ({
  name: 'developer',
  description: 'A developer',
  systemPrompt: '',
  frontmatter: {},
  ...over,
});
const T = '/home/u/.cao/terminals/ab12cd34';
const ctx = (over: Partial<LaunchContext> = {}) => launchContext({ profile: profile(), ...over });
const AGENT_DIR = `${T}/copilot-agent`;
const AGENT_FILE = `${AGENT_DIR}/.github/agents/cao-developer.agent.md`;
const MCP_FILE = `${T}/copilot-mcp.json`;
const fileOf = (spec: { files: { path: string; content: string }[] }, path: string) => spec.files.find((f) => f.path === path)?.content;

describe('copilotCliProvider.launch', () => {
  it("without profile extras: the user's own Copilot (and sign-in), no updates, no question skipped", () => {
    const spec = copilotCliProvider.launch(ctx());
    expect(spec).toEqual({ argv: ['copilot', '--no-auto-update', '--stream', 'off'], env: {}, files: [] });
  });

  it('gives the system prompt as a custom agent loaded from the terminal folder, byte for byte', () => {
    const prompt = 'You are "the developer".\nLine two with a backslash \\ and a $HOME.\n\n---\n  indented';
    const spec = copilotCliProvider.launch(ctx({ profile: profile({ systemPrompt: prompt, description: 'Says "hi": really\nyes' }) }));
    expect(spec.argv).toEqual(['copilot', '--no-auto-update', '--stream', 'off', '--add-dir', AGENT_DIR, '--agent', 'cao-developer']);
    expect(spec.files.map((f) => f.path)).toEqual([AGENT_FILE]);
    const parsed = matter(fileOf(spec, AGENT_FILE)!, {});
    expect(parsed.data).toEqual({ name: 'cao-developer', description: 'Says "hi": really\nyes' });
    expect(parsed.content).toBe(`${prompt}\n`);
  });

  it("passes the profile's MCP servers for this session, with this terminal's id; cao's own tools run without a question", () => {
    const p = profile({
      mcpServers: {
        cao: { type: 'stdio', command: 'cao', args: ['mcp-server'] },
        other: { command: 'node', args: ['s.js', 'a "quoted" arg'], env: { LEVEL: '3' } },
      },
    });
    const spec = copilotCliProvider.launch(ctx({ profile: p }));
    expect(spec.argv).toEqual(['copilot', '--no-auto-update', '--stream', 'off', '--additional-mcp-config', `@${MCP_FILE}`, '--allow-tool=cao']);
    expect(JSON.parse(fileOf(spec, MCP_FILE)!)).toEqual({
      mcpServers: {
        cao: {
          type: 'local',
          command: process.execPath,
          args: [join(PACKAGE_ROOT, 'bin', 'cao.js'), 'mcp-server'],
          env: { CAO_API_HOST: '127.0.0.1', CAO_API_PORT: '9889', CAO_TERMINAL_ID: 'ab12cd34' },
          tools: ['*'],
        },
        other: {
          type: 'local',
          command: 'node',
          args: ['s.js', 'a "quoted" arg'],
          env: { CAO_TERMINAL_ID: 'ab12cd34', LEVEL: '3' },
          tools: ['*'],
        },
      },
    });
  });

  it('maps remote servers to http or sse', () => {
    expect(copilotMcpServer({ type: 'streamable-http', url: 'http://h/mcp', headers: { a: 'b' } })).toEqual({ type: 'http', url: 'http://h/mcp', headers: { a: 'b' }, tools: ['*'] });
    expect(copilotMcpServer({ type: 'sse', url: 'http://h/sse' })).toEqual({ type: 'sse', url: 'http://h/sse', tools: ['*'] });
    expect(copilotMcpServer({ command: 'x', tools: ['a'] })).toEqual({ type: 'local', command: 'x', tools: ['a'] });
  });

  it('passes the model with --model', () => {
    expect(copilotCliProvider.launch(ctx({ profile: profile({ model: 'gpt-5.4' }) })).argv).toEqual(['copilot', '--no-auto-update', '--stream', 'off', '--model', 'gpt-5.4']);
  });

  it('allows all tools only with yolo', () => {
    expect(copilotCliProvider.launch(ctx({ yolo: true })).argv).toEqual(['copilot', '--no-auto-update', '--stream', 'off', '--allow-all']);
    const plain = copilotCliProvider.launch(ctx({ yolo: false }));
    expect(plain.argv.some((a) => a.startsWith('--allow-all') || a === '--yolo')).toBe(false);
    // An allow-all switch in the user's environment is turned off without yolo.
    expect(copilotCliProvider.launch(ctx({ env: { COPILOT_ALLOW_ALL: 'true' } })).env).toEqual({ COPILOT_ALLOW_ALL: 'false' });
    expect(copilotCliProvider.launch(ctx({ yolo: true, env: { COPILOT_ALLOW_ALL: 'true' } })).env).toEqual({});
  });

  it('writes every file under the terminal folder and builds argv without a shell', () => {
    const spec = copilotCliProvider.launch(ctx({ profile: profile({ systemPrompt: "it's; rm -rf / && echo `x`", model: 'm"; x', mcpServers: { s: { command: 'node' } } }) }));
    for (const f of spec.files) expect(f.path.startsWith(`${T}/`)).toBe(true);
    expect(spec.argv).toEqual(['copilot', '--no-auto-update', '--stream', 'off', '--add-dir', AGENT_DIR, '--agent', 'cao-developer', '--additional-mcp-config', `@${MCP_FILE}`, '--model', 'm"; x']);
    expect(spec.argv.some((a) => /^(sh|bash)$/.test(a) || a === '-c')).toBe(false);
  });
});

describe('copilotCliProvider', () => {
  it('uses these screen rules and input settings', () => {
    expect(copilotCliProvider.supported).toBe(true);
    expect(copilotCliProvider.classify).toBe(classifyCopilot);
    expect(copilotCliProvider.extractLastMessage).toBe(extractCopilotAnswer);
    expect(copilotCliProvider.input).toEqual({ bracketed: true, submitKeys: ['Enter'] });
    // Esc does not stop a running turn (processing.3 / processing.4: still working after Esc).
    expect(copilotCliProvider.interruptKeys).toEqual(['C-c']);
    expect(copilotCliProvider.exit).toEqual({ keys: ['C-d'] });
  });

  it('answers the folder-trust dialog with "Yes" for this session, and nothing else', () => {
    const dialog = (name: string) => copilotCliProvider.startupDialogs.findIndex((d) => d.pattern.test(screen(name)));
    for (const name of ['waiting_user_answer.5', 'waiting_user_answer.6', 'waiting_user_answer.11']) expect(dialog(name), name).toBe(0);
    expect(copilotCliProvider.startupDialogs[0]!.keys).toEqual(['Enter']);
    // Permission questions, the idle screen after the answer, and ordinary screens are not it.
    for (const f of files.filter((f) => !['waiting_user_answer.5.txt', 'waiting_user_answer.6.txt', 'waiting_user_answer.11.txt'].includes(f))) {
      expect(dialog(f.replace(/\.txt$/, '')), f).toBe(-1);
    }
  });
});
