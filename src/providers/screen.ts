/**
 * Shared screen normalisation and line helpers. Providers get the raw capture and bring it to one canonical form
 * with normalizeScreen (no escapes, no trailing spaces, no trailing blank lines), never their own way.
 */
// CSI (incl. private modes), OSC (BEL or ST terminated), and two-byte escapes.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export const stripAnsi = (s: string) => s.replace(ANSI, '');

export function normalizeScreen(raw: string): string {
  // trimEnd, not /\s+$/: that regex is quadratic on a line of padding followed by a character.
  const lines = stripAnsi(raw).replace(/\r\n?/g, '\n').split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

/** The last `n` non-empty lines of a normalised screen: the part that decides a status. */
export function bottomLines(screen: string, n: number): string[] {
  return screen.split('\n').filter((l) => l.trim() !== '').slice(-n);
}

/** The index of the last line (searching from `from` down to `to`) that passes `test`, or -1. */
export function lastIndex(lines: string[], test: (l: string, i: number) => boolean, from = lines.length - 1, to = 0): number {
  for (let i = from; i >= to; i--) if (test(lines[i]!, i)) return i;
  return -1;
}

/** The lines without the blank lines at either end. */
export function trimBlankEdges(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a]!.trim() === '') a++;
  while (b > a && lines[b - 1]!.trim() === '') b--;
  return lines.slice(a, b);
}

