import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CaoError } from '../../../src/errors.js';
import { isLoopbackBind, isLoopbackHost, isLoopbackOrigin, refusal } from '../../../src/server/security.js';

interface FakeRequest {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  remoteAddress?: string;
}

/** The parts of an IncomingMessage that `refusal` reads. */
function req({ method = 'GET', url = '/sessions', headers = {}, remoteAddress = '127.0.0.1' }: FakeRequest = {}): IncomingMessage {
  return { method, url, headers: { host: 'localhost:9889', ...headers }, socket: { remoteAddress } } as unknown as IncomingMessage;
}

/** The status `refusal` answers with, or 'ok' when the request may pass. */
function verdict(r: IncomingMessage, token?: string, upgrade = false): number | 'ok' {
  const e = refusal(r, token === undefined ? {} : { token }, upgrade);
  if (e === undefined) return 'ok';
  expect(e).toBeInstanceOf(CaoError);
  return e.status;
}

describe('isLoopbackHost', () => {
  it.each(['localhost', 'localhost:9889', '127.0.0.1', '127.0.0.1:80', '[::1]', '[::1]:9889', 'LOCALHOST:9889', ' localhost '])(
    'accepts %j',
    (h) => expect(isLoopbackHost(h)).toBe(true),
  );

  it.each([
    'evil.localhost',
    'localhost.evil.com',
    'evil.com',
    'evil.com:9889',
    '127.0.0.2',
    '127.0.0.1.evil.com',
    '0.0.0.0',
    '::1',
    '::1:9889',
    '[::2]',
    '[::1]evil',
    'localhost:',
    'localhost:abc',
    'localhost:123456',
    'localhost:9889:1',
    'user@localhost',
    '',
    undefined,
  ])('refuses %j', (h) => expect(isLoopbackHost(h)).toBe(false));
});

describe('isLoopbackOrigin', () => {
  it('accepts a missing Origin (curl, the cao CLI)', () => {
    expect(isLoopbackOrigin(undefined)).toBe(true);
  });

  it.each(['http://localhost', 'http://localhost:9889', 'https://127.0.0.1:3000', 'http://[::1]:9889'])('accepts %j', (o) =>
    expect(isLoopbackOrigin(o)).toBe(true),
  );

  it.each([
    'http://evil.com',
    'http://localhost.evil.com',
    'http://evil.localhost:9889',
    'http://127.0.0.2',
    'null',
    '',
    'file://',
    'ftp://localhost',
    'chrome-extension://abcdef',
    'not a url',
  ])('refuses %j', (o) => expect(isLoopbackOrigin(o)).toBe(false));
});

describe('isLoopbackBind', () => {
  it('knows the loopback bind addresses', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]']) expect(isLoopbackBind(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) expect(isLoopbackBind(h), h).toBe(false);
  });
});

describe('refusal without a token', () => {
  it('lets a plain local request through', () => {
    expect(verdict(req())).toBe('ok');
    expect(verdict(req({ method: 'POST', headers: { host: '127.0.0.1:9889' } }))).toBe('ok');
    expect(verdict(req({ method: 'DELETE', headers: { host: '[::1]:9889', origin: 'http://localhost:9889' } }))).toBe('ok');
  });

  it('answers 400 to a Host header that is not loopback (DNS rebinding)', () => {
    for (const host of ['evil.com', 'localhost.evil.com', '127.0.0.2:9889', '192.168.1.5:9889']) {
      const e = refusal(req({ headers: { host } }), {});
      expect(e?.status, host).toBe(400);
      expect(e?.message).toMatch(/host/i);
    }
  });

  it('answers 400 to a request without a Host header', () => {
    const r = { method: 'GET', url: '/', headers: {}, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
    expect(verdict(r)).toBe(400);
  });

  it('answers 403 to a cross-origin request that changes state', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const e = refusal(req({ method, headers: { origin: 'http://evil.com' } }), {});
      expect(e?.status, method).toBe(403);
      expect(e?.code).toBe('forbidden');
    }
    expect(verdict(req({ method: 'POST', headers: { origin: 'null' } }))).toBe(403);
  });

  it('lets a cross-origin read through (CORS keeps the answer from the page)', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      expect(verdict(req({ method, headers: { origin: 'http://evil.com', 'sec-fetch-site': 'cross-site' } })), method).toBe('ok');
    }
  });

  it('answers 403 to a POST the browser marks cross-site, even without an Origin header', () => {
    expect(verdict(req({ method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } }))).toBe(403);
    expect(verdict(req({ method: 'POST', headers: { 'sec-fetch-site': 'same-origin' } }))).toBe('ok');
    expect(verdict(req({ method: 'POST', headers: { 'sec-fetch-site': 'none' } }))).toBe('ok');
  });

  it('treats a WebSocket upgrade as state-changing', () => {
    expect(verdict(req({ headers: { origin: 'http://evil.com' } }), undefined, true)).toBe(403);
    expect(verdict(req({ headers: { 'sec-fetch-site': 'cross-site' } }), undefined, true)).toBe(403);
    expect(verdict(req({ headers: { origin: 'http://localhost:9889' } }), undefined, true)).toBe('ok');
  });

  it('accepts WebSocket upgrades only from loopback peers', () => {
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(verdict(req({ remoteAddress }), undefined, true), remoteAddress).toBe('ok');
    }
    for (const remoteAddress of ['192.168.1.20', '10.0.0.1', '::ffff:10.0.0.1', '127.0.0.2', '']) {
      const e = refusal(req({ remoteAddress }), {}, true);
      expect(e?.status, remoteAddress).toBe(403);
      expect(e?.message).toMatch(/WebSocket/);
    }
    const noPeer = { method: 'GET', url: '/', headers: { host: 'localhost' }, socket: {} } as unknown as IncomingMessage;
    expect(verdict(noPeer, undefined, true)).toBe(403);
  });

  it('does not check the peer of plain HTTP requests (the Host check covers them)', () => {
    expect(verdict(req({ remoteAddress: '192.168.1.20' }))).toBe('ok');
  });
});

