/**
 * The Gemini CLI provider: screen rules checked against real Gemini CLI screens
 * (test/fixtures/screens/gemini_cli; processing.13–16 and completed.17 were captured with
 * NO_COLOR=1, where the input box is drawn with rules), and the launch spec.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/package.js';
import type { AgentProfile } from '../../../src/profiles/schema.js';
import { classifyGemini, extractGeminiAnswer, geminiCliProvider, geminiMcpServer, geminiTypedInput, protectImports } from '../../../src/providers/gemini-cli.js';
import type { LaunchContext } from '../../../src/providers/types.js';
import { describeScreenFixtures, itExtractsAnswers, screenFixtures, tailFrom } from '../../helpers/screens.js';
import { launchContext } from '../../helpers/launch-context.js';

const fx = screenFixtures('gemini_cli');
const { dir: DIR, files, screen, statusOf } = fx;
const ESC = '\u001b';

describeScreenFixtures(fx, 'classifyGemini on real screens', classifyGemini);

describe('classifyGemini on variants of real screens', () => {
  it('gives the same status when the capture keeps colours (capture-pane -e)', () => {
    const colour = (s: string) =>
      s
        .replace(/^✦ /gm, `${ESC}[38;2;215;175;255m✦ ${ESC}[38;2;255;255;255m`)
        .replace(/^( ?[>*] )/gm, `${ESC}[48;2;95;95;95m$1${ESC}[7m`)
        .replace(/^(✕ .*)$/gm, `${ESC}[38;2;255;135;175m$1${ESC}[39m`)
        .replace(/(\(esc to cancel)/g, `${ESC}[38;2;175;175;175m$1`)
        .replace(/^([╭│╰])/gm, `${ESC}[38;2;135;135;135m$1`);
    for (const f of files) expect(classifyGemini(colour(readFileSync(`${DIR}${f}`, 'utf8'))), f).toBe(statusOf(f));
  });

  it('judges only the last turn when the older turns have scrolled out of view', () => {
    expect(classifyGemini(tailFrom(screen('completed.14'), /^ > Say hi again/))).toBe('completed');
    expect(classifyGemini(tailFrom(screen('error.3'), /^ > please fail400/))).toBe('error');
    expect(classifyGemini(tailFrom(screen('idle.8'), /^ > Say hello slowly/))).toBe('idle');
    // Only the end of a long answer is visible: its prompt scrolled away.
    expect(classifyGemini(tailFrom(screen('completed.11'), /^ {2}A paragraph/))).toBe('completed');
  });

  it('never takes an older answer, error or cancellation for the current turn', () => {
    // processing.4: a spinner below a completed turn; processing.6 / processing.3: below an error.
    expect(classifyGemini(screen('processing.4'))).toBe('processing');
    expect(classifyGemini(screen('processing.6'))).toBe('processing');
    expect(classifyGemini(screen('processing.3'))).toBe('processing');
    // A completed turn below an error and a cancelled turn.
    expect(classifyGemini(screen('completed.14'))).toBe('completed');
    // An answered permission question (its box still on screen) above the answer.
    expect(classifyGemini(screen('completed.12'))).toBe('completed');
    // The startup trust dialog left in scrollback above the prompt does not make the screen a question.
    expect(classifyGemini(screen('idle.2'))).toBe('idle');
    // Text left in the input box (not submitted) is not a new turn: the old answer does not complete it.
    expect(classifyGemini(screen('idle.12'))).toBe('idle');
    // A prompt echoed with nothing below it yet (the spinner comes next) is being worked on.
    const submitted = screen('processing.4').replace(/^ ⠧ Thinking.*$/m, '');
    expect(submitted).not.toMatch(/esc to cancel/);
    expect(classifyGemini(submitted)).toBe('processing');
  });

  it('does not take the always-visible input box for idle while the spinner runs', () => {
    expect(screen('processing.2')).toContain('Type your message');
    expect(classifyGemini(screen('processing.2'))).toBe('processing');
  });

  it('is processing when the screen is blank or shows only the banner', () => {
    expect(classifyGemini('')).toBe('processing');
    const banner = screen('idle.11').split('\n').slice(0, 9).join('\n');
    expect(classifyGemini(banner)).toBe('processing');
  });
});

describe('classifyGemini: a message sent while the MCP servers start', () => {
  it('is processing while queued, and still when the queue is gone but the prompt is not echoed yet', () => {
    expect(screen('processing.11')).toMatch(/Queued \(press ↑ to edit\)/);
    expect(classifyGemini(screen('processing.11'))).toBe('processing');
    // Only the notice is left above the status line: the prompt has not run, nothing is done.
    expect(screen('processing.12')).toMatch(/^ℹ Waiting for MCP servers to initialize/m);
    expect(screen('processing.12')).not.toMatch(/^ > mcptool/m);
    expect(classifyGemini(screen('processing.12'))).toBe('processing');
  });
});

describe('geminiTypedInput: the text waiting in the input box', () => {
  it('is the unsent text (all its lines), \'\' for the placeholder, undefined when a question covers the box', () => {
    expect(geminiTypedInput(screen('idle.12'))).toBe('multiline tag=m3');
    expect(geminiTypedInput(screen('idle.13'))).toBe('reply with exactly: Hello World\nOutput: Plain text.\nFormat: Single line.\nConstraint: Exact match.');
    expect(geminiTypedInput(screen('idle.3'))).toBe('');
    expect(geminiTypedInput(screen('waiting_user_answer.1'))).toBeUndefined();
    expect(geminiCliProvider.typedInput).toBe(geminiTypedInput);
  });

  it('is \'\' on every processing and completed screen captured (none holds unsent text)', () => {
    for (const f of files.filter((f) => /^(processing|completed)\./.test(f))) expect(geminiTypedInput(screen(f.replace(/\.txt$/, ''))), f).toBe('');
  });
});

describe('extractGeminiAnswer on real screens', () => {
  const cases: [string, string][] = [
    ['completed.1', 'Hi! How can I help you today?'],
    // Two answer blocks with a tool box between: the one after the tool is the answer; Gemini's
    // own line wrap (2-space indent) is kept as a line break.
    ['completed.2', 'The file test.txt also contains the word "test". Is there something specific\nyou\'d like me to do with it?'],
    ['completed.3', 'Hello from the fake model (reply #1).'],
    ['completed.7', 'Hello from the fake model (reply #1). [t1]'],
    // The second turn's answer, not the first's.
    ['completed.10', 'Hello from the fake model (reply #1). [b2]'],
    // The whole multi-line answer: blank lines, list items and deeper indentation kept.
    ['completed.11', 'First line of the answer.\n\nA paragraph after a blank line, with bold text.\n\n - item one\n - item two\n\n    indented code line\n\nLast line. [m3]'],
    // Typed but not submitted: the answer is still the last turn's.
    ['idle.12', 'Hello from the fake model (reply #1). [b2]'],
    ['completed.12', 'Tool finished. Result was: {"output":"<untrusted_context>\\nOutput: made-gx1\\nProcess Group PGID: 4743\\n</untrusted_context>"}'],
    ['completed.13', 'Tool finished. Result was: {"output":"<untrusted_context>\\nfake_echo says: ping-g1\\n</untrusted_context>"}'],
    // Below an error and a cancelled turn.
    ['completed.14', 'Hello from the fake model (reply #3). [z9]'],
    // Below a pasted multi-line prompt with quotes and a backslash.
    ['completed.16', 'Hello from the fake model (reply #31). [gml]'],
    // NO_COLOR: rule, mode line, rule above the input box; the status line must not join the answer.
    ['completed.17', 'Hello from the fake model (reply #1). [hello1]'],
  ];
  itExtractsAnswers(fx, extractGeminiAnswer, cases);

  it('reads the visible end of an answer whose beginning scrolled away', () => {
    const lines = screen('completed.11').split('\n');
    const tail = lines.slice(lines.findIndex((l) => l.startsWith('  A paragraph'))).join('\n');
    expect(extractGeminiAnswer(tail)).toBe('A paragraph after a blank line, with bold text.\n\n - item one\n - item two\n\n    indented code line\n\nLast line. [m3]');
  });

  it('has no answer when the last turn failed or was cancelled, even if an older turn answered', () => {
    for (const name of ['error.2', 'error.3', 'idle.6', 'idle.7', 'idle.8', 'idle.9']) expect(extractGeminiAnswer(screen(name)), name).toBeUndefined();
  });

  it('has no answer before the first turn finished', () => {
    for (const name of ['idle.1', 'idle.5', 'idle.11', 'idle.13', 'processing.2', 'waiting_user_answer.8']) expect(extractGeminiAnswer(screen(name)), name).toBeUndefined();
    expect(extractGeminiAnswer('')).toBeUndefined();
  });

  it('reads through colours and CRLF', () => {
    const raw = screen('completed.11')
      .replace(/^✦ /gm, `${ESC}[38;2;215;175;255m✦ ${ESC}[38;2;255;255;255m`)
      .replace(/\n/g, '\r\n');
    expect(extractGeminiAnswer(raw)).toBe(extractGeminiAnswer(screen('completed.11')));
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
const ctx = (over: Partial<LaunchContext> = {}) => launchContext({ profile: profile(), env: { HOME: '/home/u', GEMINI_API_KEY: 'k' }, ...over });
const HOME_DIR = '/home/u/.cao/terminals/ab12cd34/gemini-home';
const SETTINGS = `${HOME_DIR}/.gemini/settings.json`;
const CONTEXT = `${HOME_DIR}/.gemini/GEMINI.md`;
const fileOf = (spec: { files: { path: string; content: string }[] }, path: string) => spec.files.find((f) => f.path === path)?.content;
const settingsOf = (spec: { files: { path: string; content: string }[] }) => JSON.parse(fileOf(spec, SETTINGS)!) as Record<string, any>;

describe('geminiCliProvider.launch', () => {
  it('without profile extras: its own Gemini home, trust for this session, no question skipped', () => {
    const spec = geminiCliProvider.launch(ctx());
    expect(spec.argv).toEqual(['gemini', '--skip-trust']);
    expect(spec.env).toEqual({ GEMINI_CLI_HOME: HOME_DIR, GEMINI_CLI_NO_RELAUNCH: 'true' });
    expect(spec.files.map((f) => f.path)).toEqual([SETTINGS]);
    expect(settingsOf(spec)).toEqual({
      security: { auth: { selectedType: 'gemini-api-key' } },
      general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      ide: { hasSeenNudge: true },
    });
  });

  it('writes every file under the terminal folder', () => {
    const spec = geminiCliProvider.launch(ctx({ profile: profile({ systemPrompt: 'x', mcpServers: { s: { command: 'node' } } }) }));
    for (const f of spec.files) expect(f.path.startsWith('/home/u/.cao/terminals/ab12cd34/')).toBe(true);
  });

  it("puts the system prompt in the home's GEMINI.md (appended to Gemini's own system prompt), byte for byte", () => {
    const prompt = 'You are "the developer".\nLine two with a backslash \\ and a $HOME and `code @x`.\n\n  indented';
    const spec = geminiCliProvider.launch(ctx({ profile: profile({ systemPrompt: prompt }) }));
    expect(fileOf(spec, CONTEXT)).toBe(`${prompt}\n`);
    // Never on the command line, never in a shell string.
    expect(spec.argv.join(' ')).not.toContain('developer');
  });

  it('keeps @words in the system prompt from being taken for Gemini file imports', () => {
    expect(protectImports('Ask @reviewer or see @./notes.md, mail a@b.c, `@code` stays')).toBe('Ask \u2060@reviewer or see \u2060@./notes.md, mail a@b.c, `@code` stays');
    expect(protectImports('@start\n@/abs')).toBe('\u2060@start\n\u2060@/abs');
    expect(protectImports('a @ b, @1, ```\n@block\n```')).toBe('a @ b, @1, ```\n@block\n```');
  });

  it('passes the model with --model', () => {
    expect(geminiCliProvider.launch(ctx({ profile: profile({ model: 'gemini-2.5-pro' }) })).argv).toEqual(['gemini', '--skip-trust', '--model', 'gemini-2.5-pro']);
  });

  it('approves everything only with yolo', () => {
    expect(geminiCliProvider.launch(ctx({ yolo: true })).argv).toEqual(['gemini', '--skip-trust', '--approval-mode', 'yolo']);
    expect(geminiCliProvider.launch(ctx({ yolo: false })).argv).not.toContain('--approval-mode');
    expect(geminiCliProvider.launch(ctx({ yolo: false })).argv).not.toContain('--yolo');
  });

  it("writes the profile's MCP servers with this terminal's id; cao's own is trusted, the others only with yolo", () => {
    const p = profile({
      mcpServers: {
        cao: { type: 'stdio', command: 'cao', args: ['mcp-server'] },
        other: { command: 'node', args: ['s.js', 'a "quoted" arg'], env: { LEVEL: '3' }, extra: 'dropped' } as never,
        web: { type: 'streamable-http', url: 'http://127.0.0.1:1/mcp' },
      },
    });
    const servers = settingsOf(geminiCliProvider.launch(ctx({ profile: p }))).mcpServers;
    expect(servers.cao).toEqual({
      command: process.execPath,
      args: [join(PACKAGE_ROOT, 'bin', 'cao.js'), 'mcp-server'],
      env: { CAO_API_HOST: '127.0.0.1', CAO_API_PORT: '9889', CAO_TERMINAL_ID: 'ab12cd34' },
      type: 'stdio',
      trust: true,
    });
    expect(servers.other).toEqual({
      command: 'node',
      args: ['s.js', 'a "quoted" arg'],
      env: { CAO_TERMINAL_ID: 'ab12cd34', LEVEL: '3' },
      trust: false,
    });
    expect(servers.web).toMatchObject({ url: 'http://127.0.0.1:1/mcp', type: 'http', trust: false });
    const yolo = settingsOf(geminiCliProvider.launch(ctx({ profile: p, yolo: true }))).mcpServers;
    expect(Object.values(yolo).every((s: any) => s.trust === true)).toBe(true);
  });

  it('maps transport types to the ones Gemini knows', () => {
    expect(geminiMcpServer({ type: 'local', command: 'x' }, false)).toEqual({ command: 'x', type: 'stdio', trust: false });
    expect(geminiMcpServer({ type: 'sse', url: 'u' }, true)).toEqual({ url: 'u', type: 'sse', trust: true });
    expect(geminiMcpServer({ type: 'weird', command: 'x' }, false)).toEqual({ command: 'x', trust: false });
  });

  it('selects the authentication the environment provides', () => {
    const auth = (env: Record<string, string>) => settingsOf(geminiCliProvider.launch(ctx({ env }))).security.auth.selectedType;
    expect(auth({ GEMINI_API_KEY: 'k' })).toBe('gemini-api-key');
    expect(auth({ GEMINI_API_KEY: 'k', GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:1' })).toBe('gemini-api-key');
    expect(auth({ GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:1' })).toBe('gateway');
    expect(auth({ GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_API_KEY: 'k' })).toBe('vertex-ai');
    expect(auth({ HOME: '/home/u' })).toBe('oauth-personal');
  });

  it("lets a Google sign-in reach the per-terminal home through the user's cached credentials", () => {
    expect(geminiCliProvider.launch(ctx({ env: { HOME: '/home/u' } })).env.GOOGLE_APPLICATION_CREDENTIALS).toBe('/home/u/.gemini/oauth_creds.json');
    // The user's own setting wins; API-key users get nothing extra.
    expect(geminiCliProvider.launch(ctx({ env: { HOME: '/home/u', GOOGLE_APPLICATION_CREDENTIALS: '/x.json' } })).env.GOOGLE_APPLICATION_CREDENTIALS).toBeUndefined();
    expect(geminiCliProvider.launch(ctx()).env.GOOGLE_APPLICATION_CREDENTIALS).toBeUndefined();
  });

  it('builds argv without a shell, whatever the profile contains', () => {
    const spec = geminiCliProvider.launch(ctx({ profile: profile({ systemPrompt: "it's; rm -rf / && echo `x`", model: 'm"; x' }) }));
    expect(spec.argv).toEqual(['gemini', '--skip-trust', '--model', 'm"; x']);
    expect(spec.argv.some((a) => /^(sh|bash)$/.test(a) || a === '-c')).toBe(false);
  });
});

describe('geminiCliProvider', () => {
  it('uses these screen rules and input settings', () => {
    expect(geminiCliProvider.supported).toBe(true);
    expect(geminiCliProvider.classify).toBe(classifyGemini);
    expect(geminiCliProvider.extractLastMessage).toBe(extractGeminiAnswer);
    // Gemini drops an Enter that arrives with the paste: submit after the echo.
    expect(geminiCliProvider.input).toEqual({ bracketed: true, submitKeys: ['Enter'], awaitEcho: true });
    expect(geminiCliProvider.interruptKeys).toEqual(['Escape']);
    expect(geminiCliProvider.exit).toEqual({ text: '/quit' });
  });

  it('answers no startup dialog: trust is given on the command line, authentication is the user\'s choice', () => {
    expect(geminiCliProvider.startupDialogs).toEqual([]);
    expect(classifyGemini(screen('waiting_user_answer.8'))).toBe('waiting_user_answer');
  });
});
