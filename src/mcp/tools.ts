/**
 * The MCP server agents use to work together: `handoff` (delegate and wait), `assign` (delegate
 * and go on), `send_message` (write to another agent's inbox). It holds no state of its own; every
 * tool is a few calls to cao-server through `McpCaoApi`.
 *
 * Domain failures (server unreachable, unknown profile, worker stuck…) are tool results with
 * `success: false`, never protocol errors; only invalid arguments come back as `isError` results.
 */
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { DEFAULT_HANDOFF_TIMEOUT_S, MAX_HANDOFF_TIMEOUT_S, MAX_HANDOFF_WAIT_S } from '../handoff-limits.js';
import { TERMINAL_ID } from '../ids.js';
import { silentLogger, type Logger } from '../log.js';
import { isAbort, isTransient, type Handoff, type HandoffOutcome, type McpCaoApi } from './api.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Timings of waiting and retrying; tests shorten them. */
export interface McpTiming {
  /** Long-poll length (s) of `GET /handoffs/{id}?wait=` when the client asked for no progress. */
  pollWaitSeconds: number;
  /** How often progress notifications are sent (when the client gave a progressToken). */
  progressIntervalMs: number;
  /** Retry backoff while cao-server does not answer: first delay, doubling up to the max. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long a write (POST) is retried while cao-server does not answer. */
  writeRetryMs: number;
  /** How long past the handoff's own timeout the tool keeps waiting for the server's verdict. */
  graceMs: number;
  /** Least time between two polls when the server answers "still running" early. */
  minPollGapMs: number;
  /** Time allowed for the best-effort cancel of a handoff. */
  cancelTimeoutMs: number;
}

export const DEFAULT_TIMING: McpTiming = {
  pollWaitSeconds: 25,
  progressIntervalMs: 5_000,
  retryBaseMs: 250,
  retryMaxMs: 5_000,
  writeRetryMs: 10_000,
  graceMs: 30_000,
  minPollGapMs: 500,
  cancelTimeoutMs: 3_000,
};

export interface CaoMcpOptions {
  /** CAO_TERMINAL_ID of the agent that started this server; undefined outside a cao terminal. */
  callerId: string | undefined;
  /** CAO_ENABLE_WORKING_DIRECTORY: expose `working_directory` on handoff and assign. */
  enableWorkingDirectory: boolean;
  /** CAO_ENABLE_SENDER_ID_INJECTION: append who sent a task/message and how to answer. */
  enableSenderIdInjection: boolean;
  version: string;
  logger?: Logger;
  timing?: Partial<McpTiming>;
}

const SERVER_NAME = 'cao-mcp-server';

const SERVER_INSTRUCTIONS = [
  'Tools to work with other agents of the CLI Agent Orchestrator (cao).',
  'handoff delegates a task and waits for the answer; assign delegates without waiting; send_message writes to another agent by terminal ID.',
  'Name an existing agent profile (for example developer or reviewer) and write self-contained messages: the other agent sees nothing of your conversation.',
  'These tools work from inside a cao terminal, where CAO_TERMINAL_ID identifies you.',
].join(' ');


const WORKING_DIRECTORY_SECTION = [
  'Working Directory:',
  "  By default the worker starts in your current working directory. Pass working_directory to run it in another directory; it must exist (an invalid directory makes the call fail).",
].join('\n');

const profileField = () => z.string().min(1).describe('Agent profile of the worker, e.g. "developer" or "reviewer"');
const workingDirectoryField = () =>
  z.string().min(1).optional().describe("Directory the worker starts in (must exist). Default: your current working directory");

