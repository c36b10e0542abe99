/**
 * The built mock agent (dist/mock-agent/main.js) in a private tmux server, with a real MCP server
 * (test/fixtures/mcp/echo-server.ts) from --mcp-config: call steps, results, progress, errors, and
 * how the screen classifies.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyMock } from '../../src/providers/mock.js';
import { isRunning, waitGone } from '../helpers/env.js';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const AGENT = join(ROOT, 'dist', 'mock-agent', 'main.js');
const ECHO_SERVER = join(ROOT, 'test', 'fixtures', 'mcp', 'echo-server.ts');
// The agent (and so the server) runs in another cwd: name tsx's loader by absolute URL.
const TSX = import.meta.resolve('tsx');

let n = 0;
const socket = `mockmcp-${process.pid}-${++n}`;
const tmux = async (...args: string[]) => (await run('tmux', ['-L', socket, '-f', '/dev/null', ...args])).stdout;
let dir: string;

const SCRIPT = `
rules:
  - match: "^echo (.*)"
    steps:
      - say: "asking the echo server"
      - call: { server: echo, tool: echo, args: { text: "{{match.1}}" } }
      - reply: "The server said: {{result}}"
  - match: "^double"
    steps:
      - call: { server: echo, tool: structured, args: { n: 21 } }
      - reply: "Doubled: {{result.doubled}} ({{result}})"
  - match: "^explode"
    call: { server: echo, tool: boom }
    reply: "not reached"
  - match: "^slow"
    call: { server: echo, tool: slow, args: { ms: 700, text: patience } }
    reply: "Slow said: {{result}}"
  - match: "^wait"
    call: { server: echo, tool: slow, args: { ms: 60000, text: never } }
    reply: "not reached either"
  - match: "^env"
    call: { server: echo, tool: env, args: { name: CAO_MCP_IT } }
    reply: "env is {{result}}"
  - match: "^pid"
    call: { server: echo, tool: pid }
    reply: "server pid {{result}}"
`;

/** Build dist when it is missing or older than the mock agent's sources. */
function ensureBuilt(): void {
  const srcDir = join(ROOT, 'src', 'mock-agent');
  const stale = readdirSync(srcDir)
    .filter((f) => f.endsWith('.ts'))
    .some((f) => {
      const out = join(ROOT, 'dist', 'mock-agent', f.replace(/\.ts$/, '.js'));
      return !existsSync(out) || statSync(out).mtimeMs < statSync(join(srcDir, f)).mtimeMs;
    });
  if (stale) execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'pipe' });
}

async function startAgent(session: string, mcpConfig: string): Promise<void> {
  await tmux(
    'new-session', '-d', '-s', session, '-x', '200', '-y', '50', '-c', dir, '--',
    process.execPath, AGENT, '--profile', 'mcp-test', '--script', join(dir, 'script.yaml'), '--mcp-config', mcpConfig,
  );
}

const capture = (session: string) => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session);

/** Re-capture until `pred` holds for the screen; fail with the screen after `ms`. */
async function waitFor(session: string, pred: (screen: string) => boolean, what: string, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  let screen = '';
  while (Date.now() < deadline) {
    screen = await capture(session);
    if (pred(screen)) return screen;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
}

/** The screen once the agent is back at its prompt with `text` on screen. */
const turnEnded = (session: string, text: string | RegExp) =>
  waitFor(
    session,
    (s) => classifyMock(s) !== 'processing' && (typeof text === 'string' ? s.includes(text) : text.test(s)),
    `the turn to end showing ${String(text)}`,
  );

async function send(session: string, input: string): Promise<void> {
  await tmux('send-keys', '-t', session, '-l', input);
  await tmux('send-keys', '-t', session, 'Enter');
}

const echoServer = (env: Record<string, string> = {}) => ({ command: process.execPath, args: ['--import', TSX, ECHO_SERVER], env });

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'cao-mock-mcp-'));
  writeFileSync(join(dir, 'script.yaml'), SCRIPT);
  writeFileSync(join(dir, 'mcp.json'), JSON.stringify({ mcpServers: { echo: echoServer({ CAO_MCP_IT: 'set by the config' }), web: { type: 'http', url: 'http://127.0.0.1:1/' } } }));
  writeFileSync(join(dir, 'broken.json'), '{ "mcpServers": { "echo": ');
});

