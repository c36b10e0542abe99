/** The MCP tools through a real MCP client, over an in-memory transport, against a scripted cao-server API. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildMcpServer, type CaoMcpOptions, type McpTiming } from '../../../src/mcp/tools.js';
import { fakeApi, handoff, hang, httpError, succeeded, unreachable, type FakeApi } from './fake-api.js';

const FAST: Partial<McpTiming> = {
  pollWaitSeconds: 7,
  progressIntervalMs: 0,
  retryBaseMs: 5,
  retryMaxMs: 20,
  writeRetryMs: 1_000,
  graceMs: 2_000,
  minPollGapMs: 0,
  cancelTimeoutMs: 500,
};
const CALLER = 'cafe0001';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function connect(api: FakeApi, o: Partial<CaoMcpOptions> = {}): Promise<Client> {
  const server = buildMcpServer(api, {
    callerId: CALLER,
    enableWorkingDirectory: false,
    enableSenderIdInjection: false,
    version: '0.0.0-test',
    timing: FAST,
    ...o,
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'tools-test', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  open.push(async () => {
    await client.close();
    await server.close();
  });
  return client;
}

type Result = CallToolResult & { structuredContent?: Record<string, unknown> };
const call = async (client: Client, name: string, args: Record<string, unknown>, options?: Parameters<Client['callTool']>[2]) =>
  (await client.callTool({ name, arguments: args }, undefined, options)) as Result;
const text = (r: Result) => (r.content[0] as { type: 'text'; text: string }).text;

type JsonSchema = { properties?: Record<string, Record<string, unknown>>; required?: string[] };

describe('listTools', () => {
  const combos = [
    { enableWorkingDirectory: false, enableSenderIdInjection: false },
    { enableWorkingDirectory: true, enableSenderIdInjection: false },
    { enableWorkingDirectory: false, enableSenderIdInjection: true },
    { enableWorkingDirectory: true, enableSenderIdInjection: true },
  ];

  it.each(combos)('working dir %o: names, schemas and descriptions follow the flags', async (flags) => {
    const client = await connect(fakeApi(), flags);
    expect(client.getServerVersion()?.name).toBe('cao-mcp-server');
    expect(client.getInstructions()).toMatch(/handoff.*assign.*send_message/s);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['assign', 'handoff', 'send_message']);
    const tool = (n: string) => tools.find((t) => t.name === n)!;
    const props = (n: string) => Object.keys((tool(n).inputSchema as JsonSchema).properties ?? {}).sort();

    const wd = flags.enableWorkingDirectory ? ['working_directory'] : [];
    expect(props('handoff')).toEqual(['agent_profile', 'message', 'timeout', ...wd].sort());
    expect(props('assign')).toEqual(['agent_profile', 'message', ...wd].sort());
    expect(props('send_message')).toEqual(['message', 'receiver_id']);
    for (const n of ['handoff', 'assign']) {
      expect((tool(n).inputSchema as JsonSchema).required?.sort()).toEqual(['agent_profile', 'message']);
      expect(tool(n).description!.includes('Working Directory')).toBe(flags.enableWorkingDirectory);
    }

    const timeout = (tool('handoff').inputSchema as JsonSchema).properties!.timeout!;
    expect(timeout).toMatchObject({ type: 'integer', minimum: 1, maximum: 3600, default: 600 });
    expect((tool('send_message').inputSchema as JsonSchema).properties!.receiver_id!.pattern).toBe('^[a-f0-9]{8}$');
    expect(Object.keys((tool('handoff').outputSchema as JsonSchema).properties!).sort()).toEqual(['message', 'output', 'success', 'terminal_id']);
    expect(Object.keys((tool('assign').outputSchema as JsonSchema).properties!).sort()).toEqual(['message', 'success', 'terminal_id']);

    // assign's description: summary first, optional Working Directory, then Args, Returns last.
    const d = tool('assign').description!;
    expect(d.split('\n')[0]).toMatch(/^Assign a task to another agent without blocking/);
    const args = d.indexOf('\nArgs:');
    const returns = d.indexOf('\nReturns:');
    expect(args).toBeGreaterThan(0);
    expect(returns).toBeGreaterThan(args);
    expect(d.slice(returns)).toMatch(/success.*terminal_id.*message/s);
    if (flags.enableWorkingDirectory) {
      expect(d.indexOf('Working Directory')).toBeLessThan(args);
      expect(d.slice(args)).toContain('working_directory:');
    } else {
      expect(d).not.toContain('working_directory');
    }
    if (flags.enableSenderIdInjection) {
      expect(d).toMatch(/appended to the message automatically/);
      expect(d).not.toContain('Example message');
      expect(d.slice(args)).toMatch(/message: task message\n/);
    } else {
      expect(d).toContain('CAO_TERMINAL_ID');
      expect(d).toMatch(/Example message: "Analyze the logs\. When done, send results back to terminal cafe0001 using send_message tool\."/);
      expect(d.slice(args)).toMatch(/message: task message, including callback instructions/);
    }
  });

  it('without a caller the assign description tells the model how to find its own id', async () => {
    const client = await connect(fakeApi(), { callerId: undefined });
    const d = (await client.listTools()).tools.find((t) => t.name === 'assign')!.description!;
    expect(d).toContain('echo $CAO_TERMINAL_ID');
    expect(d).toContain('send results back to terminal ee3f93b3');
  });
});

describe('handoff', () => {
  it.each([0, 3601, 1.5, -5])('rejects timeout %s with isError, without calling cao-server', async (timeout) => {
    const api = fakeApi();
    const client = await connect(api);
    const r = await call(client, 'handoff', { agent_profile: 'developer', message: 'x', timeout });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/timeout/);
    expect(api.createHandoff).not.toHaveBeenCalled();
  });

  it('accepts the bounds 1 and 3600', async () => {
    const api = fakeApi();
    const client = await connect(api);
    for (const timeout of [1, 3600]) expect((await call(client, 'handoff', { agent_profile: 'developer', message: 'x', timeout })).isError).toBeFalsy();
    expect(api.createHandoff.mock.calls.map((c) => c[0].timeout_seconds)).toEqual([1, 3600]);
  });

  it('creates the handoff, waits for it and returns the result as structuredContent and text', async () => {
    const api = fakeApi();
    const client = await connect(api);
    const r = await call(client, 'handoff', { agent_profile: 'developer', message: 'Write the parser' });

    expect(api.createHandoff).toHaveBeenCalledTimes(1);
    const body = api.createHandoff.mock.calls[0]![0];
    expect(body).toEqual({ agent_profile: 'developer', message: 'Write the parser', timeout_seconds: 600, caller_id: CALLER, request_id: expect.stringMatching(UUID) });
    expect(api.getHandoff).toHaveBeenCalledWith('h1', 7, expect.any(AbortSignal));

    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ success: true, message: 'Handoff to developer succeeded', output: 'All 12 tests pass.', terminal_id: 'ab12cd34' });
    expect(text(r)).toBe('Handoff to developer succeeded in 12.3 s (terminal ab12cd34):\n\nAll 12 tests pass.');
  });

  it('returns at once when the created handoff is already finished', async () => {
    const api = fakeApi();
    api.createHandoff.mockResolvedValueOnce(succeeded());
    const r = await call(await connect(api), 'handoff', { agent_profile: 'developer', message: 'x' });
    expect(r.structuredContent?.success).toBe(true);
    expect(api.getHandoff).not.toHaveBeenCalled();
  });

  it('omits caller_id without CAO_TERMINAL_ID and passes working_directory when enabled', async () => {
    const api = fakeApi();
    const client = await connect(api, { callerId: undefined, enableWorkingDirectory: true });
    await call(client, 'handoff', { agent_profile: 'developer', message: 'x', working_directory: '/tmp/project' });
    const body = api.createHandoff.mock.calls[0]![0];
    expect(body).not.toHaveProperty('caller_id');
    expect(body.working_directory).toBe('/tmp/project');
  });

  it('ignores working_directory when the flag is off', async () => {
    const api = fakeApi();
    await call(await connect(api), 'handoff', { agent_profile: 'developer', message: 'x', working_directory: '/tmp/project' });
    expect(api.createHandoff.mock.calls[0]![0]).not.toHaveProperty('working_directory');
  });

  it('waits across several polls and reports progress when the client asks for it', async () => {
    const api = fakeApi();
    api.createHandoff.mockResolvedValueOnce(handoff({ worker_id: null, worker_status: null, phase: 'starting_worker', elapsed_ms: 10 }));
    api.getHandoff
      .mockResolvedValueOnce(handoff({ elapsed_ms: 5_000 }))
      .mockResolvedValueOnce(handoff({ elapsed_ms: 25_400 }))
      .mockResolvedValueOnce(handoff({ elapsed_ms: 31_000, worker_status: 'waiting_user_answer' }))
      .mockResolvedValueOnce(succeeded());
    const client = await connect(api);
    const progress: Progress[] = [];
    const r = await call(client, 'handoff', { agent_profile: 'developer', message: 'x' }, { onprogress: (p) => progress.push(p) });

    expect(r.structuredContent?.success).toBe(true);
    expect(api.getHandoff.mock.calls.map((c) => c[0])).toEqual(['h1', 'h1', 'h1', 'h1']);
    expect(progress.map((p) => p.message)).toEqual([
      'developer: starting worker, 0 s',
      'developer (terminal ab12cd34) is processing, 5 s',
      'developer (terminal ab12cd34) is processing, 25 s',
      'developer (terminal ab12cd34) is waiting user answer, 31 s',
    ]);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
  });

  it('long-polls in progress-sized chunks when progress is asked for, longer ones otherwise, and never past the deadline', async () => {
    const api = fakeApi();
    const client = await connect(api, { timing: { ...FAST, progressIntervalMs: 5_000, pollWaitSeconds: 25 } });
    await call(client, 'handoff', { agent_profile: 'developer', message: 'x' }, { onprogress: () => undefined });
    await call(client, 'handoff', { agent_profile: 'developer', message: 'x' });
    await call(client, 'handoff', { agent_profile: 'developer', message: 'x', timeout: 1 }); // deadline 1 s + 2 s grace
    expect(api.getHandoff.mock.calls.map((c) => c[1])).toEqual([5, 25, 3]);
  });

  it('sends no progress notifications without a progressToken', async () => {
    const api = fakeApi();
    api.getHandoff.mockResolvedValueOnce(handoff()).mockResolvedValueOnce(succeeded());
    const client = await connect(api);
    const notifications: unknown[] = [];
    client.fallbackNotificationHandler = async (n) => void notifications.push(n);
    await call(client, 'handoff', { agent_profile: 'developer', message: 'x' });
    expect(notifications).toEqual([]);
  });

  it("reports the server's failure (worker waiting for an answer) as success:false with its message", async () => {
    const api = fakeApi();
    const message = 'Worker ab12cd34 (developer) is waiting for an answer: "Allow writing to src/x.ts? (y/n)"';
    api.getHandoff.mockResolvedValueOnce(
      handoff({ status: 'failed', phase: 'done', worker_status: 'waiting_user_answer', result: { success: false, message, output: 'Allow writing to src/x.ts? (y/n)', terminal_id: 'ab12cd34' } }),
    );
    const r = await call(await connect(api), 'handoff', { agent_profile: 'developer', message: 'x' });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ success: false, message, output: 'Allow writing to src/x.ts? (y/n)', terminal_id: 'ab12cd34' });
    expect(text(r)).toBe(`${message}\n\nLast output of terminal ab12cd34:\nAllow writing to src/x.ts? (y/n)`);
  });

  it('keeps waiting through connection errors and 503s, and picks up the same handoff id', async () => {
    const api = fakeApi();
    api.getHandoff
      .mockRejectedValueOnce(unreachable())
      .mockRejectedValueOnce(unreachable())
      .mockRejectedValueOnce(httpError(503, 'cao-server is starting', 'unavailable'))
      .mockResolvedValueOnce(succeeded());
    const r = await call(await connect(api), 'handoff', { agent_profile: 'developer', message: 'x' });
    expect(r.structuredContent?.success).toBe(true);
    expect(api.getHandoff.mock.calls.map((c) => c[0])).toEqual(['h1', 'h1', 'h1', 'h1']);
    expect(api.createHandoff).toHaveBeenCalledTimes(1);
  });

  it('backs off between retries, doubling up to the maximum', async () => {
    const api = fakeApi();
    const at: number[] = [];
    api.getHandoff.mockImplementation(async () => {
      at.push(Date.now());
      if (at.length <= 4) throw unreachable();
      return succeeded();
    });
    await call(await connect(api, { timing: { ...FAST, retryBaseMs: 40, retryMaxMs: 100 } }), 'handoff', { agent_profile: 'developer', message: 'x' });
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(35); // 40
    expect(gaps[1]).toBeGreaterThanOrEqual(75); // 80
    expect(gaps[2]).toBeGreaterThanOrEqual(95); // 100 (capped)
    expect(gaps[3]).toBeGreaterThanOrEqual(95);
    expect(gaps[3]).toBeLessThan(400);
  });

  it('gives up once the deadline (timeout + grace) passes while the server stays away, and says so', async () => {
    const api = fakeApi();
    api.getHandoff.mockRejectedValue(unreachable());
    api.cancelHandoff.mockRejectedValue(unreachable());
    const started = Date.now();
    const r = await call(await connect(api, { timing: { ...FAST, graceMs: 200 } }), 'handoff', { agent_profile: 'developer', message: 'x', timeout: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_150);
    expect(r.structuredContent).toMatchObject({ success: false, output: null, terminal_id: 'ab12cd34' });
    expect(r.structuredContent?.message).toMatch(/^Handoff failed: cao-server has not answered for \d+ s \(cannot reach cao-server at http:\/\/fake \(ECONNREFUSED\)\); gave up waiting for handoff h1$/);
  });

  it('gives up after the deadline when the handoff never finishes, and cancels it', async () => {
    const api = fakeApi();
    api.getHandoff.mockResolvedValue(handoff());
    const r = await call(await connect(api, { timing: { ...FAST, graceMs: 100, minPollGapMs: 20 } }), 'handoff', { agent_profile: 'developer', message: 'x', timeout: 1 });
    expect(r.structuredContent?.success).toBe(false);
    expect(r.structuredContent?.message).toMatch(/^Handoff failed: no outcome from cao-server within 1 s \(handoff h1, last phase: working\)$/);
    expect(api.cancelHandoff).toHaveBeenCalledWith('h1', expect.any(AbortSignal));
  });

  it('fails with the server message when the handoff disappears (404) while waiting', async () => {
    const api = fakeApi();
    api.getHandoff.mockRejectedValueOnce(httpError(404, 'handoff h1 not found', 'not_found'));
    const r = await call(await connect(api), 'handoff', { agent_profile: 'developer', message: 'x' });
    expect(r.structuredContent).toEqual({ success: false, message: 'Handoff failed: handoff h1 not found', output: null, terminal_id: 'ab12cd34' });
    expect(text(r)).toBe('Handoff failed: handoff h1 not found');
  });

  it('cancels the handoff on cao-server when the client cancels the tool call', async () => {
    const api = fakeApi();
    api.getHandoff.mockImplementation((_id, _wait, signal) => hang(signal));
    const client = await connect(api);
    const ac = new AbortController();
    const pending = call(client, 'handoff', { agent_profile: 'developer', message: 'x' }, { signal: ac.signal });
    await vi.waitFor(() => expect(api.getHandoff).toHaveBeenCalled());
    ac.abort('user pressed Esc');
    await expect(pending).rejects.toThrow();
    await vi.waitFor(() => expect(api.cancelHandoff).toHaveBeenCalledWith('h1', expect.any(AbortSignal)));
    expect(api.getHandoff).toHaveBeenCalledTimes(1);
  });

  it('cancels by request id when the client cancels while the POST /handoffs has not been answered', async () => {
    const api = fakeApi();
    api.createHandoff.mockImplementation((_body, signal) => hang(signal));
    const client = await connect(api);
    const ac = new AbortController();
    const pending = call(client, 'handoff', { agent_profile: 'developer', message: 'x' }, { signal: ac.signal });
    await vi.waitFor(() => expect(api.createHandoff).toHaveBeenCalled());
    ac.abort('user pressed Esc');
    await expect(pending).rejects.toThrow();
    const requestId = api.createHandoff.mock.calls[0]![0].request_id;
    await vi.waitFor(() => expect(api.cancelHandoffRequest).toHaveBeenCalledWith(requestId, expect.any(AbortSignal)));
    expect(api.cancelHandoff).not.toHaveBeenCalled();
  });

  it('cancels by request id when the POST /handoffs never got an answer within the retry window; not after a refusal', async () => {
    const api = fakeApi();
    api.createHandoff.mockRejectedValue(unreachable());
    const r = await call(await connect(api, { timing: { ...FAST, writeRetryMs: 100 } }), 'handoff', { agent_profile: 'developer', message: 'x' });
    expect(r.structuredContent?.success).toBe(false);
    expect(api.cancelHandoffRequest).toHaveBeenCalledWith(api.createHandoff.mock.calls[0]![0].request_id, expect.any(AbortSignal));

    const refused = fakeApi();
    refused.createHandoff.mockRejectedValue(httpError(404, "Agent profile 'nope' not found", 'not_found'));
    await call(await connect(refused), 'handoff', { agent_profile: 'nope', message: 'x' });
    expect(refused.cancelHandoffRequest).not.toHaveBeenCalled();
  });

  it('retries the POST after a connection error with the same request_id', async () => {
    const api = fakeApi();
    api.createHandoff.mockRejectedValueOnce(unreachable()).mockRejectedValueOnce(unreachable());
    const r = await call(await connect(api), 'handoff', { agent_profile: 'developer', message: 'x' });
    expect(r.structuredContent?.success).toBe(true);
    const ids = api.createHandoff.mock.calls.map((c) => c[0].request_id);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    // a new tool call is a new request
    await call(await connect(api), 'handoff', { agent_profile: 'developer', message: 'x' });
    expect(api.createHandoff.mock.calls[3]![0].request_id).not.toBe(ids[0]);
  });

  it('fails fast when cao-server is not running at all', async () => {
    const api = fakeApi();
    api.createHandoff.mockRejectedValue(unreachable());
    const started = Date.now();
    const r = await call(await connect(api, { timing: { ...FAST, writeRetryMs: 100 } }), 'handoff', { agent_profile: 'developer', message: 'x' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(r.structuredContent).toEqual({ success: false, message: 'Handoff failed: cannot reach cao-server at http://fake (ECONNREFUSED)', output: null, terminal_id: null });
  });

  it('does not retry a POST the server refused', async () => {
    const api = fakeApi();
    api.createHandoff.mockRejectedValue(httpError(404, "Agent profile 'nope' not found", 'profile_not_found'));
    const r = await call(await connect(api), 'handoff', { agent_profile: 'nope', message: 'x' });
    expect(api.createHandoff).toHaveBeenCalledTimes(1);
    expect(r.structuredContent).toEqual({ success: false, message: "Handoff failed: Agent profile 'nope' not found", output: null, terminal_id: null });
    expect(text(r)).toBe("Handoff failed: Agent profile 'nope' not found");
  });

  it('says so when the worker gave no output', async () => {
    const api = fakeApi();
    api.getHandoff.mockResolvedValueOnce(succeeded({ result: { success: true, message: 'ok', output: null, terminal_id: 'ab12cd34' } }));
    const r = await call(await connect(api), 'handoff', { agent_profile: 'developer', message: 'x' });
    expect(text(r)).toBe('Handoff to developer succeeded in 12.3 s (terminal ab12cd34):\n\n(the agent gave no output)');
  });
});

describe('assign', () => {
  it('posts the assignment and returns { success, terminal_id, message }', async () => {
    const api = fakeApi();
    const r = await call(await connect(api), 'assign', { agent_profile: 'developer', message: 'Review PR 12' });
    expect(api.createAssignment.mock.calls[0]![0]).toEqual({ agent_profile: 'developer', message: 'Review PR 12', caller_id: CALLER, request_id: expect.stringMatching(UUID) });
    const expected = { success: true, terminal_id: 'beef0001', message: 'Task assigned to developer (terminal: beef0001)' };
    expect(r.structuredContent).toEqual(expected);
    expect(JSON.parse(text(r))).toEqual(expected);
  });

  it('appends the sender and callback instructions when injection is on', async () => {
    const api = fakeApi();
    await call(await connect(api, { enableSenderIdInjection: true }), 'assign', { agent_profile: 'developer', message: 'Review PR 12' });
    expect(api.createAssignment.mock.calls[0]![0].message).toBe(
      'Review PR 12\n\n[Assigned by terminal cafe0001. When done, send your results back to terminal cafe0001 using the send_message tool.]',
    );
  });

  it('names the sender "unknown" without CAO_TERMINAL_ID, and sends no caller_id', async () => {
    const api = fakeApi();
    await call(await connect(api, { enableSenderIdInjection: true, callerId: undefined }), 'assign', { agent_profile: 'developer', message: 'm' });
    const body = api.createAssignment.mock.calls[0]![0];
    expect(body.message).toBe('m\n\n[Assigned by terminal unknown. When done, send your results back to terminal unknown using the send_message tool.]');
    expect(body).not.toHaveProperty('caller_id');
  });

  it('passes working_directory when enabled', async () => {
    const api = fakeApi();
    await call(await connect(api, { enableWorkingDirectory: true }), 'assign', { agent_profile: 'developer', message: 'm', working_directory: '/srv/app' });
    expect(api.createAssignment.mock.calls[0]![0].working_directory).toBe('/srv/app');
  });

  it('turns failures into { success: false, terminal_id: null, message: "Assignment failed: …" }', async () => {
    const api = fakeApi();
    api.createAssignment.mockRejectedValue(httpError(400, 'working_directory does not exist: /nope'));
    const r = await call(await connect(api), 'assign', { agent_profile: 'developer', message: 'm' });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ success: false, terminal_id: null, message: 'Assignment failed: working_directory does not exist: /nope' });
  });

  it('retries the POST after connection errors with the same request_id', async () => {
    const api = fakeApi();
    api.createAssignment.mockRejectedValueOnce(unreachable());
    const r = await call(await connect(api), 'assign', { agent_profile: 'developer', message: 'm' });
    expect(r.structuredContent?.success).toBe(true);
    const [a, b] = api.createAssignment.mock.calls.map((c) => c[0].request_id);
    expect(a).toMatch(UUID);
    expect(b).toBe(a);
  });
});

describe('send_message', () => {
  it("posts to the receiver's inbox and returns the server's JSON", async () => {
    const api = fakeApi();
    const r = await call(await connect(api), 'send_message', { receiver_id: 'ab12cd34', message: 'Done: see PR 12' });
    expect(api.sendInboxMessage).toHaveBeenCalledWith('ab12cd34', { sender_id: CALLER, message: 'Done: see PR 12', request_id: expect.stringMatching(UUID) }, expect.any(AbortSignal));
    const expected = { success: true, message_id: 7, sender_id: CALLER, receiver_id: 'ab12cd34', created_at: '2025-01-01T00:00:00.000Z', status: 'pending' };
    expect(r.structuredContent).toEqual(expected);
    expect(JSON.parse(text(r))).toEqual(expected);
  });

  it("passes fields the server adds through (the output schema is loose)", async () => {
    const api = fakeApi();
    api.sendInboxMessage.mockResolvedValueOnce({ success: true, message_id: 8, sender_id: CALLER, receiver_id: 'ab12cd34', created_at: 'now', status: 'delivered', delivered_at: 'now' } as never);
    const r = await call(await connect(api), 'send_message', { receiver_id: 'ab12cd34', message: 'hi' });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ success: true, status: 'delivered', delivered_at: 'now' });
  });

  it('appends the reply hint when injection is on', async () => {
    const api = fakeApi();
    await call(await connect(api, { enableSenderIdInjection: true }), 'send_message', { receiver_id: 'ab12cd34', message: 'hi' });
    expect(api.sendInboxMessage.mock.calls[0]![1].message).toBe('hi\n\n[Message from terminal cafe0001. Use the send_message tool to reply.]');
  });

  it('needs CAO_TERMINAL_ID', async () => {
    const api = fakeApi();
    const r = await call(await connect(api, { callerId: undefined }), 'send_message', { receiver_id: 'ab12cd34', message: 'hi' });
    expect(r.structuredContent).toEqual({ success: false, error: 'CAO_TERMINAL_ID not set - cannot determine sender' });
    expect(api.sendInboxMessage).not.toHaveBeenCalled();
  });

  it.each(['AB12CD34', 'ab12cd3', 'ab12cd345', 'terminal1', ''])('rejects receiver_id %j in the schema', async (receiver_id) => {
    const api = fakeApi();
    const r = await call(await connect(api), 'send_message', { receiver_id, message: 'hi' });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/receiver_id/);
    expect(api.sendInboxMessage).not.toHaveBeenCalled();
  });

  it("returns { success: false, error } with the server's message for an unknown receiver", async () => {
    const api = fakeApi();
    api.sendInboxMessage.mockRejectedValue(httpError(404, 'Terminal deadbeef not found', 'not_found'));
    const r = await call(await connect(api), 'send_message', { receiver_id: 'deadbeef', message: 'hi' });
    expect(r.structuredContent).toEqual({ success: false, error: 'Terminal deadbeef not found' });
    expect(api.sendInboxMessage).toHaveBeenCalledTimes(1);
  });

  it('retries the POST after connection errors with the same request_id', async () => {
    const api = fakeApi();
    api.sendInboxMessage.mockRejectedValueOnce(unreachable()).mockRejectedValueOnce(unreachable());
    const r = await call(await connect(api), 'send_message', { receiver_id: 'ab12cd34', message: 'hi' });
    expect(r.structuredContent?.success).toBe(true);
    const ids = api.sendInboxMessage.mock.calls.map((c) => c[1].request_id);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
  });

  it('gives up after the retry window when the server stays away', async () => {
    const api = fakeApi();
    api.sendInboxMessage.mockRejectedValue(unreachable());
    const r = await call(await connect(api, { timing: { ...FAST, writeRetryMs: 100 } }), 'send_message', { receiver_id: 'ab12cd34', message: 'hi' });
    expect(r.structuredContent).toEqual({ success: false, error: 'cannot reach cao-server at http://fake (ECONNREFUSED)' });
  });
});
