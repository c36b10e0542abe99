import { describe, expect, it } from 'vitest';
import { ControlParser, commandLine, quoteArg, type ControlReply } from '../../../src/tmux/control-protocol.js';

/** The parser with every callback recorded in arrival order. */
function parser() {
  const events: ({ kind: 'reply'; reply: ControlReply } | { kind: 'output'; pane: string } | { kind: 'notification'; line: string })[] = [];
  const p = new ControlParser({
    reply: (reply) => events.push({ kind: 'reply', reply }),
    output: (pane) => events.push({ kind: 'output', pane }),
    notification: (line) => events.push({ kind: 'notification', line }),
  });
  const replies = () => events.flatMap((e) => (e.kind === 'reply' ? [e.reply] : []));
  const outputs = () => events.flatMap((e) => (e.kind === 'output' ? [e.pane] : []));
  const notifications = () => events.flatMap((e) => (e.kind === 'notification' ? [e.line] : []));
  return { p, events, replies, outputs, notifications };
}

/** What tmux writes for text: UTF-8 bytes, which cao reads as latin1. */
const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

describe('ControlParser reply blocks', () => {
  it('returns the lines between %begin and the %end with the same tag', () => {
    const { p, replies } = parser();
    p.feed('%begin 1700000000 12 1\nfirst line\nsecond line\n%end 1700000000 12 1\n');
    expect(replies()).toEqual([{ ok: true, lines: ['first line', 'second line'] }]);
  });

  it('returns an empty reply for a command without output', () => {
    const { p, replies } = parser();
    p.feed('%begin 1 5 1\n%end 1 5 1\n');
    expect(replies()).toEqual([{ ok: true, lines: [] }]);
  });

  it('keeps a content line that looks like an end line with another tag as data', () => {
    const { p, replies } = parser();
    // A pane whose screen shows "%end 1 2 1" (e.g. someone cat-ing a control-mode log).
    p.feed('%begin 1700000000 7 1\n%end 1 2 1\n%error 1 2 1\n%begin 1 2 1\nlast\n%end 1700000000 7 1\n');
    expect(replies()).toEqual([{ ok: true, lines: ['%end 1 2 1', '%error 1 2 1', '%begin 1 2 1', 'last'] }]);
  });

  it('does not end a block on an end line whose tag only starts like the begin tag', () => {
    const { p, replies } = parser();
    p.feed('%begin 1 2 1\n%end 1 2 10\n%end 1 2\n%end 1 2 1 \n%end 1 2 1\n');
    expect(replies()).toEqual([{ ok: true, lines: ['%end 1 2 10', '%end 1 2', '%end 1 2 1 '] }]);
  });

  it('reports an %error block as ok: false with its message lines', () => {
    const { p, replies } = parser();
    p.feed("%begin 1 3 1\ncan't find pane: %99\n%end 1 3 0\n%error 1 3 1\n");
    expect(replies()).toEqual([{ ok: false, lines: ["can't find pane: %99", '%end 1 3 0'] }]);
  });

  it('returns replies in the order tmux sends them', () => {
    const { p, replies } = parser();
    p.feed('%begin 1 1 1\none\n%end 1 1 1\n%begin 1 2 1\nbad\n%error 1 2 1\n%begin 1 3 1\nthree\n%end 1 3 1\n');
    expect(replies()).toEqual([
      { ok: true, lines: ['one'] },
      { ok: false, lines: ['bad'] },
      { ok: true, lines: ['three'] },
    ]);
  });

  it('treats notification-like lines inside a block as data, not as notifications or output', () => {
    const { p, replies, outputs, notifications } = parser();
    p.feed('%begin 1 4 1\n%output %1 hello\n%window-add @3\n%end 1 4 1\n');
    expect(replies()).toEqual([{ ok: true, lines: ['%output %1 hello', '%window-add @3'] }]);
    expect(outputs()).toEqual([]);
    expect(notifications()).toEqual([]);
  });

  it('keeps empty lines inside a block', () => {
    const { p, replies } = parser();
    p.feed('%begin 1 6 1\nabove\n\n\nbelow\n%end 1 6 1\n');
    expect(replies()).toEqual([{ ok: true, lines: ['above', '', '', 'below'] }]);
  });

  it('decodes UTF-8 in reply lines', () => {
    const { p, replies } = parser();
    p.feed(latin1('%begin 1 8 1\n❯ café 日本\n%end 1 8 1\n'));
    expect(replies()).toEqual([{ ok: true, lines: ['❯ café 日本'] }]);
  });
});

