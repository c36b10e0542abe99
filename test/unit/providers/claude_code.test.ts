/**
 * Claude Code's screen rules, checked against real screens of Claude Code 2.1.197
 * (test/fixtures/screens/claude_code, see its README), and its launch spec.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  claudeAllowedTools, claudeCodeProvider, claudeTypedInput, classifyClaude, extractClaudeAnswer, launchClaude, readUserClaudeConfig, type ClaudeLaunchOptions,
} from '../../../src/providers/claude-code.js';
import { describeScreenFixtures, screenFixtures } from '../../helpers/screens.js';
import { launchContext } from '../../helpers/launch-context.js';

const fx = screenFixtures('claude_code');
const { dir: DIR, files, screen } = fx;

describeScreenFixtures(fx, 'classifyClaude on real screens', classifyClaude);

/** Replace the transcript of a screen (everything above the input box) with other lines. */
const withTranscript = (name: string, transcript: string[]) => {
  const lines = screen(name).replace(/\s+$/, '').split('\n');
  const box = lines.findIndex((l, i) => /^─{10,}/.test(l) && /^❯/.test(lines[i + 1] ?? ''));
  return [...transcript, '', ...lines.slice(box)].join('\n');
};

describe('claudeTypedInput: the text waiting in the input box', () => {
  it('is the typed prompt, \'\' for an empty box, undefined when a dialog covers the bottom', () => {
    expect(claudeTypedInput(screen('idle.4'))).toBe('Say hello please delay=4000');
    expect(claudeTypedInput(screen('idle.1'))).toBe('');
    expect(claudeTypedInput(screen('completed.1'))).toBe('');
    expect(claudeTypedInput(screen('waiting_user_answer.1'))).toBeUndefined();
  });

  it('is what the provider gives cao to notice a dropped Enter', () => {
    expect(claudeCodeProvider.typedInput).toBe(claudeTypedInput);
  });
});

describe('classifyClaude judges the bottom and the current turn only', () => {
  it('an old answer above a new prompt does not complete the new turn', () => {
    // processing.1: an answered turn, then a new prompt with the spinner.
    expect(classifyClaude(screen('processing.1'))).toBe('processing');
    // The same turn after the answer arrived and the footer went back to idle, but with the new
    // prompt still unanswered (an interrupted turn that stayed in the transcript): not completed.
    expect(classifyClaude(withTranscript('completed.1', ['❯ first', '', '● first answer', '', '✻ Worked for 1s', '', '❯ second']))).toBe('idle');
  });

  it('an old error above a later answer does not make the screen an error, and vice versa', () => {
    expect(classifyClaude(withTranscript('completed.1', ['❯ a', '', '● API Error: 500 boom', '', '❯ b', '', '● Fine now.', '', '✻ Baked for 1s']))).toBe('completed');
    expect(classifyClaude(withTranscript('completed.1', ['❯ a', '', '● Fine.', '', '❯ b', '', '● API Error: 400 nope', '', '✻ Baked for 1s']))).toBe('error');
  });

  it('a permission question answered earlier (in the scrollback) is not a question now', () => {
    // completed.8: a Bash call that asked and was approved, then the answer.
    expect(screen('completed.8')).toMatch(/Bash\(touch perm2\.txt\)/);
    expect(classifyClaude(screen('completed.8'))).toBe('completed');
  });

  it('dialog-like text inside an answer does not count as a question while the input box is there', () => {
    const s = withTranscript('completed.1', ['❯ list options', '', '● Do you want to proceed?', '  ❯ 1. Yes', '    2. No', '  Esc to cancel', '', '✻ Baked for 1s']);
    expect(classifyClaude(s)).toBe('completed');
  });

  it('a long answer whose prompt scrolled off the screen is still completed', () => {
    const s = withTranscript('completed.1', ['  …earlier lines of the answer', '  last line of the answer', '', '✻ Worked for 9s']);
    expect(classifyClaude(withTranscript('completed.1', ['● Start of a long answer', ...Array.from({ length: 5 }, (_, i) => `  line ${i}`), '', '✻ Worked for 9s']))).toBe('completed');
    expect(classifyClaude(s)).toBe('idle'); // nothing of an answer left on screen: nothing to call completed
  });

  it('API errors with retries left are processing; the footer says so', () => {
    expect(screen('processing.4')).toMatch(/API error · Retrying in/);
    expect(classifyClaude(screen('processing.4'))).toBe('processing');
  });

  it('an interrupted turn is idle: Esc puts the prompt back in the box, or marks the call Interrupted', () => {
    expect(screen('idle.12')).toMatch(/^❯\u00a0please fail500$/m);
    expect(classifyClaude(screen('idle.12'))).toBe('idle');
    expect(screen('idle.11')).toMatch(/Interrupted · What should Claude do instead\?/);
    expect(classifyClaude(screen('idle.11'))).toBe('idle');
  });

  it('an empty or unknown screen is processing (still starting)', () => {
    expect(classifyClaude('')).toBe('processing');
    expect(classifyClaude('Loading…\n')).toBe('processing');
  });
});

