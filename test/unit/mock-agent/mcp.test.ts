/** The mock agent's MCP client against a real MCP server (test/fixtures/mcp/echo-server.ts) over stdio. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpManager, loadMcpConfig, mergeMcpConfigs, parseServers, type McpConfig } from '../../../src/mock-agent/mcp.js';
import { render, type TemplateVars } from '../../../src/mock-agent/script.js';
import { isRunning } from '../../helpers/env.js';

const ECHO_SERVER = fileURLToPath(new URL('../../fixtures/mcp/echo-server.ts', import.meta.url));
const echo = (env: Record<string, string> = {}) => ({ command: process.execPath, args: ['--import', 'tsx', ECHO_SERVER], env });
const never = () => new AbortController().signal;

/** Every manager a test makes, closed at the end whatever happens; and the server pids seen. */
const managers: McpManager[] = [];
const pids = new Set<number>();
function manager(config: McpConfig, opts: ConstructorParameters<typeof McpManager>[1] = {}): McpManager {
  const m = new McpManager(config, opts);
  managers.push(m);
  return m;
}
async function pidOf(m: McpManager, server: string): Promise<number> {
  const pid = Number(await m.callTool(server, 'pid', {}, never()));
  pids.add(pid);
  return pid;
}

let dir: string;
let m: McpManager;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cao-unit-mcp-'));
  m = manager({
    mcpServers: {
      echo: echo({ CAO_MCP_TEST_VALUE: 'from the config' }),
      typed: { type: 'stdio', ...echo() },
      missing: { command: join(dir, 'no-such-server') },
      crashing: echo({ ECHO_SERVER_CRASH: 'on purpose' }),
      remote: { type: 'http', url: 'http://127.0.0.1:1/mcp' },
      nocommand: { args: ['x'] },
      badargs: { command: 'x', args: 'not a list' },
    },
  });
  m.start();
});

