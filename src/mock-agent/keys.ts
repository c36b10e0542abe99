/**
 * Turns raw terminal input into key events, understanding bracketed paste
 * (ESC[200~ … ESC[201~), which arrives as one event however long or multi-line it is.
 */
export type Key =
  | { type: 'text'; text: string }
  | { type: 'paste'; text: string }
  | { type: 'enter' }
  | { type: 'backspace' }
  | { type: 'interrupt' } // Ctrl-C
  | { type: 'eof' } // Ctrl-D
  | { type: 'escape' };

const PASTE_START = '\u001b[200~';
const PASTE_END = '\u001b[201~';

export class KeyReader {
  private pending = '';
  private paste: string | null = null;

  get hasPending(): boolean {
    return this.pending !== '' && this.paste === null;
  }

  takePending(): string {
    const p = this.pending;
    this.pending = '';
    return p;
  }

  feed(chunk: string): Key[] {
    const keys: Key[] = [];
    let s = this.pending + chunk;
    this.pending = '';
    while (s.length > 0) {
      if (this.paste !== null) {
        const end = s.indexOf(PASTE_END);
        if (end === -1) {
          // Keep a possible partial end marker for the next chunk.
          const keep = partialSuffix(s, PASTE_END);
          this.paste += s.slice(0, s.length - keep);
          this.pending = s.slice(s.length - keep);
          return keys;
        }
        keys.push({ type: 'paste', text: (this.paste + s.slice(0, end)).replace(/\r\n?/g, '\n') });
        this.paste = null;
        s = s.slice(end + PASTE_END.length);
        continue;
      }
      if (s.startsWith(PASTE_START)) {
        this.paste = '';
        s = s.slice(PASTE_START.length);
        continue;
      }
      const c = s[0]!;
      if (c === '\u001b') {
        if (s.length < PASTE_START.length && PASTE_START.startsWith(s)) {
          this.pending = s; // maybe the start of a paste marker
          return keys;
        }
        const seq = /^\u001b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?/.exec(s)![0];
        if (seq === '\u001b') keys.push({ type: 'escape' });
        s = s.slice(seq.length);
        continue;
      }
      s = s.slice(1);
      if (c === '\r' || c === '\n') keys.push({ type: 'enter' });
      else if (c === '\u007f' || c === '\b') keys.push({ type: 'backspace' });
      else if (c === '\u0003') keys.push({ type: 'interrupt' });
      else if (c === '\u0004') keys.push({ type: 'eof' });
      else if (c >= ' ') {
        const last = keys[keys.length - 1];
        if (last?.type === 'text') last.text += c;
        else keys.push({ type: 'text', text: c });
      }
    }
    return keys;
  }
}

/** Input that may still be the start of an escape sequence; flushed as Escape after a pause. */
export function flushPending(r: KeyReader): Key[] {
  return r.takePending() === '\u001b' ? [{ type: 'escape' }] : [];
}

function partialSuffix(s: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, s.length); n > 0; n--) if (marker.startsWith(s.slice(-n))) return n;
  return 0;
}
