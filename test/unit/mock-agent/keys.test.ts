import { describe, expect, it } from 'vitest';
import { KeyReader, flushPending, type Key } from '../../../src/mock-agent/keys.js';

const ESC = '\u001b';
const PASTE_START = `${ESC}[200~`;
const PASTE_END = `${ESC}[201~`;

/** Feed chunks one by one and collect every key. */
function feedAll(r: KeyReader, chunks: string[]): Key[] {
  return chunks.flatMap((c) => r.feed(c));
}

describe('KeyReader', () => {
  it('turns printable input into one text key', () => {
    expect(new KeyReader().feed('hello world')).toEqual([{ type: 'text', text: 'hello world' }]);
  });

  it('keeps non-ASCII text', () => {
    expect(new KeyReader().feed('café ❯ 日本')).toEqual([{ type: 'text', text: 'café ❯ 日本' }]);
  });

  it('reads Enter (CR, and LF too)', () => {
    expect(new KeyReader().feed('hi\r')).toEqual([{ type: 'text', text: 'hi' }, { type: 'enter' }]);
    expect(new KeyReader().feed('\n')).toEqual([{ type: 'enter' }]);
  });

  it('reads backspace as DEL and as BS', () => {
    expect(new KeyReader().feed('ab\u007f')).toEqual([{ type: 'text', text: 'ab' }, { type: 'backspace' }]);
    expect(new KeyReader().feed('\b')).toEqual([{ type: 'backspace' }]);
  });

  it('reads Ctrl-C as interrupt and Ctrl-D as eof', () => {
    expect(new KeyReader().feed('\u0003\u0004')).toEqual([{ type: 'interrupt' }, { type: 'eof' }]);
  });

  it('splits text around control keys, in order', () => {
    expect(new KeyReader().feed('ab\u007fc\rnext\u0003')).toEqual([
      { type: 'text', text: 'ab' },
      { type: 'backspace' },
      { type: 'text', text: 'c' },
      { type: 'enter' },
      { type: 'text', text: 'next' },
      { type: 'interrupt' },
    ]);
  });

  it('drops other control characters', () => {
    expect(new KeyReader().feed('a\tb\u0001c')).toEqual([{ type: 'text', text: 'abc' }]);
  });

  it('ignores arrow keys and other escape sequences', () => {
    const r = new KeyReader();
    expect(r.feed(`a${ESC}[A${ESC}[B${ESC}[C${ESC}[Db`)).toEqual([{ type: 'text', text: 'ab' }]);
    expect(r.feed(`${ESC}OA${ESC}[1;5C${ESC}[3~`)).toEqual([]);
    expect(r.hasPending).toBe(false);
  });

  it('ignores an arrow key split across chunks', () => {
    const r = new KeyReader();
    expect(feedAll(r, [ESC, '[', 'A', 'x'])).toEqual([{ type: 'text', text: 'x' }]);
  });

  describe('bracketed paste', () => {
    it('delivers a paste as one key, newlines kept and CR turned into LF', () => {
      const r = new KeyReader();
      expect(r.feed(`${PASTE_START}line one\rline two\r\n\rline four${PASTE_END}`)).toEqual([
        { type: 'paste', text: 'line one\nline two\n\nline four' },
      ]);
    });

    it('does not treat Enter, Ctrl-C or escapes inside a paste as keys', () => {
      const r = new KeyReader();
      expect(r.feed(`${PASTE_START}a\u0003b${ESC}[Ac\n${PASTE_END}`)).toEqual([{ type: 'paste', text: `a\u0003b${ESC}[Ac\n` }]);
    });

    it('keeps the keys before and after a paste in order', () => {
      const r = new KeyReader();
      expect(r.feed(`x${PASTE_START}pasted${PASTE_END}y\r`)).toEqual([
        { type: 'text', text: 'x' },
        { type: 'paste', text: 'pasted' },
        { type: 'text', text: 'y' },
        { type: 'enter' },
      ]);
    });

    it('reassembles a paste split across many chunks, markers split too', () => {
      const text = 'first line\rsecond line\r\rthird: ❯ é 日本';
      const whole = `${PASTE_START}${text}${PASTE_END}\r`;
      for (const size of [1, 2, 3, 5, 7]) {
        const r = new KeyReader();
        const chunks: string[] = [];
        for (let i = 0; i < whole.length; i += size) chunks.push(whole.slice(i, i + size));
        expect(feedAll(r, chunks), `chunk size ${size}`).toEqual([
          { type: 'paste', text: 'first line\nsecond line\n\nthird: ❯ é 日本' },
          { type: 'enter' },
        ]);
      }
    });

    it('handles an end marker split at every position', () => {
      for (let i = 1; i < PASTE_END.length; i++) {
        const r = new KeyReader();
        const keys = feedAll(r, [`${PASTE_START}abc${PASTE_END.slice(0, i)}`, `${PASTE_END.slice(i)}z`]);
        expect(keys, `split after ${i} chars`).toEqual([{ type: 'paste', text: 'abc' }, { type: 'text', text: 'z' }]);
      }
    });

    it('keeps text that only looks like the start of an end marker', () => {
      const r = new KeyReader();
      const keys = feedAll(r, [`${PASTE_START}a${ESC}[20`, `0 b${PASTE_END}`]);
      expect(keys).toEqual([{ type: 'paste', text: `a${ESC}[200 b` }]);
    });

    it('delivers an empty paste', () => {
      expect(new KeyReader().feed(`${PASTE_START}${PASTE_END}`)).toEqual([{ type: 'paste', text: '' }]);
    });

    it('has nothing to flush while a paste is open', () => {
      const r = new KeyReader();
      expect(r.feed(`${PASTE_START}part${ESC}`)).toEqual([]);
      expect(r.hasPending).toBe(false);
      expect(r.feed(`[201~`)).toEqual([{ type: 'paste', text: 'part' }]);
    });
  });

  describe('Escape', () => {
    it('keeps a lone ESC pending: it may be the start of a paste or an arrow key', () => {
      const r = new KeyReader();
      expect(r.feed(ESC)).toEqual([]);
      expect(r.hasPending).toBe(true);
    });

    it('flushPending turns a pending lone ESC into one escape key', () => {
      const r = new KeyReader();
      r.feed(ESC);
      expect(flushPending(r)).toEqual([{ type: 'escape' }]);
      expect(r.hasPending).toBe(false);
      expect(flushPending(r)).toEqual([]);
      // Later input is read normally.
      expect(r.feed('a')).toEqual([{ type: 'text', text: 'a' }]);
    });

    it('flushPending has nothing to give without pending input', () => {
      expect(flushPending(new KeyReader())).toEqual([]);
    });

    it('a pending ESC that turns out to start a paste becomes part of it', () => {
      const r = new KeyReader();
      expect(r.feed(ESC)).toEqual([]);
      expect(r.feed('[200~hi')).toEqual([]);
      expect(r.feed(`${PASTE_END}`)).toEqual([{ type: 'paste', text: 'hi' }]);
    });

    it('reads ESC plus a character in one chunk as an Alt-key, not as Escape', () => {
      const r = new KeyReader();
      expect(r.feed(`${ESC}x`)).toEqual([]);
      expect(r.hasPending).toBe(false);
      expect(r.feed('y')).toEqual([{ type: 'text', text: 'y' }]);
    });
  });
});
