/** /terminals against a real cao-server process; status changes are observed on GET /events. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, statusIs, type CaoServer, type EventStream, type TerminalJson } from '../helpers/server.js';

let s: CaoServer;
let events: EventStream;

beforeAll(async () => {
  s = await startServer();
  events = await s.events();
});

afterAll(async () => {
  events?.close();
  await s?.stop();
});

/** Send input and wait for the turn's processing → <final> status events; returns both. */
async function turn(id: string, send: () => Promise<{ status: number; text: string }>, final: string, turnNo: number) {
  const from = events.mark();
  const r = await send();
  expect(r.status, r.text).toBe(200);
  const processing = await events.waitFor(statusIs(id, 'processing', turnNo), { from, what: `processing (turn ${turnNo})` });
  const done = await events.waitFor(statusIs(id, final, turnNo), { from, what: `${final} (turn ${turnNo})` });
  expect(processing.index).toBeLessThan(done.index);
  return { processing, done };
}

const input = (id: string, message: string) => () => s.post(`/terminals/${id}/input`, { message });
const lastAnswer = async (id: string) => {
  const r = await s.get<{ output: string; mode: string }>(`/terminals/${id}/output?mode=last`);
  expect(r.status, r.text).toBe(200);
  expect(r.body.mode).toBe('last');
  return r.body.output;
};

describe('terminal ids', () => {
  it.each(['xyz', 'ABCDEF12', '1234567', '123456789', 'zzzzzzzz'])('a malformed id %j → 422', async (id) => {
    for (const path of [`/terminals/${id}`, `/terminals/${id}/output`, `/terminals/${id}/working-directory`]) {
      const r = await s.get(path);
      expect(r.status, path).toBe(422);
      expect(r.body.error.code).toBe('unprocessable');
    }
    expect((await s.post(`/terminals/${id}/input`, { message: 'hi' })).status).toBe(422);
    expect((await s.del(`/terminals/${id}`)).status).toBe(422);
  });

  it('an unknown well-formed id → 404 on every route', async () => {
    const id = '0badc0de';
    for (const path of [`/terminals/${id}`, `/terminals/${id}/output?mode=full`, `/terminals/${id}/working-directory`]) {
      const r = await s.get(path);
      expect(r.status, path).toBe(404);
      expect(r.body.error).toMatchObject({ code: 'not_found', message: expect.stringContaining(id) });
    }
    expect((await s.post(`/terminals/${id}/input`, { message: 'hi' })).status).toBe(404);
    expect((await s.post(`/terminals/${id}/keys`, { keys: ['Enter'] })).status).toBe(404);
    expect((await s.post(`/terminals/${id}/exit`)).status).toBe(404);
    expect((await s.del(`/terminals/${id}`)).status).toBe(404);
  });
});

