/**
 * Benchmark agent profiles: `<CAO_HOME>/agent-store/<name>.md` with `provider: mock` and a mock
 * script next to it (docs/mock-agent.md). Written after the server started: profiles are read when
 * a terminal is created, so no restart is needed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MockRule {
  match: string;
  steps: Record<string, unknown>[];
}

/**
 * Writes a mock profile. Without `rules` the agent has the built-in behaviour (delay=MS, ask, fail).
 * No `mcpServers`: benchmark agents start no MCP server of their own unless `mcp` is set.
 */
export function writeMockAgent(home: string, name: string, o: { rules?: MockRule[]; mcp?: boolean } = {}): void {
  const dir = join(home, 'agent-store');
  mkdirSync(dir, { recursive: true });
  const script = o.rules ? `mockScript: ${name}.json\n` : '';
  if (o.rules) writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ rules: o.rules }, null, 2)}\n`);
  const mcp = o.mcp ? 'mcpServers:\n  cao-mcp-server:\n    type: stdio\n    command: cao\n    args: ["mcp-server"]\n' : '';
  writeFileSync(join(dir, `${name}.md`), `---\nname: ${name}\ndescription: benchmark agent ${name}\nprovider: mock\n${script}${mcp}---\nYou are ${name}, a benchmark agent.\n`);
}
