/** Test agent profiles for the mock provider: a profile in CAO_HOME/agent-store plus its script. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface TestAgent {
  name: string;
  /** The mock script (see docs/mock-agent.md), as an object. */
  script: Record<string, unknown>;
  /** Give the agent cao's MCP tools (handoff, assign, send_message). Default true. */
  mcp?: boolean;
}

export function writeAgent(home: string, a: TestAgent): void {
  const dir = join(home, 'agent-store');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${a.name}.yaml`), stringify(a.script));
  const mcp = a.mcp === false ? '' : 'mcpServers:\n  cao-mcp-server:\n    type: stdio\n    command: cao\n    args: ["mcp-server"]\n';
  writeFileSync(join(dir, `${a.name}.md`), `---\nname: ${a.name}\ndescription: test agent ${a.name}\nprovider: mock\nmockScript: ${a.name}.yaml\n${mcp}---\nYou are ${a.name}, a test agent.\n`);
}

/** The rule list of a script, written compactly. */
export const rules = (...r: Record<string, unknown>[]) => ({ rules: r });
