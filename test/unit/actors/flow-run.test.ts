/** One run of a flow: a fake host (sessions and input recorded) and real gating scripts in a temp folder. */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeFlowRun, type FlowRunHost } from '../../../src/actors/flow-run.js';
import type { TerminalView } from '../../../src/actors/views.js';
import type { FlowDefinition } from '../../../src/flows/definition.js';
import type { RunInput } from '../../../src/machines/flow.js';
import type { TerminalStatus } from '../../../src/providers/types.js';
import { isRunning } from '../../helpers/env.js';

let dir: string;
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cao-flow-run-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type CreateRequest = Parameters<FlowRunHost['createSession']>[0];

/** A host that records what the run asked of it; the terminal it "starts" has the given status. */
function fakeHost(o: { status?: TerminalStatus; reason?: string | null; createFails?: Error; sendFails?: Error } = {}) {
  const created: CreateRequest[] = [];
  const sent: { terminalId: string; message: string }[] = [];
  const host: FlowRunHost = {
    flowsDir: join(dir, 'home-flows'),
    createSession: async (r) => {
      created.push(r);
      if (o.createFails) throw o.createFails;
      return {
        id: 'abcd1234', name: `${r.agentProfile}-0001`, provider: r.provider ?? 'mock', session_name: `cao-${r.sessionName}`, agent_profile: r.agentProfile,
        status: o.status ?? 'idle', last_active: new Date().toISOString(), created_at: new Date().toISOString(), working_directory: r.workingDirectory ?? dir,
        turn: 0, exit_code: null, reason: o.reason ?? null,
      } satisfies TerminalView;
    },
    sendInput: async (terminalId, message) => {
      if (o.sendFails) throw o.sendFails;
      sent.push({ terminalId, message });
      return { success: true };
    },
  };
  return { host, created, sent };
}

