/**
 * Regression: tmux 3.3a segfaulted (taking every agent with it) when a control client attached to
 * a new session while another session was being created. cao now makes sessions, windows and
 * control-client attaches one at a time. Before that, this scenario killed the server within
 * about 20 rounds.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nodeEntry } from '../../src/package.js';
import { testEnv } from '../helpers/env.js';

const env = testEnv();
afterAll(() => env.cleanup());

describe('creating sessions in parallel while watching them', () => {
  it('keeps the tmux server alive', async () => {
    const agent = nodeEntry('mock-agent/main.ts');
    const spec = (n: string) => ({ tag: n, session: n, windowName: 'w', cwd: env.workdir, env: {}, argv: agent });
    const keep = await env.tmux.newSession(spec('cao-keep'));
    env.tmux.watchPane('cao-keep', keep.paneId, { output() {}, check() {} });
    for (let round = 0; round < 12; round++) {
      const names = [1, 2, 3].map((i) => `cao-r${round}-${i}`);
      const unwatch = await Promise.all(
        names.map(async (n) => {
          const p = await env.tmux.newSession(spec(n));
          return env.tmux.watchPane(n, p.paneId, { output() {}, check() {} });
        }),
      );
      expect(await env.tmux.hasSession('cao-keep'), `tmux server died in round ${round}`).toBe(true);
      unwatch.forEach((u) => u());
      await Promise.all(names.map((n) => env.tmux.killSession(n)));
    }
    expect(await env.tmux.hasSession('cao-keep')).toBe(true);
  }, 60_000);
});
