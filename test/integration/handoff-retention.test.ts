/** Finished handoffs' results are kept for a day, then dropped from the store (real SQLite, real tmux socket). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Orchestrator } from '../../src/actors/orchestrator.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { openDb, type Db } from '../../src/store/db.js';
import { handoffRepo, type HandoffRecord } from '../../src/store/handoffs.js';
import { testEnv, type TestEnv } from '../helpers/env.js';

let env: TestEnv;
let db: Db;
let o: Orchestrator | undefined;

beforeAll(async () => {
  env = testEnv();
  db = await openDb(`${env.home}/cao.db`);
});
afterAll(async () => {
  await o?.stop();
  await db?.close();
  await env.cleanup();
});

const HOUR = 3_600_000;
const record = (id: string, finishedHoursAgo: number): HandoffRecord => {
  const finished = new Date(Date.now() - finishedHoursAgo * HOUR);
  return {
    v: 1, id, request_id: `req-${id}`, caller_id: null, agent_profile: 'developer', worker_id: 'ab12cd34', provider: 'mock',
    created_at: new Date(finished.getTime() - 1000).toISOString(), finished_at: finished.toISOString(),
    result: { success: true, message: 'ok', output: `answer ${id}`, terminal_id: 'ab12cd34' },
  };
};

describe('handoff results', () => {
  it('a result from an hour ago is still readable after a restart; one from two days ago is gone, from the store too', async () => {
    const repo = handoffRepo(db.collection('handoffs'));
    await repo.put(record('0000000a', 48));
    await repo.put(record('0000000b', 1));
    o = await Orchestrator.start({ config: loadConfig({ CAO_HOME: env.home, CAO_TMUX_SOCKET: env.socket }), tmux: env.tmux, db, log: silentLogger });
    expect(await o.getHandoff('0000000b')).toMatchObject({ status: 'succeeded', result: { output: 'answer 0000000b' } });
    await expect(o.getHandoff('0000000a')).rejects.toThrow("Handoff '0000000a' not found (results are kept for 24 hours)");
    await expect.poll(() => repo.get('0000000a')).toBeUndefined();
    expect(await repo.get('0000000b')).toBeDefined();
  });
});
