/**
 * Amazon Q CLI: the legacy chat rules shared with Kiro (kiro-family.ts), checked against the
 * screens in test/fixtures/screens/q_cli, and the launch spec (agent JSON in Q's agents folder under
 * a name only this terminal uses; the prompt in the terminal's folder).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { qAgentName, qCliProvider } from '../../../src/providers/q-cli.js';
import { STATUSES } from '../../../src/providers/types.js';
import { describeClassifyOnScreens, screenFixtures } from '../../helpers/screens.js';
import { launchContext } from '../../helpers/launch-context.js';

const fx = screenFixtures('q_cli');
const { dir: DIR, files, screen, statusOf } = fx;

describe('q_cli screen fixtures', () => {
  it('exist for every status and each is in the README', () => {
    expect([...new Set(files.map(statusOf))].sort()).toEqual([...STATUSES].sort());
    const readme = readFileSync(`${DIR}README.md`, 'utf8');
    for (const f of files) expect(readme, f).toContain(`\`${f}\``);
  });

});

describeClassifyOnScreens(fx, 'q_cli classify on the fixtures', qCliProvider.classify);

describe('q_cli classify and extract: current turn only', () => {
  it('the user\'s own prompt line after an old answer is not a finished turn (S1)', () => {
    expect(qCliProvider.classify(screen('processing.2.constructed'))).toBe('processing');
  });

  it('an old "Amazon Q is having trouble" is stale after a later answer', () => {
    expect(qCliProvider.classify(screen('completed.4.constructed'))).toBe('completed');
    expect(qCliProvider.extractLastMessage(screen('completed.4.constructed'))).toBe('The design has two parts: a [parser] and a planner.\n\nBoth live under src/.');
  });

  it('extracts the whole last answer with its line breaks', () => {
    expect(qCliProvider.extractLastMessage(screen('completed.1'))).toBe(
      'Here is a comprehensive response to your query.\n\nThis response includes multiple paragraphs and demonstrates\nhow Q CLI formats its output with proper spacing and structure.\n\nThe response can include:\n- Bullet points\n- Code examples\n- Multiple sections',
    );
    expect(qCliProvider.extractLastMessage(screen('completed.3'))).toBe('Handoff completed successfully. The developer agent will handle the implementation.');
    for (const name of ['error.1', 'error.2', 'idle.1', 'processing.1', 'waiting_user_answer.1']) expect(qCliProvider.extractLastMessage(screen(name)), name).toBeUndefined();
  });
});

const ctx = launchContext;

describe('q_cli launch', () => {
  it("writes the agent into Q's agents folder under a name only this terminal uses", () => {
    const spec = qCliProvider.launch(ctx());
    const name = qAgentName('ab12cd34', 'developer');
    expect(name).toBe('cao-ab12cd34-developer');
    expect(spec.argv).toEqual(['q', 'chat', '--agent', name]);
    expect(spec.env).toEqual({});
    const agent = spec.files.find((f) => f.path.endsWith('.json'))!;
    expect(agent.path).toBe(`/home/u/.aws/amazonq/cli-agents/${name}.json`);
    expect(JSON.parse(agent.content)).toEqual({
      name, description: 'Dev', tools: ['*'], allowedTools: [],
      resources: ['file:///home/u/.cao/terminals/ab12cd34/system-prompt.md'], useLegacyMcpJson: false,
    });
    expect(spec.files.find((f) => f.path.endsWith('system-prompt.md'))).toEqual({ path: '/home/u/.cao/terminals/ab12cd34/system-prompt.md', content: 'You write code.' });
  });

  it('trusts all tools only with yolo; MCP servers get the terminal id; model passes through', () => {
    expect(qCliProvider.launch(ctx({ yolo: true })).argv.at(-1)).toBe('--trust-all-tools');
    expect(qCliProvider.launch(ctx()).argv).not.toContain('--trust-all-tools');
    const spec = qCliProvider.launch(ctx({}, '---\nname: developer\nmodel: claude-sonnet-4\nmcpServers:\n  x:\n    command: node\n    args: ["x.js"]\n---\nB'));
    const json = JSON.parse(spec.files.find((f) => f.path.endsWith('.json'))!.content);
    expect(json.mcpServers.x.env).toEqual({ CAO_TERMINAL_ID: 'ab12cd34' }); // cao's address is for its own server only
    expect(json.model).toBe('claude-sonnet-4');
    expect(json.allowedTools).toEqual(['@x']);
  });

  it('keeps prompts with quotes, newlines and backslashes out of argv', () => {
    const body = 'Say "hi"\nC:\\dir $HOME `x`';
    const spec = qCliProvider.launch(ctx({}, `---\nname: developer\n---\n${body}`));
    expect(spec.argv.join(' ')).not.toMatch(/hi|HOME/);
    expect(spec.files.find((f) => f.path.endsWith('system-prompt.md'))?.content).toBe(body);
  });

  it('input, exit and interrupt', () => {
    expect(qCliProvider.input).toEqual({ bracketed: true, submitKeys: ['Enter'], awaitEcho: true });
    expect(qCliProvider.exit).toEqual({ text: '/quit' });
    expect(qCliProvider.interruptKeys).toEqual(['C-c']);
    expect(qCliProvider.supported).toBe(true);
  });
});