afterAll(async () => {
  await Promise.all(managers.map((x) => x.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('McpManager against a real stdio server', () => {
  it('starts servers in the background: start() returns at once, with the processes spawned', () => {
    expect(m.pid('echo')).toBeGreaterThan(0);
    expect(m.pid('typed')).toBeGreaterThan(0);
  });

  it('calls a tool and returns its text', async () => {
    expect(await m.callTool('echo', 'echo', { text: 'hello there' }, never())).toBe('echo: hello there');
    expect(await m.callTool('typed', 'echo', { text: 'typed stdio' }, never())).toBe('echo: typed stdio');
    expect(m.lastStructured).toBeUndefined();
  });

  it("passes the config's env to the server, on top of the agent's environment", async () => {
    expect(await m.callTool('echo', 'env', { name: 'CAO_MCP_TEST_VALUE' }, never())).toBe('from the config');
    expect(await m.callTool('echo', 'env', { name: 'PATH' }, never())).toBe(process.env.PATH);
  });

  it('keeps the structured content of the last call', async () => {
    expect(await m.callTool('echo', 'structured', { n: 21 }, never())).toBe('doubled 21');
    expect(m.lastStructured).toEqual({ doubled: 42 });
    await m.callTool('echo', 'echo', { text: 'x' }, never());
    expect(m.lastStructured).toBeUndefined();
  });

  it('fails clearly for a server the config does not name', async () => {
    await expect(m.callTool('nope', 'echo', {}, never())).rejects.toThrow(/^no MCP server 'nope' is configured \(configured: echo, typed, .*\)$/);
    const empty = manager({ mcpServers: {} });
    await expect(empty.callTool('cao', 'handoff', {}, never())).rejects.toThrow(/^no MCP server 'cao' is configured$/);
  });

  it('throws the text of a result with isError', async () => {
    await expect(m.callTool('echo', 'boom', {}, never())).rejects.toThrow(/^boom: the tool blew up$/);
  });

  it('throws the protocol error of an unknown tool', async () => {
    await expect(m.callTool('echo', 'no_such_tool', {}, never())).rejects.toThrow(/Tool no_such_tool not found/);
  });

  it('fails clearly, without crashing, when a server command does not exist', async () => {
    await expect(m.callTool('missing', 'echo', { text: 'x' }, never())).rejects.toThrow(/^MCP server 'missing' failed to start: .*ENOENT/);
    // The other servers are unaffected.
    expect(await m.callTool('echo', 'echo', { text: 'still here' }, never())).toBe('echo: still here');
  });

  it("quotes the stderr of a server that dies at start", async () => {
    await expect(m.callTool('crashing', 'echo', { text: 'x' }, never())).rejects.toThrow(
      /^MCP server 'crashing' failed to start: .*\(stderr: .*echo-server: crashing on purpose: on purpose\)$/,
    );
  });

  it('reports servers it cannot start as unsupported, at start and on a call', async () => {
    expect(m.problems).toEqual([
      "MCP server 'remote' is unsupported: type 'http' (the mock agent starts stdio servers only)",
      "MCP server 'nocommand' is unsupported: no command (the mock agent starts stdio servers only)",
      expect.stringMatching(/^MCP server 'badargs' is unsupported: invalid entry \(args: /),
    ]);
    await expect(m.callTool('remote', 'x', {}, never())).rejects.toThrow(/^MCP server 'remote' is unsupported: type 'http'/);
    expect(m.pid('remote')).toBeNull();
  });

  it('reports progress, and progress keeps a call longer than the request timeout alive', async () => {
    const short = manager({ mcpServers: { echo: echo() } }, { callTimeoutMs: 400 });
    const progress: string[] = [];
    const started = Date.now();
    const text = await short.callTool('echo', 'slow', { ms: 1200, text: 'long' }, never(), (p) => progress.push(p));
    expect(text).toBe('slow: long');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress[0]).toBe('working 100/1200 ms');
    // Without progress the same timeout does end the call: the timeout is real.
    await expect(short.callTool('echo', 'slow', { ms: 1200, quiet: true }, never())).rejects.toThrow(/timed out/i);
    await pidOf(short, 'echo');
  });

  it('cancels a running call when the signal aborts', async () => {
    const before = JSON.parse(await m.callTool('echo', 'stats', {}, never())) as { cancelled: number };
    const ac = new AbortController();
    const started = Date.now();
    const call = m.callTool('echo', 'slow', { ms: 10_000 }, ac.signal);
    setTimeout(() => ac.abort(), 300);
    await expect(call).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
    // The server heard the cancellation and stopped the tool.
    await expect
      .poll(async () => (JSON.parse(await m.callTool('echo', 'stats', {}, never())) as { cancelled: number }).cancelled, { timeout: 3000 })
      .toBe(before.cancelled + 1);
  });

  it('stops waiting for a starting server when the signal aborts', async () => {
    const fresh = manager({ mcpServers: { echo: echo() } });
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(fresh.callTool('echo', 'echo', { text: 'x' }, ac.signal)).rejects.toThrow('stop');
    await pidOf(fresh, 'echo');
  });

  it('close() ends every server process', async () => {
    const own = manager({ mcpServers: { a: echo(), b: echo() } });
    own.start();
    const mine = [await pidOf(own, 'a'), await pidOf(own, 'b')];
    pids.add(await pidOf(m, 'echo'));
    pids.add(await pidOf(m, 'typed'));
    expect(mine.every(isRunning)).toBe(true);
    await own.close();
    expect(mine.filter(isRunning)).toEqual([]);
    await expect(own.callTool('a', 'echo', { text: 'x' }, never())).rejects.toThrow(/closed/);
    await Promise.all(managers.map((x) => x.close()));
    expect([...pids].filter(isRunning)).toEqual([]);
  });
});

describe('loadMcpConfig', () => {
  const config = { mcpServers: { echo: { command: 'node', args: ['server.js'], env: { K: 'V' } } } };

  it('reads a file, or JSON text given in place of one', () => {
    const p = join(dir, 'mcp.json');
    writeFileSync(p, JSON.stringify(config));
    expect(loadMcpConfig(p)).toEqual(config);
    expect(loadMcpConfig('mcp.json', dir)).toEqual(config);
    expect(loadMcpConfig(`  ${JSON.stringify(config)}`)).toEqual(config);
    expect(loadMcpConfig('{}')).toEqual({ mcpServers: {} });
  });

  it('says clearly what is wrong with a broken config', () => {
    expect(() => loadMcpConfig(join(dir, 'absent.json'))).toThrow(/^MCP config .*absent\.json cannot be read: ENOENT/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "mcpServers": ');
    expect(() => loadMcpConfig(bad)).toThrow(/^MCP config .*bad\.json is not valid JSON: /);
    expect(() => loadMcpConfig('{"mcpServers": []}')).toThrow(/^MCP config \(inline JSON\) is invalid: mcpServers: /);
  });

  it('merges configs, later servers winning', () => {
    const merged = mergeMcpConfigs([config, { mcpServers: { echo: { command: 'other' }, second: { command: 'x' } } }]);
    expect([...parseServers(merged).stdio]).toEqual([
      ['echo', { command: 'other', args: [], env: {} }],
      ['second', { command: 'x', args: [], env: {} }],
    ]);
  });
});

describe('{{result.FIELD}} templates', () => {
  const vars = (result: string, resultData?: unknown): TemplateVars => ({
    input: 'in', result, resultData, turn: 1, profile: 'p', terminalId: 't', match: [], env: {},
  });

  it('reads a dot path of the structured result, and {{result}} stays the text', () => {
    const v = vars('doubled 21', { doubled: 42, who: { name: 'rev' }, list: ['a', 'b'], flag: false, obj: { x: 1 } });
    expect(render('{{result}} → {{result.doubled}} {{ result.who.name }} {{result.list.1}} {{result.flag}} {{result.obj}}', v)).toBe(
      'doubled 21 → 42 rev b false {"x":1}',
    );
    expect(render('[{{result.absent}}][{{result.who.name.deeper}}]', v)).toBe('[][]');
  });

  it('parses the text as JSON when there is no structured result', () => {
    expect(render('{{result.status}} #{{result.n}}', vars('{"status":"ok","n":3}'))).toBe('ok #3');
    expect(render('[{{result.status}}]', vars('not json'))).toBe('[]');
  });
});
