/**
 * The demo's live view: one line per agent with its status, and the latest events below.
 * On a terminal it redraws in place; elsewhere it prints each event as a line.
 */
import type { Writable } from 'node:stream';
import type { TerminalStatus } from '../../providers/types.js';

const ICON: Record<TerminalStatus, string> = {
  starting: '…', idle: '○', processing: '◐', completed: '●', waiting_user_answer: '?', error: '✗', exited: '■',
};
const COLOR: Partial<Record<TerminalStatus, number>> = { processing: 36, completed: 32, waiting_user_answer: 33, error: 31, exited: 90 };

interface Row {
  label: string;
  profile: string;
  status: TerminalStatus;
  turn: number;
  note: string;
}

export class Board {
  private readonly rows = new Map<string, Row>();
  private readonly log: string[] = [];
  private drawn = 0;
  private readonly started = Date.now();
  private readonly live: boolean;

  constructor(
    private readonly out: Writable & { isTTY?: boolean; columns?: number },
    private readonly title: string,
    plain: boolean,
  ) {
    this.live = !plain && !!out.isTTY;
  }

  addAgent(id: string, label: string, profile: string): void {
    if (this.rows.has(id)) return;
    this.rows.set(id, { label, profile, status: 'starting', turn: 0, note: '' });
    this.draw();
  }

  status(id: string, status: TerminalStatus, turn: number): void {
    const row = this.rows.get(id);
    if (!row || row.status === status) return;
    this.event(`${row.label}: ${row.status} → ${status}${turn ? ` (turn ${turn})` : ''}`);
    row.status = status;
    row.turn = turn;
    this.draw();
  }

  note(id: string, note: string): void {
    const row = this.rows.get(id);
    if (row) row.note = note.replace(/\s+/g, ' ').trim();
    this.draw();
  }

  event(text: string): void {
    const line = `${((Date.now() - this.started) / 1000).toFixed(1).padStart(5)}s  ${text}`;
    this.log.push(line);
    if (this.log.length > 10) this.log.shift();
    if (!this.live) this.out.write(`${line}\n`);
    else this.draw();
  }

  private draw(): void {
    if (!this.live) return;
    const width = Math.max(60, (this.out.columns ?? 100) - 1);
    const cut = (s: string) => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
    const lines = [
      `\u001b[1m${this.title}\u001b[22m`,
      '',
      ...[...this.rows.values()].map((r) => {
        const status = `\u001b[${COLOR[r.status] ?? 0}m${ICON[r.status]} ${r.status.padEnd(19)}\u001b[0m`;
        return `  ${r.label.padEnd(11)} ${status} ${cut(r.note).slice(0, Math.max(0, width - 36))}`;
      }),
      '',
      ...this.log.map((l) => `\u001b[2m${cut(l)}\u001b[22m`),
    ];
    this.out.write(`${this.drawn ? `\u001b[${this.drawn}A` : ''}\u001b[J${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
