/** `cao flow add | list | enable | disable | run | remove` against a real server (in-process, own home, socket and port). */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowView } from '../../src/actors/flows.js';
import { runCao, startCliServer, type CliServer } from '../helpers/cli.js';
import { freePort, type TestEnv } from '../helpers/env.js';

let srv: CliServer;
let env: TestEnv;
let cliEnv: NodeJS.ProcessEnv;
let base: string;
let flows: string;

beforeAll(async () => {
  srv = await startCliServer();
  ({ env, cliEnv, base } = srv);
  flows = join(env.workdir, 'flows');
  mkdirSync(flows, { recursive: true });
});

afterAll(async () => {
  if (base) {
    const sessions = (await (await fetch(`${base}/sessions`)).json().catch(() => [])) as { name: string }[];
    for (const x of sessions) await fetch(`${base}/sessions/${x.name}`, { method: 'DELETE' }).catch(() => undefined);
  }
  await srv?.close();
});

const cao = (...argv: string[]) => runCao(argv, cliEnv, env.workdir);

/** A flow file under workdir/flows (frontmatter from an object); returns its path relative to workdir. */
function flowFile(name: string, front: Record<string, string | number>, prompt: string): string {
  const lines = Object.entries({ name, ...front }).map(([k, v]) => `${k}: ${typeof v === 'number' ? v : JSON.stringify(v)}`);
  writeFileSync(join(flows, `${name}.md`), `---\n${lines.join('\n')}\n---\n${prompt}\n`);
  return join('flows', `${name}.md`);
}

