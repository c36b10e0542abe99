import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, launchAgent, removeTerminalDir } from '../../../src/actors/launch.js';
import { parseProfile } from '../../../src/profiles/schema.js';
import { getProvider } from '../../../src/providers/registry.js';
import type { Provider } from '../../../src/providers/types.js';
import type { NewPaneSpec, TmuxClient } from '../../../src/tmux/client.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cao-launch-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('agentEnv', () => {
  it("drops cao's and nested-session variables but keeps what selects a CLI's auth and config", () => {
    const env = agentEnv(
      { PATH: '/bin', TMUX: '/tmp/x', CLAUDECODE: '1', CLAUDE_CODE_ENTRYPOINT: 'cli', CLAUDE_CODE_USE_BEDROCK: '1', CODEX_SANDBOX: 'x', CODEX_HOME: '/h/.codex', CAO_TERMINAL_ID: 'old' },
      { CAO_TERMINAL_ID: 'ab12cd34' },
    );
    expect(env).toEqual({ PATH: '/bin', CLAUDE_CODE_USE_BEDROCK: '1', CODEX_HOME: '/h/.codex', CAO_TERMINAL_ID: 'ab12cd34' });
  });
});

describe('launchAgent', () => {
  it('writes the launch files, and removing the terminal removes files it wrote elsewhere too', async () => {
    const terminalDir = join(tmp(), 'terminals', 'ab12cd34');
    const elsewhere = join(tmp(), 'agents', 'cao-ab12cd34.json');
    const provider: Provider = {
      ...getProvider('mock'),
      launch: (ctx) => ({ argv: ['agent', '--x'], env: { A: '1' }, files: [{ path: join(ctx.terminalDir, 'prompt.md'), content: 'p' }, { path: elsewhere, content: '{}' }] }),
    };
    let spec: NewPaneSpec | undefined;
    const tmux = { newWindow: async (s: NewPaneSpec) => ((spec = s), { session: s.session, windowId: '@1', windowName: s.windowName, paneId: '%1' }) } as unknown as TmuxClient;
    await launchAgent(tmux, {
      terminalId: 'ab12cd34', provider, profile: parseProfile('---\nname: p\n---\nx', 'p'), session: 'cao-s', newSession: false,
      windowName: 'p-1234', workingDirectory: '/w', terminalDir, yolo: false, caoEnv: { CAO_API_PORT: '1' }, baseEnv: { PATH: '/bin' },
    });
    expect(spec).toMatchObject({ tag: 'ab12cd34', argv: ['agent', '--x'], cwd: '/w', env: { PATH: '/bin', CAO_API_PORT: '1', A: '1', CAO_TERMINAL_ID: 'ab12cd34' } });
    expect(existsSync(join(terminalDir, 'prompt.md')) && existsSync(elsewhere)).toBe(true);
    removeTerminalDir(terminalDir);
    expect(existsSync(terminalDir) || existsSync(elsewhere)).toBe(false);
  });
});
