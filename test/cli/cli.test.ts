/** The cao CLI against a real server (in-process, own home, socket and port) and real tmux. */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCao, startCliServer, type CliServer } from '../helpers/cli.js';
import { freePort, type TestEnv } from '../helpers/env.js';

let srv: CliServer;
let env: TestEnv;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  srv = await startCliServer();
  ({ env, cliEnv } = srv);
});

afterAll(() => srv?.close());

describe('cao launch / info / shutdown', () => {
  it('launches a headless mock agent and reports the session', async () => {
    const r = await runCao(['launch', '--agents', 'developer', '--provider', 'mock', '--headless', '--session-name', 'cli', '--working-directory', env.workdir], cliEnv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/developer is idle/);
    expect(r.stdout).toMatch(/Session created: cao-cli/);
    expect(r.stdout).toMatch(/Terminal created: developer-[0-9a-f]{4} \([0-9a-f]{8}\)/);
    expect(await env.tmux.hasSession('cao-cli')).toBe(true);
  });

  it('refuses an unknown provider with the list of providers', async () => {
    const r = await runCao(['launch', '--agents', 'developer', '--provider', 'nope', '--headless'], cliEnv);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/Invalid provider 'nope'.*kiro_cli.*mock/s);
  });

  it('asks for --yolo when it cannot ask for trust interactively', async () => {
    const r = await runCao(['launch', '--agents', 'developer', '--headless'], cliEnv);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/--yolo/);
  });

  it('reports a server-side refusal as the server words it', async () => {
    const r = await runCao(['launch', '--agents', 'no_such_agent', '--provider', 'mock', '--headless'], cliEnv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: .*agent profile 'no_such_agent' not found/);
  });

  it('info shows home, database and the running server', async () => {
    const r = await runCao(['info'], cliEnv);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Home:          ${env.home}`);
    expect(r.stdout).toContain(join(env.home, 'cao.db'));
    expect(r.stdout).toMatch(/Server: +running at http:\/\/127\.0\.0\.1:\d+/);
  });

  it('shutdown needs --all or --session', async () => {
    const r = await runCao(['shutdown'], cliEnv);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/--all or --session/);
  });

  it('shutdown --session stops that session; unknown sessions fail', async () => {
    const r = await runCao(['shutdown', '--session', 'cao-cli'], cliEnv);
    expect(r).toMatchObject({ code: 0, stdout: 'Shut down cao-cli\n' });
    expect(await env.tmux.hasSession('cao-cli')).toBe(false);
    const again = await runCao(['shutdown', '--session', 'cao-cli'], cliEnv);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not found/);
  });

  it('shutdown --all with nothing running says so', async () => {
    const r = await runCao(['shutdown', '--all'], cliEnv);
    expect(r).toMatchObject({ code: 0, stdout: 'No cao sessions found to shutdown\n' });
  });

  it('says plainly when the server is not running', async () => {
    const port = await freePort();
    const r = await runCao(['shutdown', '--all'], { ...cliEnv, CAO_API_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: cao-server is not running at http://127.0.0.1:${port}. Start it with \`cao-server\` (or point CAO_API_HOST / CAO_API_PORT at it).\n`);
  });
});

describe('cao init / install', () => {
  it('init creates the home folder and database', async () => {
    const home = join(env.workdir, 'fresh-home');
    const r = await runCao(['init'], { ...cliEnv, CAO_HOME: home });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`cao initialized at ${home}`);
    expect(existsSync(join(home, 'cao.db'))).toBe(true);
  });

  it('installs a profile from a file into the agent store', async () => {
    const file = join(env.workdir, 'data_analyst.md');
    writeFileSync(file, '---\nname: data_analyst\ndescription: Analyses data\nprovider: mock\n---\nYou analyse data.\n');
    const r = await runCao(['install', file], cliEnv);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("✓ Agent 'data_analyst' installed successfully");
    expect(readFileSync(join(env.home, 'agent-store', 'data_analyst.md'), 'utf8')).toContain('You analyse data.');
  });

  it('installs a built-in by name (with its mock script) and from a URL', async () => {
    expect((await runCao(['install', 'reviewer'], cliEnv)).code).toBe(0);
    expect(existsSync(join(env.home, 'agent-store', 'reviewer.md'))).toBe(true);
    expect(existsSync(join(env.home, 'agent-store', 'mock', 'reviewer.yaml'))).toBe(true);
    const http: Server = createServer((req, res) => {
      if (req.url === '/agents/web_agent.md') res.end('---\ndescription: From the web\n---\nHello.\n');
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    try {
      const ok = await runCao(['install', `${base}/agents/web_agent.md`], cliEnv);
      expect(ok.code).toBe(0);
      expect(existsSync(join(env.home, 'agent-store', 'web_agent.md'))).toBe(true);
      const missing = await runCao(['install', `${base}/agents/gone.md`], cliEnv);
      expect(missing).toMatchObject({ code: 1 });
      expect(missing.stderr).toMatch(/HTTP 404/);
    } finally {
      http.close();
    }
  });

  it('fails clearly on a bad profile, a non-.md file and an unknown name', async () => {
    const bad = join(env.workdir, 'bad.md');
    writeFileSync(bad, '---\nprovider: nonsense\n---\nx\n');
    const r1 = await runCao(['install', bad], cliEnv);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/invalid profile: provider/);
    const txt = join(env.workdir, 'notes.txt');
    writeFileSync(txt, 'x');
    expect((await runCao(['install', txt], cliEnv)).stderr).toMatch(/must be a \.md file/);
    const r3 = await runCao(['install', 'no_such_profile'], cliEnv);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/not found/);
  });
});

describe('cao demo', () => {
  it('runs the team of mock agents to the end and cleans up', async () => {
    const r = await runCao(['demo', '--plain'], cliEnv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The agents did it themselves, through cao mcp-server: a handoff, an assignment, a message.
    expect(r.stdout).toMatch(/✉ message #\d+ from supervisor delivered to developer/);
    expect(r.stdout).toMatch(/⇄ handoff to developer returned its answer/);
    expect(r.stdout).toMatch(/reviewer asks: Run the test suite/);
    expect(r.stdout).toMatch(/✉ message #\d+ from reviewer delivered to supervisor/);
    expect(r.stdout).toMatch(/✓ Demo finished in [\d.]+ s: 3 agents, 1 handoff, 3 message\(s\) delivered, 1 permission question\(s\) answered\./);
    expect(r.stdout).toContain('Task complete. The reviewer approved the change.');
  }, 60_000);
});
