/**
 * Parser for tmux control mode (`tmux -C`). Input is the client's stdout read as latin1, so every
 * byte maps to one char and UTF-8 split across chunks survives; reply lines are decoded to UTF-8.
 *
 * Reply blocks (`%begin T N F` … `%end T N F` / `%error T N F`) answer our commands in FIFO order;
 * a block ends only on an end line whose tag equals its begin line's tag, so a screen that shows
 * "%end 1 2 1" is returned as data. Everything outside a block is a notification.
 */
export interface ControlReply {
  ok: boolean;
  lines: string[];
}

export interface ControlHandlers {
  reply(r: ControlReply): void;
  /** `%output %N …` and `%extended-output %N …`: only the pane id; output is a dirty signal. */
  output(paneId: string): void;
  notification(line: string): void;
}

const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');

export class ControlParser {
  private rest = '';
  private block: { tag: string; lines: string[] } | null = null;

  constructor(private readonly h: ControlHandlers) {}

  feed(chunk: string): void {
    const text = this.rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl).replace(/\r$/, ''));
      start = nl + 1;
    }
    this.rest = text.slice(start);
  }

  private line(l: string): void {
    if (this.block) {
      const sp = l.indexOf(' ');
      const head = l.slice(0, sp);
      if ((head === '%end' || head === '%error') && l.slice(sp + 1) === this.block.tag) {
        const b = this.block;
        this.block = null;
        this.h.reply({ ok: head === '%end', lines: b.lines.map(utf8) });
      } else this.block.lines.push(l);
      return;
    }
    if (l.startsWith('%begin ')) {
      this.block = { tag: l.slice(7), lines: [] };
    } else if (l.startsWith('%output ')) {
      this.h.output(l.slice(8, l.indexOf(' ', 8)));
    } else if (l.startsWith('%extended-output ')) {
      this.h.output(l.slice(17, l.indexOf(' ', 17)));
    } else if (l.length > 0) {
      this.h.notification(utf8(l));
    }
  }
}

/**
 * Quote one argument for tmux's command parser. Safe words stay bare; anything else is written in
 * double quotes with `\\`, `"` and `$` escaped and control characters (line breaks included) and
 * `~` as octal escapes, so any text, even multi-line, fits on the one line a control-mode command is.
 * A NUL byte cannot be expressed and is refused.
 */
export function quoteArg(s: string): string {
  if (s.includes('\0')) throw new Error('tmux arguments cannot contain NUL bytes');
  if (/^[A-Za-z0-9_%@=:.,/+-]+$/.test(s)) return s;
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\' || ch === '"' || ch === '$') out += `\\${ch}`;
    // '~' too: tmux expands a leading one to $HOME even inside double quotes.
    else if (c < 0x20 || c === 0x7f || ch === '~') out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export const commandLine = (args: string[]) => args.map(quoteArg).join(' ');
