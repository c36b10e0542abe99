/**
 * The security baseline of a real cao-server: loopback Host headers only, no cross-origin state
 * changes, the same checks on WebSocket upgrades, strict request bodies, an optional bearer token,
 * and a server that keeps answering while an agent starts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWs, rawRequest, refusedUpgrade, startServer, type CaoServer, type TerminalJson } from '../helpers/server.js';

let s: CaoServer;

beforeAll(async () => {
  s = await startServer();
});

afterAll(async () => {
  await s?.stop();
});

const json = (body: unknown) => ({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(JSON.stringify(body))) });
const sessionBody = () => ({ agent_profile: 'developer', provider: 'mock', working_directory: s.workdir });
const sessionNames = async () => (await s.tmux.listSessions()).map((x) => x.name).sort();

describe('Host header (DNS rebinding)', () => {
  it.each(['evil.example', 'evil.example:80', 'localhost.evil.com', '127.0.0.2', 'localhost@evil.example', '0.0.0.0'])('Host: %s → 400', async (host) => {
    const r = await rawRequest(s.port, { path: '/health', headers: { host } });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.message).toMatch(/host/i);
  });

  it('a request without a Host header → 400', async () => {
    // HTTP/1.0 allows leaving Host out; Node's client sends none with setHost: false.
    const r = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port: s.port, path: '/health', setHost: false, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      }, reject);
    });
    expect(r).toBe(400);
  });

  it('accepts localhost:<port>, 127.0.0.1, 127.0.0.1:<port>, [::1]:<port> and LOCALHOST', async () => {
    for (const host of [`localhost:${s.port}`, 'localhost', '127.0.0.1', `127.0.0.1:${s.port}`, `[::1]:${s.port}`, '[::1]', `LOCALHOST:${s.port}`]) {
      const r = await rawRequest(s.port, { path: '/health', headers: { host } });
      expect(r.status, host).toBe(200);
      expect(JSON.parse(r.text).status).toBe('ok');
    }
  });

  it('refuses a state change with a bad Host before doing anything', async () => {
    const before = await sessionNames();
    const r = await rawRequest(s.port, { method: 'POST', path: '/sessions', headers: { host: 'evil.example', ...json(sessionBody()) }, body: JSON.stringify(sessionBody()) });
    expect(r.status).toBe(400);
    expect(await sessionNames()).toEqual(before);
  });
});

describe('Origin (CSRF)', () => {
  const post = (headers: Record<string, string>, body: unknown = sessionBody()) =>
    rawRequest(s.port, { method: 'POST', path: '/sessions', headers: { host: `127.0.0.1:${s.port}`, ...json(body), ...headers }, body: JSON.stringify(body) });

  it.each([
    ['Origin: http://evil.example', { origin: 'http://evil.example' }],
    ['Origin: null', { origin: 'null' }],
    ['Origin: http://localhost.evil.com', { origin: 'http://localhost.evil.com' }],
    ['Origin: file://', { origin: 'file://' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
  ])('a POST with %s → 403, and nothing was created', async (_label, headers) => {
    const before = await sessionNames();
    const r = await post(headers);
    expect(r.status).toBe(403);
    expect(JSON.parse(r.text).error.code).toBe('forbidden');
    expect(await sessionNames()).toEqual(before);
    expect((await s.get<TerminalJson[]>('/terminals')).body.filter((t) => t.working_directory === s.workdir && t.status === 'starting')).toEqual([]);
  });

  it('a cross-origin DELETE → 403 and the session survives; from a loopback origin it works', async () => {
    const t = await s.createSession();
    const evil = await rawRequest(s.port, { method: 'DELETE', path: `/sessions/${t.session_name}`, headers: { host: `localhost:${s.port}`, origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    expect(await s.tmux.hasSession(t.session_name)).toBe(true);
    expect((await s.get(`/terminals/${t.id}`)).status).toBe(200);
    const local = await rawRequest(s.port, { method: 'DELETE', path: `/sessions/${t.session_name}`, headers: { host: `localhost:${s.port}`, origin: `http://localhost:${s.port}` } });
    expect(local.status).toBe(200);
    expect(await s.tmux.hasSession(t.session_name)).toBe(false);
  });

  it('a POST from a loopback origin is allowed', async () => {
    const r = await post({ origin: 'http://127.0.0.1:3000' });
    expect(r.status).toBe(201);
    expect(JSON.parse(r.text).status).toBe('idle');
  });

  it('a GET from another origin gets no CORS grant', async () => {
    const r = await rawRequest(s.port, { path: '/sessions', headers: { host: `localhost:${s.port}`, origin: 'http://evil.example' } });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('WebSocket upgrades', () => {
  const url = () => `ws://127.0.0.1:${s.port}/ws/events`;

  it('refuses a bad Host (400)', async () => {
    const r = await refusedUpgrade(url(), { headers: { host: 'evil.example' } });
    expect(r.status).toBe(400);
  });

  it('refuses Origin: http://evil.example (403)', async () => {
    const r = await refusedUpgrade(url(), { origin: 'http://evil.example' });
    expect(r.status).toBe(403);
  });

  it('accepts a loopback origin', async () => {
    const w = await openWs(url(), { origin: `http://localhost:${s.port}` });
    const snap = await w.waitFor(() => true, { what: 'snapshot' });
    expect(snap.event).toBe('snapshot');
    w.close();
  });
});

describe('request bodies', () => {
  const send = (contentType: string, body: string) =>
    rawRequest(s.port, { method: 'POST', path: '/sessions', headers: { host: `127.0.0.1:${s.port}`, 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) }, body });

  it('invalid JSON with content-type application/json → 400, nothing created', async () => {
    const before = await sessionNames();
    const r = await send('application/json', '{"agent_profile": "developer",');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatchObject({ code: 'invalid', message: expect.stringMatching(/JSON/) });
    expect(await sessionNames()).toEqual(before);
  });

  it.each(['[1,2]', '"developer"', 'null', '42'])('a JSON body that is not an object (%s) → 400', async (body) => {
    expect((await send('application/json; charset=utf-8', body)).status).toBe(400);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])('content-type %s → 415', async (type) => {
    const before = await sessionNames();
    const r = await send(type, JSON.stringify(sessionBody()));
    expect(r.status).toBe(415);
    expect(await sessionNames()).toEqual(before);
  });

  it('a body over 1 MiB → 413', async () => {
    const r = await send('application/json', JSON.stringify({ ...sessionBody(), padding: 'x'.repeat(1024 * 1024 + 10) }));
    expect(r.status).toBe(413);
  });
});

describe('a starting agent blocks nobody', () => {
  it('GET /health, /terminals and /sessions answer while POST /sessions waits for the agent', async () => {
    const store = join(s.home, 'agent-store');
    mkdirSync(store, { recursive: true });
    writeFileSync(join(store, 'slow.yaml'), 'startup: { delay: 2500 }\n');
    writeFileSync(join(store, 'slow.md'), '---\ndescription: starts slowly\nprovider: mock\nmockScript: slow.yaml\n---\nBe slow.\n');
    const events = await s.events();
    let createdAt = 0;
    const create = s.post<TerminalJson>('/sessions', { agent_profile: 'slow', working_directory: s.workdir }).then((r) => {
      createdAt = performance.now();
      return r;
    });
    try {
      // The agent's window exists: the create request is now waiting for the agent to be ready.
      const created = await events.waitFor((m) => m.event === 'terminal.created' && m.data.agent_profile === 'slow', { what: 'terminal.created' });
      const health = await s.get('/health');
      const healthAt = performance.now();
      expect(health.status).toBe(200);
      const terminal = await s.get<TerminalJson>(`/terminals/${created.data.terminal_id}`);
      expect(terminal.body.status).toBe('starting');
      expect((await s.get('/sessions')).status).toBe(200);
      expect(createdAt).toBe(0);
      const r = await create;
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ id: created.data.terminal_id, status: 'idle' });
      expect(createdAt - healthAt).toBeGreaterThan(1000);
    } finally {
      events.close();
      await create;
    }
  });
});

describe('with an API token', () => {
  let secured: CaoServer;
  const token = 'test-token-0123456789';

  beforeAll(async () => {
    secured = await startServer({ token });
  });

  afterAll(async () => {
    await secured?.stop();
  });

  it('refuses requests without the token or with a wrong one (401), accepts the right one', async () => {
    const host = `127.0.0.1:${secured.port}`;
    expect((await rawRequest(secured.port, { path: '/health', headers: { host } })).status).toBe(401);
    expect((await rawRequest(secured.port, { path: '/health', headers: { host, authorization: `Bearer ${token}x` } })).status).toBe(401);
    expect((await rawRequest(secured.port, { path: '/health', headers: { host, authorization: token } })).status).toBe(401);
    expect((await rawRequest(secured.port, { path: '/health', headers: { host, authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await secured.get('/agents/providers')).status).toBe(200);
  });

  it('asks the token of WebSocket upgrades too (header or ?token=)', async () => {
    const url = `ws://127.0.0.1:${secured.port}/ws/events`;
    expect((await refusedUpgrade(url)).status).toBe(401);
    const byQuery = await openWs(`${url}?token=${token}`);
    expect((await byQuery.waitFor(() => true)).event).toBe('snapshot');
    byQuery.close();
    const byHeader = await openWs(url, { headers: { authorization: `Bearer ${token}` } });
    expect((await byHeader.waitFor(() => true)).event).toBe('snapshot');
    byHeader.close();
  });
});
