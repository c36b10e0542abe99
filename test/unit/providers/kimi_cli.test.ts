/**
 * Kimi CLI: screen rules checked against test/fixtures/screens/kimi_cli (see its README), and the
 * launch spec: the requested working directory, per-terminal agent file and MCP config.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kimiCliProvider } from '../../../src/providers/kimi-cli.js';
import { STATUSES, type LaunchContext } from '../../../src/providers/types.js';
import { describeClassifyOnScreens, screenFixtures } from '../../helpers/screens.js';
import { launchContext } from '../../helpers/launch-context.js';

const fx = screenFixtures('kimi_cli');
const { dir: DIR, files, screen, statusOf } = fx;
const { classify, extractLastMessage: extract } = kimiCliProvider;

describe('kimi_cli screen fixtures', () => {
  it('exist for every status and each is in the README', () => {
    expect([...new Set(files.map(statusOf))].sort()).toEqual([...STATUSES].sort());
    const readme = readFileSync(`${DIR}README.md`, 'utf8');
    for (const f of files) expect(readme, f).toContain(`\`${f}\``);
  });

});

describeClassifyOnScreens(fx, 'kimi_cli classify on the fixtures', classify);

describe('kimi_cli classify', () => {
  it('thinking (💫) and non-thinking (✨) prompts, with and without user@host', () => {
    const idle = screen('idle.1');
    expect(classify(idle.replace('💫', '✨'))).toBe('idle');
    expect(classify(idle.replace('💫', 'bob@host.example.com💫'))).toBe('idle');
    const done = screen('completed.1');
    expect(classify(done.replaceAll('💫', '✨'))).toBe('completed');
    expect(classify(done.replaceAll('💫', 'alice@app💫'))).toBe('completed');
  });

  it('typed or just-submitted text after the prompt at the bottom is not ready (S1)', () => {
    expect(classify(screen('processing.2.constructed'))).toBe('processing');
    expect(classify(screen('idle.1').replace('💫\n', '💫 half typed\n'))).toBe('processing');
  });

  it('an old error is stale once the next turn answered; an error after the echo fails the turn', () => {
    expect(classify(screen('completed.3.constructed'))).toBe('completed');
    expect(classify(screen('error.2.constructed'))).toBe('error');
  });

  it('an answered approval (a bullet or the prompt after it) no longer waits', () => {
    const panel = screen('waiting_user_answer.1.constructed');
    const answered = panel.replace(/╭─ approval ─+╮\n[\s\S]*?╰─+╯\n/, '• Removed the build directory.\n💫\n');
    expect(answered).not.toBe(panel);
    expect(classify(answered)).toBe('completed');
  });

  it('an approval panel followed by more output is not mistaken for the echo of a message', () => {
    const panel = screen('waiting_user_answer.1.constructed').replace(/\n+23:20.*\n?$/, '\n');
    const later = `${panel}• Removed the build directory.\n💫\n`;
    expect(classify(later)).toBe('completed');
    expect(extract(later)).toContain("I'll remove the build directory.");
  });

  it('the live "Thinking" line means the agent works, even with a prompt drawn', () => {
    expect(classify(screen('completed.1').replace('• The function takes', 'Thinking ⠋  1.2s · 340 chars\n• The function takes'))).toBe('processing');
  });

  it('blank screen: processing', () => {
    expect(classify('')).toBe('processing');
  });
});

describe('kimi_cli extractLastMessage', () => {
  it('the last turn with its line breaks; bullets dropped; thinking bullets kept (no colours in plain captures)', () => {
    expect(extract(screen('completed.1'))).toBe(
      'Let me think about what the user wants...\nHere is a simple greet function:\n\ndef greet(name):\n    return f"Hello, {name}!"\n\nThe function takes a name parameter and returns a greeting string.',
    );
    expect(extract(screen('completed.3.constructed'))).toBe('The design has two parts:\n\n  1. a [parser] for the input\n  2. a planner\n\nSee docs/design.md for details.');
    expect(extract(screen('completed.2'))!.split('\n').slice(3, 6)).toEqual(['class Calculator:', '    def add(self, a, b):', '        return a + b']);
  });

  it('nothing while processing, waiting, idle or after a failed turn', () => {
    for (const name of ['processing.1', 'processing.2.constructed', 'waiting_user_answer.1.constructed', 'idle.1', 'error.1', 'error.2.constructed']) {
      expect(extract(screen(name)), name).toBeUndefined();
    }
  });
});

const ctx = (over: Partial<LaunchContext> = {}, text = '---\nname: developer\n---\nYou write code.') => launchContext(over, text);

describe('kimi_cli launch', () => {
  const T = '/home/u/.cao/terminals/ab12cd34/kimi';

  it('runs in the requested working directory with a per-terminal agent file (P4)', () => {
    const spec = kimiCliProvider.launch(ctx());
    expect(spec.argv).toEqual(['kimi', '--work-dir', '/home/dev/project', '--agent-file', `${T}/agent.yaml`]);
    expect(spec.env).toEqual({ TERM: 'xterm-256color' });
    expect(spec.files).toEqual([
      { path: `${T}/system.md`, content: 'You write code.' },
      { path: `${T}/agent.yaml`, content: 'version: 1\nagent:\n  extend: default\n  system_prompt_path: ./system.md\n' },
    ]);
  });

  it('no agent file without a system prompt; model; yolo only when asked', () => {
    expect(kimiCliProvider.launch(ctx({}, '---\nname: bare\n---\n')).argv).toEqual(['kimi', '--work-dir', '/home/dev/project']);
    expect(kimiCliProvider.launch(ctx({}, '---\nname: m\nmodel: kimi-k2\n---\n')).argv).toEqual(['kimi', '--work-dir', '/home/dev/project', '--model', 'kimi-k2']);
    expect(kimiCliProvider.launch(ctx({ yolo: true })).argv.at(-1)).toBe('--yolo');
    expect(kimiCliProvider.launch(ctx()).argv).not.toContain('--yolo');
  });

  it("writes the profile's MCP servers (with the terminal id) to a per-terminal file", () => {
    const spec = kimiCliProvider.launch(ctx({}, '---\nname: d\nmcpServers:\n  x:\n    command: node\n    args: ["x.js"]\n---\nB'));
    expect(spec.argv.slice(-2)).toEqual(['--mcp-config-file', `${T}/mcp.json`]);
    const cfg = JSON.parse(spec.files.find((f) => f.path.endsWith('mcp.json'))!.content);
    expect(cfg.mcpServers.x).toMatchObject({ command: 'node', args: ['x.js'], env: { CAO_TERMINAL_ID: 'ab12cd34' } });
    expect(cfg.mcpServers.x.env).toEqual({ CAO_TERMINAL_ID: 'ab12cd34' }); // cao's address is for its own server only
  });

  it('keeps prompts with quotes, newlines and backslashes out of argv', () => {
    const body = 'Say "hi"\nC:\\dir $HOME `x`';
    const spec = kimiCliProvider.launch(ctx({}, `---\nname: developer\n---\n${body}`));
    expect(spec.argv.join(' ')).not.toMatch(/hi|HOME/);
    expect(spec.files[0]!.content).toBe(body);
  });

  it('input, exit and interrupt', () => {
    expect(kimiCliProvider.input).toEqual({ bracketed: true, submitKeys: ['Enter'], awaitEcho: true });
    expect(kimiCliProvider.exit).toEqual({ text: '/exit' });
    expect(kimiCliProvider.interruptKeys).toEqual(['C-c']);
    expect(kimiCliProvider.supported).toBe(true);
  });
});
