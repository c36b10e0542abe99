/**
 * An assignment: start a worker and give it a task without waiting for the answer (the worker
 * reports back itself, with send_message). If the worker cannot start or never gets the task, the
 * assigner is told through its inbox instead of waiting forever.
 *
 * creating → queueing → watching ──(task delivered)──▶ done
 *        └──────────────┴───────────(worker fails)──▶ notifying → done
 */
import { assign, fromPromise, setup } from 'xstate';
import type { TerminalStatus } from '../providers/types.js';
import type { HandoffEvent, WorkerPlan } from './handoff.js';

export interface AssignInput extends WorkerPlan {
  id: string;
  message: string;
  createdAt: string;
  requestId: string | null;
}

export interface AssignContext extends AssignInput {
  failure: string | null;
}

const missing = <Output>(name: string) =>
  fromPromise<Output, AssignContext>(async () => {
    throw new Error(`actor '${name}' not provided`);
  });

const FAILED_START: Partial<Record<TerminalStatus, string>> = {
  error: 'failed while starting',
  exited: 'exited before it got the task',
  waiting_user_answer: 'is stuck at a question while starting',
};

export const assignMachine = setup({
  types: {} as { context: AssignContext; events: HandoffEvent; input: AssignInput },
  actors: {
    createWorker: missing<void>('createWorker'),
    queueTask: missing<{ messageId: number }>('queueTask'),
    notifyCaller: missing<void>('notifyCaller'),
  },
}).createMachine({
  id: 'assign',
  context: ({ input }) => ({ ...input, failure: null }),
  initial: 'creating',
  states: {
    creating: {
      invoke: {
        src: 'createWorker',
        input: ({ context }) => context,
        onDone: 'queueing',
        onError: { target: 'notifying', actions: assign(({ event }) => ({ failure: `could not start: ${(event.error as Error).message}` })) },
      },
    },
    queueing: {
      invoke: {
        src: 'queueTask',
        input: ({ context }) => context,
        onDone: 'watching',
        onError: { target: 'notifying', actions: assign(({ event }) => ({ failure: `could not be given its task: ${(event.error as Error).message}` })) },
      },
    },
    watching: {
      on: {
        DELIVERED: 'done',
        UNDELIVERABLE: { target: 'notifying', actions: assign(({ event }) => ({ failure: `never got its task: ${event.reason}` })) },
        WORKER: {
          guard: ({ event }) => event.status in FAILED_START,
          target: 'notifying',
          actions: assign(({ event }) => ({
            failure: `${FAILED_START[event.status as keyof typeof FAILED_START]}${event.reason ? `: ${event.reason}` : ''}`,
          })),
        },
      },
    },
    notifying: {
      always: { guard: ({ context }) => context.callerId === null, target: 'done' },
      invoke: { src: 'notifyCaller', input: ({ context }) => context, onDone: 'done', onError: 'done' },
    },
    done: { type: 'final' },
  },
});