describe('extractClaudeAnswer', () => {
  it("returns the last turn's answer only", () => {
    // completed.1 holds reply #4 (first turn) and reply #2 (second turn).
    expect(extractClaudeAnswer(screen('completed.1'))).toBe('Hello from the fake model (reply #2).');
  });

  it('returns the whole multi-line answer with its line breaks and inner indentation', () => {
    expect(extractClaudeAnswer(screen('completed.9'))).toBe('Tool finished. Result was: first line\n\n  indented second\nthird [x] line');
  });

  it('reads screens cao itself captured (a handoff turn, a second turn)', () => {
    expect(extractClaudeAnswer(screen('completed.1.cao'))).toBe(
      'Tool finished. Result was: {"success":true,"message":"Handed off to cap_worker (mock)","output":"Worker finished the report","terminal_id":"a3ef7602"} [cap1]',
    );
    expect(extractClaudeAnswer(screen('completed.2.cao'))).toBe('Hello from the fake model (reply #15). [cap3]');
  });

  it("2.1.332: skips the deferred-tool lookup and the collapsed call without its '(ctrl+o to expand)' hint", () => {
    expect(extractClaudeAnswer(screen('completed.12.v332'))).toBe(
      'Tool finished. Result was: {"success":true,"message":"Handed off to w (mock)","output":"W says job42","terminal_id":"07442fa0"} [m]',
    );
  });

  it('skips tool calls and their output, and text before the last call', () => {
    expect(extractClaudeAnswer(screen('completed.3'))).toBe('Tool finished. Result was: bashok40831');
    // A collapsed MCP call (`Called fakemcp (ctrl+o to expand)`) is not part of the answer either.
    expect(extractClaudeAnswer(screen('completed.4'))).toBe('Tool finished. Result was: fake_echo says: mcpok42115');
  });

  it('reads through colours and trailing spaces (capture-pane -e / -J)', () => {
    expect(extractClaudeAnswer(readFileSync(`${DIR}completed.2.ansi`, 'utf8'))).toBe('Hello from the fake model (reply #2). [t1]');
    expect(extractClaudeAnswer(screen('completed.2').replace(/\n/g, '   \n'))).toBe('Hello from the fake model (reply #2). [t1]');
  });

  it('gives the error text for a failed turn, and nothing when there is no answer', () => {
    expect(extractClaudeAnswer(screen('error.1'))).toBe('API Error: 400 Fake server scripted error 400');
    expect(extractClaudeAnswer(screen('error.5'))).toBe('Not logged in · Please run /login');
    for (const name of ['idle.1', 'idle.2', 'idle.13', 'waiting_user_answer.8', 'error.3']) expect(extractClaudeAnswer(screen(name)), name).toBeUndefined();
  });
});

