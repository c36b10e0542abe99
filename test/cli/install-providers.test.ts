/** `cao install --provider kiro_cli|q_cli|copilot_cli` writes the agent file that CLI reads (temp HOME). */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package.js';
import { runCao } from '../helpers/cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cao-install-'));
  env = { PATH: process.env.PATH, HOME: join(dir, 'home'), CAO_HOME: join(dir, 'cao') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const profile = (text: string) => {
  const f = join(dir, 'analyst.md');
  writeFileSync(f, text);
  return f;
};
const ANALYST = [
  '---', 'name: analyst', 'description: Looks at data', 'model: claude-sonnet-4', 'tools: ["fs_read", "@cao"]', 'hooks: { agentSpawn: [{ command: "date" }] }',
  'mcpServers:', '  cao:', '    command: cao', '    args: ["mcp-server"]', '  files:', '    command: npx', '    args: ["-y", "fs-server"]', '    env: { ROOT: "/data" }',
  '---', 'You analyse data.', '',
].join('\n');

describe('cao install --provider', () => {
  it('kiro_cli: agent JSON in ~/.kiro/agents with the prompt as a context resource', async () => {
    const r = await runCao(['install', profile(ANALYST), '--provider', 'kiro_cli'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const path = join(dir, 'home', '.kiro', 'agents', 'analyst.json');
    expect(r.stdout).toContain(`✓ kiro_cli agent: ${path}`);
    const json = JSON.parse(readFileSync(path, 'utf8'));
    const context = join(dir, 'cao', 'agent-context', 'analyst.md');
    expect(readFileSync(context, 'utf8')).toBe('You analyse data.\n');
    expect(json).toEqual({
      name: 'analyst',
      description: 'Looks at data',
      mcpServers: {
        cao: { type: 'stdio', command: process.execPath, args: [join(PACKAGE_ROOT, 'bin', 'cao.js'), 'mcp-server'] },
        files: { command: 'npx', args: ['-y', 'fs-server'], env: { ROOT: '/data' } },
      },
      tools: ['fs_read', '@cao'],
      allowedTools: ['@builtin', 'fs_*', 'execute_bash', '@cao', '@files'],
      resources: [`file://${context}`],
      hooks: { agentSpawn: [{ command: 'date' }] },
      useLegacyMcpJson: false,
      model: 'claude-sonnet-4',
    });
  });

  it('kiro_cli honours CAO_AGENTS_DIR', async () => {
    const agents = join(dir, 'agents');
    const r = await runCao(['install', profile(ANALYST), '--provider', 'kiro_cli'], { ...env, CAO_AGENTS_DIR: agents });
    expect(r.code).toBe(0);
    expect(existsSync(join(agents, 'analyst.json'))).toBe(true);
    expect(existsSync(join(dir, 'home', '.kiro'))).toBe(false);
  });

  it("q_cli: agent JSON in Q's agents folder", async () => {
    const r = await runCao(['install', profile(ANALYST), '--provider', 'q_cli'], env);
    expect(r.code).toBe(0);
    const path = join(dir, 'home', '.aws', 'amazonq', 'cli-agents', 'analyst.json');
    expect(r.stdout).toContain(`✓ q_cli agent: ${path}`);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ name: 'analyst', model: 'claude-sonnet-4', useLegacyMcpJson: false });
  });

  it('copilot_cli: <name>.agent.md with name, description and the body; the prompt field as fallback; error without either', async () => {
    const r = await runCao(['install', profile(ANALYST), '--provider', 'copilot_cli'], env);
    expect(r.code).toBe(0);
    const path = join(dir, 'home', '.copilot', 'agents', 'analyst.agent.md');
    expect(readFileSync(path, 'utf8')).toBe('---\nname: "analyst"\ndescription: "Looks at data"\n---\nYou analyse data.\n');

    const r2 = await runCao(['install', profile('---\nname: analyst\ndescription: "with \\"quotes\\""\nprompt: Use the prompt field.\n---\n'), '--provider', 'copilot_cli'], env);
    expect(r2.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('---\nname: "analyst"\ndescription: "with \\"quotes\\""\n---\nUse the prompt field.\n');

    const r3 = await runCao(['install', profile('---\nname: analyst\n---\n'), '--provider', 'copilot_cli'], env);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/no usable prompt content for Copilot/);
  });

  it('other providers, and no --provider, write only the agent store', async () => {
    for (const args of [['--provider', 'claude_code'], []]) {
      const r = await runCao(['install', profile(ANALYST), ...args], env);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/agent: /);
    }
    expect(existsSync(join(dir, 'home'))).toBe(false);
    expect(existsSync(join(dir, 'cao', 'agent-store', 'analyst.md'))).toBe(true);
  });
});
