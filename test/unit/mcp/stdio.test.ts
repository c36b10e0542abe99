/**
 * The real `cao mcp-server` process over stdio, against a fake cao-server. Needs the compiled CLI
 * (`npx tsc -p tsconfig.json`; `npm test` builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/package.js';
import { handoff, succeeded } from './fake-api.js';
import { holdUntilClosed, startFakeServer, type FakeServer } from './fake-server.js';

const CAO_BIN = join(PACKAGE_ROOT, 'bin', 'cao.js');
const CALLER = 'cafe0001';

let srv: FakeServer;
beforeAll(async () => {
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'mcp', 'tools.js'))) throw new Error('dist/ is missing the MCP server: run `npx tsc -p tsconfig.json` first');
  srv = await startFakeServer();
  srv.route('POST /terminals/:id/inbox/messages', (r) => {
    const receiver = r.path.split('/')[2]!;
    if (receiver !== 'ab12cd34') return { status: 404, body: { error: { code: 'not_found', message: `Terminal ${receiver} not found` } } };
    const b = r.body as { sender_id: string };
    return { status: 200, body: { success: true, message_id: 1, sender_id: b.sender_id, receiver_id: receiver, created_at: '2025-01-01T00:00:00.000Z', status: 'pending' } };
  });
  let polls = 0;
  srv.route('POST /handoffs', (r) => {
    polls = 0;
    // profile "slow": a handoff whose long polls never answer (h2)
    return { status: 202, body: (r.body as { agent_profile: string }).agent_profile === 'slow' ? handoff({ id: 'h2', agent_profile: 'slow' }) : handoff() };
  });
  srv.route('GET /handoffs/:id', (r) => (r.path === '/handoffs/h2' ? holdUntilClosed(r) : { status: 200, body: ++polls < 3 ? handoff({ elapsed_ms: polls * 5_000 }) : succeeded() }));
  srv.route('POST /handoffs/:id/cancel', () => ({ status: 200, body: handoff({ id: 'h2', status: 'failed' }) }));
});
afterAll(async () => {
  await srv?.close();
});

const env = (extra: Record<string, string> = {}) => ({
  CAO_TERMINAL_ID: CALLER,
  CAO_API_HOST: '127.0.0.1',
  CAO_API_PORT: String(srv.port),
  CAO_LOG_LEVEL: 'debug', // logs must go to stderr even when there are many
  ...extra,
});

interface Running {
  client: Client;
  transport: StdioClientTransport;
  child: ChildProcess;
  stderr: () => string;
  errors: Error[];
}

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.client.close().catch(() => undefined);
});

async function start(extraEnv: Record<string, string> = {}): Promise<Running> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CAO_BIN, 'mcp-server'], env: env(extraEnv), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const client = new Client({ name: 'stdio-test', version: '1.0.0' });
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e); // a non-JSON line on stdout would land here
  await client.connect(transport);
  const child = (transport as unknown as { _process?: ChildProcess })._process!;
  const r = { client, transport, child, stderr: () => stderr, errors };
  running.push(r);
  return r;
}

describe('cao mcp-server over stdio', () => {
  it('lists the tools (flags from the environment, case-insensitive)', async () => {
    const { client, errors } = await start({ CAO_ENABLE_WORKING_DIRECTORY: 'TRUE' });
    expect(client.getServerVersion()?.name).toBe('cao-mcp-server');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['assign', 'handoff', 'send_message']);
    const props = (n: string) => Object.keys((tools.find((t) => t.name === n)!.inputSchema as { properties: object }).properties);
    expect(props('handoff')).toContain('working_directory');
    expect(props('assign')).toContain('working_directory');
    expect(errors).toEqual([]);
  });

  it('sends a message through cao-server, with the sender injected when enabled', async () => {
    const { client, errors } = await start({ CAO_ENABLE_SENDER_ID_INJECTION: 'True' });
    const r = await client.callTool({ name: 'send_message', arguments: { receiver_id: 'ab12cd34', message: 'hello' } });
    expect(r.structuredContent).toEqual({ success: true, message_id: 1, sender_id: CALLER, receiver_id: 'ab12cd34', created_at: '2025-01-01T00:00:00.000Z', status: 'pending' });
    const req = srv.requests.filter((x) => x.path === '/terminals/ab12cd34/inbox/messages').at(-1)!;
    expect(req.body).toMatchObject({ sender_id: CALLER, message: `hello\n\n[Message from terminal ${CALLER}. Use the send_message tool to reply.]` });

    const missing = await client.callTool({ name: 'send_message', arguments: { receiver_id: 'deadbeef', message: 'hello' } });
    expect(missing.structuredContent).toEqual({ success: false, error: 'Terminal deadbeef not found' });
    expect(errors).toEqual([]);
  });

  it('runs a handoff over HTTP long polls with progress', async () => {
    const { client, errors } = await start();
    const progress: Progress[] = [];
    const r = await client.callTool({ name: 'handoff', arguments: { agent_profile: 'developer', message: 'x', timeout: 30 } }, undefined, { onprogress: (p) => progress.push(p) });
    expect(r.structuredContent).toMatchObject({ success: true, output: 'All 12 tests pass.' });
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]!.message).toBe('developer (terminal ab12cd34) is processing, 1 s');
    const polls = srv.requests.filter((x) => x.path === '/handoffs/h1');
    expect(polls.map((p) => p.query.get('wait'))).toEqual(['5', '5', '5']);
    expect(errors).toEqual([]);
  });

  it('exits by itself (code 0) when the client closes stdin, and logged only to stderr', async () => {
    const r = await start();
    await r.client.listTools();
    const exited = new Promise<void>((resolve) => r.child.once('exit', () => resolve()));
    const started = Date.now();
    await r.client.close(); // ends stdin; SIGTERM would follow after 2 s
    await exited;
    expect(Date.now() - started).toBeLessThan(1_900);
    expect(r.child.exitCode).toBe(0);
    expect(r.child.signalCode).toBeNull();
    expect(r.stderr()).toMatch(/debug .*cao mcp-server .* ready \(caller cafe0001/);
    expect(r.errors).toEqual([]);
  });

  it('cancels a running handoff on cao-server when the client goes away, then exits', async () => {
    const r = await start();
    void r.client.callTool({ name: 'handoff', arguments: { agent_profile: 'slow', message: 'x' } }).catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (!srv.requests.some((x) => x.path === '/handoffs/h2') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const exited = new Promise<void>((resolve) => r.child.once('exit', () => resolve()));
    const started = Date.now();
    await r.client.close();
    await exited;
    expect(Date.now() - started).toBeLessThan(1_900);
    expect(r.child.exitCode).toBe(0);
    expect(srv.requests.filter((x) => x.method === 'POST' && x.path === '/handoffs/h2/cancel')).toHaveLength(1);
  });

  it('writes nothing but JSON-RPC lines to stdout', async () => {
    const child = spawn(process.execPath, [CAO_BIN, 'mcp-server'], { env: { ...process.env, ...env() }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.resume();
    const send = (m: object) => child.stdin.write(`${JSON.stringify(m)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'send_message', arguments: { receiver_id: 'ab12cd34', message: 'raw' } } });
    // Wait for the answers, then hang up.
    const deadline = Date.now() + 10_000;
    while (!out.includes('"id":3') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.stdin.end();
    });
    expect(code).toBe(0);
    const lines = out.split('\n').filter((l) => l !== '');
    expect(out.endsWith('\n')).toBe(true);
    const messages = lines.map((l) => JSON.parse(l) as { jsonrpc: string; id?: number });
    expect(messages.every((m) => m.jsonrpc === '2.0')).toBe(true);
    expect(messages.map((m) => m.id)).toEqual([1, 2, 3]);
  });
});