function script(name: string, body: string): void {
  writeFileSync(join(flows, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(flows, name), 0o755);
}

const view = async (name: string) => (await (await fetch(`${base}/flows/${name}`)).json()) as FlowView;

/** Local time, minutes: how the CLI shows flow times. */
const local = (iso: string) => {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
};

/** A row of `cao flow list`: fixed-width columns, as the command lays them out. */
const WIDTHS = [20, 16, 16, 18, 18, 9, 30];
const row = (...cells: string[]) => cells.map((c, i) => (c.length > WIDTHS[i]! - 1 ? `${c.slice(0, WIDTHS[i]! - 2)}… ` : c.padEnd(WIDTHS[i]!))).join('').trimEnd();
const HEADER = row('Name', 'Schedule', 'Agent', 'Last Run', 'Next Run', 'Enabled', 'Last outcome');
const RULE = '-'.repeat(127);

const MOCK = { agent_profile: 'developer', provider: 'mock' };

describe('cao flow', () => {
  it('list with no flows says so', async () => {
    expect(await cao('flow', 'list')).toEqual({ code: 0, stdout: 'No flows found\n', stderr: '' });
  });

  it('add FILE registers it (a path relative to the current folder) and shows schedule, agent and next run', async () => {
    const file = flowFile('morning', { schedule: '30 7 * * *', ...MOCK, working_directory: env.workdir }, 'Share one trivia fact.');
    const r = await cao('flow', 'add', file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const f = await view('morning');
    expect(f.file_path).toBe(join(env.workdir, file));
    expect(r.stdout).toBe(`Flow 'morning' added successfully\n  Schedule: 30 7 * * *\n  Agent:    developer (mock)\n  Next run: ${local(f.next_run!)}\n`);
    expect(local(f.next_run!)).toMatch(/ \d\d:\d\d$/);
  });

  it('add shows the time zone, and an agent without a provider plainly', async () => {
    const file = flowFile('standup', { schedule: '0 9 * * 1-5', timezone: 'Europe/Berlin', agent_profile: 'developer', working_directory: env.workdir }, 'Run the stand-up.');
    const r = await cao('flow', 'add', join(env.workdir, file));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const f = await view('standup');
    expect(r.stdout).toBe(`Flow 'standup' added successfully\n  Schedule: 0 9 * * 1-5 (Europe/Berlin)\n  Agent:    developer\n  Next run: ${local(f.next_run!)}\n`);
  });

  it('add refuses a bad file with the field named, a missing file, and a duplicate', async () => {
    const bad = flowFile('broken-cron', { schedule: '0 9 * *', ...MOCK }, 'x');
    const r1 = await cao('flow', 'add', bad);
    expect(r1).toMatchObject({ code: 1, stdout: '' });
    expect(r1.stderr).toMatch(/^Error: .*broken-cron\.md: schedule: '0 9 \* \*' needs 5 fields/);
    expect(r1.stderr.split('\n').filter(Boolean)).toHaveLength(1);

    const profile = flowFile('no-profile', { schedule: '@daily', agent_profile: 'no_such_agent' }, 'x');
    const r2 = await cao('flow', 'add', profile);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/^Error: agent_profile: .*no_such_agent.*not found/);

    const r3 = await cao('flow', 'add', 'flows/nope.md');
    expect(r3.code).toBe(1);
    expect(r3.stderr).toBe(`Error: Flow file not found: ${join(env.workdir, 'flows/nope.md')}\n`);

    const r4 = await cao('flow', 'add', 'flows/morning.md');
    expect(r4).toEqual({ code: 1, stdout: '', stderr: "Error: Flow 'morning' already exists\n" });
  });

  it('add without a file is a usage error', async () => {
    const r = await cao('flow', 'add');
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/flow add <file>/);
  });

  it('list shows every flow: schedule, agent, last and next run, enabled, last outcome', async () => {
    const r = await cao('flow', 'list');
    expect(r.code).toBe(0);
    const [morning, standup] = [await view('morning'), await view('standup')];
    const rows = [
      [morning.next_run!, row('morning', '30 7 * * *', 'developer', 'Never', local(morning.next_run!), 'Yes', '')],
      [standup.next_run!, row('standup', '0 9 * * 1-5', 'developer', 'Never', local(standup.next_run!), 'Yes', '')],
    ].sort((a, b) => a[0]!.localeCompare(b[0]!)).map((x) => x[1]);
    expect(r.stdout).toBe([HEADER, RULE, ...rows, ''].join('\n'));
  });

  it('disable NAME: not scheduled any more; list says No and N/A', async () => {
    const r = await cao('flow', 'disable', 'morning');
    expect(r).toEqual({ code: 0, stdout: "Flow 'morning' disabled\n", stderr: '' });
    expect(await view('morning')).toMatchObject({ enabled: false, next_run: null, state: 'paused' });
    const list = (await cao('flow', 'list')).stdout.split('\n');
    expect(list).toContain(row('morning', '30 7 * * *', 'developer', 'Never', 'N/A', 'No', ''));
  });

  it('enable NAME: scheduled again, and says when it runs next', async () => {
    const r = await cao('flow', 'enable', 'morning');
    const f = await view('morning');
    expect(f).toMatchObject({ enabled: true, state: 'scheduled' });
    expect(r).toEqual({ code: 0, stdout: `Flow 'morning' enabled (next run ${local(f.next_run!)})\n`, stderr: '' });
  });

  it('run NAME: a new session with the prompt; list shows the run', async () => {
    const r = await cao('flow', 'run', 'morning');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = /^Flow 'morning' executed successfully \(session (cao-morning-[0-9a-f]{4}), terminal ([0-9a-f]{8})\)\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(await env.tmux.hasSession(m![1]!)).toBe(true);
    const f = await view('morning');
    expect(f.runs[0]).toMatchObject({ trigger: 'manual', outcome: 'executed', session: m![1], terminalId: m![2] });
    const list = (await cao('flow', 'list')).stdout.split('\n');
    expect(list).toContain(row('morning', '30 7 * * *', 'developer', local(f.last_run!), local(f.next_run!), 'Yes', 'executed'));
    // The agent got the prompt and answered it.
    const deadline = Date.now() + 10_000;
    let answer: string | undefined;
    while (Date.now() < deadline) {
      const t = (await (await fetch(`${base}/terminals/${m![2]}`)).json()) as { status: string };
      if (t.status === 'completed') {
        answer = ((await (await fetch(`${base}/terminals/${m![2]}/output?mode=last`)).json()) as { output: string }).output;
        break;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(answer).toBe('Done. You said: Share one trivia fact.');
  });

  it('run of a flow whose script says execute=false: skipped, exit 0', async () => {
    script('quiet.sh', `echo '{"execute": false}'`);
    expect((await cao('flow', 'add', flowFile('quiet', { schedule: '@daily', ...MOCK, script: './quiet.sh' }, 'x'))).code).toBe(0);
    expect(await cao('flow', 'run', 'quiet')).toEqual({ code: 0, stdout: "Flow 'quiet' skipped (execute=false)\n", stderr: '' });
  });

  it('run of a failing flow: exit 1, the reason on stderr; list shows it', async () => {
    script('fail.sh', 'echo "the database is unreachable" >&2\nexit 2');
    expect((await cao('flow', 'add', flowFile('failing', { schedule: '@daily', ...MOCK, script: './fail.sh' }, 'x'))).code).toBe(0);
    const r = await cao('flow', 'run', 'failing');
    expect(r).toEqual({ code: 1, stdout: '', stderr: "Error: flow 'failing' failed: script ./fail.sh failed with exit code 2: the database is unreachable\n" });
    const f = await view('failing');
    const list = (await cao('flow', 'list')).stdout.split('\n');
    // The outcome is cut to its column.
    expect(list).toContain(row('failing', '@daily', 'developer', local(f.last_run!), local(f.next_run!), 'Yes', `failed: ${f.runs[0]!.error}`));
    expect(list.find((l) => l.startsWith('failing'))).toMatch(/ {2}Yes {6}failed: script \.\/fail\.sh fai…$/);
  });

  it('run of a flow with a placeholder its script does not fill: exit 1 naming it', async () => {
    expect((await cao('flow', 'add', flowFile('unfilled', { schedule: '@daily', ...MOCK }, 'Hello [[who]]'))).code).toBe(0);
    expect(await cao('flow', 'run', 'unfilled')).toEqual({ code: 1, stdout: '', stderr: "Error: flow 'unfilled' failed: missing template variables: who\n" });
  });

  it('an unknown flow: exit 1 with "not found" for run, enable, disable and remove', async () => {
    for (const cmd of ['run', 'enable', 'disable', 'remove']) {
      expect(await cao('flow', cmd, 'nope'), cmd).toEqual({ code: 1, stdout: '', stderr: "Error: Flow 'nope' not found\n" });
    }
  });

  it('remove NAME: gone from the list, its file kept', async () => {
    const r = await cao('flow', 'remove', 'morning');
    expect(r).toEqual({ code: 0, stdout: "Flow 'morning' removed successfully\n", stderr: '' });
    expect((await cao('flow', 'list')).stdout).not.toMatch(/^morning /m);
    expect(existsSync(join(flows, 'morning.md'))).toBe(true);
    expect(await cao('flow', 'run', 'morning')).toMatchObject({ code: 1, stderr: "Error: Flow 'morning' not found\n" });
    // And it can be added again.
    expect((await cao('flow', 'add', 'flows/morning.md')).code).toBe(0);
  });

  it('says plainly when the server is not running', async () => {
    const port = await freePort();
    const down = { ...cliEnv, CAO_API_PORT: String(port) };
    const message = `Error: cao-server is not running at http://127.0.0.1:${port}. Start it with \`cao-server\` (or point CAO_API_HOST / CAO_API_PORT at it).\n`;
    for (const argv of [['flow', 'list'], ['flow', 'add', 'flows/morning.md'], ['flow', 'run', 'x'], ['flow', 'enable', 'x'], ['flow', 'disable', 'x'], ['flow', 'remove', 'x']]) {
      expect(await runCao(argv, down, env.workdir), argv.join(' ')).toEqual({ code: 1, stdout: '', stderr: message });
    }
  });
});
