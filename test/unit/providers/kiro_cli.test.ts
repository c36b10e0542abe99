/**
 * Kiro CLI: screen rules for the legacy chat and the terminal UI, checked against the screens in
 * test/fixtures/screens/kiro_cli (its README says which are captured and which are constructed),
 * and the launch spec (per-terminal agent JSON under KIRO_AGENT_CONFIG_DIR).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/package.js';
import { kiroAgentsDir, kiroCliProvider } from '../../../src/providers/kiro-cli.js';
import { STATUSES } from '../../../src/providers/types.js';
import { describeClassifyOnScreens, itExtractsAnswers, screenFixtures } from '../../helpers/screens.js';
import { launchContext } from '../../helpers/launch-context.js';

const fx = screenFixtures('kiro_cli');
const { dir: DIR, files, screen, statusOf } = fx;
const { classify, extractLastMessage: extract } = kiroCliProvider;

describe('kiro_cli screen fixtures', () => {
  it('exist for every status and are named <status>.<n>[.<origin>].txt', () => {
    expect([...new Set(files.map(statusOf))].sort()).toEqual([...STATUSES].sort());
    for (const f of files) expect(f, f).toMatch(/^[a-z_]+\.\d+(?:\.(?:constructed|upstream))?\.txt$/);
  });

  it('each has an entry in the README', () => {
    const readme = readFileSync(`${DIR}README.md`, 'utf8');
    for (const f of files) expect(readme, f).toContain(`\`${f}\``);
  });
});

describeClassifyOnScreens(fx, 'kiro_cli classify on the fixtures', classify);

describe('kiro_cli classify: current turn only (legacy chat)', () => {
  it('the user\'s own `[agent] > question` line after an old answer is not a finished turn (S1)', () => {
    expect(classify(screen('processing.4.constructed'))).toBe('processing');
    // ...and once the agent answered, it is.
    expect(classify(`${screen('processing.4.constructed')}\n> Because two and two make four.\n\n[developer] 4% > `)).toBe('completed');
  });

  it('tool output after a submitted turn is processing until the prompt returns', () => {
    const s = `${screen('completed.1')}\n[developer]> fix the bug\nReading file: src/a.ts\n - Completed in 0.1s`;
    expect(classify(s)).toBe('processing');
  });

  it('an answered permission question (y, then output) is not waiting; the open one is', () => {
    const open = screen('waiting_user_answer.3');
    expect(classify(open)).toBe('waiting_user_answer');
    expect(classify(`${open}y\n\nUpdating: src/a.ts`)).toBe('processing');
  });

  it('an old error is stale once a later turn answered; a new error after the answer counts', () => {
    expect(classify(screen('completed.12.constructed'))).toBe('completed');
    expect(classify(`${screen('completed.1')}\n[developer]> again\nKiro is having trouble responding right now.\n\n[developer]>`)).toBe('error');
  });

  it('the agent cao configured was not found (old Kiro without KIRO_AGENT_CONFIG_DIR): error, not a ready agent', () => {
    const missing = 'Error: no agent with name developer found. Falling back to user specified default\n\n[kiro_default] > ';
    expect(classify(missing)).toBe('error');
    // Once a turn ran, the line is history.
    expect(classify(`${missing}hello\n\n> Hi.\n\n[kiro_default] > `)).toBe('completed');
    const tui = `[warn] failed to set agent 'developer': Internal error\n${screen('idle.2')}`;
    expect(classify(tui)).toBe('error');
  });

  it('blank screen, banner only: processing', () => {
    expect(classify('')).toBe('processing');
    expect(classify('$ kiro-cli chat --agent developer\n')).toBe('processing');
  });
});

describe('kiro_cli classify: terminal UI', () => {
  it('a busy composer below an old answer is processing, whatever the old turn says', () => {
    expect(classify(screen('processing.2.constructed'))).toBe('processing');
  });

  it('an approval panel waits; once the composer is back below it, it is stale', () => {
    const panel = screen('waiting_user_answer.7.constructed');
    expect(classify(panel)).toBe('waiting_user_answer');
    const frame = screen('completed.6').split('\n').slice(-6).join('\n');
    expect(classify(`${panel}  Yes, single permission was chosen\n${frame}`)).toBe('completed');
  });

  it('turns redrawn without frames between them are split at the credits line', () => {
    // completed.6's frame, with two turns above it (as a full redraw or Ink's scrollback shows them).
    const lines = screen('completed.6').split('\n');
    const frame = lines.slice(-6).join('\n');
    const two = ['  first question', '• First answer.', '▸ Credits: turn 0.01 • session 0.01 | Time: 1s', '  second question', '• Second answer,', '  two lines.', '▸ Credits: turn 0.02 • session 0.03 | Time: 2s', frame].join('\n');
    expect(classify(two)).toBe('completed');
    expect(extract(two)).toBe('Second answer,\n  two lines.');
  });

  it('an older frame left in scrollback does not end the current turn', () => {
    // completed.7: the first turn's frame sits above the second turn.
    const lines = screen('completed.7').split('\n');
    const busy = [...lines.slice(0, -2), '›  Kiro is working · 2s · Type to steer · Ctrl+S to queue'].join('\n');
    expect(classify(busy)).toBe('processing');
  });

  it('text typed into the composer is not idle, even with an older frame\'s placeholder in scrollback', () => {
    const lines = screen('completed.7').split('\n');
    const typed = [...lines.slice(0, -2), '›  and now the third question'].join('\n');
    expect(classify(typed)).toBe('processing');
    expect(extract(typed)).toBeUndefined();
    const lite = screen('idle.3.constructed').replace('> ask a question, or type / for commands', '> half typed');
    expect(classify(lite)).toBe('processing');
  });

  it('newest lite layout: empty input row while working, idle placeholder after', () => {
    expect(classify(screen('processing.5.constructed'))).toBe('processing');
    expect(classify(screen('idle.3.constructed'))).toBe('idle');
    expect(classify(screen('completed.13.constructed'))).toBe('completed');
    expect(extract(screen('error.4.constructed'))).toBeUndefined();
  });

  it('a fresh terminal UI without a turn is idle', () => {
    expect(classify(screen('idle.2'))).toBe('idle');
    // completed.6 without its turn (and without the shell lines above kiro-cli: cao starts the CLI
    // as the window's own command).
    const fresh = screen('completed.6').split('\n');
    expect(classify([...fresh.slice(2, 5), ...fresh.slice(-6)].join('\n'))).toBe('idle');
  });
});

describe('kiro_cli extractLastMessage', () => {
  const cases: [string, string][] = [
    ['completed.1', 'Here is a comprehensive response to your query.\n\nThis response includes multiple paragraphs and demonstrates\nhow Q CLI formats its output with proper spacing and structure.\n\nThe response can include:\n- Bullet points\n- Code examples\n- Multiple sections'],
    ['completed.3', 'Handoff completed successfully. The developer agent will handle the implementation.'],
    // Answered permission questions and tool lines before the last answer are not part of it.
    ['completed.4', 'Done! Updated both files.'],
    // A message typed at a permission question started a new turn.
    ['completed.5', 'I understand. Let me revise the analysis with more careful consideration.'],
    // Line breaks, tabs and bracketed text survive (the original glued lines and ate `[p`).
    ['completed.12.constructed', 'The design has three parts:\n\n  1. a [parser] for the input\n\t2. a planner (indented with a tab)\n\nSee [docs/design.md](docs/design.md) for details.'],
    // Terminal UI (lite): the bullet starts the answer, the user's message above it is left out.
    ['completed.6', 'ZEBRA42'],
    ['completed.7', 'SECOND42'],
    // Terminal UI (full): the first paragraph is the user's message.
    ['completed.8', "Agent's response here."],
    ['completed.9.upstream', 'Here is a comprehensive response listing the files in the current directory.\n\nThe directory contains the following files:\n- README.md\n- package.json\n- src/index.ts\n\nThis response includes multiple paragraphs to verify extraction.'],
    ['completed.11.constructed', 'The design has three parts:\n\n  1. a [parser] for the input\n  2. a planner\n\n  See docs/design.md for details.'],
    // Newest lite layout: after the agent's role tag (named in the status line); `You:` message,
    // thinking block and turn summary left out.
    ['completed.13.constructed', 'The design has three parts:\n\n1. a [parser] for the input\n2. a planner\n\nSee docs/design.md for details.'],
  ];
  itExtractsAnswers(fx, extract, cases);

  it('keeps code blocks and their indentation', () => {
    const a = extract(screen('completed.10.upstream'))!;
    expect(a).toContain('```python\ndef hello_world():\n    print("Hello, World!")\n    return True\n```');
    expect(a.split('\n')[0]).toBe("Here's a detailed response with code examples.");
    expect(a.endsWith('2. Return values')).toBe(true);
  });

  it('has no answer while working, waiting, idle, or after a failed turn', () => {
    for (const name of ['processing.1', 'processing.2.constructed', 'processing.4.constructed', 'waiting_user_answer.3', 'idle.1', 'idle.2', 'error.1', 'error.2', 'error.3.constructed']) {
      expect(extract(screen(name)), name).toBeUndefined();
    }
  });
});

const ctx = launchContext;
const agentFile = (spec: ReturnType<typeof kiroCliProvider.launch>) => {
  const f = spec.files.find((x) => x.path.endsWith('.json'))!;
  return { path: f.path, json: JSON.parse(f.content) as Record<string, unknown> };
};

describe('kiro_cli launch', () => {
  it('runs kiro-cli chat with a per-terminal agent folder; nothing outside the terminal folder', () => {
    const spec = kiroCliProvider.launch(ctx());
    expect(spec.argv).toEqual(['kiro-cli', 'chat', '--agent', 'developer']);
    expect(spec.env).toEqual({ KIRO_AGENT_CONFIG_DIR: kiroAgentsDir('/home/u/.cao/terminals/ab12cd34') });
    for (const f of spec.files) expect(f.path.startsWith('/home/u/.cao/terminals/ab12cd34/')).toBe(true);
    const { path, json } = agentFile(spec);
    expect(path).toBe('/home/u/.cao/terminals/ab12cd34/kiro-agents/developer.json');
    expect(json).toEqual({
      name: 'developer',
      description: 'Dev',
      tools: ['*'],
      allowedTools: [],
      resources: ['file:///home/u/.cao/terminals/ab12cd34/system-prompt.md'],
      useLegacyMcpJson: false,
    });
    expect(spec.files.find((f) => f.path.endsWith('system-prompt.md'))?.content).toBe('You write code.');
  });

  it('trusts all tools only with yolo', () => {
    expect(kiroCliProvider.launch(ctx({ yolo: true })).argv).toEqual(['kiro-cli', 'chat', '--agent', 'developer', '--trust-all-tools']);
    expect(kiroCliProvider.launch(ctx()).argv).not.toContain('--trust-all-tools');
  });

  it('passes model, tools, allowedTools, hooks, prompt and resources through the agent JSON', () => {
    const p = [
      '---', 'name: analyst', 'model: claude-sonnet-4.5', 'prompt: Be brief.', 'tools: ["fs_read", "@cao"]', 'allowedTools: ["fs_read"]',
      'toolAliases: { "@cao/handoff": "handoff" }', 'toolsSettings: { fs_read: { allowedPaths: ["./"] } }',
      'hooks: { agentSpawn: [{ command: "git status" }] }', 'resources: ["file://README.md"]', '---', 'Analyse.',
    ].join('\n');
    const { json } = agentFile(kiroCliProvider.launch(ctx({}, p)));
    expect(json).toMatchObject({
      name: 'analyst', model: 'claude-sonnet-4.5', prompt: 'Be brief.', tools: ['fs_read', '@cao'], allowedTools: ['fs_read'],
      toolAliases: { '@cao/handoff': 'handoff' }, toolsSettings: { fs_read: { allowedPaths: ['./'] } },
      hooks: { agentSpawn: [{ command: 'git status' }] },
      resources: ['file:///home/u/.cao/terminals/ab12cd34/system-prompt.md', 'file://README.md'],
    });
  });

  it("gives the profile's MCP servers the terminal id and cao's address, and pre-approves them", () => {
    const p = '---\nname: developer\nmcpServers:\n  cao:\n    command: cao\n    args: ["mcp-server"]\n  files:\n    command: npx\n    args: ["-y", "fs-server"]\n---\nBody';
    const { json } = agentFile(kiroCliProvider.launch(ctx({}, p)));
    const servers = json.mcpServers as Record<string, { command: string; args: string[]; env: Record<string, string> }>;
    expect(servers.cao).toMatchObject({ command: process.execPath, args: [join(PACKAGE_ROOT, 'bin', 'cao.js'), 'mcp-server'] });
    expect(servers.cao!.env).toMatchObject({ CAO_TERMINAL_ID: 'ab12cd34', CAO_API_PORT: '9889' });
    expect(servers.files!.env).toMatchObject({ CAO_TERMINAL_ID: 'ab12cd34' });
    expect(json.allowedTools).toEqual(['@cao', '@files']);
  });

  it('writes no prompt file for an empty body', () => {
    const spec = kiroCliProvider.launch(ctx({}, '---\nname: bare\n---\n'));
    expect(spec.files.map((f) => f.path)).toEqual(['/home/u/.cao/terminals/ab12cd34/kiro-agents/bare.json']);
    expect(agentFile(spec).json.resources).toBeUndefined();
  });

  it('is quoting-proof: prompts with quotes, newlines and backslashes go to a file, never to argv', () => {
    const body = 'Say "hi" and \'bye\'.\nThen C:\\path\\to and $HOME `x`;\n\ttab';
    const spec = kiroCliProvider.launch(ctx({}, `---\nname: developer\ndescription: 'a "q" \\\\ b'\n---\n${body}`));
    expect(spec.argv.join(' ')).not.toMatch(/hi|bye|HOME/);
    expect(spec.files.find((f) => f.path.endsWith('system-prompt.md'))?.content).toBe(body);
    expect(agentFile(spec).json.description).toBe('a "q" \\\\ b');
  });
});

describe('kiro_cli startup dialogs and input', () => {
  const modal = screen('waiting_user_answer.9.constructed');
  const match = (s: string) => kiroCliProvider.startupDialogs.filter((d) => d.pattern.test(s)).map((d) => d.keys);

  it('moves onto "Yes, I accept" and then accepts, never "don\'t ask again"', () => {
    expect(match(modal)).toEqual([['Down']]);
    const onYes = modal.replace('❯ No, exit\n  Yes, I accept', '  No, exit\n❯ Yes, I accept');
    expect(match(onYes)).toEqual([['Enter']]);
    const onNever = modal.replace("❯ No, exit\n  Yes, I accept\n  Yes, and don't ask again", "  No, exit\n  Yes, I accept\n❯ Yes, and don't ask again");
    expect(match(onNever)).toEqual([]);
  });

  it('answers nothing on ordinary screens', () => {
    for (const f of files.filter((x) => x !== 'waiting_user_answer.9.constructed.txt')) expect(match(readFileSync(`${DIR}${f}`, 'utf8')), f).toEqual([]);
  });

  it('pastes bracketed, presses Enter after the echo, exits with /quit, interrupts with Ctrl+C', () => {
    expect(kiroCliProvider.input).toEqual({ bracketed: true, submitKeys: ['Enter'], awaitEcho: true });
    expect(kiroCliProvider.exit).toEqual({ text: '/quit' });
    expect(kiroCliProvider.interruptKeys).toEqual(['C-c']);
    expect(kiroCliProvider.supported).toBe(true);
  });
});
