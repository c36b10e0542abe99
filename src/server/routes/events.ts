/**
 * The live event stream as Server-Sent Events: a `snapshot` of every terminal first, then each
 * change as it happens (`terminal.status`, `terminal.created`, …). Filters: terminal_id, session_name.
 */
import Router from '@koa/router';
import { PassThrough } from 'node:stream';
import type { StampedEvent } from '../../actors/events.js';
import type { CaoApi } from '../api.js';
import { input } from '../input.js';
import { EventsQuery } from '../schemas.js';

const HEARTBEAT_MS = 15_000;

export function eventFilter(q: { terminal_id?: string; session_name?: string }) {
  return (e: { terminal_id?: string; session_name?: string }) =>
    (!q.terminal_id || e.terminal_id === q.terminal_id) && (!q.session_name || e.session_name === q.session_name);
}

export const eventRoutes = (api: CaoApi) =>
  new Router().get('/events', async (ctx) => {
    const q = await input(ctx, EventsQuery);
    const keep = eventFilter(q);
    const stream = new PassThrough();
    const send = (type: string, data: unknown, id?: number) =>
      stream.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    ctx.status = 200;
    ctx.body = stream;
    stream.write('retry: 1000\n\n');
    send('snapshot', { type: 'snapshot', terminals: api.allTerminals().filter((t) => keep({ terminal_id: t.id, session_name: t.session_name })) });
    const unsubscribe = api.events.subscribe((e: StampedEvent) => {
      if (keep(e as { terminal_id?: string; session_name?: string })) send(e.type, e, e.seq);
    });
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
      stream.end();
    };
    ctx.req.on('close', close);
    stream.on('error', close);
  });
