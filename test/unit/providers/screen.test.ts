import { describe, expect, it } from 'vitest';
import { bottomLines, normalizeScreen, stripAnsi } from '../../../src/providers/screen.js';

const ESC = '\u001b';
const BEL = '\u0007';

describe('stripAnsi', () => {
  it('removes SGR colour and style sequences', () => {
    expect(stripAnsi(`${ESC}[1m❯${ESC}[22m ${ESC}[32m●${ESC}[39m Done ${ESC}[38;5;208morange${ESC}[0m ${ESC}[38;2;1;2;3mrgb${ESC}[m`)).toBe(
      '❯ ● Done orange rgb',
    );
  });

  it('removes cursor and erase sequences', () => {
    expect(stripAnsi(`\r${ESC}[2K${ESC}[1A${ESC}[10;20Hx${ESC}[J`)).toBe('\rx');
  });

  it('removes CSI private modes such as bracketed paste and cursor visibility', () => {
    expect(stripAnsi(`${ESC}[?2004hready${ESC}[?25l${ESC}[?1049h${ESC}[?2004l`)).toBe('ready');
  });

  it('removes OSC sequences ended by BEL', () => {
    expect(stripAnsi(`${ESC}]0;my title${BEL}text`)).toBe('text');
  });

  it('removes OSC sequences ended by ST (ESC \\)', () => {
    expect(stripAnsi(`${ESC}]2;title${ESC}\\text`)).toBe('text');
    expect(stripAnsi(`${ESC}]8;;https://example.com${ESC}\\link${ESC}]8;;${ESC}\\ after`)).toBe('link after');
  });

  it('removes two-byte escapes', () => {
    expect(stripAnsi(`a${ESC}Mb${ESC}Dc${ESC}Ed`)).toBe('abcd');
  });

  it('leaves plain text, including brackets and unicode, alone', () => {
    const s = '[y/n] ❯ ● ✗ ⠋ Working… (1s · esc to interrupt) ~/x [::1]:9889';
    expect(stripAnsi(s)).toBe(s);
  });
});

describe('normalizeScreen', () => {
  it('strips escapes, trailing spaces and trailing blank lines', () => {
    const raw = `${ESC}]0;agent${BEL}${ESC}[?2004h${ESC}[36m╭──╮${ESC}[39m   \n${ESC}[1m❯${ESC}[22m hello  \n● Done.\t\n\n   \n\n`;
    expect(normalizeScreen(raw)).toBe('╭──╮\n❯ hello\n● Done.');
  });

  it('trims trailing non-breaking spaces', () => {
    expect(normalizeScreen('❯\u00a0\nabc \u00a0 \u00a0')).toBe('❯\nabc');
  });

  it('keeps leading indentation and blank lines between text', () => {
    expect(normalizeScreen('● first\n  \n  second\n\n\nthird')).toBe('● first\n\n  second\n\n\nthird');
  });

  it('turns CRLF and lone CR into LF', () => {
    expect(normalizeScreen('a\r\nb\rc\n')).toBe('a\nb\nc');
  });

  it('gives the empty string for a blank screen', () => {
    expect(normalizeScreen('')).toBe('');
    expect(normalizeScreen('\n\n   \n\u00a0\n')).toBe('');
    expect(normalizeScreen(`${ESC}[2J${ESC}[H\n`)).toBe('');
  });

  it('is idempotent', () => {
    const once = normalizeScreen(`${ESC}[1mx${ESC}[0m  \r\n  y\u00a0\n\n`);
    expect(normalizeScreen(once)).toBe(once);
  });
});

describe('bottomLines', () => {
  it('returns the last n non-empty lines', () => {
    expect(bottomLines('a\n\nb\n   \nc\nd', 3)).toEqual(['b', 'c', 'd']);
  });

  it('returns every non-empty line when there are fewer than n', () => {
    expect(bottomLines('a\n\nb', 10)).toEqual(['a', 'b']);
    expect(bottomLines('', 5)).toEqual([]);
  });

  it('keeps the lines as they are (indentation included)', () => {
    expect(bottomLines('● answer\n  more\n❯', 2)).toEqual(['  more', '❯']);
  });
});
