/** /sessions against a real cao-server process, real tmux (own socket) and the mock agent. */
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allProviders, isInstalled } from '../../src/providers/registry.js';
import { startServer, type CaoServer, type TerminalJson } from '../helpers/server.js';

let s: CaoServer;

beforeAll(async () => {
  s = await startServer();
});

afterAll(async () => {
  await s?.stop();
});

const HEX8 = /^[a-f0-9]{8}$/;
const tmuxSessions = async () => (await s.tmux.listSessions()).map((x) => x.name).sort();
const query = (p: Record<string, string>) => new URLSearchParams(p).toString();

describe('POST /sessions', () => {
  it('creates a session from query parameters: 201, idle, 8-hex id, cao-<8hex> name', async () => {
    const r = await s.post<TerminalJson>(`/sessions?${query({ agent_profile: 'developer', provider: 'mock', working_directory: s.workdir })}`);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      status: 'idle', provider: 'mock', agent_profile: 'developer', working_directory: s.workdir, turn: 0, exit_code: null, reason: null,
    });
    expect(r.body.id).toMatch(HEX8);
    expect(r.body.session_name).toMatch(/^cao-[a-f0-9]{8}$/);
    expect(await s.tmux.hasSession(r.body.session_name)).toBe(true);
  });

  it('creates a session from a JSON body', async () => {
    const r = await s.post<TerminalJson>('/sessions', { agent_profile: 'reviewer', provider: 'mock', working_directory: s.workdir });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'idle', provider: 'mock', agent_profile: 'reviewer', working_directory: s.workdir });
    expect(r.body.id).toMatch(HEX8);
    expect(r.body.session_name).toMatch(/^cao-[a-f0-9]{8}$/);
  });

  it("prefixes a chosen name: 'demo' becomes 'cao-demo'; the same name again is 409", async () => {
    const first = await s.post<TerminalJson>('/sessions', { agent_profile: 'developer', provider: 'mock', working_directory: s.workdir, session_name: 'demo' });
    expect(first.status).toBe(201);
    expect(first.body.session_name).toBe('cao-demo');
    const before = await tmuxSessions();
    for (const name of ['demo', 'cao-demo']) {
      const again = await s.post('/sessions', { agent_profile: 'developer', provider: 'mock', working_directory: s.workdir, session_name: name });
      expect(again.status, name).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('cao-demo') });
    }
    expect(await tmuxSessions()).toEqual(before);
    const { body } = await s.get('/sessions/cao-demo/terminals');
    expect(body).toHaveLength(1);
  });

  it('takes the JSON body over the query string, and wait=false from the query', async () => {
    const r = await s.post<TerminalJson>(`/sessions?${query({ agent_profile: 'no-such-agent', wait: 'false' })}`, { agent_profile: 'reviewer', provider: 'mock', working_directory: s.workdir });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ agent_profile: 'reviewer', status: 'starting' });
  });

  describe('refuses bad requests without creating anything', () => {
    const base = () => ({ agent_profile: 'developer', provider: 'mock', working_directory: s.workdir });
    let before: string[];
    beforeAll(async () => {
      before = await tmuxSessions();
    });
    afterAll(async () => {
      expect(await tmuxSessions()).toEqual(before);
    });

    it.each(['a/b', '../x', 'has space', 'a.b', 'a:b', 'x'.repeat(70)])('bad session name %j → 400', async (name) => {
      const r = await s.post('/sessions', { ...base(), session_name: name });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid');
    });

    it('unknown profile → 404', async () => {
      const r = await s.post('/sessions', { ...base(), agent_profile: 'no-such-agent' });
      expect(r.status).toBe(404);
      expect(r.body.error).toMatchObject({ code: 'not_found', message: expect.stringContaining('no-such-agent') });
    });

    it('a profile name that is a path → 400', async () => {
      const r = await s.post('/sessions', { ...base(), agent_profile: '../developer' });
      expect(r.status).toBe(400);
    });

    it('unknown provider → 400 whose message lists the providers', async () => {
      const r = await s.post('/sessions', { ...base(), provider: 'chatgpt' });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid');
      for (const p of ['kiro_cli', 'claude_code', 'codex', 'gemini_cli', 'kimi_cli', 'copilot_cli', 'q_cli', 'mock']) {
        expect(r.body.error.message).toContain(p);
      }
    });

    // A real CLI that is not on this machine's PATH (the server has the same PATH as this test).
    const missing = allProviders().find((p) => p.id !== 'mock' && !isInstalled(p.binary));
    it.skipIf(!missing)('a known provider whose CLI is not installed → 422 saying so, and nothing is created', async () => {
      const before = (await s.get('/terminals')).body.length;
      const r = await s.post('/sessions', { ...base(), provider: missing!.id });
      expect(r.status).toBe(422);
      expect(r.body.error).toMatchObject({ code: 'unprocessable', message: `Provider '${missing!.id}' cannot start here: its CLI \`${missing!.binary}\` is not installed (not on cao-server's PATH)` });
      expect((await s.get('/terminals')).body.length).toBe(before);
    });

    it('missing agent_profile → 400 naming the field', async () => {
      const r = await s.post('/sessions', { provider: 'mock', working_directory: s.workdir });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain('agent_profile');
      const q = await s.post(`/sessions?${query({ provider: 'mock' })}`);
      expect(q.status).toBe(400);
    });

    it('a working directory that does not exist → 400', async () => {
      const r = await s.post('/sessions', { ...base(), working_directory: join(s.workdir, 'does-not-exist') });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/does not exist/);
    });

    it.each(['/etc', '/', '/tmp'])('a system directory as working directory (%s) → 400', async (dir) => {
      const r = await s.post('/sessions', { ...base(), working_directory: dir });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/not allowed/);
    });

    it('a symlink to a system directory → 400', async () => {
      const link = join(s.workdir, 'etc-link');
      symlinkSync('/etc', link);
      const r = await s.post('/sessions', { ...base(), working_directory: link });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/\/etc/);
    });

    it('a file as working directory → 400', async () => {
      const r = await s.post('/sessions', { ...base(), working_directory: '/etc/hostname' });
      expect(r.status).toBe(400);
    });
  });
});