describe('claude_code startup dialogs', () => {
  const dialogFor = (name: string) => claudeCodeProvider.startupDialogs.find((d) => d.pattern.test(screen(name)))?.name;

  it('answer the trust, API key and bypass questions with the number of the accepting option', () => {
    expect(dialogFor('waiting_user_answer.8')).toBe('trust folder');
    expect(dialogFor('waiting_user_answer.9')).toBe('use the API key from the environment');
    expect(dialogFor('waiting_user_answer.10')).toBe('accept bypass permissions mode');
    expect(claudeCodeProvider.startupDialogs.map((d) => d.keys)).toEqual([['1'], ['1'], ['2']]);
  });

  it('never match a permission question or an ordinary screen', () => {
    for (const f of files.filter((x) => !/^waiting_user_answer\.(5|6|8|9|10)\./.test(x))) expect(dialogFor(f.replace(/\.txt$/, '')), f).toBeUndefined();
  });
});

// ── launch ──────────────────────────────────────────────────────────────────

const TDIR = '/home/u/.cao/terminals/ab12cd34';
const ctx = launchContext;
const NOBODY: ClaudeLaunchOptions = { root: false, user: {} };
const fileJson = (spec: ReturnType<typeof launchClaude>, name: string) => {
  const f = spec.files.find((x) => x.path.endsWith(`/${name}`));
  return f ? (JSON.parse(f.content) as Record<string, any>) : undefined;
};

