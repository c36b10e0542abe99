/** Text through a control-mode command line arrives byte for byte (real tmux, own socket). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/tmux/control.js';
import { testEnv } from '../helpers/env.js';

const env = testEnv();
const dir = mkdtempSync(join(tmpdir(), 'cao-quote-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await env.cleanup();
});

const samples = [
  'plain',
  "it's $HOME \"dq\" \\back ; semi # hash ~tilde {brace} #{pane_id} %end 1 2 1",
  '~/starts with a tilde',
  'multi\nline\n\ttab\r\u001b[31mred\u007f',
  'é日本 🚀',
  'trailing backslash \\',
  '$(rm -rf /) `ls` ${X}',
  'x'.repeat(100_000),
];

describe('quoting through control mode', () => {
  it('set-buffer keeps every sample exactly', async () => {
    await env.tmux.newSession({ tag: 'q', session: 'cao-quote', windowName: 'w', cwd: env.workdir, env: {}, argv: ['sleep', '60'] });
    const c = new ControlClient(env.socket, 'cao-quote');
    await c.ready;
    try {
      for (const [i, text] of samples.entries()) {
        await c.command(['set-buffer', '-b', `t${i}`, '--', text]);
        await c.command(['save-buffer', '-b', `t${i}`, join(dir, `t${i}`)]);
        expect(readFileSync(join(dir, `t${i}`), 'utf8'), JSON.stringify(text.slice(0, 60))).toBe(text);
      }
    } finally {
      await c.close();
    }
  });
});
