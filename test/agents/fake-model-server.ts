/**
 * A fake model API for driving real agent CLIs offline: the conformance tests point each CLI's
 * endpoint at it (ANTHROPIC_BASE_URL, GOOGLE_GEMINI_BASE_URL, a Codex model provider, Copilot's
 * BYOK provider). It speaks
 *
 * - Anthropic Messages (`POST …/messages`, streaming and not; `…/messages/count_tokens`),
 * - OpenAI Responses (`POST …/responses`, SSE),
 * - OpenAI Chat Completions (`POST …/chat/completions`, SSE),
 * - Gemini (`…/models/<m>:streamGenerateContent | :generateContent | :countTokens`),
 *
 * and answers from words in the **last user prompt** (see `parseDirectives`):
 *
 * | words | reply |
 * |---|---|
 * | `delay=MS` | wait MS before streaming (only requests that carry tools: the main turn, not side requests) |
 * | `bash: CMD` | a call of the CLI's shell tool (`Bash`, `exec_command`, `run_shell_command`, `bash`…) running CMD; for Codex the word `escalate` in CMD asks for `sandbox_permissions: require_escalated` |
 * | `mcp: TEXT` | a call of the MCP tool whose name contains `fake_echo`, with `{ text: TEXT }` |
 * | `mcptool: NAME {JSON}` | a call of the tool whose name is or ends with NAME (else contains it), with the JSON object (rest of the line) as arguments, e.g. `mcptool: handoff {"agent_profile":"developer","message":"…"}` |
 * | `fail400`, `fail401`, `fail429`, `fail500` | that HTTP error, with the API's own error body |
 * | `tag=X` | plain-text replies end with ` [X]`, so a test finds *this* reply on screen |
 * | anything else | `Hello from the fake model (reply #N).` |
 *
 * When the last message is a tool result the reply is `Tool finished. Result was: <its first 200
 * characters>` (plus the tag of the prompt that started the turn). When the wanted MCP tool is not
 * offered yet but Claude Code's `WaitForMcpServers` is (the server is still connecting), the reply
 * calls that first and the MCP tool after it, as a model would (at most 3 waits); likewise newer
 * versions' `ToolSearch`, which fetches deferred MCP tools (the tool is then called by the name the
 * search returned). Requests without tools (title
 * generation, classifiers) get `Fake title`, or schema-shaped JSON for Gemini's JSON requests.
 * A fake model server, as a module.
 */
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Api = 'anthropic' | 'responses' | 'chat' | 'gemini' | 'other';

/** One request the server received. */
export interface FakeRequest {
  method: string;
  path: string;
  api: Api;
  /** A subset of the headers (user agent, API version and key headers, content type). */
  headers: Record<string, string>;
  body: any;
  at: number;
}

/** What the server answered (a summary). */
export interface FakeReply {
  api: Api;
  kind: Directives['kind'] | 'tool-result' | 'side';
  status: number;
  /** The text of a text reply. */
  text?: string;
  /** The tool called, with its arguments. */
  tool?: { name: string; args: unknown };
  at: number;
}

export type LogEntry = ({ dir: 'in' } & FakeRequest) | ({ dir: 'out' } & FakeReply);

export interface FakeModelOptions {
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** A JSON-lines file to append every request and reply to, or a function that receives them. */
  log?: string | ((e: LogEntry) => void);
  /** Delay before streaming main replies when the prompt has no `delay=` (default 0). */
  defaultDelayMs?: number;
  /** Pause between streamed words (default 30 ms). */
  wordDelayMs?: number;
}

export interface FakeModel {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  url: string;
  port: number;
  /** Every request so far, oldest first. */
  requests(): FakeRequest[];
  /** Every reply so far, oldest first. */
  replies(): FakeReply[];
  close(): Promise<void>;
}