describe('claude_code launch', () => {
  it('runs claude with a per-terminal config folder; every file is inside the terminal folder', () => {
    const spec = launchClaude(ctx(), NOBODY);
    expect(spec.argv).toEqual(['claude', '--strict-mcp-config', '--append-system-prompt=You write code.', '--permission-mode', 'default']);
    expect(spec.env).toEqual({ CLAUDE_CONFIG_DIR: `${TDIR}/claude`, CLAUDE_SECURESTORAGE_CONFIG_DIR: '', DISABLE_AUTOUPDATER: '1' });
    expect(spec.files.map((f) => f.path).sort()).toEqual([`${TDIR}/claude/.claude.json`, `${TDIR}/claude/settings.json`]);
    const state = fileJson(spec, '.claude.json')!;
    expect(state).toMatchObject({
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: [], rejected: [] },
      projects: { '/home/dev/project': { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
    });
    expect(state.bypassPermissionsModeAccepted).toBeUndefined();
    // No suggested prompt in the input box, no recap: text cao would have to read around.
    expect(fileJson(spec, 'settings.json')).toEqual({ promptSuggestionEnabled: false, awaySummaryEnabled: false });
  });

  it('is argv, not a shell line: the binary, then flags', () => {
    const spec = launchClaude(ctx(), NOBODY);
    expect(spec.argv[0]).toBe('claude');
    expect(spec.argv).not.toContain('-c');
    expect(spec.argv.some((a) => /^(sh|bash|env)$/.test(a))).toBe(false);
  });

  it('approves the API key of the environment by its last 20 characters', () => {
    const spec = launchClaude(ctx({ env: { HOME: '/home/u', ANTHROPIC_API_KEY: 'sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123' } }), NOBODY);
    expect(fileJson(spec, '.claude.json')!.customApiKeyResponses).toEqual({ approved: ['KLMNOPQRSTUVWXYZ0123'], rejected: [] });
  });

  it('passes the system prompt as one argument, byte for byte (quotes, newlines, backslashes, a leading dash)', () => {
    const body = '- first line starts with a dash\n"double" \'single\' `tick` $HOME \\back\\slash\n\n\tlast; rm -rf / #';
    const spec = launchClaude(ctx({}, `---\nname: developer\n---\n${body}`), NOBODY);
    const arg = spec.argv.find((a) => a.startsWith('--append-system-prompt='))!;
    expect(arg.slice('--append-system-prompt='.length)).toBe(body);
  });

  it('puts a long system prompt in a file (tmux refuses commands over 16 KiB)', () => {
    const body = `${'A long prompt line.\n'.repeat(400)}end`;
    const spec = launchClaude(ctx({}, `---\nname: developer\n---\n${body}`), NOBODY);
    const i = spec.argv.indexOf('--append-system-prompt-file');
    expect(spec.argv[i + 1]).toBe(`${TDIR}/system-prompt.md`);
    expect(spec.files.find((f) => f.path === `${TDIR}/system-prompt.md`)?.content).toBe(body);
    expect(spec.argv.some((a) => a.startsWith('--append-system-prompt='))).toBe(false);
  });

  it("uses the profile's prompt field when the body is empty", () => {
    expect(launchClaude(ctx({}, '---\nname: p\nprompt: "From the field.\\nTwo lines."\n---\n'), NOBODY).argv).toContain('--append-system-prompt=From the field.\nTwo lines.');
  });

  it('adds no prompt flag for a profile without a body', () => {
    expect(launchClaude(ctx({}, '---\nname: bare\n---\n'), NOBODY).argv).toEqual(['claude', '--strict-mcp-config', '--permission-mode', 'default']);
  });

  it("passes the profile's model", () => {
    const argv = launchClaude(ctx({}, '---\nname: developer\nmodel: claude-sonnet-4-5\n---\nX'), NOBODY).argv;
    expect(argv.slice(argv.indexOf('--model'), argv.indexOf('--model') + 2)).toEqual(['--model', 'claude-sonnet-4-5']);
  });

  it("writes the profile's MCP servers to a per-terminal file, with the terminal id and cao's address", () => {
    const p = '---\nname: sup\nmcpServers:\n  cao-mcp-server:\n    type: stdio\n    command: cao\n    args: ["mcp-server"]\n  other:\n    command: npx\n    args: ["-y", "x"]\n    env: { K: V }\n---\nX';
    const spec = launchClaude(ctx({}, p), NOBODY);
    const i = spec.argv.indexOf('--mcp-config');
    expect(spec.argv[i + 1]).toBe(`${TDIR}/mcp.json`);
    expect(spec.argv).toContain('--strict-mcp-config');
    const { mcpServers } = fileJson(spec, 'mcp.json')!;
    expect(Object.keys(mcpServers)).toEqual(['cao-mcp-server', 'other']);
    expect(mcpServers['cao-mcp-server']).toMatchObject({ type: 'stdio', command: process.execPath, env: { CAO_TERMINAL_ID: 'ab12cd34', CAO_API_PORT: '9889' } });
    expect(mcpServers['cao-mcp-server'].args[1]).toBe('mcp-server');
    expect(mcpServers.other).toEqual({ command: 'npx', args: ['-y', 'x'], env: { CAO_TERMINAL_ID: 'ab12cd34', K: 'V' } });
  });

  it('yolo: bypass flag, the bypass dialog pre-accepted; IS_SANDBOX only as root', () => {
    const yolo = launchClaude(ctx({ yolo: true }), NOBODY);
    expect(yolo.argv[yolo.argv.length - 1]).toBe('--dangerously-skip-permissions');
    expect(yolo.env.IS_SANDBOX).toBeUndefined();
    expect(fileJson(yolo, '.claude.json')!.bypassPermissionsModeAccepted).toBe(true);
    expect(fileJson(yolo, 'settings.json')).toEqual({ promptSuggestionEnabled: false, awaySummaryEnabled: false, skipDangerousModePermissionPrompt: true });
    expect(launchClaude(ctx({ yolo: true }), { ...NOBODY, root: true }).env.IS_SANDBOX).toBe('1');
  });

  it('without yolo: no bypass flag, no IS_SANDBOX, even as root; the asking permission mode unless the user chose one', () => {
    const spec = launchClaude(ctx(), { ...NOBODY, root: true });
    expect(spec.argv).not.toContain('--dangerously-skip-permissions');
    expect(spec.argv.slice(-2)).toEqual(['--permission-mode', 'default']);
    expect(launchClaude(ctx(), { root: false, user: { settings: { permissions: { defaultMode: 'acceptEdits' } } } }).argv).not.toContain('--permission-mode');
    expect(launchClaude(ctx({ yolo: true }), NOBODY).argv).not.toContain('--permission-mode');
    expect(spec.env.IS_SANDBOX).toBeUndefined();
    expect(fileJson(spec, 'settings.json')!.skipDangerousModePermissionPrompt).toBeUndefined();
  });

  it("keeps the user's settings and login identity, and points the credential store at the user's config", () => {
    const user = { settings: { permissions: { allow: ['Bash(npm test)'] }, model: 'opus', promptSuggestionEnabled: true }, global: { oauthAccount: { emailAddress: 'a@b.c' }, theme: 'light', projects: { '/x': {} }, numStartups: 99 } };
    const spec = launchClaude(ctx({ yolo: true }), { root: false, user });
    expect(fileJson(spec, 'settings.json')).toEqual({
      permissions: { allow: ['Bash(npm test)'] }, model: 'opus', promptSuggestionEnabled: false, awaySummaryEnabled: false, skipDangerousModePermissionPrompt: true,
    });
    const state = fileJson(spec, '.claude.json')!;
    expect(state.oauthAccount).toEqual({ emailAddress: 'a@b.c' });
    expect(state.theme).toBe('light');
    expect(state.numStartups).toBe(1);
    expect(Object.keys(state.projects)).toEqual(['/home/dev/project']);
    // A user with their own CLAUDE_CONFIG_DIR keeps their credentials there.
    const custom = launchClaude(ctx({ env: { HOME: '/home/u', CLAUDE_CONFIG_DIR: '/home/u/.claude-work' } }), NOBODY);
    expect(custom.env.CLAUDE_SECURESTORAGE_CONFIG_DIR).toBe('/home/u/.claude-work');
    expect(custom.env.CLAUDE_CONFIG_DIR).toBe(`${TDIR}/claude`);
  });

  it('maps profile allowedTools Claude understands; drops the rest', () => {
    expect(claudeAllowedTools(['@cao-mcp-server', '@git/status', 'Bash(npm test:*)', 'Edit', 'mcp__x__y', 'fs_read', 'execute_bash', 3])).toEqual([
      'mcp__cao-mcp-server', 'mcp__git__status', 'Bash(npm test:*)', 'Edit', 'mcp__x__y',
    ]);
    const argv = launchClaude(ctx({}, '---\nname: sup\nallowedTools: ["@cao-mcp-server", "fs_read"]\n---\nX'), NOBODY).argv;
    expect(argv).toContain('--allowedTools=mcp__cao-mcp-server');
    expect(launchClaude(ctx({}, '---\nname: sup\nallowedTools: ["fs_read"]\n---\nX'), NOBODY).argv.some((a) => a.startsWith('--allowedTools'))).toBe(false);
  });
});

describe("reading the user's Claude config", () => {
  const home = mkdtempSync(join(tmpdir(), 'cao-claude-user-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('reads ~/.claude/settings.json and ~/.claude.json, or $CLAUDE_CONFIG_DIR; ignores missing or broken files', () => {
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, '.claude', 'settings.json'), '{"model":"opus"}');
    writeFileSync(join(home, '.claude.json'), '{"theme":"light"}');
    expect(readUserClaudeConfig({ HOME: home })).toEqual({ settings: { model: 'opus' }, global: { theme: 'light' } });
    mkdirSync(join(home, 'custom'));
    writeFileSync(join(home, 'custom', 'settings.json'), 'not json');
    writeFileSync(join(home, 'custom', '.claude.json'), '[1]');
    expect(readUserClaudeConfig({ HOME: home, CLAUDE_CONFIG_DIR: join(home, 'custom') })).toEqual({ settings: undefined, global: undefined });
    expect(readUserClaudeConfig({ HOME: join(home, 'nowhere') })).toEqual({ settings: undefined, global: undefined });
  });

  it('the provider launch reads them from the agent environment', () => {
    const spec = claudeCodeProvider.launch(ctx({ env: { HOME: home } }));
    expect(fileJson(spec, 'settings.json')).toMatchObject({ model: 'opus' });
    expect(fileJson(spec, '.claude.json')!.theme).toBe('light');
  });
});

describe('claude_code provider', () => {
  it('is supported, submits after the paste is drawn, exits with /exit, interrupts with Escape', () => {
    expect(claudeCodeProvider).toMatchObject({
      id: 'claude_code', binary: 'claude', supported: true,
      input: { bracketed: true, submitKeys: ['Enter'], awaitEcho: true },
      exit: { text: '/exit' },
      interruptKeys: ['Escape'],
    });
  });
});
