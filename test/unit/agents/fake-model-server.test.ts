/**
 * The conformance tests' fake model server (test/agents/fake-model-server.ts): its directives and
 * the four APIs it speaks, over real HTTP on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDirectives, pickTool, startFakeModel, type FakeModel, type LogEntry } from '../../agents/fake-model-server.js';

let m: FakeModel;
const logged: LogEntry[] = [];

beforeAll(async () => {
  m = await startFakeModel({ log: (e) => logged.push(e), wordDelayMs: 0 });
});
afterAll(async () => {
  await m?.close();
});

const post = async (path: string, body: unknown) => {
  const r = await fetch(`${m.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
};
/** The `data:` objects of an SSE body. */
const events = (text: string) =>
  text
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)));

describe('parseDirectives', () => {
  it('reads delay, tag, fail, bash, mcp and mcptool', () => {
    expect(parseDirectives('hi delay=1200 tag=t1', true)).toEqual({ kind: 'text', delay: 1200, tag: ' [t1]' });
    expect(parseDirectives('hi delay=1200', false).delay).toBe(0); // side requests are never delayed
    expect(parseDirectives('please fail500', true)).toMatchObject({ kind: 'fail', status: 500 });
    expect(parseDirectives('bash: touch a.txt', true)).toMatchObject({ kind: 'bash', command: 'touch a.txt' });
    expect(parseDirectives('mcp: ping', true)).toMatchObject({ kind: 'mcp', tool: 'fake_echo', args: { text: 'ping' } });
    expect(parseDirectives('mcptool: handoff {"agent_profile":"dev","message":"a {b} \\"c\\""} tag=x', true)).toMatchObject({
      kind: 'mcp', tool: 'handoff', args: { agent_profile: 'dev', message: 'a {b} "c"' }, tag: ' [x]',
    });
    expect(parseDirectives('mcptool: list_things', true)).toMatchObject({ kind: 'mcp', tool: 'list_things', args: {} });
    expect(parseDirectives('mcptool: x {"a":', true)).toMatchObject({ kind: 'text', problem: expect.stringContaining('bad mcptool arguments') });
  });

  it('picks a tool by exact name, then by name ending, then by fragment', () => {
    const names = ['Bash', 'mcp__cao-mcp-server__handoff', 'mcp__x__handoff_status', 'fakemcp-fake_echo'];
    expect(pickTool(names, 'handoff')).toBe('mcp__cao-mcp-server__handoff');
    expect(pickTool(names, 'fake_echo')).toBe('fakemcp-fake_echo');
    expect(pickTool(names, 'status')).toBe('mcp__x__handoff_status');
    expect(pickTool(names, 'nothing')).toBeUndefined();
  });
});

describe('Anthropic Messages', () => {
  const tools = [{ name: 'Bash' }, { name: 'mcp__cao-mcp-server__handoff' }];

  it('streams a tagged text reply', async () => {
    const r = await post('/v1/messages?beta=true', { stream: true, tools, messages: [{ role: 'user', content: [{ type: 'text', text: '<system-reminder>x</system-reminder>' }, { type: 'text', text: 'Say hi tag=a1' }] }] });
    const text = events(r.text).filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text).join('');
    expect(text).toMatch(/^Hello from the fake model \(reply #\d+\)\. \[a1\]$/);
    expect(events(r.text).at(-1).type).toBe('message_stop');
  });

  it('calls an MCP tool by fragment with JSON arguments, then quotes its result with the tag of the prompt', async () => {
    const prompt = { role: 'user', content: 'mcptool: handoff {"agent_profile":"w","message":"go"} tag=h1' };
    const first = await post('/v1/messages', { tools, messages: [prompt] });
    const reply = JSON.parse(first.text);
    expect(reply.stop_reason).toBe('tool_use');
    const use = reply.content.find((c: { type: string }) => c.type === 'tool_use');
    expect(use).toMatchObject({ name: 'mcp__cao-mcp-server__handoff', input: { agent_profile: 'w', message: 'go' } });
    const second = await post('/v1/messages', {
      tools,
      messages: [prompt, { role: 'assistant', content: reply.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: 'worker said 42' }] }] }, { role: 'system', content: 'agents' }],
    });
    expect(JSON.parse(second.text).content[0].text).toBe('Tool finished. Result was: worker said 42 [h1]');
  });

  it('waits for MCP servers still connecting (WaitForMcpServers) before calling their tool', async () => {
    const prompt = { role: 'user', content: 'mcptool: handoff {"message":"m"}' };
    const wait = JSON.parse((await post('/v1/messages', { tools: [{ name: 'Bash' }, { name: 'WaitForMcpServers' }], messages: [prompt] })).text);
    const use = wait.content.find((c: { type: string }) => c.type === 'tool_use');
    expect(use.name).toBe('WaitForMcpServers');
    const after = JSON.parse(
      (await post('/v1/messages', { tools, messages: [prompt, { role: 'assistant', content: wait.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'connected' }] }] })).text,
    );
    expect(after.content.find((c: { type: string }) => c.type === 'tool_use')).toMatchObject({ name: 'mcp__cao-mcp-server__handoff', input: { message: 'm' } });
  });

  it('fetches a deferred MCP tool with ToolSearch first (newer Claude Code), then calls it by the name found', async () => {
    const prompt = { role: 'user', content: 'mcptool: handoff {"message":"m"} tag=d1' };
    const offered = [{ name: 'Bash' }, { name: 'ToolSearch' }];
    const search = JSON.parse((await post('/v1/messages', { tools: offered, messages: [prompt] })).text);
    const use = search.content.find((c: { type: string }) => c.type === 'tool_use');
    expect(use).toMatchObject({ name: 'ToolSearch', input: { query: '+handoff' } });
    const loaded = { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: [{ type: 'tool_reference', tool_name: 'mcp__cao-mcp-server__handoff' }] }, { type: 'text', text: 'Tool loaded.' }] };
    const call = JSON.parse((await post('/v1/messages', { tools: offered, messages: [prompt, { role: 'assistant', content: search.content }, loaded] })).text);
    expect(call.content.find((c: { type: string }) => c.type === 'tool_use')).toMatchObject({ name: 'mcp__cao-mcp-server__handoff', input: { message: 'm' } });
  });

  it('treats a prompt sent with the result of an interrupted call as the prompt', async () => {
    const r = await post('/v1/messages', { tools, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'rejected' }, { type: 'text', text: 'next tag=n1' }] }] });
    expect(JSON.parse(r.text).content[0].text).toMatch(/\[n1\]$/);
  });

  it('runs the shell tool, answers side requests with a title, fails on request', async () => {
    const bash = JSON.parse((await post('/v1/messages', { tools, messages: [{ role: 'user', content: 'bash: touch x' }] })).text);
    expect(bash.content[1]).toMatchObject({ type: 'tool_use', name: 'Bash', input: { command: 'touch x' } });
    expect(JSON.parse((await post('/v1/messages', { messages: [{ role: 'user', content: 'title please delay=5000' }] })).text).content[0].text).toBe('Fake title');
    const fail = await post('/v1/messages', { tools, messages: [{ role: 'user', content: 'fail400' }] });
    expect(fail.status).toBe(400);
    expect(JSON.parse(fail.text)).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'Fake server scripted error 400' } });
  });
});