/** The `handoff` tool's description. */
function handoffDescription(o: Pick<CaoMcpOptions, 'enableWorkingDirectory'>): string {
  return [
    'Hand a task to another agent and wait for its answer (synchronous delegation).',
    '',
    'cao starts a new agent with the given profile in a new terminal of your session, sends it your message, waits until it has finished and returns its final answer. ' +
      'Use it when you need the result before you can go on; use assign for work that can run while you continue. ' +
      'If the worker gets stuck (it asks a question or fails) or the timeout passes, success is false and message says why. ' +
      'Must be called from inside a cao terminal.',
    ...(o.enableWorkingDirectory ? ['', WORKING_DIRECTORY_SECTION] : []),
    '',
    'Args:',
    '  agent_profile: agent profile of the worker (e.g. "developer", "reviewer")',
    '  message: the task, self-contained: the worker sees nothing else of your conversation',
    `  timeout: seconds to wait for the answer (1-${MAX_HANDOFF_TIMEOUT_S}, default ${DEFAULT_HANDOFF_TIMEOUT_S})`,
    ...(o.enableWorkingDirectory ? ['  working_directory: directory the worker starts in (optional; must exist)'] : []),
    '',
    'Returns:',
    "  success (bool), message (what happened), output (the worker's final answer, or null), terminal_id (the worker's terminal, or null)",
  ].join('\n');
}

/** The `assign` tool's description, generated from the flags (reference §3.3). */
function assignDescription(o: Pick<CaoMcpOptions, 'enableWorkingDirectory' | 'enableSenderIdInjection' | 'callerId'>): string {
  const example = o.callerId ?? 'ee3f93b3';
  const overview = o.enableSenderIdInjection
    ? [
        'The worker starts in a new terminal of your session and works in the background while you continue. ' +
          'Your terminal ID and the instruction to send the results back to you with send_message are appended to the message automatically: ' +
          'do not add callback instructions yourself. The results arrive later as a message in your terminal.',
      ]
    : [
        'The worker starts in a new terminal of your session and works in the background while you continue. ' +
          'It is not told who assigned the task: if you want the results back, put callback instructions in the message. ' +
          "Every agent's terminal ID is in its CAO_TERMINAL_ID environment variable: " +
          (o.callerId ? `yours is ${o.callerId}; include it in the message.` : 'look up yours first (e.g. `echo $CAO_TERMINAL_ID`) and include it in the message.'),
        '',
        `Example message: "Analyze the logs. When done, send results back to terminal ${example} using send_message tool."`,
      ];
  return [
    'Assign a task to another agent without blocking (asynchronous delegation).',
    '',
    ...overview,
    ...(o.enableWorkingDirectory ? ['', WORKING_DIRECTORY_SECTION] : []),
    '',
    'Args:',
    '  agent_profile: agent profile of the worker (e.g. "developer", "reviewer")',
    o.enableSenderIdInjection
      ? '  message: task message'
      : '  message: task message, including callback instructions (your terminal ID and a request to send the results back with send_message)',
    ...(o.enableWorkingDirectory ? ['  working_directory: directory the worker starts in (optional; must exist)'] : []),
    '',
    'Returns:',
    "  dict with success (bool), terminal_id (the worker's terminal ID) and message (what happened)",
  ].join('\n');
}

/** The `send_message` tool's description. */
function sendMessageDescription(o: Pick<CaoMcpOptions, 'enableSenderIdInjection'>): string {
  return [
    "Send a message to another agent's terminal (its inbox).",
    '',
    'The message is delivered when the receiving agent is idle, oldest first, and arrives in its conversation as if typed. ' +
      'Use it to send results back to the agent that assigned you a task, or to talk to another agent by terminal ID.' +
      (o.enableSenderIdInjection ? ' Your terminal ID is appended so the receiver can reply.' : ''),
    '',
    'Args:',
    '  receiver_id: terminal ID of the receiver (8 lowercase hex characters, e.g. "ab12cd34")',
    '  message: the text to send',
    '',
    'Returns:',
    '  dict with success (bool) and, on success, message_id, sender_id, receiver_id, created_at, status; on failure, error',
  ].join('\n');
}

const assignSuffix = (sender: string) =>
  `\n\n[Assigned by terminal ${sender}. When done, send your results back to terminal ${sender} using the send_message tool.]`;
const messageSuffix = (sender: string) => `\n\n[Message from terminal ${sender}. Use the send_message tool to reply.]`;

const HandoffResultShape = {
  success: z.boolean(),
  message: z.string(),
  output: z.string().nullable(),
  terminal_id: z.string().nullable(),
};

const AssignResultShape = {
  success: z.boolean(),
  terminal_id: z.string().nullable(),
  message: z.string(),
};