describe('refusal with a token', () => {
  const token = 's3cret-token-value';

  it('answers 401 without a token or with a wrong one', () => {
    expect(verdict(req(), token)).toBe(401);
    expect(verdict(req({ headers: { authorization: 'Bearer wrong' } }), token)).toBe(401);
    expect(verdict(req({ headers: { authorization: `Bearer ${token}x` } }), token)).toBe(401);
    expect(verdict(req({ headers: { authorization: `Bearer ${token.slice(0, -1)}` } }), token)).toBe(401);
    expect(verdict(req({ headers: { authorization: token } }), token)).toBe(401); // no "Bearer "
    expect(verdict(req({ headers: { authorization: `Basic ${token}` } }), token)).toBe(401);
    expect(verdict(req({ headers: { authorization: 'Bearer ' } }), token)).toBe(401);
    expect(verdict(req({ url: '/sessions?token=wrong' }), token)).toBe(401);
    expect(verdict(req({ url: '/sessions?token=' }), token)).toBe(401);
    const e = refusal(req(), { token });
    expect(e?.code).toBe('unauthorized');
  });

  it('lets the right token through in the Authorization header, whatever the Host', () => {
    const authorization = `Bearer ${token}`;
    expect(verdict(req({ headers: { authorization } }), token)).toBe('ok');
    expect(verdict(req({ method: 'POST', headers: { authorization, host: 'cao.example.com:9889' } }), token)).toBe('ok');
    expect(verdict(req({ headers: { authorization, host: '192.168.1.5' } }), token)).toBe('ok');
  });

  it('lets the right token through as ?token= (for WebSocket clients that cannot set headers)', () => {
    expect(verdict(req({ url: `/events?token=${token}`, headers: { host: 'cao.example.com' } }), token)).toBe('ok');
    expect(verdict(req({ url: `/events?x=1&token=${encodeURIComponent(token)}` }), token, true)).toBe('ok');
  });

  it('answers 401, never throws, for a request target that does not parse', () => {
    // Node accepts "GET http://[ HTTP/1.1"; a throw here would crash the server from the
    // WebSocket upgrade handler, for anyone who can reach it.
    for (const url of ['http://[', 'http://[/?token=x', 'http://a:b:c/']) {
      expect(verdict(req({ url }), token), url).toBe(401);
      expect(verdict(req({ url }), token, true), url).toBe(401);
    }
    // The header still works with such a target.
    expect(verdict(req({ url: 'http://[', headers: { authorization: `Bearer ${token}` } }), token)).toBe('ok');
  });

  it('prefers the Authorization header over ?token=', () => {
    expect(verdict(req({ url: `/sessions?token=${token}`, headers: { authorization: 'Bearer wrong' } }), token)).toBe(401);
  });

  it('accepts WebSocket upgrades with the token from any peer', () => {
    expect(verdict(req({ url: `/ws?token=${token}`, remoteAddress: '192.168.1.20', headers: { host: 'cao.lan' } }), token, true)).toBe('ok');
  });

  it('still refuses cross-origin state changes with a valid token', () => {
    const authorization = `Bearer ${token}`;
    expect(verdict(req({ method: 'POST', headers: { authorization, origin: 'http://evil.com' } }), token)).toBe(403);
    expect(verdict(req({ method: 'POST', headers: { authorization, 'sec-fetch-site': 'cross-site' } }), token)).toBe(403);
  });
});
