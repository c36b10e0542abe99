/** The orchestrator against real tmux (own socket) and the real mock agent. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StampedEvent } from '../../src/actors/events.js';
import { Orchestrator } from '../../src/actors/orchestrator.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { openDb, type Db } from '../../src/store/db.js';
import { nextEvent, testEnv, type TestEnv } from '../helpers/env.js';

let env: TestEnv;
let db: Db;
let o: Orchestrator;

const start = async () =>
  Orchestrator.start({ config: loadConfig({ CAO_HOME: env.home, CAO_TMUX_SOCKET: env.socket }), tmux: env.tmux, db, log: silentLogger, startTimeoutMs: 15_000 });

beforeAll(async () => {
  env = testEnv();
  db = await openDb(`${env.home}/cao.db`);
  o = await start();
});

afterAll(async () => {
  await o?.stop();
  await db?.close();
  await env.cleanup();
});

const statusOf = (id: string, status: string) => (e: StampedEvent) => e.type === 'terminal.status' && e.terminal_id === id && e.status === status;
const subscribe = (fn: (e: StampedEvent) => void) => o.events.subscribe(fn);

describe('orchestrator with real tmux and the mock agent', () => {
  let id: string;

  it('creates a session whose agent becomes idle', async () => {
    const t = await o.createSession({ agentProfile: 'developer', provider: 'mock', workingDirectory: env.workdir });
    id = t.id;
    expect(t).toMatchObject({ status: 'idle', provider: 'mock', agent_profile: 'developer', working_directory: env.workdir });
    expect(t.id).toMatch(/^[a-f0-9]{8}$/);
    expect(t.session_name).toMatch(/^cao-[a-f0-9]{8}$/);
    const panes = await env.tmux.listPanes();
    expect(panes.find((p) => p.session === t.session_name)).toMatchObject({ dead: false, currentPath: env.workdir });
  });

  it('reports processing then completed for a turn, and extracts the answer', async () => {
    const processing = nextEvent(subscribe, statusOf(id, 'processing'));
    const completed = nextEvent(subscribe, statusOf(id, 'completed'));
    await o.sendInput(id, 'build the login page delay=400');
    await processing;
    // Mid-turn, the previous answer must not be passed off as this turn's.
    await expect(o.getOutput(id, 'last')).rejects.toThrow(/is processing: its answer to turn 1 is not there yet/);
    const done = await completed;
    expect(done).toMatchObject({ turn: 1, previous: 'processing' });
    const { output } = await o.getOutput(id, 'last');
    expect(output).toBe('Done. You said: build the login page delay=400');
  });

  it('keeps a multi-line message as one input, with its line breaks', async () => {
    const completed = nextEvent(subscribe, statusOf(id, 'completed'));
    await o.sendInput(id, 'first line\nsecond line delay=50');
    await completed;
    expect((await o.getOutput(id, 'last')).output).toBe('Done. You said: first line\nsecond line delay=50');
  });

  it('reports a permission question as waiting_user_answer, and an error', async () => {
    const waiting = nextEvent(subscribe, statusOf(id, 'waiting_user_answer'));
    await o.sendInput(id, 'ask before you delete it');
    await waiting;
    const completed = nextEvent(subscribe, statusOf(id, 'completed'));
    await o.sendKeys(id, ['y']);
    await completed;
    const error = nextEvent(subscribe, statusOf(id, 'error'));
    await o.sendInput(id, 'please fail now');
    await error;
    expect(o.getTerminal(id)).toMatchObject({ status: 'error', turn: 4 });
  });

  it('adds a second terminal to the session and lists both', async () => {
    const first = o.getTerminal(id);
    const second = await o.addTerminal(first.session_name, { agentProfile: 'reviewer', provider: 'mock', workingDirectory: env.workdir });
    expect(second.status).toBe('idle');
    const { terminals } = await o.getSession(first.session_name);
    expect(terminals.map((t) => t.id).sort()).toEqual([id, second.id].sort());
  });

  it('notices an agent that exits', async () => {
    const exited = nextEvent(subscribe, statusOf(id, 'exited'));
    await o.exitTerminal(id);
    await exited;
    expect(o.getTerminal(id)).toMatchObject({ status: 'exited', exit_code: 0 });
  });

  it('restores terminals after a restart and follows them again', async () => {
    const s = o.allTerminals().find((t) => t.status === 'idle')!;
    await o.stop();
    o = await start();
    expect(o.getTerminal(id).status).toBe('exited');
    await o.waitForStatus(s.id, (st) => st === 'idle', 5000);
    const completed = nextEvent(subscribe, statusOf(s.id, 'completed'));
    await o.sendInput(s.id, 'after restart delay=50');
    await completed;
    expect((await o.getOutput(s.id, 'last')).output).toContain('after restart');
  });

  it('deletes a session and its terminals', async () => {
    const name = o.getTerminal(id).session_name;
    await o.deleteSession(name);
    expect(await env.tmux.hasSession(name)).toBe(false);
    expect(o.allTerminals()).toEqual([]);
  });
});