export interface Directives {
  kind: 'text' | 'fail' | 'bash' | 'mcp';
  delay: number;
  /** ` [X]` for `tag=X`, else ''. */
  tag: string;
  status?: number;
  command?: string;
  /** For `mcp`: the tool name fragment and its arguments. */
  tool?: string;
  args?: Record<string, unknown>;
  /** Why an `mcptool:` line could not be used. */
  problem?: string;
}

const SHELL_TOOLS = ['Bash', 'shell', 'shell_command', 'exec_command', 'run_shell_command', 'bash', 'local_shell'];

/** The behaviour words of a prompt. `hasTools`: the request offers tools (a main turn). */
export function parseDirectives(text: string, hasTools: boolean, defaultDelay = 0): Directives {
  const d: Directives = { kind: 'text', delay: hasTools ? defaultDelay : 0, tag: '' };
  if (!text) return d;
  const tag = /tag=(\w+)/.exec(text);
  if (tag) d.tag = ` [${tag[1]}]`;
  const delay = /delay=(\d+)/.exec(text);
  if (delay && hasTools) d.delay = Number(delay[1]);
  let m: RegExpExecArray | null;
  if ((m = /fail(400|401|429|500)/.exec(text))) {
    d.kind = 'fail';
    d.status = Number(m[1]);
  } else if (hasTools && (m = /bash:\s*(.+)$/m.exec(text))) {
    d.kind = 'bash';
    d.command = m[1]!.trim();
  } else if (hasTools && (m = /mcptool:\s*(\S+)[ \t]*(.*)$/m.exec(text))) {
    d.kind = 'mcp';
    d.tool = m[1]!;
    try {
      d.args = leadingJsonObject(m[2]!);
    } catch (e) {
      d.kind = 'text';
      d.problem = `fake model: bad mcptool arguments (${(e as Error).message})`;
    }
  } else if (hasTools && (m = /mcp:\s*(.+)$/m.exec(text))) {
    d.kind = 'mcp';
    d.tool = 'fake_echo';
    d.args = { text: m[1]!.trim() };
  }
  return d;
}

/** The JSON object at the start of `s` (words after it, such as `tag=X`, are ignored); `{}` if none. */
function leadingJsonObject(s: string): Record<string, unknown> {
  const text = s.trimStart();
  if (!text.startsWith('{')) {
    if (text === '' || /^\w+=/.test(text)) return {};
    throw new Error('the arguments are not a JSON object');
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return JSON.parse(text.slice(0, i + 1)) as Record<string, unknown>;
  }
  throw new Error('the JSON object is not closed');
}

export function pickShellTool(names: string[]): string | undefined {
  return SHELL_TOOLS.find((n) => names.includes(n)) ?? names.find((n) => /shell|bash|exec/i.test(n));
}

/** The tool a name fragment means: the exact name, else a name ending in it, else one containing it. */
export function pickTool(names: string[], fragment: string): string | undefined {
  return (
    names.find((n) => n === fragment) ??
    names.find((n) => n.endsWith(`__${fragment}`) || n.endsWith(`_${fragment}`) || n.endsWith(`-${fragment}`) || n.endsWith(`.${fragment}`)) ??
    names.find((n) => n.includes(fragment))
  );
}

function shellArgs(tool: string, command: string): Record<string, unknown> {
  switch (tool) {
    case 'Bash':
    case 'run_shell_command':
      return { command, description: 'Run command requested by fake model' };
    case 'shell':
      return { command: ['bash', '-lc', command] };
    case 'exec_command':
      return /\bescalate\b/.test(command)
        ? { cmd: command.replace(/\s*\bescalate\b/, ''), sandbox_permissions: 'require_escalated', justification: 'Fake model wants to run this outside the sandbox' }
        : { cmd: command };
    default:
      return { command };
  }
}

