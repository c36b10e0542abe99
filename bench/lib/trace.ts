/** Reads the mock agents' CAO_MOCK_TRACE file incrementally (only the bytes appended since last time). */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { sleep } from './server.js';

interface TurnDone {
  event: string;
  terminal_id: string | null;
  turn: number;
  t: number;
}

export class TraceReader {
  private offset = 0;
  private partial = '';
  private readonly done = new Map<string, number>();

  constructor(private readonly file: string) {}

  /** The agent's own clock time when it finished `turn`; waits up to `timeoutMs` for the line. */
  async turnDone(terminalId: string, turn: number, timeoutMs = 2000): Promise<number | undefined> {
    const key = `${terminalId}:${turn}`;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.readNew();
      const t = this.done.get(key);
      if (t !== undefined || performance.now() > deadline) return t;
      await sleep(5);
    }
  }

  private readNew(): void {
    if (!existsSync(this.file)) return;
    const fd = openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      let n: number;
      while ((n = readSync(fd, buf, 0, buf.length, this.offset)) > 0) {
        this.offset += n;
        this.partial += buf.toString('utf8', 0, n);
      }
    } finally {
      closeSync(fd);
    }
    const lines = this.partial.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as TurnDone;
      if (e.event === 'turn-done' && e.terminal_id) this.done.set(`${e.terminal_id}:${e.turn}`, e.t);
    }
  }
}