/** A fresh folder for one test. */
function folder(): string {
  const d = join(dir, `case-${++n}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** An executable shell script. */
function script(path: string, body: string, mode = 0o755): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

/** A flow file (frontmatter lines + prompt) in `d`; returns its path. */
function flowFile(d: string, front: string[], prompt: string, file = 'test.flow.md'): string {
  const p = join(d, file);
  writeFileSync(p, `---\nname: test-flow\nschedule: "0 9 * * 1-5"\nagent_profile: developer\nprovider: mock\n${front.join('\n')}\n---\n${prompt}\n`);
  return p;
}


const DEF: FlowDefinition = { name: 'test-flow', schedule: '0 9 * * 1-5', agentProfile: 'developer', provider: 'mock', scriptTimeoutSeconds: 30, prompt: 'Hello agent.' };

const input = (filePath: string | null, definition: FlowDefinition = DEF, trigger: RunInput['trigger'] = 'manual'): RunInput => ({
  name: definition.name, definition, filePath, trigger, startedAt: '2025-06-13T09:00:00.000Z',
});

describe('executeFlowRun', () => {
  it('without a script: starts a session with the profile and provider and sends the prompt', async () => {
    const d = folder();
    const f = flowFile(d, ['working_directory: /srv/project'], 'Write the daily report.');
    const h = fakeHost();
    const run = await executeFlowRun(h.host, input(f, DEF, 'schedule'));
    expect(run).toEqual({
      trigger: 'schedule', startedAt: '2025-06-13T09:00:00.000Z', finishedAt: expect.any(String),
      outcome: 'executed', session: expect.stringMatching(/^cao-test-flow-[0-9a-f]{4}$/), terminalId: 'abcd1234', error: null,
    });
    expect(Date.parse(run.finishedAt)).not.toBeNaN();
    expect(h.created).toEqual([{ agentProfile: 'developer', provider: 'mock', workingDirectory: '/srv/project', sessionName: expect.stringMatching(/^test-flow-[0-9a-f]{4}$/) }]);
    expect(h.sent).toEqual([{ terminalId: 'abcd1234', message: 'Write the daily report.' }]);
  });

  it('each run gets its own session name', async () => {
    const d = folder();
    const f = flowFile(d, [], 'x');
    const h = fakeHost();
    for (let i = 0; i < 5; i++) await executeFlowRun(h.host, input(f));
    expect(new Set(h.created.map((c) => c.sessionName)).size).toBe(5);
  });

  it('no provider in the flow: none is asked for (the profile\'s or the default applies)', async () => {
    const d = folder();
    const f = join(d, 'np.flow.md');
    writeFileSync(f, '---\nname: np\nschedule: "@daily"\nagent_profile: developer\n---\nHi\n');
    const h = fakeHost();
    expect((await executeFlowRun(h.host, input(f, { ...DEF, name: 'np', provider: undefined }))).outcome).toBe('executed');
    expect(h.created[0]!.provider).toBeUndefined();
  });

  it('execute:false skips the run: no session, nothing sent', async () => {
    const d = folder();
    script(join(d, 'gate.sh'), `echo '{"execute": false}'`);
    const f = flowFile(d, ['script: ./gate.sh'], 'Never sent.');
    const h = fakeHost();
    const run = await executeFlowRun(h.host, input(f));
    expect(run).toMatchObject({ outcome: 'skipped', session: null, terminalId: null, error: null });
    expect(h.created).toEqual([]);
    expect(h.sent).toEqual([]);
  });

  it("the script's output fills the placeholders", async () => {
    const d = folder();
    script(join(d, 'gate.sh'), `printf '%s\\n' '{"execute": true, "output": {"service": "api", "code": 500, "extra": "ignored", "details": {"up": false}}}'`);
    const f = flowFile(d, ['script: ./gate.sh'], 'The [[service]] health check answered [[code]] ([[details]]). Fix [[service]].');
    const h = fakeHost();
    const run = await executeFlowRun(h.host, input(f));
    expect(run).toMatchObject({ outcome: 'executed', error: null });
    expect(h.sent).toEqual([{ terminalId: 'abcd1234', message: 'The api health check answered 500 ({"up":false}). Fix api.' }]);
  });

  it('execute:true without output: the prompt as it is', async () => {
    const d = folder();
    script(join(d, 'gate.sh'), `echo '{"execute": true}'`);
    const f = flowFile(d, ['script: ./gate.sh'], 'Plain prompt.');
    const h = fakeHost();
    expect((await executeFlowRun(h.host, input(f))).outcome).toBe('executed');
    expect(h.sent[0]!.message).toBe('Plain prompt.');
  });

  it('a placeholder the output does not fill fails the run, naming what is missing; no session', async () => {
    const d = folder();
    script(join(d, 'gate.sh'), `echo '{"execute": true, "output": {"service": "api"}}'`);
    const f = flowFile(d, ['script: ./gate.sh'], '[[service]] failed at [[checked_at]]: [[problem]]');
    const h = fakeHost();
    const run = await executeFlowRun(h.host, input(f));
    expect(run).toMatchObject({ outcome: 'failed', session: null, terminalId: null, error: 'missing template variables: checked_at, problem' });
    expect(h.created).toEqual([]);
  });

  it('a placeholder and no script at all: failed with its name', async () => {
    const d = folder();
    const f = flowFile(d, [], 'Hello [[who]]');
    const h = fakeHost();
    expect(await executeFlowRun(h.host, input(f))).toMatchObject({ outcome: 'failed', error: 'missing template variables: who' });
    expect(h.created).toEqual([]);
  });

  it('a script that exits non-zero fails the run with its exit code and stderr', async () => {
    const d = folder();
    script(join(d, 'gate.sh'), `echo "checking..."\necho "database unreachable" >&2\nexit 3`);
    const f = flowFile(d, ['script: ./gate.sh'], 'x');
    const h = fakeHost();
    const run = await executeFlowRun(h.host, input(f));
    expect(run.outcome).toBe('failed');
    expect(run.error).toMatch(/^script \.\/gate\.sh failed with exit code 3: database unreachable$/);
    expect(h.created).toEqual([]);
  });

  it('a script that fails silently says so', async () => {
    const d = folder();
    script(join(d, 'gate.sh'), 'exit 1');
    const f = flowFile(d, ['script: ./gate.sh'], 'x');
    expect((await executeFlowRun(fakeHost().host, input(f))).error).toMatch(/exit code 1: \(no output on stderr\)/);
  });

  it('a script that prints something that is not JSON', async () => {
    const d = folder();
    script(join(d, 'gate.sh'), 'echo "all good, run it"');
    const f = flowFile(d, ['script: ./gate.sh'], 'x');
    const run = await executeFlowRun(fakeHost().host, input(f));
    expect(run).toMatchObject({ outcome: 'failed' });
    expect(run.error).toMatch(/did not print JSON: all good, run it/);
    script(join(d, 'gate.sh'), 'true');
    expect((await executeFlowRun(fakeHost().host, input(f))).error).toMatch(/did not print JSON: \(nothing\)/);
  });

  it('a script that prints JSON of the wrong shape', async () => {
    const d = folder();
    const f = flowFile(d, ['script: ./gate.sh'], 'x [[a]]');
    for (const out of ['{"execute": "yes"}', '{"output": {"a": 1}}', '[true]', 'true', '{"execute": true, "output": "text"}', '{"execute": true, "output": [1]}']) {
      script(join(d, 'gate.sh'), `echo '${out}'`);
      const h = fakeHost();
      const run = await executeFlowRun(h.host, input(f));
      expect(run.outcome, out).toBe('failed');
      expect(run.error, out).toMatch(/expected \{"execute": true\|false, "output": \{…\}\}/);
      expect(h.created).toEqual([]);
    }
  });

  it('a script that takes longer than script_timeout is stopped, quickly, with everything it started', async () => {
    const d = folder();
    // The shell waits for a child: stopping only the shell would leave `sleep` running and holding the pipes.
    script(join(d, 'gate.sh'), 'sleep 5 &\necho $! > sleep.pid\nwait\necho \'{"execute": true}\'');
    const f = flowFile(d, ['script: ./gate.sh', 'script_timeout: 1'], 'x');
    const h = fakeHost();
    const t0 = Date.now();
    const run = await executeFlowRun(h.host, input(f));
    const took = Date.now() - t0;
    expect(run).toMatchObject({ outcome: 'failed', error: 'script ./gate.sh did not finish within 1 s' });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3000);
    expect(h.created).toEqual([]);
    const pid = Number(readFileSync(join(d, 'sleep.pid'), 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(isRunning(pid), "the script's child is still running").toBe(false);
  });

  it('a plain sleeping script is stopped at the timeout too', async () => {
    const d = folder();
    script(join(d, 'gate.sh'), 'sleep 5');
    const f = flowFile(d, ['script: ./gate.sh', 'script_timeout: 1'], 'x');
    const t0 = Date.now();
    const run = await executeFlowRun(fakeHost().host, input(f));
    expect(run.error).toBe('script ./gate.sh did not finish within 1 s');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a script that is not executable, or does not exist, fails with a clear reason', async () => {
    const d = folder();
    script(join(d, 'plain.sh'), `echo '{"execute": true}'`, 0o644);
    const f = flowFile(d, ['script: ./plain.sh'], 'x');
    const notExec = await executeFlowRun(fakeHost().host, input(f));
    expect(notExec).toMatchObject({ outcome: 'failed', session: null });
    expect(notExec.error).toBe(`script ${join(d, 'plain.sh')} does not exist or is not executable (chmod +x)`);

    const g = flowFile(d, ['script: ./missing.sh'], 'x', 'missing.flow.md');
    const missing = await executeFlowRun(fakeHost().host, input(g));
    expect(missing.error).toBe(`script ${join(d, 'missing.sh')} does not exist or is not executable (chmod +x)`);
  });

  it('a script without a usable interpreter fails the run instead of throwing', async () => {
    const d = folder();
    writeFileSync(join(d, 'gate.sh'), '#!/no/such/interpreter\n');
    chmodSync(join(d, 'gate.sh'), 0o755);
    const f = flowFile(d, ['script: ./gate.sh'], 'x');
    const run = await executeFlowRun(fakeHost().host, input(f));
    expect(run.outcome).toBe('failed');
    expect(run.error).toMatch(/gate\.sh/);
  });

  it("the script runs in the flow file's folder: relative paths are the folder's", async () => {
    const d = folder();
    mkdirSync(join(d, 'scripts'));
    writeFileSync(join(d, 'state.txt'), 'from-the-sibling-file');
    script(join(d, 'scripts', 'gate.sh'), `printf '{"execute": true, "output": {"state": "%s", "cwd": "%s"}}' "$(cat ./state.txt)" "$(pwd)"`);
    const f = flowFile(d, ['script: scripts/gate.sh'], 'State: [[state]] in [[cwd]]');
    const h = fakeHost();
    const run = await executeFlowRun(h.host, input(f));
    expect(run).toMatchObject({ outcome: 'executed', error: null });
    expect(h.sent[0]!.message).toBe(`State: from-the-sibling-file in ${d}`);
  });

  it('an absolute script path is used as it is (still run in the flow\'s folder)', async () => {
    const d = folder();
    const elsewhere = folder();
    const s = script(join(elsewhere, 'abs.sh'), `printf '{"execute": true, "output": {"cwd": "%s"}}' "$(pwd)"`);
    const f = flowFile(d, [`script: ${s}`], '[[cwd]]');
    const h = fakeHost();
    expect((await executeFlowRun(h.host, input(f))).outcome).toBe('executed');
    expect(h.sent[0]!.message).toBe(d);
  });

  it('the flow file is re-read at every run: an edited prompt or script applies at the next run', async () => {
    const d = folder();
    const f = flowFile(d, [], 'First version.');
    const h = fakeHost();
    await executeFlowRun(h.host, input(f));
    flowFile(d, [], 'Second version.');
    await executeFlowRun(h.host, input(f));
    expect(h.sent.map((s) => s.message)).toEqual(['First version.', 'Second version.']);
    script(join(d, 'gate.sh'), `echo '{"execute": false}'`);
    flowFile(d, ['script: ./gate.sh'], 'Third version.');
    expect((await executeFlowRun(h.host, input(f))).outcome).toBe('skipped');
  });

  it('a flow file that became invalid or vanished fails the run with the reason', async () => {
    const d = folder();
    const f = flowFile(d, [], 'x');
    writeFileSync(f, '---\nname: test-flow\nschedule: "0 9 * *"\nagent_profile: developer\n---\nx\n');
    const broken = await executeFlowRun(fakeHost().host, input(f));
    expect(broken).toMatchObject({ outcome: 'failed' });
    expect(broken.error).toContain(`${f}: schedule: '0 9 * *' needs 5 fields`);
    rmSync(f);
    const gone = await executeFlowRun(fakeHost().host, input(f));
    expect(gone).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/ENOENT/) });
  });

  it('a flow without a file uses its definition, and resolves a relative script in the flows folder', async () => {
    const h = fakeHost();
    mkdirSync(h.host.flowsDir, { recursive: true });
    script(join(h.host.flowsDir, 'gate.sh'), `printf '{"execute": true, "output": {"cwd": "%s"}}' "$(pwd)"`);
    const run = await executeFlowRun(h.host, input(null, { ...DEF, script: './gate.sh', prompt: 'in [[cwd]]' }));
    expect(run).toMatchObject({ outcome: 'executed' });
    expect(h.sent[0]!.message).toBe(`in ${h.host.flowsDir}`);
  });

  it('an agent that does not start fails the run with its status and reason; no input is sent', async () => {
    const d = folder();
    const f = flowFile(d, [], 'x');
    const h = fakeHost({ status: 'error', reason: 'the agent did not become ready within 120 s' });
    const run = await executeFlowRun(h.host, input(f));
    expect(run).toMatchObject({
      outcome: 'failed', session: expect.stringMatching(/^cao-test-flow-/), terminalId: 'abcd1234',
      error: 'the agent did not start: it is error (the agent did not become ready within 120 s)',
    });
    expect(h.sent).toEqual([]);
    const asking = await executeFlowRun(fakeHost({ status: 'waiting_user_answer' }).host, input(f));
    expect(asking.error).toBe('the agent did not start: it is waiting_user_answer');
  });

  it('a session that cannot be created fails the run with the reason', async () => {
    const d = folder();
    const f = flowFile(d, [], 'x');
    const run = await executeFlowRun(fakeHost({ createFails: new Error("agent profile 'developer' not found") }).host, input(f));
    expect(run).toMatchObject({ outcome: 'failed', session: null, error: "agent profile 'developer' not found" });
  });

  it('input that cannot be sent fails the run, and still names the session that was started', async () => {
    const d = folder();
    const f = flowFile(d, [], 'x');
    const run = await executeFlowRun(fakeHost({ sendFails: new Error('the terminal exited') }).host, input(f));
    expect(run).toMatchObject({ outcome: 'failed', session: expect.stringMatching(/^cao-test-flow-/), terminalId: 'abcd1234', error: 'the terminal exited' });
  });
});
