/** A tiny stand-in for cao-server (node:http): routes are scripted per test, requests recorded. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** Settles when the client goes away or the answer was sent. */
  closed: Promise<void>;
}

export type Reply = { status: number; body?: unknown; raw?: string; delayMs?: number };
/** A reply that never comes: the request is held until the client gives up. */
export const holdUntilClosed = async (r: Recorded): Promise<Reply> => {
  await r.closed;
  return { status: 204 };
};
export type Route = (req: Recorded) => Reply | Promise<Reply>;

export interface FakeServer {
  port: number;
  url: string;
  requests: Recorded[];
  /** `'POST /handoffs'`, `'GET /handoffs/:id'` (`:x` matches one path segment). */
  route(pattern: string, fn: Route): void;
  close(): Promise<void>;
}

export async function startFakeServer(): Promise<FakeServer> {
  const routes: Array<{ method: string; re: RegExp; fn: Route }> = [];
  const requests: Recorded[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let text = '';
    for await (const chunk of req) text += chunk;
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    const rec: Recorded = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: text ? JSON.parse(text) : undefined, closed };
    requests.push(rec);
    const r = routes.find((x) => x.method === rec.method && x.re.test(rec.path));
    const reply: Reply = r ? await r.fn(rec) : { status: 404, body: { error: { code: 'not_found', message: `no route ${rec.method} ${rec.path}` } } };
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': reply.raw !== undefined ? 'text/plain' : 'application/json' });
    res.end(reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body)));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500).end(JSON.stringify({ error: { code: 'internal', message: String(e) } }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    route(pattern, fn) {
      const [method, path] = pattern.split(' ') as [string, string];
      const re = new RegExp(`^${path.replace(/:[a-z_]+/g, '[^/]+')}$`);
      routes.unshift({ method, re, fn });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The error a promise rejects with; fails the test if it resolves. */
export const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );

