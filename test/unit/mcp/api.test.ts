/** HttpCaoApi against a fake cao-server: paths, bodies, token, error mapping, timeouts. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaoHttpError, CaoUnreachable, HttpCaoApi, isAbort, isTransient } from '../../../src/mcp/api.js';
import { freePort } from '../../helpers/env.js';
import { handoff } from './fake-api.js';
import { rejection, startFakeServer, type FakeServer } from './fake-server.js';

let srv: FakeServer;
beforeEach(async () => {
  srv = await startFakeServer();
});
afterEach(async () => {
  await srv.close();
});

describe('HttpCaoApi', () => {
  it('sends JSON with the bearer token and returns the parsed answer', async () => {
    srv.route('POST /handoffs', () => ({ status: 202, body: handoff() }));
    const api = HttpCaoApi.fromEnv({ CAO_API_HOST: '127.0.0.1', CAO_API_PORT: String(srv.port), CAO_API_TOKEN: 's3cret' });
    expect(api.baseUrl).toBe(srv.url);
    const body = { agent_profile: 'developer', message: 'm', timeout_seconds: 60, caller_id: 'cafe0001', request_id: 'r1' };
    expect(await api.createHandoff(body)).toEqual(handoff());
    const [req] = srv.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/handoffs', body });
    expect(req!.headers.authorization).toBe('Bearer s3cret');
    expect(req!.headers['content-type']).toBe('application/json');
  });

  it('sends no authorization header without a token', async () => {
    srv.route('POST /terminals/:id/inbox/messages', () => ({ status: 200, body: { success: true } }));
    await new HttpCaoApi(srv.url).sendInboxMessage('ab12cd34', { sender_id: 'cafe0001', message: 'hi', request_id: 'r' });
    expect(srv.requests[0]).toMatchObject({ path: '/terminals/ab12cd34/inbox/messages', body: { sender_id: 'cafe0001', message: 'hi', request_id: 'r' } });
    expect(srv.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('uses the documented paths for the other calls', async () => {
    srv.route('GET /handoffs/:id', () => ({ status: 200, body: handoff() }));
    srv.route('POST /handoffs/:id/cancel', () => ({ status: 200, body: handoff({ status: 'failed' }) }));
    srv.route('POST /assignments', () => ({ status: 201, body: { success: true, terminal_id: 'beef0001', message: 'ok', assignment_id: 'a' } }));
    const api = new HttpCaoApi(srv.url);
    await api.getHandoff('h1', 5);
    await api.cancelHandoff('h1');
    await api.createAssignment({ agent_profile: 'developer', message: 'm', request_id: 'r' });
    expect(srv.requests.map((r) => `${r.method} ${r.path}${r.query.size ? `?${r.query}` : ''}`)).toEqual(['GET /handoffs/h1?wait=5', 'POST /handoffs/h1/cancel', 'POST /assignments']);
  });

  it('keeps wait within 0..60 whole seconds', async () => {
    srv.route('GET /handoffs/:id', () => ({ status: 200, body: handoff() }));
    const api = new HttpCaoApi(srv.url);
    for (const w of [90, -1, 2.7]) await api.getHandoff('h1', w);
    expect(srv.requests.map((r) => r.query.get('wait'))).toEqual(['60', '0', '2']);
  });

  it("surfaces the server's error message and code", async () => {
    srv.route('POST /assignments', () => ({ status: 404, body: { error: { code: 'profile_not_found', message: "Agent profile 'nope' not found" } } }));
    const e = await rejection(new HttpCaoApi(srv.url).createAssignment({ agent_profile: 'nope', message: 'm', request_id: 'r' }));
    expect(e).toBeInstanceOf(CaoHttpError);
    expect(e).toMatchObject({ status: 404, code: 'profile_not_found', message: "Agent profile 'nope' not found" });
    expect(isTransient(e)).toBe(false);
  });

  it('describes errors without a JSON body by status and text; 503 is transient', async () => {
    srv.route('GET /handoffs/:id', () => ({ status: 503, raw: 'starting up' }));
    const e = await rejection(new HttpCaoApi(srv.url).getHandoff('h1', 0));
    expect(e).toMatchObject({ status: 503, message: 'HTTP 503: starting up' });
    expect(isTransient(e)).toBe(true);
  });

  it('reports a server that is not running as CaoUnreachable', async () => {
    const port = await freePort();
    const e = await rejection(new HttpCaoApi(`http://127.0.0.1:${port}`).getHandoff('h1', 0));
    expect(e).toBeInstanceOf(CaoUnreachable);
    expect(e.message).toBe(`cannot reach cao-server at http://127.0.0.1:${port} (ECONNREFUSED)`);
    expect(isTransient(e)).toBe(true);
  });

  it('times out calls the server does not answer', async () => {
    srv.route('POST /assignments', () => ({ status: 201, body: {}, delayMs: 1_000 }));
    const started = Date.now();
    const e = await rejection(new HttpCaoApi(srv.url, { timeoutMs: 150 }).createAssignment({ agent_profile: 'd', message: 'm', request_id: 'r' }));
    expect(Date.now() - started).toBeLessThan(900);
    expect(e).toBeInstanceOf(CaoUnreachable);
    expect(e.message).toMatch(/did not answer POST \/assignments within/);
  });

  it('gives a long poll its wait on top of the timeout', async () => {
    srv.route('GET /handoffs/:id', () => ({ status: 200, body: handoff(), delayMs: 400 }));
    await expect(new HttpCaoApi(srv.url, { timeoutMs: 150 }).getHandoff('h1', 1)).resolves.toMatchObject({ id: 'h1' });
  });

  it("rejects with an AbortError when the caller's signal aborts", async () => {
    srv.route('GET /handoffs/:id', () => ({ status: 200, body: handoff(), delayMs: 2_000 }));
    const ac = new AbortController();
    const p = rejection(new HttpCaoApi(srv.url).getHandoff('h1', 0, ac.signal));
    setTimeout(() => ac.abort('cancelled by the client'), 50);
    const e = await p;
    expect(isAbort(e)).toBe(true);
    expect(isTransient(e)).toBe(false);
  });

  it('brackets IPv6 hosts and defaults to 127.0.0.1:9889', () => {
    expect(HttpCaoApi.fromEnv({ CAO_API_HOST: '::1', CAO_API_PORT: '7000' }).baseUrl).toBe('http://[::1]:7000');
    expect(HttpCaoApi.fromEnv({}).baseUrl).toBe('http://127.0.0.1:9889');
  });
});
