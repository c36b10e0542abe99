/**
 * A handoff: start a worker, give it one task, wait for its answer, return it, remove the worker.
 *
 * running ─┬─ creating  (ensure the worker terminal exists; its id is chosen up front)
 *          ├─ queueing  (put the task in the worker's inbox: typed once, when the worker is ready)
 *          ├─ working   (wait until the worker completed the turn the task started)
 *          ├─ reading   (extract the whole answer: from here on the result is known)
 *          └─ cleaning  (remove the worker unless asked to keep it)
 * failing (read the bottom of the worker's screen for the reason) → failed
 * succeeded | failed (final; output = the result)
 *
 * A worker that asks a question, fails or exits ends the handoff at once with the reason, instead
 * of burning the timeout. Every invoked actor is idempotent, because a restored handoff re-runs
 * the one that was in flight when the server stopped.
 */
import { assign, fromPromise, setup } from 'xstate';
import type { TerminalStatus } from '../providers/types.js';

/** Where and how the worker runs, all decided when the handoff was requested. */
export interface WorkerPlan {
  workerId: string;
  callerId: string | null;
  agentProfile: string;
  provider: string;
  session: string;
  newSession: boolean;
  workingDirectory: string;
  /** Inherited from the caller: may the worker act without asking? */
  yolo: boolean;
}

export interface HandoffInput extends WorkerPlan {
  id: string;
  message: string;
  timeoutMs: number;
  keepWorker: boolean;
  createdAt: string;
  requestId: string | null;
}

export interface HandoffResult {
  success: boolean;
  message: string;
  output: string | null;
  terminal_id: string | null;
}

export interface HandoffContext extends HandoffInput {
  messageId: number | null;
  deliveredTurn: number | null;
  workerStatus: TerminalStatus | null;
  workerTurn: number;
  output: string | null;
  failure: string | null;
  result: HandoffResult | null;
}

export type HandoffEvent =
  | { type: 'WORKER'; status: TerminalStatus; turn: number; reason: string | null }
  | { type: 'DELIVERED'; turn: number }
  | { type: 'UNDELIVERABLE'; reason: string }
  | { type: 'CANCEL' };

const missing = <Output>(name: string) =>
  fromPromise<Output, HandoffContext>(async () => {
    throw new Error(`actor '${name}' not provided`);
  });

const ENDS_EARLY: Partial<Record<TerminalStatus, string>> = {
  waiting_user_answer: 'is waiting for an answer',
  error: 'is in error',
  exited: 'exited',
};

export const handoffMachine = setup({
  types: {} as { context: HandoffContext; events: HandoffEvent; input: HandoffInput; output: HandoffResult },
  actors: {
    createWorker: missing<void>('createWorker'),
    queueTask: missing<{ messageId: number }>('queueTask'),
    readAnswer: missing<string>('readAnswer'),
    removeWorker: missing<void>('removeWorker'),
    describeWorker: missing<string>('describeWorker'),
  },
  delays: { timeout: ({ context }) => context.timeoutMs },
  guards: {
    answered: ({ context }) =>
      context.deliveredTurn !== null && context.workerStatus === 'completed' && context.workerTurn >= context.deliveredTurn,
    workerStuck: ({ context }) => context.workerStatus !== null && context.workerStatus in ENDS_EARLY,
    keepWorker: ({ context }) => context.keepWorker,
  },
  actions: {
    recordWorker: assign(({ event }) => (event.type === 'WORKER' ? { workerStatus: event.status, workerTurn: event.turn, failure: event.reason } : {})),
    recordDelivery: assign(({ event }) => (event.type === 'DELIVERED' ? { deliveredTurn: event.turn } : {})),
    failWith: assign((_, reason: string) => ({ failure: reason })),
    failStuck: assign(({ context }) => ({
      failure: `${context.agentProfile} (terminal ${context.workerId}) ${ENDS_EARLY[context.workerStatus!]}${context.failure ? `: ${context.failure}` : ''}`,
    })),
    succeed: assign(({ context }) => ({
      result: { success: true, message: `Handed off to ${context.agentProfile} (${context.provider})`, output: context.output, terminal_id: context.workerId },
    })),
    fail: assign(({ context }, screen: string) => ({
      result: {
        success: false,
        message: `Handoff to ${context.agentProfile} failed: ${context.failure ?? 'unknown reason'}${screen ? `\n--- bottom of the worker's screen ---\n${screen}` : ''}`,
        output: null,
        terminal_id: context.workerId,
      },
    })),
  },
}).createMachine({
  id: 'handoff',
  context: ({ input }) => ({
    ...input, messageId: null, deliveredTurn: null, workerStatus: null, workerTurn: 0, output: null, failure: null, result: null,
  }),
  initial: 'running',
  output: ({ context }) => context.result!,
  states: {
    running: {
      after: { timeout: { target: 'failing', actions: assign(({ context }) => ({ failure: `timed out after ${Math.round(context.timeoutMs / 1000)} s` })) } },
      on: {
        CANCEL: { target: 'failing', actions: { type: 'failWith', params: 'cancelled by the caller' } },
        UNDELIVERABLE: { target: 'failing', actions: assign(({ event }) => ({ failure: `the task could not be delivered: ${event.reason}` })) },
        WORKER: { actions: 'recordWorker' },
        DELIVERED: { actions: 'recordDelivery' },
      },
      initial: 'creating',
      states: {
        creating: {
          invoke: {
            src: 'createWorker',
            input: ({ context }) => context,
            onDone: 'queueing',
            onError: { target: '#handoff.failing', actions: assign(({ event }) => ({ failure: `the worker could not start: ${(event.error as Error).message}` })) },
          },
        },
        queueing: {
          invoke: {
            src: 'queueTask',
            input: ({ context }) => context,
            onDone: { target: 'working', actions: assign(({ event }) => ({ messageId: event.output.messageId })) },
            onError: { target: '#handoff.failing', actions: assign(({ event }) => ({ failure: (event.error as Error).message })) },
          },
        },
        working: {
          always: [
            { guard: 'answered', target: 'reading' },
            { guard: 'workerStuck', target: '#handoff.failing', actions: 'failStuck' },
          ],
        },
        reading: {
          invoke: {
            src: 'readAnswer',
            input: ({ context }) => context,
            // The result is known (and reported) now; removing the worker happens after.
            onDone: { target: 'cleaning', actions: [assign(({ event }) => ({ output: event.output })), 'succeed'] },
            onError: { target: '#handoff.failing', actions: assign(({ event }) => ({ failure: `its answer could not be read: ${(event.error as Error).message}` })) },
          },
        },
        cleaning: {
          always: { guard: 'keepWorker', target: '#handoff.succeeded' },
          invoke: {
            src: 'removeWorker',
            input: ({ context }) => context,
            // The answer is what matters: a worker left behind is not a failure.
            onDone: '#handoff.succeeded',
            onError: '#handoff.succeeded',
          },
        },
      },
    },
    failing: {
      invoke: {
        src: 'describeWorker',
        input: ({ context }) => context,
        onDone: { target: 'failed', actions: { type: 'fail', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: { type: 'fail', params: '' } },
      },
    },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
  },
});
