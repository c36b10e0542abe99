/**
 * One agent terminal. The screen watcher (an invoked actor, provided from outside) reports what
 * the screen says; this machine decides what the terminal *is*, knowing which turn it is in:
 * after cao sends input, a ready-looking screen only counts once the agent was seen working on
 * that input, or the screen changed since the input and then stayed ready for a settle period.
 *
 * alive ─┬─ starting ──(ready screen)──▶ idle | completed
 *        ├─ idle / completed / waiting_user_answer / error   (follow the screen)
 *        └─ processing ─┬─ working          (the screen says so)
 *                       ├─ unacknowledged   (input sent, screen not changed yet)
 *                       ├─ unsent           (our text still in the input box: press Enter again)
 *                       └─ settling         (changed and ready: confirm after a quiet period)
 * exited (final): the pane died or vanished.
 */
import { assign, fromCallback, sendTo, setup, type SnapshotFrom } from 'xstate';
import { getProvider } from '../providers/registry.js';
import type { ProviderId, ScreenStatus, TerminalStatus } from '../providers/types.js';

export interface TerminalInput {
  id: string;
  session: string;
  paneId: string;
  provider: ProviderId;
  /** How long the CLI may take to show its first ready screen. */
  startTimeoutMs?: number;
  /** An agent that was already running (rebuilt from its record): follow its screen at once. */
  reattached?: boolean;
}

export interface TerminalContext extends Required<TerminalInput> {
  /** Inputs cao has sent: turn N began with the N-th input. */
  turn: number;
  /** The last turn the agent was seen working on (or answering, asking, failing). */
  workedTurn: number;
  /** What the screen said last. */
  screenStatus: ScreenStatus | null;
  dialogsAnswered: number;
  /** Times the submit keys were pressed again for the current turn's unsent input. */
  resubmits: number;
  exitCode: number | null;
  /** Why the terminal is in error or exited, in words. */
  reason: string | null;
}

/** What the watcher reports. `fresh`: the screen differs from the one before the current turn's input. */
/** `typed`: text waits in the input box (for providers that can tell): a message not sent yet. */
export type ScreenEvent = { type: 'SCREEN'; status: ScreenStatus; fresh: boolean; dialog?: number; typed?: boolean };
export type ExitedEvent = { type: 'EXITED'; code: number | null; reason: string };
export type TerminalEvent = ScreenEvent | ExitedEvent | { type: 'INPUT' } | { type: 'INPUT_FAILED' };

/** Messages the machine sends to its watcher. */
/** PRESS: `why` is logged (which dialog was answered, why Enter was pressed again). */
export type WatcherCommand = { type: 'TURN' } | { type: 'PRESS'; keys: string[]; why?: string };

export interface WatcherInput {
  terminalId: string;
  session: string;
  paneId: string;
  provider: ProviderId;
}

const missingWatcher = fromCallback<WatcherCommand, WatcherInput>(() => {
  throw new Error("actor 'watchScreen' not provided");
});

const READY: ScreenStatus[] = ['idle', 'completed'];
const MAX_DIALOG_ANSWERS = 5;
const MAX_RESUBMITS = 3;

