/**
 * Agents that call cao's MCP tools for real: mock agents in real tmux, a real cao-server process,
 * and the real `cao mcp-server` each agent starts. A supervisor hands off and gets the answer; a
 * worker stuck at a question ends the handoff early with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rules, writeAgent } from '../helpers/agents.js';
import { startServer, statusIs, type CaoServer, type EventStream } from '../helpers/server.js';

let s: CaoServer;
let events: EventStream;

beforeAll(async () => {
  s = await startServer();
  writeAgent(s.home, {
    name: 'e2e_supervisor',
    script: rules(
      {
        match: '^delegate: ([^\\n]*)',
        steps: [
          { call: { server: 'cao-mcp-server', tool: 'handoff', args: { agent_profile: 'e2e_worker', message: '{{match.1}}' } } },
          { reply: 'Worker said: {{result.output}}\nsuccess={{result.success}} worker={{result.terminal_id}}' },
        ],
      },
    ),
  });
  writeAgent(s.home, {
    name: 'e2e_worker',
    mcp: false,
    script: rules(
      { match: '^stuck', steps: [{ work: 100 }, { ask: 'May I delete the production database?' }, { reply: 'deleted' }] },
      { match: '^(.*)$', steps: [{ work: 300 }, { reply: 'Built {{match.1}}.\nSecond line of the answer.' }] },
    ),
  });
  events = await s.events();
});

afterAll(async () => {
  events?.close();
  await s?.stop();
});

const supervisor = async () => {
  const t = await s.createSession({ agent_profile: 'e2e_supervisor', provider: 'mock' });
  expect(t.status).toBe('idle');
  return t;
};

describe('handoff through cao mcp-server', () => {
  it("a supervisor hands off to a worker and gets the worker's whole answer; the worker is removed", async () => {
    const sup = await supervisor();
    const from = events.mark();
    expect((await s.post(`/terminals/${sup.id}/input`, { message: 'delegate: the login page' })).status).toBe(200);
    await events.waitFor(statusIs(sup.id, 'completed', 1), { from, timeout: 30_000, what: 'supervisor completed' });
    const out = (await s.get(`/terminals/${sup.id}/output?mode=last`)).body.output as string;
    expect(out).toMatch(/^Worker said: Built the login page\.\nSecond line of the answer\.\nsuccess=true worker=[0-9a-f]{8}$/);
    const worker = /worker=([0-9a-f]{8})/.exec(out)![1]!;
    // The worker ran in the supervisor's session and was removed after answering.
    const created = await events.waitFor((m) => m.event === 'terminal.created' && m.data.terminal_id === worker, { from });
    expect(created.data).toMatchObject({ session_name: sup.session_name, agent_profile: 'e2e_worker', provider: 'mock' });
    await events.waitFor((m) => m.event === 'terminal.removed' && m.data.terminal_id === worker, { from, what: 'worker removed' });
    expect((await s.get(`/terminals/${worker}`)).status).toBe(404);
    // The worker worked on the task once (its only later turn is the /exit cao sent to end it).
    const turns = events.statuses(worker).filter((x) => x.status === 'processing').map((x) => x.turn);
    expect(turns).toEqual([1, 2]);
  }, 60_000);

  it('a worker stuck at a question ends the handoff at once, with the question in the reason', async () => {
    const sup = await supervisor();
    const from = events.mark();
    const started = Date.now();
    await s.post(`/terminals/${sup.id}/input`, { message: 'delegate: stuck on purpose' });
    await events.waitFor(statusIs(sup.id, 'completed', 1), { from, timeout: 30_000, what: 'supervisor completed' });
    expect(Date.now() - started).toBeLessThan(20_000); // not the 600 s timeout
    const screen = (await s.get(`/terminals/${sup.id}/output?mode=full`)).body.output as string;
    expect(screen).toMatch(/success=false/);
    const finished = await events.waitFor((m) => m.event === 'handoff.finished', { from });
    expect(finished.data.success).toBe(false);
    expect(finished.data.message).toMatch(/is waiting for an answer/);
    expect(finished.data.message).toMatch(/May I delete the production database\?/);
    // The stuck worker is kept so a person can look at it and answer.
    expect((await s.get(`/terminals/${finished.data.terminal_id}`)).body.status).toBe('waiting_user_answer');
  }, 60_000);

  it('GET /handoffs/{id} reports a finished handoff, and REST handoffs work without an MCP client', async () => {
    const r = await s.post('/handoffs', { agent_profile: 'e2e_worker', message: 'a REST task', request_id: 'rest-1' });
    expect(r.status).toBe(202);
    const again = await s.post('/handoffs', { agent_profile: 'e2e_worker', message: 'a REST task', request_id: 'rest-1' });
    expect(again.body.id).toBe(r.body.id); // same request id, same handoff
    const done = await s.get(`/handoffs/${r.body.id}?wait=30`);
    expect(done.body).toMatchObject({ status: 'succeeded', result: { success: true, output: 'Built a REST task.\nSecond line of the answer.' } });
    expect((await s.get('/handoffs/00000000')).status).toBe(404);
    expect((await s.get('/handoffs/nope')).status).toBe(422);
  }, 60_000);

  it('POST /handoffs/cancel by request id: a running handoff is cancelled; one not created yet never starts', async () => {
    const r = await s.post('/handoffs', { agent_profile: 'e2e_worker', message: 'a task nobody waits for', request_id: 'cancel-me' });
    expect(r.status).toBe(202);
    const cancelled = await s.post('/handoffs/cancel', { request_id: 'cancel-me' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ request_id: 'cancel-me', handoff: { id: r.body.id, status: 'failed' } });

    const early = await s.post('/handoffs/cancel', { request_id: 'never-sent' });
    expect(early.body).toEqual({ request_id: 'never-sent', handoff: null });
    const late = await s.post('/handoffs', { agent_profile: 'e2e_worker', message: 'too late', request_id: 'never-sent' });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe("The handoff with request_id 'never-sent' was cancelled before it started");
    expect((await s.post('/handoffs/cancel', {})).status).toBe(400);
  }, 60_000);
});
