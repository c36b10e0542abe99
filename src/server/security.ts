/**
 * Security baseline: loopback Host headers only (DNS rebinding), no cross-origin state changes
 * (CSRF), loopback peers for WebSocket upgrades, and an optional bearer token that becomes
 * mandatory when the server binds anything but loopback.
 */
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { CaoError } from '../errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const LOOPBACK_PEERS = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const isLoopbackBind = (host: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);

/** `localhost:9889` → true; `evil.example`, `localhost.evil.com`, `127.0.0.2` → false. */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d{1,5})?$/.exec(hostHeader.trim().toLowerCase());
  return !!m && LOOPBACK_HOSTS.has(m[1]!);
}

/** An Origin header names a loopback page (or is absent, as from curl and the CLI). */
export function isLoopbackOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && isLoopbackHost(u.host);
  } catch {
    return false;
  }
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `?token=` of a request target; null when absent or when the target does not parse (never throws). */
function queryToken(target: string | undefined): string | null {
  try {
    return new URL(target ?? '/', 'http://localhost').searchParams.get('token');
  } catch {
    return null;
  }
}

export interface SecurityOptions {
  token?: string;
}

/** Why a request must be refused, or undefined. Shared by HTTP middleware and WebSocket upgrades. */
export function refusal(req: IncomingMessage, o: SecurityOptions, upgrade = false): CaoError | undefined {
  if (o.token) {
    const query = queryToken(req.url);
    const header = req.headers.authorization ?? (query !== null ? `Bearer ${query}` : undefined);
    if (!tokenMatches(header, o.token)) return new CaoError(401, 'unauthorized', 'missing or wrong API token (send Authorization: Bearer <token>)');
  } else if (!isLoopbackHost(req.headers.host)) {
    return new CaoError(400, 'invalid', 'Invalid host header: cao only answers requests addressed to localhost');
  }
  const origin = req.headers.origin;
  const stateChanging = upgrade || !SAFE_METHODS.has(req.method ?? 'GET');
  if (stateChanging && (!isLoopbackOrigin(origin) || req.headers['sec-fetch-site'] === 'cross-site')) {
    return new CaoError(403, 'forbidden', 'cross-origin requests may not change anything');
  }
  if (upgrade && !o.token && !LOOPBACK_PEERS.has(req.socket.remoteAddress ?? '')) {
    return new CaoError(403, 'forbidden', 'WebSocket connections are only accepted from this machine');
  }
  return undefined;
}

export const security = (o: SecurityOptions): Middleware => async (ctx, next) => {
  const refused = refusal(ctx.req, o);
  if (refused) throw refused;
  await next();
};
