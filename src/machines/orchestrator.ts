/**
 * The root actor. Every terminal is its child, so one persisted snapshot of the root restores the
 * whole tree (children, their contexts, and their invoked watchers, which restart and re-read
 * their screens).
 */
import { setup, spawnChild, stopChild } from 'xstate';
import { terminalMachine, type TerminalInput } from './terminal.js';

export type OrchestratorEvent =
  | { type: 'terminal.spawn'; input: TerminalInput }
  | { type: 'terminal.stop'; id: string };

export const orchestratorMachine = setup({
  types: {} as { events: OrchestratorEvent },
  actors: { terminal: terminalMachine },
}).createMachine({
  id: 'cao',
  on: {
    'terminal.spawn': {
      actions: spawnChild('terminal', {
        id: ({ event }) => (event.type === 'terminal.spawn' ? event.input.id : ''),
        input: ({ event }) => (event as Extract<OrchestratorEvent, { type: 'terminal.spawn' }>).input,
      }),
    },
    'terminal.stop': { actions: stopChild(({ event }) => (event.type === 'terminal.stop' ? event.id : '')) },
  },
});