describe('a session and its terminals', () => {
  let first: TerminalJson;
  let second: TerminalJson;
  let name: string;
  let dir: string;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'cao-api-work-')));
    first = await s.createSession({ working_directory: dir });
    name = first.session_name;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('GET /sessions lists it', async () => {
    const r = await s.get<{ id: string; name: string; status: string; windows: number; created_at: string }[]>('/sessions');
    expect(r.status).toBe(200);
    const mine = r.body.find((x) => x.name === name);
    expect(mine).toMatchObject({ id: name, name, status: 'detached', windows: 1 });
    expect(Number.isNaN(Date.parse(mine!.created_at))).toBe(false);
  });

  it('GET /sessions/{name} returns the session and its terminals', async () => {
    const r = await s.get(`/sessions/${name}`);
    expect(r.status).toBe(200);
    expect(r.body.session).toMatchObject({ id: name, name, status: 'detached', windows: 1 });
    expect(r.body.terminals).toEqual([
      { id: first.id, tmux_session: name, tmux_window: first.name, provider: 'mock', agent_profile: 'developer', status: 'idle', last_active: expect.any(String) },
    ]);
  });

  it('POST /sessions/{name}/terminals adds a second terminal', async () => {
    const r = await s.post<TerminalJson>(`/sessions/${name}/terminals`, { agent_profile: 'reviewer', provider: 'mock', working_directory: dir });
    expect(r.status).toBe(201);
    second = r.body;
    expect(second).toMatchObject({ session_name: name, agent_profile: 'reviewer', provider: 'mock', status: 'idle', working_directory: dir });
    expect(second.id).toMatch(HEX8);
    expect(second.id).not.toBe(first.id);
  });

  it('GET /sessions/{name}/terminals lists both', async () => {
    const r = await s.get<{ id: string; status: string }[]>(`/sessions/${name}/terminals`);
    expect(r.status).toBe(200);
    expect(r.body.map((t) => t.id).sort()).toEqual([first.id, second.id].sort());
    expect(r.body.every((t) => t.status === 'idle')).toBe(true);
    expect((await s.get(`/sessions/${name}`)).body.session.windows).toBe(2);
  });

  it('adding a terminal to a session that does not exist → 404', async () => {
    const r = await s.post('/sessions/cao-nothere/terminals', { agent_profile: 'developer', provider: 'mock', working_directory: dir });
    expect(r.status).toBe(404);
    expect(await s.tmux.hasSession('cao-nothere')).toBe(false);
  });

  it('DELETE /sessions/{name} removes the tmux session and its terminals', async () => {
    const r = await s.del(`/sessions/${name}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true, deleted: [name], errors: [] });
    expect(await s.tmux.hasSession(name)).toBe(false);
    for (const id of [first.id, second.id]) expect((await s.get(`/terminals/${id}`)).status).toBe(404);
    expect((await s.get(`/sessions/${name}`)).status).toBe(404);
    expect((await s.get<{ name: string }[]>('/sessions')).body.map((x) => x.name)).not.toContain(name);
  });

  it('ignores tmux sessions that cao did not make', async () => {
    await s.tmux.exec(['new-session', '-d', '-s', 'not-cao', 'sleep', '600']);
    expect((await s.get<{ name: string }[]>('/sessions')).body.map((x) => x.name)).not.toContain('not-cao');
    expect((await s.get('/sessions/not-cao')).status).toBe(404);
    expect((await s.del('/sessions/not-cao')).status).toBe(404);
    expect((await s.post('/sessions/not-cao/terminals', { agent_profile: 'developer', provider: 'mock', working_directory: dir })).status).toBe(404);
    expect(await s.tmux.hasSession('not-cao')).toBe(true);
  });

  it('an unknown session is 404 on GET, GET terminals and DELETE', async () => {
    for (const path of ['/sessions/cao-nothere', '/sessions/cao-nothere/terminals', '/sessions/nothere']) {
      const r = await s.get(path);
      expect(r.status, path).toBe(404);
      expect(r.body.error.code, path).toBe('not_found');
    }
    expect((await s.del('/sessions/cao-nothere')).status).toBe(404);
    expect((await s.del(`/sessions/${name}`)).status).toBe(404);
  });
});

describe('concurrency', () => {
  it('creates 5 terminals in one session in parallel, all idle with distinct ids', async () => {
    const lead = await s.createSession();
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        s.post<TerminalJson>(`/sessions/${lead.session_name}/terminals`, { agent_profile: 'developer', provider: 'mock', working_directory: s.workdir, wait: true }),
      ),
    );
    for (const r of replies) {
      expect(r.status, r.text).toBe(201);
      expect(r.body).toMatchObject({ session_name: lead.session_name, status: 'idle' });
    }
    const ids = replies.map((r) => r.body.id);
    expect(new Set([lead.id, ...ids]).size).toBe(6);
    const listed = await s.get<{ id: string }[]>(`/sessions/${lead.session_name}/terminals`);
    expect(listed.body.map((t) => t.id).sort()).toEqual([lead.id, ...ids].sort());
    const panes = (await s.tmux.listPanes()).filter((p) => p.session === lead.session_name);
    expect(panes).toHaveLength(6);
    expect(panes.every((p) => !p.dead)).toBe(true);
  });

  it('creating one session name 5 times in parallel: one 201, the others 409', async () => {
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => s.post('/sessions', { agent_profile: 'developer', provider: 'mock', working_directory: s.workdir, session_name: 'race' })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
  });

  it('creates 3 sessions in parallel', async () => {
    const made = await Promise.all([1, 2, 3].map(() => s.createSession()));
    expect(new Set(made.map((t) => t.session_name)).size).toBe(3);
    for (const t of made) expect(await s.tmux.hasSession(t.session_name)).toBe(true);
  });
});