describe('one terminal through its life', () => {
  let t: TerminalJson;

  beforeAll(async () => {
    t = await s.createSession();
  });

  it('GET /terminals/{id} describes it, and GET /terminals lists it', async () => {
    const r = await s.get<TerminalJson>(`/terminals/${t.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: t.id, name: t.name, provider: 'mock', session_name: t.session_name, agent_profile: 'developer', status: 'idle',
      last_active: expect.any(String), created_at: expect.any(String), working_directory: s.workdir, turn: 0, exit_code: null, reason: null,
    });
    expect(r.body.name).toMatch(/^developer-[a-f0-9]{4}$/);
    const all = await s.get<TerminalJson[]>('/terminals');
    expect(all.body.map((x) => x.id)).toContain(t.id);
  });

  it('has no answer before the first turn (409)', async () => {
    const r = await s.get(`/terminals/${t.id}/output?mode=last`);
    expect(r.status).toBe(409);
  });

  it('GET …/working-directory is the agent’s cwd', async () => {
    const r = await s.get(`/terminals/${t.id}/working-directory`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ working_directory: s.workdir });
  });

  it('input as a query parameter: processing, then completed, then the answer', async () => {
    const message = 'hello from the query delay=300';
    const { done } = await turn(t.id, () => s.post(`/terminals/${t.id}/input?${new URLSearchParams({ message })}`), 'completed', 1);
    expect(done.data).toMatchObject({ type: 'terminal.status', terminal_id: t.id, session_name: t.session_name, previous: 'processing', turn: 1 });
    expect(await lastAnswer(t.id)).toBe(`Done. You said: ${message}`);
    expect((await s.get(`/terminals/${t.id}`)).body).toMatchObject({ status: 'completed', turn: 1 });
  });

  it('input as a JSON body', async () => {
    await turn(t.id, input(t.id, 'hello from the body'), 'completed', 2);
    expect(await lastAnswer(t.id)).toBe('Done. You said: hello from the body');
  });

  it('output modes: full has the banner, tail&lines=3 at most 3 lines, bogus → 422', async () => {
    const full = await s.get<{ output: string; mode: string }>(`/terminals/${t.id}/output?mode=full`);
    expect(full.status).toBe(200);
    expect(full.body.mode).toBe('full');
    expect(full.body.output).toContain('cao mock agent');
    expect(full.body.output).toContain('hello from the query');
    expect(full.body.output).toContain('Done. You said: hello from the body');
    const dflt = await s.get<{ output: string; mode: string }>(`/terminals/${t.id}/output`);
    expect(dflt.body.mode).toBe('full');

    const tail = await s.get<{ output: string; mode: string }>(`/terminals/${t.id}/output?mode=tail&lines=3`);
    expect(tail.status).toBe(200);
    expect(tail.body.mode).toBe('tail');
    const lines = tail.body.output.split('\n');
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(full.body.output.split('\n').slice(-lines.length)).toEqual(lines);

    for (const q of ['mode=bogus', 'mode=tail&lines=0', 'mode=tail&lines=abc', 'mode=tail&lines=10001']) {
      const r = await s.get(`/terminals/${t.id}/output?${q}`);
      expect(r.status, q).toBe(422);
    }
  });

  it('a permission question: waiting_user_answer, then keys ["y"] → completed', async () => {
    const from = events.mark();
    await turn(t.id, input(t.id, 'please ask first'), 'waiting_user_answer', 3);
    expect((await s.get(`/terminals/${t.id}`)).body.status).toBe('waiting_user_answer');
    const keys = await s.post(`/terminals/${t.id}/keys`, { keys: ['y'] });
    expect(keys.status).toBe(200);
    expect(keys.body).toEqual({ success: true });
    const done = await events.waitFor(statusIs(t.id, 'completed', 3), { from, what: 'completed after y' });
    expect(['waiting_user_answer', 'processing']).toContain(done.data.previous);
    expect(await lastAnswer(t.id)).toBe('Done. You said: please ask first');
  });

  it('bad keys and empty messages → 400', async () => {
    for (const body of [{ keys: [] }, { keys: ['y; rm -rf'] }, { keys: 'y' }, {}]) {
      expect((await s.post(`/terminals/${t.id}/keys`, body)).status, JSON.stringify(body)).toBe(400);
    }
    for (const body of [{ message: '' }, {}, { message: 42 }]) {
      expect((await s.post(`/terminals/${t.id}/input`, body)).status, JSON.stringify(body)).toBe(400);
    }
  });

  it("'fail' ends the turn in error", async () => {
    await turn(t.id, input(t.id, 'please fail now'), 'error', 4);
    expect((await s.get(`/terminals/${t.id}`)).body).toMatchObject({ status: 'error', turn: 4 });
  });

  it('a multi-line message comes back whole from mode=last', async () => {
    const message = 'first line\nsecond line\n  indented third delay=100';
    await turn(t.id, input(t.id, message), 'completed', 5);
    expect(await lastAnswer(t.id)).toBe(`Done. You said: ${message}`);
  });

  it('POST …/exit: the terminal becomes exited, and refuses input (409)', async () => {
    const from = events.mark();
    const r = await s.post(`/terminals/${t.id}/exit`);
    expect(r.status).toBe(200);
    const exited = await events.waitFor(statusIs(t.id, 'exited'), { from, what: 'exited' });
    expect(exited.data.terminal_id).toBe(t.id);
    // The mock agent exits 0 on /exit; tmux must learn that status even when it missed the SIGCHLD.
    const view = (await s.get(`/terminals/${t.id}`)).body;
    expect(view).toMatchObject({ status: 'exited', exit_code: 0, reason: 'the agent exited with status 0' });
    expect(exited.data).toMatchObject({ status: 'exited', reason: view.reason });
    const again = await s.post(`/terminals/${t.id}/input`, { message: 'are you there?' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect((await s.post(`/terminals/${t.id}/keys`, { keys: ['Enter'] })).status).toBe(409);
    expect((await s.post(`/terminals/${t.id}/exit`)).status).toBe(409);
    // The screen is kept: the last answer and the goodbye are still readable.
    expect((await s.get(`/terminals/${t.id}/output?mode=full`)).body.output).toContain('Bye.');
    expect((await s.get(`/terminals/${t.id}/working-directory`)).body).toEqual({ working_directory: null });
  });

  it('DELETE /terminals/{id} → 200, then 404, and its tmux window is gone', async () => {
    const from = events.mark();
    const r = await s.del(`/terminals/${t.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true });
    await events.waitFor((m) => m.event === 'terminal.removed' && m.data.terminal_id === t.id, { from, what: 'terminal.removed' });
    expect((await s.get(`/terminals/${t.id}`)).status).toBe(404);
    expect((await s.del(`/terminals/${t.id}`)).status).toBe(404);
    expect((await s.tmux.listPanes()).filter((p) => p.windowName === t.name)).toEqual([]);
  });
});

describe('other terminals', () => {
  it('notices a tmux window killed under it: exited, the window was closed', async () => {
    const t = await s.createSession();
    const from = events.mark();
    await s.tmux.exec(['kill-window', '-t', `=${t.session_name}:=${t.name}`]);
    await events.waitFor(statusIs(t.id, 'exited'), { from, what: 'exited' });
    expect((await s.get(`/terminals/${t.id}`)).body).toMatchObject({ status: 'exited', exit_code: null, reason: 'the tmux window was closed' });
    expect((await s.get(`/terminals/${t.id}/output?mode=full`)).status).toBe(409);
    expect((await s.get(`/terminals/${t.id}/working-directory`)).body).toEqual({ working_directory: null });
  });

  it('a yolo terminal answers its own permission questions', async () => {
    const t = await s.createSession({ yolo: true });
    await turn(t.id, input(t.id, 'ask me nothing'), 'completed', 1);
    expect(events.statuses(t.id).map((x) => x.status)).not.toContain('waiting_user_answer');
    expect(await lastAnswer(t.id)).toBe('Done. You said: ask me nothing');
  });
});

describe('a terminal that is still starting', () => {
  it('is returned as starting with wait=false, refuses input (409), then becomes idle', async () => {
    // A local profile whose mock agent takes 2 s to show its prompt.
    const store = join(s.home, 'agent-store');
    mkdirSync(store, { recursive: true });
    writeFileSync(join(store, 'slow.yaml'), 'startup: { delay: 2000 }\n');
    writeFileSync(join(store, 'slow.md'), '---\ndescription: starts slowly\nprovider: mock\nmockScript: slow.yaml\n---\nBe slow.\n');
    const from = events.mark();
    const r = await s.post<TerminalJson>('/sessions', { agent_profile: 'slow', working_directory: s.workdir, wait: false });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'starting', provider: 'mock', agent_profile: 'slow' });
    const id = r.body.id;
    const early = await s.post(`/terminals/${id}/input`, { message: 'too early' });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/starting/);
    await events.waitFor(statusIs(id, 'idle'), { from, what: 'idle' });
    await turn(id, input(id, 'now it works'), 'completed', 1);
    expect(await lastAnswer(id)).toBe('Done. You said: now it works');
  });
});
