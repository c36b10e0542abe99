/**
 * The rules around delegation, against a real server: where a worker runs, what a bad request
 * gets, and what an assigner hears when its worker cannot start.
 */
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rules, writeAgent } from '../helpers/agents.js';
import { startServer, statusIs, type CaoServer, type EventStream } from '../helpers/server.js';

let s: CaoServer;
let events: EventStream;

beforeAll(async () => {
  s = await startServer();
  writeAgent(s.home, { name: 'e2e_echo', mcp: false, script: rules({ match: '^(.*)$', steps: [{ reply: 'echo {{match.1}}' }] }) });
  // A profile whose mock agent cannot start: its script does not exist.
  writeAgent(s.home, { name: 'e2e_broken', mcp: false, script: rules() });
  const broken = join(s.home, 'agent-store', 'e2e_broken.md');
  writeFileSync(broken, readFileSync(broken, 'utf8').replace('mockScript: e2e_broken.yaml', 'mockScript: no-such-script.yaml'));
  events = await s.events();
});

afterAll(async () => {
  events?.close();
  await s?.stop();
});

describe('handoff requests', () => {
  it("a worker starts in its caller's session and current directory", async () => {
    const dir = realpathSync(join(s.workdir));
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const caller = await s.createSession({ agent_profile: 'developer', provider: 'mock', working_directory: join(dir, 'sub') });
    const r = await s.post('/handoffs', { agent_profile: 'e2e_echo', message: 'where am I', caller_id: caller.id, keep_worker: true });
    expect(r.status).toBe(202);
    const done = await s.get(`/handoffs/${r.body.id}?wait=30`);
    expect(done.body).toMatchObject({ status: 'succeeded', caller_id: caller.id, result: { output: 'echo where am I' } });
    const worker = (await s.get(`/terminals/${done.body.worker_id}`)).body;
    expect(worker).toMatchObject({ session_name: caller.session_name, working_directory: join(dir, 'sub'), provider: 'mock', status: 'completed' });
  }, 60_000);

  it('refuses bad requests with clear errors', async () => {
    const bad = async (body: Record<string, unknown>, status: number, message: RegExp) => {
      const r = await s.post('/handoffs', { agent_profile: 'e2e_echo', message: 'x', ...body });
      expect(r.status).toBe(status);
      expect(r.body.error.message).toMatch(message);
    };
    await bad({ agent_profile: 'nobody' }, 404, /agent profile 'nobody' not found/);
    await bad({ caller_id: '0badc0de' }, 404, /Caller terminal '0badc0de' not found/);
    await bad({ working_directory: '/no/such/dir' }, 400, /does not exist/);
    await bad({ working_directory: '/etc' }, 400, /not allowed/);
    await bad({ timeout_seconds: 0 }, 400, /timeout_seconds/);
    await bad({ timeout: 3601 }, 400, /timeout/);
    await bad({ message: '' }, 400, /message must not be empty/);
    await bad({ provider: 'nope' }, 400, /Invalid provider 'nope'/);
  });

  it('a worker that cannot start fails the handoff with the reason, not a timeout', async () => {
    const r = await s.post('/handoffs', { agent_profile: 'e2e_broken', message: 'x', timeout_seconds: 60 });
    const done = await s.get(`/handoffs/${r.body.id}?wait=30`);
    expect(done.body.status).toBe('failed');
    expect(done.body.result.message).toMatch(/e2e_broken \(terminal [0-9a-f]{8}\) exited: the agent exited with status 2/);
    expect(done.body.result.message).toMatch(/no-such-script\.yaml/); // the bottom of its screen says why
    expect(done.body.elapsed_ms).toBeLessThan(20_000);
  }, 60_000);
});

describe('assignments', () => {
  it('returns the worker id at once and the worker gets its task', async () => {
    const caller = await s.createSession({ agent_profile: 'developer', provider: 'mock' });
    const from = events.mark();
    const r = await s.post('/assignments', { agent_profile: 'e2e_echo', message: 'count the rows', caller_id: caller.id });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ success: true, terminal_id: expect.stringMatching(/^[0-9a-f]{8}$/), message: `Task assigned to e2e_echo (terminal: ${r.body.terminal_id})` });
    await events.waitFor(statusIs(r.body.terminal_id, 'completed', 1), { from, timeout: 30_000 });
    expect((await s.get(`/terminals/${r.body.terminal_id}/output?mode=last`)).body.output).toBe('echo count the rows');
  }, 60_000);

  it('tells the assigner, through its inbox, when the worker cannot start', async () => {
    const caller = await s.createSession({ agent_profile: 'developer', provider: 'mock' });
    const from = events.mark();
    const r = await s.post('/assignments', { agent_profile: 'e2e_broken', message: 'analyse it', caller_id: caller.id });
    expect(r.status).toBe(201);
    // The note is typed into the caller like any message (the developer's mock echoes it back).
    await events.waitFor((m) => m.event === 'message.delivered' && m.data.terminal_id === caller.id, { from, timeout: 30_000 });
    const [note] = (await s.get(`/terminals/${caller.id}/inbox/messages`)).body;
    expect(note).toMatchObject({ sender_id: 'cao', status: 'delivered' });
    expect(note.message).toMatch(new RegExp(`The e2e_broken you assigned \\(terminal ${r.body.terminal_id}\\) exited before it got the task: the agent exited with status 2`));
    expect(note.message).toMatch(/Its task was:\nanalyse it/);
  }, 60_000);
});
