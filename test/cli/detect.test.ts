/** `cao detect` on saved screens: the status per file, or the extracted answer. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCao } from '../helpers/cli.js';

const dir = 'test/fixtures/screens/mock';
const env = { PATH: process.env.PATH };

describe('cao detect', () => {
  it('prints the status of every file, first word, in order', async () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort().map((f) => join(dir, f));
    const r = await runCao(['detect', '--provider', 'mock', ...files], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(files.length);
    for (const [i, line] of lines.entries()) {
      const status = files[i]!.split('/').pop()!.split('.')[0];
      expect(line).toBe(`${status} ${files[i]}`);
    }
  });

  it('--last prints the whole answer with its line breaks', async () => {
    const files = readdirSync(dir).filter((f) => f.startsWith('completed.')).map((f) => join(dir, f));
    const r = await runCao(['detect', '--provider', 'mock', '--last', files[0]!], env);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout).not.toMatch(/^❯/m);
  });

  it('fails clearly on an unknown provider, a missing file, and a screen without an answer', async () => {
    expect((await runCao(['detect', '--provider', 'nope', 'x'], env)).code).toBe(1);
    const missing = await runCao(['detect', '--provider', 'mock', 'no/such/file.txt'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read no\/such\/file\.txt/);
    const idle = readdirSync(dir).find((f) => f.startsWith('idle.'))!;
    const none = await runCao(['detect', '--provider', 'mock', '--last', join(dir, idle)], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no answer found/);
  });
});
