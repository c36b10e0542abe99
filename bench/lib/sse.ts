/**
 * A minimal client for cao's `GET /events` Server-Sent Events stream. Every event is stamped with
 * the wall-clock time (performance.timeOrigin + performance.now()) its bytes reached this process.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseEvent {
  type: string;
  data: Record<string, unknown>;
  /** Epoch ms (with fractions) when the chunk holding this event arrived. */
  receivedAt: number;
}

type Listener = (e: SseEvent) => void;

export const now = () => performance.timeOrigin + performance.now();

export class SseClient {
  private readonly listeners = new Set<Listener>();
  private buffer = '';
  private req!: ClientRequest;
  /** Set when the stream ended or failed; waiters reject with it. */
  broken: Error | null = null;

  /** Connects and resolves once the first `snapshot` event arrived. */
  static async connect(url: string, timeoutMs = 5000): Promise<{ client: SseClient; snapshot: SseEvent }> {
    const client = new SseClient();
    const snapshot = client.waitFor((e) => e.type === 'snapshot', timeoutMs);
    client.req = request(`${url}/events`, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => client.attach(res));
    client.req.on('error', (e) => client.fail(e));
    client.req.end();
    return { client, snapshot: await snapshot };
  }

  on(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The first event from now on that satisfies `pred`; rejects after `timeoutMs` or if the stream breaks. */
  waitFor(pred: (e: SseEvent) => boolean, timeoutMs: number): Promise<SseEvent> {
    return new Promise((resolve, reject) => {
      if (this.broken) return reject(this.broken);
      const timer = setTimeout(() => done(new Error(`no matching event within ${timeoutMs} ms`)), timeoutMs);
      const off = this.on((e) => {
        if (e.type === 'error') done(this.broken ?? new Error('event stream failed'));
        else if (pred(e)) done(undefined, e);
      });
      const done = (err?: Error, e?: SseEvent) => {
        clearTimeout(timer);
        off();
        if (err) reject(err);
        else resolve(e!);
      };
    });
  }

  close(): void {
    this.broken ??= new Error('closed');
    this.req?.destroy();
  }

  private attach(res: IncomingMessage): void {
    if (res.statusCode !== 200) return this.fail(new Error(`GET /events → ${res.statusCode}`));
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk, now()));
    res.on('end', () => this.fail(new Error('event stream ended')));
    res.on('error', (e) => this.fail(e));
  }

  private feed(chunk: string, receivedAt: number): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event = parseBlock(block, receivedAt);
      if (event) this.listeners.forEach((l) => l(event));
    }
  }

  private fail(e: Error): void {
    if (this.broken) return;
    this.broken = e;
    this.listeners.forEach((l) => l({ type: 'error', data: { message: e.message }, receivedAt: now() }));
  }
}

/** One SSE block: `event:` and `data:` lines; comments (`: keep-alive`) and `retry:` are ignored. */
function parseBlock(block: string, receivedAt: number): SseEvent | undefined {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (data.length === 0) return undefined;
  return { type, data: JSON.parse(data.join('\n')) as Record<string, unknown>, receivedAt };
}
