/**
 * WebSocket upgrades on the same http.Server. Koa middleware never sees upgrades, so the security
 * check runs here too. `/ws/events` carries the same events as GET /events, one JSON per message.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { CaoApi } from './api.js';
import { eventFilter } from './routes/events.js';
import { EventsQuery } from './schemas.js';
import { refusal } from './security.js';

function reject(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: { message }, detail: message });
  socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 401 ? 'Unauthorized' : status === 400 ? 'Bad Request' : 'Forbidden'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export function attachWebSockets(server: Server, api: CaoApi, token?: string): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refused = refusal(req, { token }, true);
    if (refused) return reject(socket, refused.status, refused.message);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return reject(socket, 400, 'malformed request target');
    }
    if (url.pathname !== '/ws/events') return reject(socket, 404, `no WebSocket endpoint at ${url.pathname}`);
    const q = EventsQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!q.success) return reject(socket, 400, 'invalid filter');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const keep = eventFilter(q.data);
      ws.send(JSON.stringify({ type: 'snapshot', terminals: api.allTerminals().filter((t) => keep({ terminal_id: t.id, session_name: t.session_name })) }));
      const unsubscribe = api.events.subscribe((e) => {
        if (keep(e as { terminal_id?: string; session_name?: string })) ws.send(JSON.stringify(e));
      });
      ws.on('close', unsubscribe);
      ws.on('error', unsubscribe);
    });
  });
  return wss;
}
