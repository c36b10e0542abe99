/** The live event streams of a real cao-server: GET /events (SSE) and /ws/events (WebSocket). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWs, refusedUpgrade, startServer, statusIs, type CaoServer, type TerminalJson, type WsStream } from '../helpers/server.js';

let s: CaoServer;
let a: TerminalJson;
let b: TerminalJson;
const streams: { close(): void }[] = [];

beforeAll(async () => {
  s = await startServer();
  [a, b] = await Promise.all([s.createSession(), s.createSession()]);
});

afterAll(async () => {
  for (const x of streams) x.close();
  await s?.stop();
});

const sse = async (query = '') => {
  const e = await s.events(query);
  streams.push(e);
  return e;
};
const ws = async (query = '') => {
  const w = await openWs(`ws://127.0.0.1:${s.port}/ws/events${query}`);
  streams.push(w);
  return w;
};
const send = async (id: string, message: string) => expect((await s.post(`/terminals/${id}/input`, { message })).status).toBe(200);
const ids = (terminals: TerminalJson[]) => terminals.map((t) => t.id).sort();

describe('GET /events (SSE)', () => {
  it('answers text/event-stream and first sends a snapshot of every terminal', async () => {
    const r = await fetch(`${s.url}/events`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(r.headers.get('cache-control')).toBe('no-cache');
    await r.body?.cancel();

    const e = await sse();
    expect(e.snapshot.index).toBe(0);
    expect(e.snapshot.event).toBe('snapshot');
    expect(e.snapshot.data.type).toBe('snapshot');
    expect(ids(e.snapshot.data.terminals)).toEqual(ids([a, b]));
    const snapA = (e.snapshot.data.terminals as TerminalJson[]).find((t) => t.id === a.id);
    expect(snapA).toMatchObject({ id: a.id, session_name: a.session_name, status: 'idle', turn: 0, provider: 'mock', agent_profile: 'developer' });
  });

  it('then sends terminal.status events with terminal_id, status, previous, turn, and increasing ids', async () => {
    const e = await sse();
    await send(a.id, 'first turn delay=200');
    const done = await e.waitFor(statusIs(a.id, 'completed', 1), { what: 'completed' });
    const statuses = e.statuses(a.id);
    expect(statuses[0]).toMatchObject({ status: 'processing', previous: 'idle', turn: 1 });
    expect(statuses.at(-1)).toMatchObject({ status: 'completed', previous: 'processing', turn: 1 });
    expect(done.data).toEqual({
      type: 'terminal.status', terminal_id: a.id, session_name: a.session_name, status: 'completed', previous: 'processing', turn: 1,
      reason: null, seq: expect.any(Number), at: expect.any(String),
    });
    // Each event's SSE id is its sequence number, and they increase.
    const later = e.messages.slice(1);
    expect(later.length).toBeGreaterThanOrEqual(2);
    for (const m of later) expect(m.id).toBe(String(m.data.seq));
    const seqs = later.map((m) => m.data.seq as number);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('?terminal_id= only carries that terminal', async () => {
    const all = await sse();
    const onlyA = await sse(`?terminal_id=${a.id}`);
    expect(ids(onlyA.snapshot.data.terminals)).toEqual([a.id]);
    // b's turn first, then a's: once a's events arrived, b's (written earlier) would have too.
    await send(b.id, 'b works');
    await all.waitFor(statusIs(b.id, 'completed', 1), { what: 'b completed' });
    await send(a.id, 'a works');
    await onlyA.waitFor(statusIs(a.id, 'completed', 2), { what: 'a completed' });
    expect(onlyA.messages.slice(1).length).toBeGreaterThan(0);
    expect(onlyA.messages.slice(1).every((m) => m.data.terminal_id === a.id)).toBe(true);
    expect(all.statuses(b.id).length).toBeGreaterThan(0);
  });

  it('?session_name= only carries that session', async () => {
    const onlyB = await sse(`?session_name=${b.session_name}`);
    expect(ids(onlyB.snapshot.data.terminals)).toEqual([b.id]);
    await send(a.id, 'a again');
    await send(b.id, 'b again');
    await onlyB.waitFor(statusIs(b.id, 'completed', 2), { what: 'b completed' });
    expect(onlyB.messages.slice(1).every((m) => m.data.session_name === b.session_name)).toBe(true);
  });

  it('a malformed terminal_id filter → 400', async () => {
    const r = await s.get('/events?terminal_id=nothex!');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid');
  });

  it('announces a new terminal (terminal.created) and its start (starting → idle)', async () => {
    const e = await sse();
    const c = await s.createSession();
    const created = await e.waitFor((m) => m.event === 'terminal.created' && m.data.terminal_id === c.id, { what: 'terminal.created' });
    expect(created.data).toMatchObject({ session_name: c.session_name, agent_profile: 'developer', provider: 'mock' });
    const idle = await e.waitFor(statusIs(c.id, 'idle'), { what: 'idle' });
    expect(idle.data.turn).toBe(0);
    expect(e.statuses(c.id).map((x) => x.status)).toEqual(['starting', 'idle']);
    expect(e.statuses(c.id)[0]!.previous).toBeNull();
  });

  it('sends terminal.created before the first terminal.status of that terminal', async () => {
    const e = await sse();
    const c = await s.createSession();
    await e.waitFor(statusIs(c.id, 'idle'), { what: 'idle' });
    const mine = e.messages.filter((m) => m.data.terminal_id === c.id);
    expect(mine[0]!.event).toBe('terminal.created');
  });

  it('announces removals: terminal.removed and session.removed', async () => {
    const e = await sse();
    const c = await s.createSession();
    const from = e.mark();
    expect((await s.del(`/sessions/${c.session_name}`)).status).toBe(200);
    await e.waitFor((m) => m.event === 'terminal.removed' && m.data.terminal_id === c.id, { from, what: 'terminal.removed' });
    const gone = await e.waitFor((m) => m.event === 'session.removed', { from, what: 'session.removed' });
    expect(gone.data.session_name).toBe(c.session_name);
  });
});

describe('/ws/events (WebSocket)', () => {
  let w: WsStream;

  it('sends the snapshot first, as JSON', async () => {
    w = await ws();
    const snap = await w.waitFor(() => true, { what: 'snapshot' });
    expect(snap.index).toBe(0);
    expect(snap.data.type).toBe('snapshot');
    expect(snap.data.terminals.map((t: TerminalJson) => t.id)).toEqual(expect.arrayContaining([a.id, b.id]));
  });

  it('then sends the status events of a turn as JSON messages', async () => {
    const from = w.mark();
    await send(a.id, 'over websocket delay=200');
    const processing = await w.waitFor((m) => m.event === 'terminal.status' && m.data.terminal_id === a.id && m.data.status === 'processing', { from });
    const done = await w.waitFor((m) => m.event === 'terminal.status' && m.data.terminal_id === a.id && m.data.status === 'completed', { from });
    expect(processing.index).toBeLessThan(done.index);
    expect(done.data).toMatchObject({ type: 'terminal.status', terminal_id: a.id, session_name: a.session_name, previous: 'processing', turn: 4 });
    expect(done.data.seq).toBeGreaterThan(processing.data.seq);
  });

  it('?terminal_id= filters the snapshot and the events', async () => {
    const onlyB = await ws(`?terminal_id=${b.id}`);
    const snap = await onlyB.waitFor(() => true, { what: 'snapshot' });
    expect(snap.data.terminals.map((t: TerminalJson) => t.id)).toEqual([b.id]);
    await send(a.id, 'not for b');
    await w.waitFor((m) => m.event === 'terminal.status' && m.data.terminal_id === a.id && m.data.status === 'completed' && m.data.turn === 5);
    await send(b.id, 'for b');
    await onlyB.waitFor((m) => m.event === 'terminal.status' && m.data.terminal_id === b.id && m.data.status === 'completed' && m.data.turn === 3);
    expect(onlyB.messages.slice(1).every((m) => m.data.terminal_id === b.id)).toBe(true);
  });

  it('refuses an unknown path (404) and a malformed filter (400)', async () => {
    expect((await refusedUpgrade(`ws://127.0.0.1:${s.port}/ws/nothing`)).status).toBe(404);
    expect((await refusedUpgrade(`ws://127.0.0.1:${s.port}/ws/events?terminal_id=zz`)).status).toBe(400);
  });
});