/** Loose: the server's receipt is passed through as it is, fields added later included. */
const SendMessageResultSchema = z.looseObject({
  success: z.boolean(),
  message_id: z.number().optional(),
  sender_id: z.string().optional(),
  receiver_id: z.string().optional(),
  created_at: z.string().optional(),
  status: z.string().optional(),
  error: z.string().optional(),
});

type AssignResult = z.infer<z.ZodObject<typeof AssignResultShape>>;
type SendMessageResult = z.infer<typeof SendMessageResultSchema>;

interface HandoffArgs {
  agent_profile: string;
  message: string;
  timeout: number;
  working_directory?: string;
}

interface AssignArgs {
  agent_profile: string;
  message: string;
  working_directory?: string;
}


/** Resolves after `ms`, or early when `signal` aborts (never rejects). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** "developer (terminal ab12cd34) is processing, 25 s" / "developer: creating worker, 2 s" */
function progressMessage(h: Handoff): string {
  const secs = `${Math.round(h.elapsed_ms / 1000)} s`;
  const human = (s: string) => s.replace(/_/g, ' ');
  if (h.worker_id) return `${h.agent_profile} (terminal ${h.worker_id}) is ${human(h.worker_status ?? h.phase)}, ${secs}`;
  return `${h.agent_profile}: ${human(h.phase)}, ${secs}`;
}

/** The text a model reads: on success the worker's answer under a one-line header, else the reason. */
function handoffText(outcome: HandoffOutcome, profile: string, elapsedMs: number | undefined): string {
  if (outcome.success) {
    const where = outcome.terminal_id ? ` (terminal ${outcome.terminal_id})` : '';
    const took = elapsedMs !== undefined ? ` in ${seconds(elapsedMs)}` : '';
    const body = outcome.output?.trim() ? outcome.output : '(the agent gave no output)';
    return `Handoff to ${profile} succeeded${took}${where}:\n\n${body}`;
  }
  if (!outcome.output?.trim()) return outcome.message;
  return `${outcome.message}\n\nLast output${outcome.terminal_id ? ` of terminal ${outcome.terminal_id}` : ''}:\n${outcome.output}`;
}

