/**
 * Restarts of a real cao-server: a new process on the same CAO_HOME, tmux socket and port picks up
 * the agents that kept running in tmux, including a turn that was in flight when the old one died.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, statusIs, statusReached, type CaoServer, type EventStream, type TerminalJson } from '../helpers/server.js';

let s: CaoServer;
let events: EventStream | undefined;

beforeAll(async () => {
  s = await startServer();
});

afterAll(async () => {
  events?.close();
  await s?.stop();
});

const reopen = async () => {
  events?.close();
  events = await s.events();
  return events;
};

describe('SIGKILL in the middle of a turn', () => {
  let t: TerminalJson;
  const message = 'long task delay=3000';

  beforeAll(async () => {
    t = await s.createSession();
  });

  it('kills the server while the agent is processing', async () => {
    const e = await reopen();
    const oldPid = s.proc.pid;
    expect((await s.post(`/terminals/${t.id}/input`, { message })).status).toBe(200);
    await e.waitFor(statusIs(t.id, 'processing', 1), { what: 'processing' });
    await s.kill('SIGKILL');
    expect(s.proc.signalCode).toBe('SIGKILL');
    await expect(e.waitFor(() => false, { what: 'the end of the stream', timeout: 5000 })).rejects.toThrow(/stream ended/);
    // The agent keeps working in tmux without the server.
    const panes = await s.tmux.listPanes();
    expect(panes.find((p) => p.session === t.session_name)).toMatchObject({ dead: false });
    await s.restart();
    expect(s.proc.pid).not.toBe(oldPid);
    expect((await s.get('/health')).body.pid).toBe(s.proc.pid);
  });

  it('the restarted server still knows the terminal, in the same turn', async () => {
    const r = await s.get<TerminalJson>(`/terminals/${t.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: t.id, session_name: t.session_name, provider: 'mock', agent_profile: 'developer', working_directory: s.workdir });
    expect(r.body.turn).toBe(1);
    // The agent needs 3 s for this turn: the new server is up long before that.
    expect(r.body.status).toBe('processing');
  });

  it("reaches 'completed' for turn 1 without any new input, with the answer", async () => {
    const e = await reopen();
    const done = await e.waitFor(statusReached(t.id, 'completed', 1), { timeout: 15_000, what: 'completed (turn 1)' });
    if (done.event === 'terminal.status') expect(done.data.previous).toBe('processing');
    expect(e.statuses(t.id).every((x) => x.turn === 1)).toBe(true);
    const out = await s.get(`/terminals/${t.id}/output?mode=last`);
    expect(out.status).toBe(200);
    expect(out.body.output).toBe(`Done. You said: ${message}`);
    expect((await s.get(`/terminals/${t.id}`)).body).toMatchObject({ status: 'completed', turn: 1 });
  });

  it('takes new input afterwards (turn 2)', async () => {
    const e = events!;
    const from = e.mark();
    expect((await s.post(`/terminals/${t.id}/input`, { message: 'after the crash' })).status).toBe(200);
    const processing = await e.waitFor(statusIs(t.id, 'processing', 2), { from, what: 'processing (turn 2)' });
    const done = await e.waitFor(statusIs(t.id, 'completed', 2), { from, what: 'completed (turn 2)' });
    expect(processing.index).toBeLessThan(done.index);
    expect((await s.get(`/terminals/${t.id}/output?mode=last`)).body.output).toBe('Done. You said: after the crash');
  });

  it('a graceful restart (SIGTERM) keeps status and turn as they were', async () => {
    await s.restart();
    const e = await reopen();
    const snap = (e.snapshot.data.terminals as TerminalJson[]).find((x) => x.id === t.id);
    expect(snap).toMatchObject({ status: 'completed', turn: 2 });
    expect((await s.get(`/terminals/${t.id}/output?mode=last`)).body.output).toBe('Done. You said: after the crash');
    const from = e.mark();
    expect((await s.post(`/terminals/${t.id}/input`, { message: 'third' })).status).toBe(200);
    await e.waitFor(statusIs(t.id, 'completed', 3), { from, what: 'completed (turn 3)' });
  });
});

describe('tmux windows that vanish while the server is down', () => {
  let lead: TerminalJson;
  let second: TerminalJson;
  let alone: TerminalJson;

  beforeAll(async () => {
    lead = await s.createSession();
    const r = await s.post<TerminalJson>(`/sessions/${lead.session_name}/terminals`, { agent_profile: 'reviewer', provider: 'mock', working_directory: s.workdir });
    expect(r.status).toBe(201);
    second = r.body;
    alone = await s.createSession();
  });

  it("are reported 'exited' after the restart; the others carry on", async () => {
    await s.kill('SIGKILL');
    await s.tmux.exec(['kill-window', '-t', `=${second.session_name}:=${second.name}`]);
    await s.tmux.exec(['kill-session', '-t', `=${alone.session_name}`]);
    expect(await s.tmux.hasSession(lead.session_name)).toBe(true);
    expect(await s.tmux.hasSession(alone.session_name)).toBe(false);
    await s.restart();
    const e = await reopen();
    for (const gone of [second, alone]) {
      const exited = await e.waitFor(statusReached(gone.id, 'exited'), { what: `${gone.id} exited` });
      if (exited.event === 'terminal.status') expect(exited.data.previous).not.toBe('exited');
      const view = await s.get<TerminalJson>(`/terminals/${gone.id}`);
      expect(view.body).toMatchObject({ status: 'exited', reason: 'the tmux window was closed' });
      expect((await s.post(`/terminals/${gone.id}/input`, { message: 'hello?' })).status).toBe(409);
      expect((await s.get(`/terminals/${gone.id}/output?mode=full`)).status).toBe(409);
    }
    expect((await s.get<TerminalJson>(`/terminals/${lead.id}`)).body.status).toBe('idle');
    const from = e.mark();
    expect((await s.post(`/terminals/${lead.id}/input`, { message: 'still here' })).status).toBe(200);
    await e.waitFor(statusIs(lead.id, 'completed', 1), { from, what: 'lead completed' });
  });

  it('an exited terminal can still be deleted, and so can its session', async () => {
    expect((await s.del(`/terminals/${second.id}`)).status).toBe(200);
    expect((await s.get(`/terminals/${second.id}`)).status).toBe(404);
    expect((await s.get(`/sessions/${alone.session_name}`)).body.session).toMatchObject({ status: 'ended' });
    expect((await s.del(`/sessions/${alone.session_name}`)).status).toBe(200);
    expect((await s.get(`/terminals/${alone.id}`)).status).toBe(404);
    expect((await s.get(`/sessions/${alone.session_name}`)).status).toBe(404);
  });
});
