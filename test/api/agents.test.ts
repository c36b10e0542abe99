/** GET /health, /agents/providers and /agents/profiles against a real cao-server process. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type CaoServer } from '../helpers/server.js';

let s: CaoServer;

beforeAll(async () => {
  s = await startServer();
});

afterAll(async () => {
  await s?.stop();
});

describe('GET /health', () => {
  it('reports the service, version, home, socket and pid of the process', async () => {
    const r = await s.get('/health');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body).toEqual({
      status: 'ok',
      service: 'cli-agent-orchestrator',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      cao_home: s.home,
      tmux_socket: s.socket,
      pid: s.proc.pid,
    });
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    const r = await s.get('/no-such-route');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ error: { code: 'not_found', message: expect.any(String) }, detail: expect.any(String) });
  });
});

describe('methods', () => {
  it('answers a wrong method with 405 in the error shape', async () => {
    const r = await s.fetch('PUT', '/health');
    expect(r.status).toBe(405);
    expect(r.body).toMatchObject({ error: { message: expect.any(String) } });
  });

  it('names the allowed methods of a 405 in an Allow header', async () => {
    const r = await s.fetch('PUT', '/health');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toMatch(/GET/);
  });
});

describe('GET /agents/providers', () => {
  it('lists all 8 providers with name, binary, installed and supported', async () => {
    const r = await s.get<{ name: string; binary: string; installed: unknown; supported: unknown }[]>('/agents/providers');
    expect(r.status).toBe(200);
    expect(r.body.map((p) => p.name).sort()).toEqual(
      ['kiro_cli', 'claude_code', 'codex', 'gemini_cli', 'kimi_cli', 'copilot_cli', 'q_cli', 'mock'].sort(),
    );
    for (const p of r.body) {
      expect(p, p.name).toMatchObject({ name: expect.any(String), binary: expect.any(String) });
      expect(p.binary.length, p.name).toBeGreaterThan(0);
      expect(typeof p.installed, p.name).toBe('boolean');
      expect(typeof p.supported, p.name).toBe('boolean');
    }
  });

  it('marks every provider supported and the mock installed (it runs on this Node)', async () => {
    const r = await s.get<{ name: string; installed: boolean; supported: boolean }[]>('/agents/providers');
    expect(r.body.find((p) => p.name === 'mock')).toMatchObject({ supported: true, installed: true });
    for (const p of r.body) expect(p.supported, p.name).toBe(true);
  });
});

describe('GET /agents/profiles', () => {
  it('includes the built-in developer and reviewer profiles', async () => {
    const r = await s.get<{ name: string; description: string; source: string }[]>('/agents/profiles');
    expect(r.status).toBe(200);
    const byName = new Map(r.body.map((p) => [p.name, p]));
    expect(byName.get('developer')).toMatchObject({ source: 'built-in', description: expect.stringMatching(/\S/) });
    expect(byName.get('reviewer')).toMatchObject({ source: 'built-in', description: expect.stringMatching(/\S/) });
  });

  it("shows a profile placed in CAO_HOME/agent-store as 'local'", async () => {
    const store = join(s.home, 'agent-store');
    mkdirSync(store, { recursive: true });
    writeFileSync(join(store, 'api-tester.md'), '---\nname: api-tester\ndescription: Checks the API from outside\n---\nYou test APIs.\n');
    const r = await s.get<{ name: string; description: string; source: string }[]>('/agents/profiles');
    expect(r.status).toBe(200);
    expect(r.body.find((p) => p.name === 'api-tester')).toEqual({ name: 'api-tester', description: 'Checks the API from outside', source: 'local' });
    // The built-ins are still listed next to it.
    expect(r.body.map((p) => p.name)).toEqual(expect.arrayContaining(['developer', 'reviewer', 'api-tester']));
  });

  it('lets a local profile of the same name override the built-in one', async () => {
    writeFileSync(join(s.home, 'agent-store', 'reviewer.md'), '---\ndescription: my own reviewer\n---\nReview.\n');
    const r = await s.get<{ name: string; description: string; source: string }[]>('/agents/profiles');
    expect(r.body.filter((p) => p.name === 'reviewer')).toEqual([{ name: 'reviewer', description: 'my own reviewer', source: 'local' }]);
  });
});
