/** The layering of DESIGN.md, enforced: dependencies point one way, and only one file spawns processes. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const files = (readdirSync('src', { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
const src = (f: string) => readFileSync(join('src', f), 'utf8');
/** Value imports (not `import type`) of a file. */
const valueImports = (f: string) =>
  [...src(f).matchAll(/^import (?!type )[^;]*?from '([^']+)'/gm)].map((m) => m[1]!);
const under = (dir: string) => files.filter((f) => f.startsWith(`${dir}/`));

describe('architecture', () => {
  it('only src/tmux/exec.ts starts processes', () => {
    expect(files.filter((f) => f !== join('tmux', 'exec.ts') && valueImports(f).includes('node:child_process'))).toEqual([]);
  });

  it('machines do no I/O: they import xstate, zod, each other and the pure providers only', () => {
    const bad = under('machines').flatMap((f) =>
      valueImports(f).filter((m) => !/^(xstate|zod)$/.test(m) && !m.startsWith('./') && !m.startsWith('../providers/')).map((m) => `${f} → ${m}`),
    );
    expect(bad).toEqual([]);
  });

  it('providers are pure: no tmux, store, server, actors or cli', () => {
    const bad = under('providers').flatMap((f) =>
      valueImports(f).filter((m) => /^\.\.\/(tmux|store|server|actors|cli)\//.test(m)).map((m) => `${f} → ${m}`),
    );
    expect(bad).toEqual([]);
  });

  it('the tmux layer knows nothing about agents', () => {
    const bad = under('tmux').flatMap((f) => valueImports(f).filter((m) => m.startsWith('../')).map((m) => `${f} → ${m}`));
    expect(bad).toEqual([]);
  });

  it('routes reach tmux and the store only through the orchestrator', () => {
    const bad = under('server')
      .filter((f) => f !== join('server', 'main.ts')) // the composition root
      .flatMap((f) => valueImports(f).filter((m) => /\/(tmux|store)\//.test(m)).map((m) => `${f} → ${m}`));
    expect(bad).toEqual([]);
  });

  it('nothing logs with console.log (stdout belongs to the CLI output and to MCP)', () => {
    expect(files.filter((f) => /console\.log\(/.test(src(f)))).toEqual([]);
  });
});
