import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/package.js';
import { parseProfile } from '../../../src/profiles/schema.js';
import { claudeMcpConfig, isCaoMcpServer, mcpServersFor } from '../../../src/providers/mcp-config.js';

const profile = (servers: string) => parseProfile(`---\nname: p\nmcpServers:\n${servers}\n---\nbody`, 'p');
const caoBin = join(PACKAGE_ROOT, 'bin', 'cao.js');

describe('mcpServersFor', () => {
  it("points cao's own MCP server at this installation, whatever the profile called it", () => {
    for (const spec of [
      '  cao:\n    command: cao\n    args: ["mcp-server"]',
      '  cao:\n    command: /usr/local/bin/cao-mcp-server',
      '  cao:\n    type: stdio\n    command: uvx\n    args: ["--from", "git+https://github.com/awslabs/cli-agent-orchestrator.git@main", "cao-mcp-server"]',
    ]) {
      expect(mcpServersFor(profile(spec), 'ab12cd34').cao).toMatchObject({ type: 'stdio', command: process.execPath, args: [caoBin, 'mcp-server'] });
    }
  });

  it("tells every server which terminal it serves, only cao's own where cao is (and its token); the profile env wins", () => {
    const caoEnv = { CAO_API_HOST: '127.0.0.1', CAO_API_PORT: '9889', CAO_API_TOKEN: 'secret' };
    const servers = mcpServersFor(
      profile('  other:\n    command: node\n    args: ["x.js"]\n    env: { LEVEL: "3" }\n  cao:\n    command: cao\n    args: ["mcp-server"]\n    env: { CAO_API_PORT: "1234" }'),
      'ab12cd34',
      caoEnv,
    );
    expect(servers.other).toEqual({ command: 'node', args: ['x.js'], env: { CAO_TERMINAL_ID: 'ab12cd34', LEVEL: '3' } });
    expect(servers.cao!.env).toEqual({ ...caoEnv, CAO_API_PORT: '1234', CAO_TERMINAL_ID: 'ab12cd34' });
    expect(isCaoMcpServer(servers.cao!)).toBe(true);
    expect(isCaoMcpServer(servers.other!)).toBe(false);
  });

  it('leaves other servers alone and writes Claude Code\'s config shape', () => {
    const servers = mcpServersFor(profile('  files:\n    command: npx\n    args: ["-y", "fs-server"]'), 'ab12cd34');
    expect(servers.files).toMatchObject({ command: 'npx', args: ['-y', 'fs-server'] });
    expect(JSON.parse(claudeMcpConfig(servers))).toEqual({ mcpServers: servers });
    expect(mcpServersFor(parseProfile('---\nname: x\n---\n', 'x'), 'ab12cd34')).toEqual({});
  });
});
