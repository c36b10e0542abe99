/**
 * A profile's MCP servers, ready for an agent CLI: every server learns which terminal it serves
 * (CAO_TERMINAL_ID), and a server that runs cao's own MCP entry point (`cao mcp-server`, or the
 * original cao's `cao-mcp-server`) is pointed at this installation of cao, so agents always talk
 * to the cao that launched them. Only that one gets where cao is (and its API token): other
 * servers are the user's or a third party's.
 */
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package.js';
import type { AgentProfile } from '../profiles/schema.js';

export interface McpServerSpec {
  type?: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  [key: string]: unknown;
}

const CAO_BIN = join(PACKAGE_ROOT, 'bin', 'cao.js');

/** Does the profile's entry start cao's MCP server (ours, or the original cao's)? */
function namesCaoServer(s: McpServerSpec): boolean {
  const cmd = s.command ?? '';
  const base = cmd.split('/').pop();
  if (base === 'cao-mcp-server') return true;
  if (base === 'cao' && s.args?.[0] === 'mcp-server') return true;
  // The original cao's built-ins: uvx --from git+…cli-agent-orchestrator… cao-mcp-server
  return base === 'uvx' && (s.args ?? []).includes('cao-mcp-server');
}

/** Is this server, as mcpServersFor wrote it, cao's own (whose tools agents may call unasked)? */
export const isCaoMcpServer = (s: McpServerSpec) => s.command === process.execPath && s.args?.[0] === CAO_BIN && s.args[1] === 'mcp-server';

export function mcpServersFor(profile: AgentProfile, terminalId: string, caoEnv: Record<string, string> = {}): Record<string, McpServerSpec> {
  const out: Record<string, McpServerSpec> = {};
  for (const [name, server] of Object.entries(profile.mcpServers ?? {})) {
    const s = server as McpServerSpec;
    // The profile's own values win; cao only fills in who is calling (and, for its own server, where cao is).
    if (namesCaoServer(s)) {
      out[name] = { ...s, type: 'stdio', command: process.execPath, args: [CAO_BIN, 'mcp-server'], env: { ...caoEnv, CAO_TERMINAL_ID: terminalId, ...(s.env ?? {}) } };
    } else out[name] = { ...s, env: { CAO_TERMINAL_ID: terminalId, ...(s.env ?? {}) } };
  }
  return out;
}

/** Claude Code's `--mcp-config` file shape, which the mock agent reads too. */
export const claudeMcpConfig = (servers: Record<string, McpServerSpec>) => JSON.stringify({ mcpServers: servers }, null, 2);
