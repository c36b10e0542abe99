/**
 * The examples check themselves: run each one as a user would (`npx tsx examples/…/run.ts`) and
 * expect exit code 0 and its key lines. They start the built cao-server (`npm test` builds first).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/server.js';

function runExample(name: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'examples', name, 'run.ts')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      // SIGTERM lets the example clean up (server, tmux, temp dirs) before the test gives up on it.
      timeout: 55_000,
      killSignal: 'SIGTERM',
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('examples', () => {
  it('assign: three analysts report back to the supervisor, which hands off for the report', async () => {
    const { code, output } = await runExample('assign');
    expect(output).toMatch(/✓ the supervisor started 3 data_analyst terminals with assign/);
    expect(output).toMatch(/✓ exactly 3 messages were delivered to the supervisor, one per dataset/);
    expect(output).toMatch(/✓ the final answer is the report, with the findings of all three datasets/);
    expect(output).toMatch(/✓ All checks passed/);
    expect(code, output).toBe(0);
  }, 60_000);

  it('cross-provider: every placement follows the provider rules', async () => {
    const { code, output } = await runExample('cross-provider');
    expect(output).toMatch(/Who ran where/);
    expect(output).toMatch(/✓ \(a\) POST \/handoffs provider=codex +data_analyst_mock \[mock\] +from mock +→ mock, answered/);
    expect(output).toMatch(/✓ \(b\) POST \/handoffs +data_analyst_any \[—\] +from mock +→ mock, answered/);
    expect(output).toMatch(/✓ All checks passed/);
    expect(code, output).toBe(0);
  }, 60_000);

  it('flow: scheduled prompts and a monitor gated by its health check', async () => {
    const { code, output } = await runExample('flow');
    expect(output).toMatch(/✓ the stand-up's next run is a weekday at 09:00 Berlin time/);
    expect(output).toMatch(/✓ a healthy service keeps the monitor asleep/);
    expect(output).toMatch(/✓ the script's output filled the prompt/);
    expect(output).toMatch(/✓ All checks passed/);
    expect(code, output).toBe(0);
  }, 60_000);
});
