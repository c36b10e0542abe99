/** Real screens of a provider (test/fixtures/screens/<provider>/<status>.<n>[.<origin>].txt) for its tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { STATUSES, type ScreenStatus } from '../../src/providers/types.js';

/** The screens of one provider: the folder, its `.txt` and `.ansi` files (sorted), and ways to read and judge them. */
export interface ScreenFixtures {
  /** The provider's name, as in the folder's name, e.g. `claude_code`. */
  provider: string;
  /** The folder, ending in `/`. */
  dir: string;
  /** The plain screens, e.g. `idle.1.txt`. */
  files: string[];
  /** The screens captured with colours (`capture-pane -e`), e.g. `completed.2.ansi`; most providers have none. */
  ansiFiles: string[];
  /** The text of a plain screen by its name without `.txt`, e.g. `screen('idle.1')`. */
  screen(name: string): string;
  /** The status a file's name says it shows: the part before the first dot. */
  statusOf(file: string): ScreenStatus;
}

export function screenFixtures(provider: string): ScreenFixtures {
  const dir = fileURLToPath(new URL(`../fixtures/screens/${provider}/`, import.meta.url));
  const names = readdirSync(dir);
  return {
    provider,
    dir,
    files: names.filter((f) => f.endsWith('.txt')).sort(),
    ansiFiles: names.filter((f) => f.endsWith('.ansi')).sort(),
    screen: (name) => readFileSync(`${dir}${name}.txt`, 'utf8'),
    statusOf: (f) => f.slice(0, f.indexOf('.')) as ScreenStatus,
  };
}

/**
 * Registers `<provider> screen fixtures` (every status has a screen, every file names a known status)
 * and then describeClassifyOnScreens.
 */
export function describeScreenFixtures(fx: ScreenFixtures, title: string, classify: (screen: string) => ScreenStatus, more?: () => void): void {
  const { provider, files, ansiFiles, statusOf } = fx;
  describe(`${provider} screen fixtures`, () => {
    it('exist for every status', () => {
      expect([...new Set(files.map(statusOf))].sort()).toEqual([...STATUSES].sort());
    });

    it(`are all named <status>.<n>.txt${ansiFiles.length ? ' (or .ansi)' : ''} with a known status`, () => {
      for (const f of [...files, ...ansiFiles]) expect(STATUSES as readonly string[], f).toContain(statusOf(f));
    });
  });
  describeClassifyOnScreens(fx, title, classify, more);
}

/**
 * Registers `title` with one test per screen (`<file> is <status>`): classify gives the status the
 * file's name says, for the `.txt` screens also with CRLF line ends and without the blank rows at
 * the bottom, then for the `.ansi` screens; `more` adds tests to the same block.
 */
export function describeClassifyOnScreens(fx: ScreenFixtures, title: string, classify: (screen: string) => ScreenStatus, more?: () => void): void {
  const { dir, files, ansiFiles, statusOf } = fx;
  describe(title, () => {
    for (const f of files) {
      it(`${f} is ${statusOf(f)}`, () => {
        const raw = readFileSync(`${dir}${f}`, 'utf8');
        expect(classify(raw)).toBe(statusOf(f));
        expect(classify(raw.replace(/\n/g, '\r\n')), 'with CRLF line ends').toBe(statusOf(f));
        expect(classify(raw.replace(/\s+$/, '')), 'without the blank rows at the bottom').toBe(statusOf(f));
      });
    }
    for (const f of ansiFiles) {
      it(`${f} (with colours, capture-pane -e) is ${statusOf(f)}`, () => {
        expect(classify(readFileSync(`${dir}${f}`, 'utf8'))).toBe(statusOf(f));
      });
    }
    more?.();
  });
}

/** The screen from the last line that matches `from`: as if the older turns had scrolled out of view. */
export function tailFrom(screen: string, from: RegExp): string {
  const lines = screen.split('\n');
  const i = lines.findLastIndex((l) => from.test(l));
  expect(i, `a line matching ${from}`).toBeGreaterThan(0);
  return lines.slice(i).join('\n');
}

/**
 * Registers one test per `[fixture, answer]` (extract gives that whole answer) and one that every
 * `completed` screen has an answer.
 */
export function itExtractsAnswers(fx: ScreenFixtures, extract: (screen: string) => string | undefined, cases: [string, string][]): void {
  for (const [name, answer] of cases) {
    it(`${name}: the last turn's whole answer`, () => {
      expect(extract(fx.screen(name))).toBe(answer);
    });
  }
  it('reads every completed fixture', () => {
    for (const f of fx.files.filter((f) => fx.statusOf(f) === 'completed')) expect(extract(readFileSync(`${fx.dir}${f}`, 'utf8')), f).toBeTruthy();
  });
}

