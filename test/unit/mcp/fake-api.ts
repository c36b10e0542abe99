/** An in-memory McpCaoApi whose answers each test scripts; every call is recorded. */
import { vi } from 'vitest';
import {
  abortError,
  CaoHttpError,
  CaoUnreachable,
  type Assignment,
  type Handoff,
  type InboxMessageReceipt,
  type McpCaoApi,
} from '../../../src/mcp/api.js';

export const handoff = (over: Partial<Handoff> = {}): Handoff => ({
  id: 'h1',
  status: 'running',
  phase: 'working',
  agent_profile: 'developer',
  worker_id: 'ab12cd34',
  worker_status: 'processing',
  provider: 'mock',
  elapsed_ms: 1_000,
  result: null,
  ...over,
});

export const succeeded = (over: Partial<Handoff> = {}): Handoff =>
  handoff({
    status: 'succeeded',
    phase: 'done',
    worker_status: 'completed',
    elapsed_ms: 12_345,
    result: { success: true, message: 'Handoff to developer succeeded', output: 'All 12 tests pass.', terminal_id: 'ab12cd34' },
    ...over,
  });

export const unreachable = () => new CaoUnreachable('cannot reach cao-server at http://fake (ECONNREFUSED)');
export const httpError = (status: number, message: string, code = 'error') => new CaoHttpError(status, code, message);

/** A promise that never settles unless the signal aborts it (like a long poll that is cancelled). */
export const hang = (signal?: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal?.aborted) reject(abortError());
    signal?.addEventListener('abort', () => reject(abortError()), { once: true });
  });

export function fakeApi() {
  return {
    baseUrl: 'http://fake',
    createHandoff: vi.fn<McpCaoApi['createHandoff']>(async () => handoff()),
    getHandoff: vi.fn<McpCaoApi['getHandoff']>(async () => succeeded()),
    cancelHandoff: vi.fn<McpCaoApi['cancelHandoff']>(async () => handoff({ status: 'failed', result: { success: false, message: 'Handoff cancelled', output: null, terminal_id: 'ab12cd34' } })),
    cancelHandoffRequest: vi.fn<McpCaoApi['cancelHandoffRequest']>(async () => null),
    createAssignment: vi.fn<McpCaoApi['createAssignment']>(
      async (): Promise<Assignment> => ({ success: true, terminal_id: 'beef0001', message: 'Task assigned to developer (terminal: beef0001)', assignment_id: 'a1' }),
    ),
    sendInboxMessage: vi.fn<McpCaoApi['sendInboxMessage']>(
      async (receiverId, body): Promise<InboxMessageReceipt> => ({
        success: true,
        message_id: 7,
        sender_id: body.sender_id,
        receiver_id: receiverId,
        created_at: '2025-01-01T00:00:00.000Z',
        status: 'pending',
      }),
    ),
  } satisfies McpCaoApi;
}

export type FakeApi = ReturnType<typeof fakeApi>;