describe('OpenAI Responses, Chat Completions and Gemini', () => {
  it('Responses: text, and a namespaced MCP call Codex can route', async () => {
    const text = await post('/v1/responses', { stream: true, tools: [{ type: 'function', name: 'exec_command' }], input: [{ role: 'user', content: [{ type: 'input_text', text: '<environment_context>x' }, { type: 'input_text', text: 'hi tag=r1' }] }] });
    expect(events(text.text).find((e) => e.type === 'response.output_text.done').text).toMatch(/\[r1\]$/);
    const call = JSON.parse((await post('/v1/responses', { tools: [{ type: 'namespace', name: 'mcp__fakemcp', tools: [{ name: 'fake_echo' }] }], input: [{ role: 'user', content: 'mcp: yo' }] })).text);
    expect(call.output[0]).toMatchObject({ type: 'function_call', name: 'fake_echo', namespace: 'mcp__fakemcp', arguments: '{"text":"yo"}' });
    const escalated = JSON.parse((await post('/v1/responses', { tools: [{ type: 'function', name: 'exec_command' }], input: [{ role: 'user', content: 'bash: escalate touch y' }] })).text);
    const args = JSON.parse(escalated.output[0].arguments);
    expect(args.sandbox_permissions).toBe('require_escalated');
    expect(args.cmd.trim()).toBe('touch y'); // as the original server: the word is cut out, its space stays
  });

  it('Chat Completions: a streamed tool call, then the tool result quoted', async () => {
    const tools = [{ type: 'function', function: { name: 'bash' } }];
    const call = await post('/v1/chat/completions', { stream: true, tools, messages: [{ role: 'user', content: 'bash: ls tag=c1' }] });
    const chunks = events(call.text);
    expect(chunks.find((c) => c.choices?.[0]?.delta?.tool_calls)?.choices[0].delta.tool_calls[0].function).toEqual({ name: 'bash', arguments: '{"command":"ls tag=c1"}' });
    expect(chunks.find((c) => c.choices?.[0]?.finish_reason)?.choices[0].finish_reason).toBe('tool_calls');
    const result = JSON.parse((await post('/v1/chat/completions', { tools, messages: [{ role: 'user', content: 'bash: ls tag=c1' }, { role: 'tool', content: 'a.txt' }] })).text);
    expect(result.choices[0].message.content).toBe('Tool finished. Result was: a.txt [c1]');
  });

  it('Gemini: streamed text, schema-shaped JSON for classifiers, its error body', async () => {
    const r = await post('/v1beta/models/gemini-x:streamGenerateContent?alt=sse', { tools: [{ functionDeclarations: [{ name: 'run_shell_command' }] }], contents: [{ role: 'user', parts: [{ text: 'hi tag=g1' }] }] });
    expect(events(r.text).map((e) => e.candidates[0].content.parts[0].text).join('')).toMatch(/\[g1\]$/);
    const json = JSON.parse((await post('/v1beta/models/flash:generateContent', { generationConfig: { responseMimeType: 'application/json', responseJsonSchema: { properties: { complexity_score: { type: 'NUMBER' }, complexity_reasoning: { type: 'STRING' } } } }, contents: [{ role: 'user', parts: [{ text: 'x' }] }] })).text);
    expect(JSON.parse(json.candidates[0].content.parts[0].text)).toEqual({ complexity_score: 1, complexity_reasoning: 'fake' });
    const fail = await post('/v1beta/models/gemini-x:streamGenerateContent', { contents: [{ role: 'user', parts: [{ text: 'fail400' }] }] });
    expect(JSON.parse(fail.text).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
  });
});

describe('records', () => {
  it('keeps every request and reply, and logs them', async () => {
    const before = m.requests().length;
    await fetch(`${m.url}/`, { method: 'HEAD' });
    const reqs = m.requests();
    expect(reqs.length).toBe(before + 1);
    expect(reqs.at(-1)).toMatchObject({ method: 'HEAD', path: '/', api: 'other' });
    expect(m.replies().some((r) => r.kind === 'fail' && r.status === 400)).toBe(true);
    expect(logged.filter((e) => e.dir === 'in').length).toBe(reqs.length);
  });
});
