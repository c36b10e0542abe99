/**
 * A flow: a prompt sent to a new agent session on a cron schedule.
 *
 * scheduled ──(FIRE from the schedule actor, or RUN)──▶ running ──▶ scheduled | paused
 * paused ────(RUN: manual runs ignore `enabled`)──────▶ running
 *
 * The schedule actor (provided from outside) arms a timer for the next fire time and reports it;
 * a fire time that passed while the server was down fires once at start (missed slots collapse
 * into one run). While a run is going, further FIRE/RUN events are dropped: runs never overlap.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';
import type { FlowDefinition } from '../flows/definition.js';

export type FlowTrigger = 'schedule' | 'manual';

export interface FlowRun {
  trigger: FlowTrigger;
  startedAt: string;
  finishedAt: string;
  outcome: 'executed' | 'skipped' | 'failed';
  session: string | null;
  terminalId: string | null;
  error: string | null;
}

export interface FlowInput {
  name: string;
  definition: FlowDefinition;
  /** The flow file (re-read at every run), or null when the definition is all there is. */
  filePath: string | null;
  enabled: boolean;
  nextRunAt: string | null;
  runs?: FlowRun[];
}

export interface FlowContext extends Required<FlowInput> {
  current: { trigger: FlowTrigger; startedAt: string } | null;
}

export type FlowEvent =
  | { type: 'SCHEDULED'; next: string | null }
  | { type: 'FIRE'; at: string; next: string | null }
  | { type: 'RUN'; at: string }
  | { type: 'ENABLE' }
  | { type: 'DISABLE' };

export interface ScheduleInput {
  schedule: string;
  timezone?: string;
  nextRunAt: string | null;
}

export interface RunInput {
  name: string;
  definition: FlowDefinition;
  filePath: string | null;
  trigger: FlowTrigger;
  startedAt: string;
}

export const KEEP_RUNS = 20;

export const flowMachine = setup({
  types: {} as { context: FlowContext; events: FlowEvent; input: FlowInput },
  actors: {
    waitForSchedule: fromCallback<FlowEvent, ScheduleInput>(() => {
      throw new Error("actor 'waitForSchedule' not provided");
    }),
    executeRun: fromPromise<FlowRun, RunInput>(async () => {
      throw new Error("actor 'executeRun' not provided");
    }),
  },
  guards: {
    enabled: ({ context }) => context.enabled,
  },
  actions: {
    startRun: assign(({ event }) => {
      if (event.type === 'FIRE') return { current: { trigger: 'schedule' as const, startedAt: event.at }, nextRunAt: event.next };
      if (event.type === 'RUN') return { current: { trigger: 'manual' as const, startedAt: event.at } };
      return {};
    }),
    recordRun: assign(({ context }, run: FlowRun) => ({ runs: [run, ...context.runs].slice(0, KEEP_RUNS), current: null })),
  },
}).createMachine({
  id: 'flow',
  context: ({ input }) => ({ runs: [], ...input, current: null }),
  initial: 'starting',
  on: {
    // Enabled again (during a run): the next slot is computed from now, not taken from before it was disabled.
    ENABLE: { actions: assign(({ context }) => (context.enabled ? {} : { enabled: true, nextRunAt: null })) },
    DISABLE: { actions: assign({ enabled: false }) },
  },
  states: {
    starting: { always: [{ guard: 'enabled', target: 'scheduled' }, { target: 'paused' }] },
    scheduled: {
      invoke: {
        src: 'waitForSchedule',
        input: ({ context }) => ({ schedule: context.definition.schedule, timezone: context.definition.timezone, nextRunAt: context.nextRunAt }),
      },
      on: {
        SCHEDULED: [
          // Re-invoked with the time it computed, so the schedule actor's persisted input holds it: restored after a
          // restart, it fires a slot that passed while the server was down instead of computing a new one from then.
          { guard: ({ event }) => event.next !== null, target: 'scheduled', reenter: true, actions: assign(({ event }) => ({ nextRunAt: event.next })) },
          { actions: assign(({ event }) => ({ nextRunAt: event.next })) },
        ],
        FIRE: { target: 'running', actions: 'startRun' },
        RUN: { target: 'running', actions: 'startRun' },
        DISABLE: { target: 'paused', actions: assign({ enabled: false }) },
      },
    },
    paused: {
      on: {
        // Enabling schedules from now, not from a slot that passed while paused.
        ENABLE: { target: 'scheduled', actions: assign({ enabled: true, nextRunAt: null }) },
        RUN: { target: 'running', actions: 'startRun' },
      },
    },
    running: {
      invoke: {
        src: 'executeRun',
        input: ({ context }) => ({
          name: context.name, definition: context.definition, filePath: context.filePath,
          trigger: context.current!.trigger, startedAt: context.current!.startedAt,
        }),
        onDone: { target: 'starting', actions: { type: 'recordRun', params: ({ event }) => event.output } },
        onError: {
          target: 'starting',
          actions: {
            type: 'recordRun',
            params: ({ context, event }) => ({
              trigger: context.current!.trigger, startedAt: context.current!.startedAt, finishedAt: context.current!.startedAt,
              outcome: 'failed' as const, session: null, terminalId: null, error: event.error instanceof Error ? event.error.message : String(event.error),
            }),
          },
        },
      },
      on: { FIRE: {}, RUN: {} },
    },
  },
});

type FlowState = 'scheduled' | 'paused' | 'running';
export const flowState = (value: unknown): FlowState => (value === 'running' ? 'running' : value === 'paused' ? 'paused' : 'scheduled');