export function buildMcpServer(api: McpCaoApi, o: CaoMcpOptions): McpServer {
  const t: McpTiming = { ...DEFAULT_TIMING, ...o.timing };
  const log = o.logger ?? silentLogger;
  const callerId = o.callerId || undefined;
  const server = new McpServer({ name: SERVER_NAME, version: o.version }, { instructions: SERVER_INSTRUCTIONS });

  /** Runs a write, retrying (same request, same idempotency key) while the server does not answer. */
  async function retryWrite<T>(what: string, fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const until = Date.now() + t.writeRetryMs;
    let delay = t.retryBaseMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isTransient(e) || signal.aborted || Date.now() + delay > until) throw e;
        log.warn(`${what}: ${errorMessage(e)}; retrying in ${delay} ms (attempt ${attempt})`);
        await sleep(delay, signal);
        delay = Math.min(delay * 2, t.retryMaxMs);
      }
    }
  }

  async function cancelQuietly(id: string): Promise<void> {
    try {
      await api.cancelHandoff(id, AbortSignal.timeout(t.cancelTimeoutMs));
      log.info(`handoff ${id} cancelled`);
    } catch (e) {
      log.warn(`could not cancel handoff ${id}: ${errorMessage(e)}`);
    }
  }

  async function cancelRequestQuietly(requestId: string): Promise<void> {
    try {
      const h = await api.cancelHandoffRequest(requestId, AbortSignal.timeout(t.cancelTimeoutMs));
      log.info(h ? `handoff ${h.id} cancelled (its creation had not been answered)` : `handoff request ${requestId} cancelled before it started`);
    } catch (e) {
      log.warn(`could not cancel handoff request ${requestId}: ${errorMessage(e)}`);
    }
  }

  async function runHandoff(args: HandoffArgs, extra: Extra): Promise<{ outcome: HandoffOutcome; last?: Handoff }> {
    const { signal } = extra;
    const started = Date.now();
    const deadline = started + args.timeout * 1000 + t.graceMs;
    const fail = (message: string, last?: Handoff): { outcome: HandoffOutcome; last?: Handoff } => ({
      outcome: { success: false, message, output: null, terminal_id: last?.worker_id ?? null },
      last,
    });

    const progressToken = extra._meta?.progressToken;
    let lastProgress = 0;
    let lastProgressAt = 0;
    const progress = async (h: Handoff) => {
      if (progressToken === undefined) return;
      lastProgress = Math.max(lastProgress + 0.1, Math.round((Date.now() - started) / 100) / 10);
      lastProgressAt = Date.now();
      await extra
        .sendNotification({ method: 'notifications/progress', params: { progressToken, progress: lastProgress, message: progressMessage(h) } })
        .catch((e: unknown) => log.debug(`progress notification failed: ${errorMessage(e)}`));
    };

    let h: Handoff;
    const request_id = randomUUID();
    try {
      h = await retryWrite(
        'POST /handoffs',
        () =>
          api.createHandoff(
            {
              agent_profile: args.agent_profile,
              message: args.message,
              timeout_seconds: args.timeout,
              ...(callerId ? { caller_id: callerId } : {}),
              ...(args.working_directory ? { working_directory: args.working_directory } : {}),
              request_id,
            },
            signal,
          ),
        signal,
      );
    } catch (e) {
      // Without an answer the handoff may exist all the same: cancel it by its request id, so no
      // worker goes on for nobody (and a create still in flight is refused when it lands).
      if (isAbort(e) || signal.aborted || isTransient(e)) await cancelRequestQuietly(request_id);
      return fail(isAbort(e) || signal.aborted ? 'Handoff cancelled before it started' : `Handoff failed: ${errorMessage(e)}`);
    }
    log.info(`handoff ${h.id} to ${args.agent_profile} created`);
    if (h.status === 'running') await progress(h);

    let delay = t.retryBaseMs;
    let unreachable: { since: number; error: string } | undefined;
    while (h.status === 'running') {
      if (signal.aborted) {
        await cancelQuietly(h.id);
        return fail(`Handoff cancelled (handoff ${h.id})`, h);
      }
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) {
        await cancelQuietly(h.id);
        return fail(
          unreachable
            ? `Handoff failed: cao-server has not answered for ${Math.round((Date.now() - unreachable.since) / 1000)} s (${unreachable.error}); gave up waiting for handoff ${h.id}`
            : `Handoff failed: no outcome from cao-server within ${Math.round((deadline - started) / 1000)} s (handoff ${h.id}, last phase: ${h.phase})`,
          h,
        );
      }
      const chunk = progressToken !== undefined ? Math.ceil(t.progressIntervalMs / 1000) : t.pollWaitSeconds;
      const wait = Math.max(0, Math.min(MAX_HANDOFF_WAIT_S, chunk, Math.ceil(remainingMs / 1000)));
      const polledAt = Date.now();
      try {
        h = await api.getHandoff(h.id, wait, signal);
      } catch (e) {
        if (isAbort(e) || signal.aborted) continue; // handled at the top of the loop
        if (!isTransient(e)) return fail(`Handoff failed: ${errorMessage(e)}`, h);
        if (!unreachable) {
          unreachable = { since: Date.now(), error: errorMessage(e) };
          log.warn(`waiting for handoff ${h.id}: ${unreachable.error}; retrying until the server is back`);
        }
        unreachable.error = errorMessage(e);
        await sleep(Math.min(delay, deadline - Date.now()), signal);
        delay = Math.min(delay * 2, t.retryMaxMs);
        continue;
      }
      if (unreachable) {
        log.info(`cao-server answers again; handoff ${h.id} is ${h.status}`);
        unreachable = undefined;
      }
      delay = t.retryBaseMs;
      if (h.status !== 'running') break;
      if (Date.now() - lastProgressAt >= t.progressIntervalMs) await progress(h);
      await sleep(t.minPollGapMs - (Date.now() - polledAt), signal);
    }

    const outcome = h.result ?? {
      success: h.status === 'succeeded',
      message: h.status === 'succeeded' ? `Handoff to ${h.agent_profile} succeeded` : `Handoff ${h.status} (cao-server gave no result)`,
      output: null,
      terminal_id: h.worker_id,
    };
    log.info(`handoff ${h.id} ${h.status}`);
    return { outcome: { success: outcome.success, message: outcome.message, output: outcome.output ?? null, terminal_id: outcome.terminal_id ?? null }, last: h };
  }

  const handoffShape = {
    agent_profile: profileField(),
    message: z.string().min(1).describe('The task, self-contained: the worker sees nothing else of your conversation'),
    timeout: z
      .number()
      .int()
      .min(1)
      .max(MAX_HANDOFF_TIMEOUT_S)
      .default(DEFAULT_HANDOFF_TIMEOUT_S)
      .describe(`Seconds to wait for the answer (1-${MAX_HANDOFF_TIMEOUT_S}, default ${DEFAULT_HANDOFF_TIMEOUT_S})`),
    ...(o.enableWorkingDirectory ? { working_directory: workingDirectoryField() } : {}),
  };

  server.registerTool(
    'handoff',
    { description: handoffDescription(o), inputSchema: handoffShape, outputSchema: HandoffResultShape },
    async (args, extra): Promise<CallToolResult> => {
      const { outcome, last } = await runHandoff(args as HandoffArgs, extra);
      return {
        content: [{ type: 'text', text: handoffText(outcome, last?.agent_profile ?? args.agent_profile, last?.elapsed_ms) }],
        structuredContent: { ...outcome },
      };
    },
  );

  const assignShape = {
    agent_profile: profileField(),
    message: z
      .string()
      .min(1)
      .describe(o.enableSenderIdInjection ? 'Task message' : 'Task message, including callback instructions (your terminal ID and a request to send results back with send_message)'),
    ...(o.enableWorkingDirectory ? { working_directory: workingDirectoryField() } : {}),
  };

  server.registerTool(
    'assign',
    { description: assignDescription(o), inputSchema: assignShape, outputSchema: AssignResultShape },
    async (raw, extra): Promise<CallToolResult> => {
      const args = raw as AssignArgs;
      const message = o.enableSenderIdInjection ? args.message + assignSuffix(callerId ?? 'unknown') : args.message;
      let result: AssignResult;
      try {
        const request_id = randomUUID();
        const r = await retryWrite(
          'POST /assignments',
          () =>
            api.createAssignment(
              {
                agent_profile: args.agent_profile,
                message,
                ...(callerId ? { caller_id: callerId } : {}),
                ...(args.working_directory ? { working_directory: args.working_directory } : {}),
                request_id,
              },
              extra.signal,
            ),
          extra.signal,
        );
        result = { success: r.success, terminal_id: r.terminal_id ?? null, message: r.message };
        log.info(`assigned to ${args.agent_profile}: terminal ${r.terminal_id}`);
      } catch (e) {
        result = { success: false, terminal_id: null, message: `Assignment failed: ${errorMessage(e)}` };
      }
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: { ...result } };
    },
  );

  server.registerTool(
    'send_message',
    {
      description: sendMessageDescription(o),
      inputSchema: {
        receiver_id: z.string().regex(TERMINAL_ID, 'receiver_id must be a terminal ID: 8 lowercase hex characters').describe('Terminal ID of the receiver (8 lowercase hex characters)'),
        message: z.string().min(1).describe('The text to send'),
      },
      outputSchema: SendMessageResultSchema,
    },
    async (args, extra): Promise<CallToolResult> => {
      let result: SendMessageResult;
      if (!callerId) {
        result = { success: false, error: 'CAO_TERMINAL_ID not set - cannot determine sender' };
      } else {
        const message = o.enableSenderIdInjection ? args.message + messageSuffix(callerId) : args.message;
        try {
          const request_id = randomUUID();
          const receipt = await retryWrite(
            `POST /terminals/${args.receiver_id}/inbox/messages`,
            () => api.sendInboxMessage(args.receiver_id, { sender_id: callerId, message, request_id }, extra.signal),
            extra.signal,
          );
          result = { ...receipt };
        } catch (e) {
          result = { success: false, error: errorMessage(e) };
        }
      }
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: { ...result } };
    },
  );

  return server;
}