describe('ControlParser output and notifications', () => {
  it('reports %output with its pane id only', () => {
    const { p, outputs, notifications } = parser();
    p.feed('%output %12 some \\033[1mbytes\\033[0m\n');
    expect(outputs()).toEqual(['%12']);
    expect(notifications()).toEqual([]);
  });

  it('reports %extended-output with its pane id only', () => {
    const { p, outputs, notifications } = parser();
    p.feed('%extended-output %3 0 : data here\n');
    expect(outputs()).toEqual(['%3']);
    expect(notifications()).toEqual([]);
  });

  it('reports other lines outside blocks as notifications, decoded as UTF-8', () => {
    const { p, events } = parser();
    p.feed(latin1('%session-changed $1 cao-é\n%window-add @4\n%exit\n'));
    expect(events).toEqual([
      { kind: 'notification', line: '%session-changed $1 cao-é' },
      { kind: 'notification', line: '%window-add @4' },
      { kind: 'notification', line: '%exit' },
    ]);
  });

  it('ignores empty lines outside blocks', () => {
    const { p, events } = parser();
    p.feed('\n\r\n\n');
    expect(events).toEqual([]);
  });

  it('interleaves notifications, output and replies in arrival order', () => {
    const { p, events } = parser();
    p.feed('%output %1 x\n%begin 1 1 1\nreply\n%end 1 1 1\n%window-close @2\n%output %2 y\n');
    expect(events).toEqual([
      { kind: 'output', pane: '%1' },
      { kind: 'reply', reply: { ok: true, lines: ['reply'] } },
      { kind: 'notification', line: '%window-close @2' },
      { kind: 'output', pane: '%2' },
    ]);
  });
});

describe('ControlParser chunking', () => {
  it('waits for the end of a line split across chunks', () => {
    const { p, replies, outputs } = parser();
    p.feed('%begin 1 2');
    p.feed(' 1\nhel');
    expect(replies()).toEqual([]);
    p.feed('lo\n%en');
    p.feed('d 1 2 1');
    expect(replies()).toEqual([]);
    p.feed('\n%outp');
    p.feed('ut %7 z\n');
    expect(replies()).toEqual([{ ok: true, lines: ['hello'] }]);
    expect(outputs()).toEqual(['%7']);
  });

  it('reassembles UTF-8 characters split between chunks', () => {
    const { p, replies, notifications } = parser();
    const bytes = latin1('%begin 1 1 1\nsaid é日本 ok\n%end 1 1 1\n%unknown ✗ é\n');
    // Every split point, including ones inside the multi-byte characters.
    for (let i = 1; i < bytes.length; i++) {
      const { p: q, replies: r, notifications: n } = parser();
      q.feed(bytes.slice(0, i));
      q.feed(bytes.slice(i));
      expect(r()).toEqual([{ ok: true, lines: ['said é日本 ok'] }]);
      expect(n()).toEqual(['%unknown ✗ é']);
    }
    // And one byte at a time.
    for (const ch of bytes) p.feed(ch);
    expect(replies()).toEqual([{ ok: true, lines: ['said é日本 ok'] }]);
    expect(notifications()).toEqual(['%unknown ✗ é']);
  });

  it('accepts CRLF line endings, also when CR and LF arrive in different chunks', () => {
    const { p, replies, outputs } = parser();
    p.feed('%begin 1 9 1\r\nline\r');
    p.feed('\n%end 1 9 1\r');
    p.feed('\n%output %4 a\r\n');
    expect(replies()).toEqual([{ ok: true, lines: ['line'] }]);
    expect(outputs()).toEqual(['%4']);
  });

  it('keeps a CR that is not at the end of a line', () => {
    const { p, replies } = parser();
    p.feed('%begin 1 9 1\nbefore\rafter\n%end 1 9 1\n');
    expect(replies()).toEqual([{ ok: true, lines: ['before\rafter'] }]);
  });
});

describe('quoteArg / commandLine', () => {
  it('leaves safe words unquoted', () => {
    for (const w of ['send-keys', '-t', '%12', '@3', 'cao-abc_1', 'key=value', 'a:b.c,d/e+f', '-S', '-']) {
      expect(quoteArg(w)).toBe(w);
    }
  });

  it('double-quotes anything else, escaping what tmux would interpret', () => {
    expect(quoteArg('hello world')).toBe('"hello world"');
    expect(quoteArg(';')).toBe('";"');
    expect(quoteArg('$HOME')).toBe('"\\$HOME"');
    expect(quoteArg('#{pane_id}')).toBe('"#{pane_id}"');
    expect(quoteArg('a"b')).toBe('"a\\"b"');
    expect(quoteArg('back\\slash')).toBe('"back\\\\slash"');
    expect(quoteArg("it's")).toBe('"it\'s"');
    expect(quoteArg('~/x')).toBe('"\\176/x"');
    expect(quoteArg('❯ é')).toBe('"❯ é"');
  });

  it('writes control characters, line breaks included, as octal escapes so a command stays one line', () => {
    expect(quoteArg('two\nlines')).toBe('"two\\012lines"');
    expect(quoteArg('cr\r\ttab\u001b[1m\u007f')).toBe('"cr\\015\\011tab\\033[1m\\177"');
    expect(commandLine(['set-buffer', '--', 'a\nb'])).not.toMatch(/\n/);
  });

  it('quotes the empty string so it stays an argument, and refuses NUL', () => {
    expect(quoteArg('')).toBe('""');
    expect(() => quoteArg('a\u0000b')).toThrow(/NUL/);
  });

  it('joins quoted arguments with spaces', () => {
    expect(commandLine(['capture-pane', '-p', '-J', '-t', '%3'])).toBe('capture-pane -p -J -t %3');
    expect(commandLine(['display-message', '-p', '#{session_name} x'])).toBe('display-message -p "#{session_name} x"');
  });
});