export const terminalMachine = setup({
  types: {} as { context: TerminalContext; events: TerminalEvent; input: TerminalInput },
  actors: { watchScreen: missingWatcher },
  delays: {
    startTimeout: ({ context }) => context.startTimeoutMs,
    /** A ready screen that appeared after our input must stay ready this long. */
    settle: 300,
    /** Input sent but the screen never changed: believe the screen after this long. */
    inputAck: 10_000,
    /** Our text still in the input box this long after it was submitted: the CLI dropped the Enter. */
    resubmit: 500,
  },
  guards: {
    isDialog: ({ context, event }) =>
      event.type === 'SCREEN' && event.dialog !== undefined && context.dialogsAnswered < MAX_DIALOG_ANSWERS,
    turnPending: ({ context }) => context.turn > context.workedTurn,
    screenIs: ({ context }, status: ScreenStatus) => context.screenStatus === status,
    screenReady: ({ event }) => event.type === 'SCREEN' && READY.includes(event.status),
    /** A ready screen with text in the input box while the turn was not yet taken up. */
    unsentInput: ({ context, event }) =>
      event.type === 'SCREEN' && event.typed === true && READY.includes(event.status) && context.turn > context.workedTurn,
    mayResubmit: ({ context }) => (context.resubmits ?? 0) < MAX_RESUBMITS,
  },
  actions: {
    recordScreen: assign(({ context, event }) => {
      if (event.type !== 'SCREEN') return {};
      const working = !READY.includes(event.status);
      return { screenStatus: event.status, workedTurn: working ? context.turn : context.workedTurn };
    }),
    beginTurn: assign({ turn: ({ context }) => context.turn + 1, resubmits: 0 }),
    acceptTurn: assign({ workedTurn: ({ context }) => context.turn }),
    notifyWatcherOfTurn: sendTo('watcher', { type: 'TURN' } satisfies WatcherCommand),
    answerDialog: sendTo('watcher', ({ context, event }) => {
      const dialog = event.type === 'SCREEN' && event.dialog !== undefined ? getProvider(context.provider).startupDialogs[event.dialog] : undefined;
      return { type: 'PRESS', keys: dialog?.keys ?? [], why: `answering the startup dialog '${dialog?.name}'` } satisfies WatcherCommand;
    }),
    pressSubmit: sendTo('watcher', ({ context }) => ({
      type: 'PRESS',
      keys: getProvider(context.provider).input.submitKeys,
      why: `turn ${context.turn}: the input is still in the input box, submitting it again (${(context.resubmits ?? 0) + 1}/${MAX_RESUBMITS})`,
    }) satisfies WatcherCommand),
    countResubmit: assign({ resubmits: ({ context }) => (context.resubmits ?? 0) + 1 }),
    countDialog: assign({ dialogsAnswered: ({ context }) => context.dialogsAnswered + 1 }),
    recordExit: assign(({ event }) => (event.type === 'EXITED' ? { exitCode: event.code, reason: event.reason } : {})),
    recordStartTimeout: assign(({ context }) => ({
      reason: `the agent did not become ready within ${Math.round(context.startTimeoutMs / 1000)} s`,
    })),
    clearReason: assign({ reason: null }),
  },
}).createMachine({
  id: 'terminal',
  context: ({ input }) => ({
    startTimeoutMs: 120_000,
    reattached: false,
    ...input,
    turn: 0,
    workedTurn: 0,
    screenStatus: null,
    dialogsAnswered: 0,
    resubmits: 0,
    exitCode: null,
    reason: null,
  }),
  initial: 'alive',
  states: {
    alive: {
      invoke: {
        id: 'watcher',
        src: 'watchScreen',
        input: ({ context }) => ({ terminalId: context.id, session: context.session, paneId: context.paneId, provider: context.provider }),
      },
      on: {
        EXITED: { target: 'exited', actions: 'recordExit' },
        SCREEN: { target: '.routing', actions: 'recordScreen' },
        INPUT: { target: '.processing.unacknowledged', actions: ['beginTurn', 'notifyWatcherOfTurn', 'clearReason'] },
      },
      initial: 'starting',
      states: {
        starting: {
          after: { startTimeout: { target: 'error', actions: 'recordStartTimeout' } },
          on: {
            INPUT: {},
            SCREEN: [
              { guard: 'isDialog', actions: ['recordScreen', 'answerDialog', 'countDialog'] },
              { guard: ({ context, event }) => event.status === 'processing' && !context.reattached, actions: 'recordScreen' },
              { target: 'routing', actions: 'recordScreen' },
            ],
          },
        },
        /** Transient: decide the state from the last screen and the turn. */
        routing: {
          always: [
            { guard: 'turnPending', target: 'processing' },
            { guard: { type: 'screenIs', params: 'idle' }, target: 'idle' },
            { guard: { type: 'screenIs', params: 'completed' }, target: 'completed' },
            { guard: { type: 'screenIs', params: 'waiting_user_answer' }, target: 'waiting_user_answer' },
            { guard: { type: 'screenIs', params: 'error' }, target: 'error' },
            { target: 'processing' },
          ],
        },
        idle: {},
        completed: {},
        waiting_user_answer: {},
        error: {},
        processing: {
          initial: 'working',
          on: {
            INPUT_FAILED: { target: 'routing', actions: 'acceptTurn' },
            SCREEN: [
              // A ready screen for a turn not yet seen worked on: settle if it is new, else keep waiting.
              // With our text still in the input box it is not an answer: the input was not submitted.
              { guard: ({ context, event }) => context.turn > context.workedTurn && READY.includes(event.status) && event.fresh && !event.typed, target: '.settling', actions: 'recordScreen' },
              { guard: ({ context, event }) => context.turn > context.workedTurn && READY.includes(event.status), actions: 'recordScreen' },
              { target: 'routing', actions: 'recordScreen' },
            ],
          },
          states: {
            working: {},
            unacknowledged: {
              after: { inputAck: { target: '#terminal.alive.routing', actions: 'acceptTurn' } },
              on: { SCREEN: { guard: 'unsentInput', target: 'unsent', actions: 'recordScreen' } },
            },
            /** Our input sits in the input box: press the submit keys again (bounded), then believe the screen. */
            unsent: {
              after: {
                resubmit: [
                  { guard: 'mayResubmit', target: 'unsent', reenter: true, actions: ['pressSubmit', 'countResubmit'] },
                  { target: '#terminal.alive.routing', actions: 'acceptTurn' },
                ],
              },
            },
            settling: {
              after: { settle: { target: '#terminal.alive.routing', actions: 'acceptTurn' } },
              // Further ready screens do not restart the quiet period (a ticking clock would starve it).
              on: {
                SCREEN: [
                  { guard: 'unsentInput', target: 'unsent', actions: 'recordScreen' },
                  { guard: 'screenReady', actions: 'recordScreen' },
                  { target: '#terminal.alive.routing', actions: 'recordScreen' },
                ],
              },
            },
          },
        },
      },
    },
    exited: { type: 'final' },
  },
});

export type TerminalSnapshot = SnapshotFrom<typeof terminalMachine>;

/** The status a terminal shows to users, derived from its state. */
export function terminalStatus(s: Pick<TerminalSnapshot, 'value'>): TerminalStatus {
  const v = s.value;
  if (v === 'exited') return 'exited';
  const inner = typeof v === 'object' && 'alive' in v ? v.alive : undefined;
  if (typeof inner === 'string') return inner === 'routing' ? 'processing' : (inner as TerminalStatus);
  if (inner && typeof inner === 'object') return 'processing';
  return 'starting';
}
