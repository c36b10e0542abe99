/**
 * The root actor. Terminals, handoffs and assignments are its children, so one persisted snapshot
 * of the root restores the whole tree: children, their contexts, and their invoked actors (screen
 * watchers restart and re-read their screens; an interrupted step of a handoff runs again).
 * Child ids: a terminal's id, `handoff-<id>`, `assign-<id>`, `flow-<name>`.
 */
import { setup, spawnChild, stopChild } from 'xstate';
import { assignMachine, type AssignInput } from './assign.js';
import { flowMachine, type FlowInput } from './flow.js';
import { handoffMachine, type HandoffInput } from './handoff.js';
import { terminalMachine, type TerminalInput } from './terminal.js';

export type OrchestratorEvent =
  | { type: 'terminal.spawn'; input: TerminalInput }
  | { type: 'handoff.spawn'; input: HandoffInput }
  | { type: 'assign.spawn'; input: AssignInput }
  | { type: 'flow.spawn'; input: FlowInput }
  | { type: 'child.stop'; id: string };

export const handoffChildId = (id: string) => `handoff-${id}`;
export const assignChildId = (id: string) => `assign-${id}`;

export const orchestratorMachine = setup({
  types: {} as { events: OrchestratorEvent },
  actors: { terminal: terminalMachine, handoff: handoffMachine, assign: assignMachine, flow: flowMachine },
}).createMachine({
  id: 'cao',
  on: {
    'terminal.spawn': {
      actions: spawnChild('terminal', {
        id: ({ event }) => (event as Extract<OrchestratorEvent, { type: 'terminal.spawn' }>).input.id,
        input: ({ event }) => (event as Extract<OrchestratorEvent, { type: 'terminal.spawn' }>).input,
      }),
    },
    'handoff.spawn': {
      actions: spawnChild('handoff', {
        id: ({ event }) => handoffChildId((event as Extract<OrchestratorEvent, { type: 'handoff.spawn' }>).input.id),
        input: ({ event }) => (event as Extract<OrchestratorEvent, { type: 'handoff.spawn' }>).input,
      }),
    },
    'assign.spawn': {
      actions: spawnChild('assign', {
        id: ({ event }) => assignChildId((event as Extract<OrchestratorEvent, { type: 'assign.spawn' }>).input.id),
        input: ({ event }) => (event as Extract<OrchestratorEvent, { type: 'assign.spawn' }>).input,
      }),
    },
    'flow.spawn': {
      actions: spawnChild('flow', {
        id: ({ event }) => `flow-${(event as Extract<OrchestratorEvent, { type: 'flow.spawn' }>).input.name}`,
        input: ({ event }) => (event as Extract<OrchestratorEvent, { type: 'flow.spawn' }>).input,
      }),
    },
    'child.stop': { actions: stopChild(({ event }) => (event as Extract<OrchestratorEvent, { type: 'child.stop' }>).id) },
  },
});
