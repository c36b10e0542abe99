/**
 * A provider's unsetEnv keeps a variable from the agent even when the tmux server's own global
 * environment has it (a cao-server started in a CI job: CI=true makes Gemini CLI headless).
 * Real tmux, own socket.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { launchAgent } from '../../src/actors/launch.js';
import { parseProfile } from '../../src/profiles/schema.js';
import { getProvider } from '../../src/providers/registry.js';
import type { Provider } from '../../src/providers/types.js';
import { testEnv } from '../helpers/env.js';

const env = testEnv();
afterAll(() => env.cleanup());

const SESSION = 'cao-envtest';
const PRINT = 'echo "CI=${CI-unset} GITHUB_ACTIONS=${GITHUB_ACTIONS-unset} KEEP=${KEEP-unset}"; sleep 30';

async function screenOf(id: string, unsetEnv: string[] | undefined, baseEnv: NodeJS.ProcessEnv): Promise<string> {
  const provider: Provider = {
    ...getProvider('mock'),
    launch: () => ({ argv: ['sh', '-c', PRINT], env: { KEEP: '1' }, files: [], ...(unsetEnv ? { unsetEnv } : {}) }),
  };
  const pane = await launchAgent(env.tmux, {
    terminalId: id, provider, profile: parseProfile('---\nname: p\n---\nx', 'p'), session: SESSION, newSession: false,
    windowName: `w-${id}`, workingDirectory: env.workdir, terminalDir: `${env.home}/terminals/${id}`, yolo: false, caoEnv: {}, baseEnv,
  });
  for (let i = 0; i < 100; i++) {
    const screen = await env.tmux.capture(pane.paneId);
    if (screen.includes('KEEP=')) return screen;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the command printed nothing');
}

describe('launch environment', () => {
  it('unsetEnv removes variables that come from cao or from the tmux server; other variables stay', async () => {
    await env.tmux.newSession({ tag: 'base', session: SESSION, windowName: 'base', cwd: env.workdir, env: {}, argv: ['sleep', '60'] });
    await env.tmux.exec(['set-environment', '-g', 'GITHUB_ACTIONS', 'true']);

    // Without unsetEnv the agent sees both: the test really has the variables to remove.
    expect(await screenOf('aa000001', undefined, { CI: 'true' })).toContain('CI=true GITHUB_ACTIONS=true KEEP=1');
    expect(await screenOf('aa000002', ['CI', 'GITHUB_ACTIONS'], { CI: 'true' })).toContain('CI=unset GITHUB_ACTIONS=unset KEEP=1');
  });

  it('Gemini CLI is never launched with the CI markers that make it headless', () => {
    const spec = getProvider('gemini_cli').launch({
      terminalId: 'ab12cd34', profile: parseProfile('---\nname: p\n---\nx', 'p'), workingDirectory: env.workdir,
      terminalDir: `${env.home}/terminals/ab12cd34`, yolo: false, caoEnv: {}, env: { CI: 'true' },
    });
    expect(spec.unsetEnv).toEqual(expect.arrayContaining(['CI', 'GITHUB_ACTIONS']));
  });
});
