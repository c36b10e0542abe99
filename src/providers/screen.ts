/**
 * Shared screen normalisation. Providers get the raw capture and bring it to one canonical form
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
