/** The CLI's ApiClient against a fake cao-server: what a user reads when something goes wrong. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, ServerUnreachable } from '../../../src/cli/api-client.js';
import { CaoHttpError } from '../../../src/http-client.js';
import { freePort } from '../../helpers/env.js';
import { rejection, startFakeServer, type FakeServer } from '../mcp/fake-server.js';

let srv: FakeServer;
beforeEach(async () => {
  srv = await startFakeServer();
});
afterEach(() => srv.close());

const env = (extra: Record<string, string> = {}) => ({ CAO_API_HOST: '127.0.0.1', CAO_API_PORT: String(srv.port), ...extra });
describe('ApiClient (cao CLI)', () => {
  it('sends the token and returns the answer', async () => {
    srv.route('GET /health', () => ({ status: 200, body: { status: 'ok' } }));
    expect(await ApiClient.fromEnv(env({ CAO_API_TOKEN: 't0k' })).health()).toEqual({ status: 'ok' });
    expect(srv.requests[0]!.headers.authorization).toBe('Bearer t0k');
  });

  it("says the server is not running, and how to start it, when nothing listens", async () => {
    const port = await freePort();
    const e = await rejection(ApiClient.fromEnv({ CAO_API_PORT: String(port) }).listSessions());
    expect(e).toBeInstanceOf(ServerUnreachable);
    expect(e.message).toBe(`cao-server is not running at http://127.0.0.1:${port}. Start it with \`cao-server\` (or point CAO_API_HOST / CAO_API_PORT at it).`);
  });

  it("passes on the server's own message", async () => {
    srv.route('DELETE /flows/:name', () => ({ status: 404, body: { error: { code: 'not_found', message: "Flow 'x' not found" } } }));
    const e = await rejection(ApiClient.fromEnv(env()).removeFlow('x'));
    expect(e).toBeInstanceOf(CaoHttpError);
    expect(e).toMatchObject({ status: 404, message: "Flow 'x' not found" });
  });

  it('a body that is not JSON (a proxy, another program on the port) is an error naming the status, not a crash', async () => {
    srv.route('GET /sessions', () => ({ status: 502, raw: '<html>Bad Gateway</html>' }));
    expect(await rejection(ApiClient.fromEnv(env()).listSessions())).toMatchObject({ status: 502, message: 'HTTP 502: <html>Bad Gateway</html>' });
    srv.route('GET /health', () => ({ status: 200, raw: 'hello' }));
    expect((await rejection(ApiClient.fromEnv(env()).health())).message).toBe('cao-server sent no JSON for GET /health');
  });

  it('ignores an invalid CAO_API_PORT as cao-server does (the default port)', () => {
    expect(ApiClient.fromEnv({ CAO_API_PORT: 'abc' }).baseUrl).toBe('http://127.0.0.1:9889');
    expect(ApiClient.fromEnv({ CAO_API_HOST: '::1', CAO_API_PORT: '7000' }).baseUrl).toBe('http://[::1]:7000');
  });
});