function errorBody(api: Api, status: number): unknown {
  const message = `Fake server scripted error ${status}`;
  if (api === 'anthropic') {
    const type = status === 429 ? 'rate_limit_error' : status === 401 ? 'authentication_error' : status === 400 ? 'invalid_request_error' : 'api_error';
    return { type: 'error', error: { type, message } };
  }
  if (api === 'gemini') return { error: { code: status, message, status: status === 400 ? 'INVALID_ARGUMENT' : 'INTERNAL' } };
  return { error: { message, type: 'invalid_request_error', code: null } };
}

/** Claude Code's tool for waiting until MCP servers still connecting have their tools listed. */
const WAIT_FOR_MCP = 'WaitForMcpServers';
/** Newer Claude Code versions' tool that fetches the schema of deferred (MCP) tools. */
const TOOL_SEARCH = 'ToolSearch';
const MAX_WAITS = 3;

const toolResultText = (result: string, tag: string) => `Tool finished. Result was: ${result.slice(0, 200)}${tag}`;
const helloText = (n: number, tag: string) => `Hello from the fake model (reply #${n}).${tag}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const words = (text: string) => text.split(/(?<= )/);

/** A reply in API-neutral form. */
type Plan =
  | { kind: 'fail'; status: number }
  | { kind: 'text'; text: string; reply: FakeReply['kind'] }
  | { kind: 'tool'; name: string; args: Record<string, unknown>; text?: string; namespace?: string };

/** Decide the reply from the prompt, the tool result and the offered tools. */
function plan(o: {
  text: string;
  toolResult: string | null;
  tools: string[];
  counter: number;
  defaultDelay: number;
  promptForTag?: string;
  /** The tool whose result this is, and how often the conversation waited for MCP servers (where the API tells). */
  resultOf?: string;
  waits?: number;
}): { plan: Plan; delay: number } {
  const hasTools = o.tools.length > 0;
  if (o.toolResult !== null) {
    // After waiting for MCP servers, or fetching deferred tools, try the prompt's tool call again
    // (a fetched tool is callable by the name the search returned).
    if (o.resultOf === WAIT_FOR_MCP && (o.waits ?? 0) <= MAX_WAITS) return plan({ ...o, text: o.promptForTag ?? '', toolResult: null, defaultDelay: 0 });
    if (o.resultOf === TOOL_SEARCH && (o.waits ?? 0) <= MAX_WAITS) {
      const found = [...o.toolResult.matchAll(/"name":\s*"([^"]+)"/g)].map((m) => m[1]!);
      return plan({ ...o, tools: [...o.tools.filter((t) => t !== TOOL_SEARCH), ...found], text: o.promptForTag ?? '', toolResult: null, defaultDelay: 0 });
    }
    const tag = parseDirectives(o.promptForTag ?? '', false).tag;
    return { plan: { kind: 'text', text: toolResultText(o.toolResult, tag), reply: 'tool-result' }, delay: 0 };
  }
  const d = parseDirectives(o.text, hasTools, o.defaultDelay);
  if (d.kind === 'fail') return { plan: { kind: 'fail', status: d.status! }, delay: 0 };
  if (d.kind === 'bash') {
    const tool = pickShellTool(o.tools);
    if (tool) return { plan: { kind: 'tool', name: tool, args: shellArgs(tool, d.command!), text: 'I will run that command.' }, delay: d.delay };
  }
  if (d.kind === 'mcp') {
    const tool = pickTool(o.tools, d.tool!);
    if (tool) return { plan: { kind: 'tool', name: tool, args: d.args!, text: 'Calling the MCP tool.' }, delay: d.delay };
    // Claude Code offers MCP tools only once their server connected; until then it offers this.
    if (o.tools.includes(WAIT_FOR_MCP) && (o.waits ?? 0) < MAX_WAITS) return { plan: { kind: 'tool', name: WAIT_FOR_MCP, args: {}, text: 'Waiting for the MCP servers.' }, delay: d.delay };
    // Newer Claude Code versions list MCP tools as deferred: their schema is fetched with ToolSearch first.
    if (o.tools.includes(TOOL_SEARCH) && (o.waits ?? 0) < MAX_WAITS) return { plan: { kind: 'tool', name: TOOL_SEARCH, args: { query: `+${d.tool}` }, text: 'Looking the tool up.' }, delay: d.delay };
    return { plan: { kind: 'text', text: `fake model: no tool matches '${d.tool}'.${d.tag}`, reply: 'text' }, delay: d.delay };
  }
  if (d.problem) return { plan: { kind: 'text', text: `${d.problem}${d.tag}`, reply: 'text' }, delay: d.delay };
  if (!hasTools) return { plan: { kind: 'text', text: 'Fake title', reply: 'side' }, delay: 0 };
  return { plan: { kind: 'text', text: helloText(o.counter, d.tag), reply: 'text' }, delay: d.delay };
}

// ── request parsing per API ────────────────────────────────────────────────

/** The text of a message or tool result; a `tool_reference` (a tool ToolSearch loaded) as `{"name":"…"}`. */
const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((c: any) => (typeof c === 'string' ? c : c?.type === 'tool_reference' ? JSON.stringify({ name: c.tool_name }) : (c?.text ?? ''))).join('')
      : '';

/** Text Claude Code adds to a user message itself: not something the user typed. */
const CLI_NOTE = /^(?:<system-reminder>|Tool loaded\.$|\[Request interrupted by user)/;

/** The user's prompt in an Anthropic message (the last text part that is not a system reminder). */
function anthropicPrompt(m: any): string | undefined {
  if (!m || m.role !== 'user') return undefined;
  if (typeof m.content === 'string') return m.content;
  const texts = (m.content ?? []).filter((p: any) => p.type === 'text').map((p: any) => String(p.text));
  if (texts.length === 0) return undefined;
  return texts.filter((t: string) => !CLI_NOTE.test(t)).pop() ?? texts.pop();
}

function anthropicLast(body: any): { text: string; toolResult: string | null; prompt?: string; resultOf?: string; waits?: number } {
  // Claude Code may append role "system" messages after the user turn: skip them.
  const msgs: any[] = (body.messages ?? []).filter((m: any) => m.role !== 'system');
  const uses: any[] = msgs.filter((m) => m.role === 'assistant' && Array.isArray(m.content)).flatMap((m) => m.content.filter((p: any) => p.type === 'tool_use'));
  const last = msgs[msgs.length - 1];
  if (!last) return { text: '', toolResult: null };
  const parts: any[] = Array.isArray(last.content) ? last.content : [];
  const tr = parts.find((p) => p.type === 'tool_result');
  // After an interrupted tool call the next prompt travels with the call's (rejected) result.
  const typed = parts.some((p) => p.type === 'text' && !CLI_NOTE.test(String(p.text)));
  if (tr && !typed) {
    let prompt: string | undefined;
    for (let i = msgs.length - 2; i >= 0 && prompt === undefined; i--) {
      const m = msgs[i];
      if (Array.isArray(m.content) && m.content.some((p: any) => p.type === 'tool_result')) continue;
      prompt = anthropicPrompt(m);
    }
    const resultOf = uses.find((u) => u.id === tr.tool_use_id)?.name as string | undefined;
    return { text: '', toolResult: textOf(tr.content), prompt, resultOf, waits: uses.filter((u) => u.name === WAIT_FOR_MCP || u.name === TOOL_SEARCH).length };
  }
  return { text: anthropicPrompt(last) ?? '', toolResult: null };
}

interface FlatTool {
  name: string;
  ns?: string;
}

/** Codex groups MCP tools as `{ type: "namespace", name: "mcp__srv", tools: [...] }`: flatten them. */
function flattenResponseTools(list: any[] | undefined): FlatTool[] {
  const out: FlatTool[] = [];
  for (const t of list ?? []) {
    if (t.type === 'namespace') for (const c of t.tools ?? []) out.push({ name: c.name, ns: t.name });
    else if (t.name || t.type) out.push({ name: t.name ?? t.type });
  }
  return out;
}

const RESPONSES_PREAMBLE = /^<(environment_context|user_instructions|permissions|INSTRUCTIONS)/;

function responsesUserText(it: any): string | undefined {
  if (it?.role !== 'user') return undefined;
  if (typeof it.content === 'string') return it.content;
  const texts = (it.content ?? []).map((c: any) => c.text ?? '').filter(Boolean) as string[];
  return texts.filter((x) => !RESPONSES_PREAMBLE.test(x.trim())).pop();
}

function responsesLast(body: any): { text: string; toolResult: string | null; prompt?: string } {
  const input: any[] = Array.isArray(body.input) ? body.input : [{ role: 'user', content: body.input }];
  const last = input[input.length - 1] ?? {};
  const findPrompt = () => {
    for (let i = input.length - 1; i >= 0; i--) {
      const t = responsesUserText(input[i]);
      if (t !== undefined) return t;
    }
    return undefined;
  };
  if (['function_call_output', 'custom_tool_call_output', 'mcp_call_output'].includes(last.type)) {
    return { text: '', toolResult: typeof last.output === 'string' ? last.output : JSON.stringify(last.output), prompt: findPrompt() };
  }
  return { text: findPrompt() ?? '', toolResult: null };
}

function chatLast(body: any): { text: string; toolResult: string | null; prompt?: string } {
  const msgs: any[] = body.messages ?? [];
  const last = msgs[msgs.length - 1] ?? {};
  if (last.role === 'tool') {
    const prompt = [...msgs].reverse().find((m) => m.role === 'user');
    return { text: '', toolResult: typeof last.content === 'string' ? last.content : JSON.stringify(last.content), prompt: prompt ? textOf(prompt.content) : undefined };
  }
  return { text: textOf(last.content), toolResult: null };
}

function geminiLast(body: any): { text: string; toolResult: string | null; prompt?: string } {
  const contents: any[] = body.contents ?? [];
  const last = contents[contents.length - 1] ?? { parts: [] };
  const fr = (last.parts ?? []).find((p: any) => p.functionResponse);
  const textOfParts = (c: any) => (c.parts ?? []).map((p: any) => p.text ?? '').join('');
  if (fr) {
    const prompt = [...contents].reverse().find((c) => c.role === 'user' && !(c.parts ?? []).some((p: any) => p.functionResponse));
    return { text: '', toolResult: JSON.stringify(fr.functionResponse.response), prompt: prompt ? textOfParts(prompt) : undefined };
  }
  return { text: textOfParts(last), toolResult: null };
}

// ── the server ─────────────────────────────────────────────────────────────

const LOGGED_HEADERS = ['user-agent', 'anthropic-version', 'anthropic-beta', 'x-api-key', 'authorization', 'x-goog-api-key', 'openai-beta', 'content-type', 'accept'];

export async function startFakeModel(o: FakeModelOptions = {}): Promise<FakeModel> {
  const requests: FakeRequest[] = [];
  const replies: FakeReply[] = [];
  const defaultDelay = o.defaultDelayMs ?? 0;
  const wordDelay = o.wordDelayMs ?? 30;
  let counter = 0;

  const log = (e: LogEntry) => {
    if (typeof o.log === 'function') o.log(e);
    else if (typeof o.log === 'string') appendFileSync(o.log, `${JSON.stringify({ t: new Date(e.at).toISOString(), ...e })}\n`);
  };
  const record = (r: Omit<FakeReply, 'at'>) => {
    const reply = { ...r, at: Date.now() };
    replies.push(reply);
    log({ dir: 'out', ...reply });
  };

  const sendJson = (res: ServerResponse, status: number, obj: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  const sse = (res: ServerResponse, headers: Record<string, string> = {}) =>
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });

  const summary = (api: Api, p: Plan): Omit<FakeReply, 'at'> =>
    p.kind === 'fail'
      ? { api, kind: 'fail', status: p.status }
      : p.kind === 'text'
        ? { api, kind: p.reply, status: 200, text: p.text }
        : { api, kind: p.name === 'fake_echo' || !SHELL_TOOLS.includes(p.name) ? 'mcp' : 'bash', status: 200, tool: { name: p.name, args: p.args }, text: p.text };

  async function anthropic(res: ServerResponse, body: any) {
    const tools: string[] = (body.tools ?? []).map((t: any) => t.name).filter(Boolean);
    const last = anthropicLast(body);
    const id = `msg_fake_${++counter}`;
    const { plan: p, delay } = plan({ ...last, tools, counter, defaultDelay, promptForTag: last.prompt });
    record(summary('anthropic', p));
    if (p.kind === 'fail') return sendJson(res, p.status, errorBody('anthropic', p.status));
    const model = body.model ?? 'claude-fake';
    type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };
    const blocks: Block[] = p.kind === 'text' ? [{ type: 'text', text: p.text }] : [{ type: 'text', text: p.text ?? '' }, { type: 'tool_use', id: `toolu_fake_${counter}`, name: p.name, input: p.args }];
    const stop = p.kind === 'tool' ? 'tool_use' : 'end_turn';
    const usage = { input_tokens: 12, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    if (!body.stream) {
      await sleep(delay);
      return sendJson(res, 200, { id, type: 'message', role: 'assistant', model, content: blocks, stop_reason: stop, stop_sequence: null, usage });
    }
    sse(res, { 'request-id': `req_${id}` });
    const ev = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    ev('message_start', { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
    ev('ping', {});
    await sleep(delay);
    for (const [index, b] of blocks.entries()) {
      if (b.type === 'text') {
        ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
        for (const w of words(b.text)) {
          ev('content_block_delta', { index, delta: { type: 'text_delta', text: w } });
          await sleep(wordDelay);
        }
      } else {
        ev('content_block_start', { index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
        ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
      }
      ev('content_block_stop', { index });
    }
    ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 7 } });
    ev('message_stop', {});
    res.end();
  }

  async function responses(res: ServerResponse, body: any) {
    const flat = flattenResponseTools(body.tools);
    const last = responsesLast(body);
    const rid = `resp_fake_${++counter}`;
    const { plan: p, delay } = plan({ ...last, tools: flat.map((t) => t.name), counter, defaultDelay, promptForTag: last.prompt });
    record(summary('responses', p));
    if (p.kind === 'fail') return sendJson(res, p.status, errorBody('responses', p.status));
    const model = body.model ?? 'gpt-fake';
    let out: any[];
    if (p.kind === 'text') {
      out = [{ type: 'message', id: `msg_fake_${counter}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: p.text, annotations: [] }] }];
    } else {
      // A call to a namespaced (MCP) tool names its namespace: that is how Codex routes it.
      const ns = flat.find((t) => t.name === p.name)?.ns;
      out = [{ type: 'function_call', id: `fc_fake_${counter}`, status: 'completed', name: p.name, ...(ns ? { namespace: ns } : {}), arguments: JSON.stringify(p.args), call_id: `call_fake_${counter}` }];
    }
    const usage = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 19 };
    const created_at = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      await sleep(delay);
      return sendJson(res, 200, { id: rid, object: 'response', created_at, status: 'completed', model, output: out, usage });
    }
    sse(res);
    let seq = 0;
    const ev = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
    const base = { id: rid, object: 'response', created_at, status: 'in_progress', model, output: [] };
    ev('response.created', { response: base });
    ev('response.in_progress', { response: base });
    await sleep(delay);
    for (const [i, it] of out.entries()) {
      if (it.type === 'message') {
        const text: string = it.content[0].text;
        ev('response.output_item.added', { output_index: i, item: { ...it, status: 'in_progress', content: [] } });
        ev('response.content_part.added', { output_index: i, item_id: it.id, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
        for (const w of words(text)) {
          ev('response.output_text.delta', { output_index: i, item_id: it.id, content_index: 0, delta: w });
          await sleep(wordDelay);
        }
        ev('response.output_text.done', { output_index: i, item_id: it.id, content_index: 0, text });
        ev('response.content_part.done', { output_index: i, item_id: it.id, content_index: 0, part: it.content[0] });
      } else {
        ev('response.output_item.added', { output_index: i, item: { ...it, status: 'in_progress', arguments: '' } });
        ev('response.function_call_arguments.delta', { output_index: i, item_id: it.id, delta: it.arguments });
        ev('response.function_call_arguments.done', { output_index: i, item_id: it.id, arguments: it.arguments });
      }
      ev('response.output_item.done', { output_index: i, item: it });
    }
    ev('response.completed', { response: { ...base, status: 'completed', output: out, usage } });
    res.end();
  }

  async function chat(res: ServerResponse, body: any) {
    const tools: string[] = (body.tools ?? []).map((t: any) => t.function?.name).filter(Boolean);
    const last = chatLast(body);
    const id = `chatcmpl_fake_${++counter}`;
    const { plan: p, delay } = plan({ ...last, tools, counter, defaultDelay, promptForTag: last.prompt });
    record(summary('chat', p));
    if (p.kind === 'fail') return sendJson(res, p.status, errorBody('chat', p.status));
    const content = p.kind === 'text' ? p.text : null;
    const toolCalls = p.kind === 'tool' ? [{ index: 0, id: `call_fake_${counter}`, type: 'function', function: { name: p.name, arguments: JSON.stringify(p.args) } }] : null;
    const model = body.model ?? 'gpt-fake';
    const created = Math.floor(Date.now() / 1000);
    const finish = toolCalls ? 'tool_calls' : 'stop';
    const usage = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };
    if (!body.stream) {
      await sleep(delay);
      const message = { role: 'assistant', content, ...(toolCalls ? { tool_calls: toolCalls.map(({ index: _i, ...r }) => r) } : {}) };
      return sendJson(res, 200, { id, object: 'chat.completion', created, model, choices: [{ index: 0, message, finish_reason: finish }], usage });
    }
    sse(res);
    const chunk = (delta: object, fr: string | null = null) => res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: fr }] })}\n\n`);
    chunk({ role: 'assistant', content: '' });
    await sleep(delay);
    if (content) {
      for (const w of words(content)) {
        chunk({ content: w });
        await sleep(wordDelay);
      }
    }
    if (toolCalls) chunk({ tool_calls: toolCalls });
    chunk({}, finish);
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    res.write('data: [DONE]\n\n');
    res.end();
  }

  async function gemini(res: ServerResponse, body: any, pathname: string) {
    const m = /models\/([^:]+):(\w+)/.exec(pathname);
    const model = m?.[1] ?? 'gemini-fake';
    const method = m?.[2];
    if (method === 'countTokens') return sendJson(res, 200, { totalTokens: 42 });
    if (method === 'embedContent' || method === 'batchEmbedContents') return sendJson(res, 200, { embedding: { values: [0.1, 0.2] }, embeddings: [{ values: [0.1, 0.2] }] });
    const tools: string[] = (body.tools ?? []).flatMap((t: any) => (t.functionDeclarations ?? []).map((f: any) => f.name));
    const gc = body.generationConfig ?? {};
    const schema = gc.responseJsonSchema ?? gc.responseSchema;
    const last = geminiLast(body);
    const usageMetadata = { promptTokenCount: 12, candidatesTokenCount: 7, totalTokenCount: 19 };
    const mk = (parts: object[], finish: boolean) => ({ candidates: [{ content: { role: 'model', parts }, ...(finish ? { finishReason: 'STOP' } : {}), index: 0 }], usageMetadata, modelVersion: model });
    let parts: object[];
    let delay = 0;
    let streamText: string | undefined;
    if (last.toolResult === null && (gc.responseMimeType === 'application/json' || schema) && parseDirectives(last.text, false).kind !== 'fail') {
      // Routing classifiers, next-speaker checks, loop detection: answer something schema-shaped.
      const o: Record<string, unknown> = {};
      for (const [p, sc] of Object.entries<any>(schema?.properties ?? {})) {
        const ty = String(sc.type ?? '').toLowerCase();
        if (p === 'next_speaker') o[p] = 'user';
        else if (sc.enum) o[p] = sc.enum[0];
        else if (ty === 'number' || ty === 'integer') o[p] = p.includes('complexity') ? 1 : 0;
        else if (ty === 'boolean') o[p] = false;
        else if (ty === 'array') o[p] = [];
        else if (ty === 'object') o[p] = {};
        else o[p] = 'fake';
      }
      parts = [{ text: JSON.stringify(o) }];
      record({ api: 'gemini', kind: 'side', status: 200, text: JSON.stringify(o) });
    } else {
      const r = plan({ ...last, tools, counter: ++counter, defaultDelay, promptForTag: last.prompt });
      record(summary('gemini', r.plan));
      const p = r.plan;
      delay = r.delay;
      if (p.kind === 'fail') return sendJson(res, p.status, errorBody('gemini', p.status));
      if (p.kind === 'text') {
        parts = [{ text: p.text }];
        streamText = p.text;
      } else parts = [{ functionCall: { name: p.name, args: p.args } }];
    }
    if (method !== 'streamGenerateContent') {
      await sleep(delay);
      return sendJson(res, 200, mk(parts, true));
    }
    sse(res);
    await sleep(delay);
    if (streamText !== undefined) {
      const ws = words(streamText);
      for (const [i, w] of ws.entries()) {
        res.write(`data: ${JSON.stringify(mk([{ text: w }], i === ws.length - 1))}\r\n\r\n`);
        await sleep(wordDelay);
      }
    } else res.write(`data: ${JSON.stringify(mk(parts, true))}\r\n\r\n`);
    res.end();
  }

  const apiOf = (method: string, p: string): Api => {
    if (method === 'POST' && /\/messages$/.test(p)) return 'anthropic';
    if (method === 'POST' && /\/responses$/.test(p)) return 'responses';
    if (method === 'POST' && /\/chat\/completions$/.test(p)) return 'chat';
    if (/\/models\/[^/]+:\w+$/.test(p)) return 'gemini';
    return 'other';
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    let body: any = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      body = { _raw: raw.slice(0, 2000) };
    }
    const headers: Record<string, string> = {};
    for (const k of LOGGED_HEADERS) if (req.headers[k]) headers[k] = String(req.headers[k]).slice(0, 200);
    const p = url.pathname;
    const api = apiOf(method, p);
    const entry: FakeRequest = { method, path: req.url ?? '/', api, headers, body, at: Date.now() };
    requests.push(entry);
    log({ dir: 'in', ...entry });
    try {
      if (method === 'POST' && /\/messages\/count_tokens$/.test(p)) return sendJson(res, 200, { input_tokens: 42 });
      if (api === 'anthropic') return await anthropic(res, body);
      if (api === 'responses') return await responses(res, body);
      if (api === 'chat') return await chat(res, body);
      if (api === 'gemini') return await gemini(res, body, p);
      if (method === 'GET' && /\/models\/?$/.test(p)) {
        return sendJson(res, 200, {
          object: 'list',
          data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake', type: 'model', display_name: 'Fake Model' }],
          models: [], has_more: false, first_id: 'fake-model', last_id: 'fake-model',
        });
      }
      // Claude Code probes `HEAD /` at startup: any answer will do.
      sendJson(res, 404, { error: { type: 'not_found_error', message: `fake server: no route ${method} ${p}` } });
    } catch (e) {
      record({ api, kind: 'fail', status: 500, text: String((e as Error).stack ?? e) });
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(e) } });
      else res.end();
    }
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => void handle(req, res, raw));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => [...requests],
    replies: () => [...replies],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