afterAll(async () => {
  // Agents still running get SIGHUP from kill-server; they close their MCP servers before exiting.
  const agents = (await tmux('list-panes', '-a', '-F', '#{pane_pid}').catch(() => '')).split('\n').filter(Boolean).map(Number);
  await tmux('kill-server').catch(() => undefined);
  // tmux 3.3 leaves the socket file behind.
  rmSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
  await waitGone(agents);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the mock agent speaking MCP', () => {
  it('starts without waiting for its servers, and reports unsupported ones under the banner', async () => {
    await startAgent('main', 'mcp.json');
    const screen = await waitFor('main', (s) => classifyMock(s) === 'idle', 'the first prompt');
    expect(screen).toContain("⚠ MCP server 'web' is unsupported: type 'http'");
  });

  it('runs a call step: the call, its result and a reply using {{result}}', async () => {
    await send('main', 'echo hello mcp');
    const screen = await turnEnded('main', 'The server said:');
    expect(screen).toContain('⚙ echo - echo({"text":"hello mcp"})');
    expect(screen).toMatch(/^ {2}⎿ {2}echo: hello mcp$/m);
    expect(screen).toMatch(/^● The server said: echo: hello mcp$/m);
    expect(classifyMock(screen)).toBe('completed');
    // The server's stderr ("echo-server: ready") never reaches the screen.
    expect(screen).not.toContain('echo-server');
  });

  it('passes the env of the config to the server', async () => {
    await send('main', 'env please');
    const screen = await turnEnded('main', '● env is');
    expect(screen).toMatch(/^● env is set by the config$/m);
  });

  it('reaches fields of a structured result with {{result.doubled}}', async () => {
    await send('main', 'double it');
    const screen = await turnEnded('main', '● Doubled:');
    expect(screen).toContain('⚙ echo - structured({"n":21})');
    expect(screen).toMatch(/^● Doubled: 42 \(doubled 21\)$/m);
    expect(classifyMock(screen)).toBe('completed');
  });

  it('shows progress lines while a tool runs, and still classifies the turn', async () => {
    await send('main', 'slow down');
    const screen = await turnEnded('main', '● Slow said:');
    expect(screen).toMatch(/^ {2}… working \d+\/700 ms$/m);
    expect(screen).toMatch(/^ {2}⎿ {2}slow: patience$/m);
    expect(screen).toMatch(/^● Slow said: slow: patience$/m);
    expect(classifyMock(screen)).toBe('completed');
  });

  it('ends the turn with an error when the tool fails', async () => {
    await send('main', 'explode now');
    const screen = await turnEnded('main', '✗ Error:');
    expect(screen).toContain('⚙ echo - boom({})');
    expect(screen).toMatch(/^✗ Error: boom: the tool blew up$/m);
    expect(screen).not.toContain('not reached');
    expect(classifyMock(screen)).toBe('error');
  });

  it('cancels a running call on Esc', async () => {
    await send('main', 'wait for it');
    await waitFor('main', (s) => /^ {2}… working \d+\/60000 ms$/m.test(s), 'progress of the long call');
    await tmux('send-keys', '-t', 'main', 'Escape');
    const screen = await turnEnded('main', '■ Interrupted');
    expect(screen).not.toContain('not reached either');
    expect(classifyMock(screen)).toBe('idle');
  });

  it('accepts the config as JSON text, as Claude Code does', async () => {
    await startAgent('inline', JSON.stringify({ mcpServers: { echo: echoServer() } }));
    await waitFor('inline', (s) => classifyMock(s) === 'idle', 'the first prompt');
    await send('inline', 'echo inline config');
    const screen = await turnEnded('inline', '● The server said:');
    expect(screen).toMatch(/^● The server said: echo: inline config$/m);
  });

  it('says so at start when the config is broken, and starts without MCP', async () => {
    await startAgent('broken', 'broken.json');
    let screen = await waitFor('broken', (s) => classifyMock(s) === 'idle', 'the first prompt');
    expect(screen).toMatch(/⚠ MCP config broken\.json is not valid JSON: .*; starting without MCP servers/);
    await send('broken', 'hello delay=10');
    screen = await turnEnded('broken', '● Done. You said: hello delay=10');
    expect(classifyMock(screen)).toBe('completed');
    await send('broken', 'echo nobody there');
    screen = await turnEnded('broken', '✗ Error:');
    expect(screen).toMatch(/^✗ Error: no MCP server 'echo' is configured$/m);
    expect(classifyMock(screen)).toBe('error');
  });

  it('ends its MCP servers when it exits', async () => {
    await send('main', 'pid of the server');
    const screen = await turnEnded('main', /^● server pid \d+$/m);
    const pid = Number(/^● server pid (\d+)$/m.exec(screen)![1]);
    expect(isRunning(pid)).toBe(true);
    await send('main', '/exit');
    expect(await waitGone([pid])).toEqual([]);
  });
});
