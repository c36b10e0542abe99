/**
 * Codex CLI through cao, for real: the `codex` CLI (0.171.0) in tmux, launched by cao-server with the
 * codex provider, answering from the fake model (a custom model provider in the user's
 * `$CODEX_HOME/config.toml`, written by the harness). Codex's specifics: `bash: escalate …` makes
 * the model ask to leave the sandbox, which Codex turns into an approval question (plain commands
 * run in the sandbox without one); Enter approves; `fail400` ends the turn in `■ …`; Esc
 * interrupts (`■ Conversation interrupted`); everything cao configures is a `-c` override.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseProfile } from '../../src/profiles/schema.js';
import { launchCodex } from '../../src/providers/codex.js';
import { startAgentHarness, unique, type AgentHarness } from './harness.js';
import { apiErrorThenRecovery, approvalThenCompleted, errorOnScreen, exitEnds, firstTurn, handoffRoundTrip, interruptThenNextTurn, multiLineIsOneTurn, TRICKY_PROMPT, writeHandoffTeam } from './scenarios.js';

const run = promisify(execFile);

let h: AgentHarness;
const PROMPT = TRICKY_PROMPT;
let userConfig = '';

beforeAll(async () => {
  h = await startAgentHarness({
    clis: inject('agentClis'),
    need: ['codex'],
    // Let Codex retry a failed stream twice (the harness's user config turns retries off), so a
    // 500 shows "Reconnecting..." before it is an error.
    setupHome: (home) => {
      const file = join(home, '.codex', 'config.toml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('stream_max_retries = 0', 'stream_max_retries = 2'));
      userConfig = readFileSync(file, 'utf8');
    },
  });
  h.writeProfile('codex_dev', { provider: 'codex', prompt: PROMPT, model: 'gpt-conformance-model' });
  writeHandoffTeam(h, 'codex_supervisor', 'codex');
});

afterAll(async () => {
  await h?.stop();
});

/** Texts of the developer messages of the last main (tool-bearing) Responses request. */
function developerTexts(): string[] {
  const main = h.model.requests().filter((r) => r.api === 'responses' && (r.body.tools?.length ?? 0) > 0);
  expect(main.length).toBeGreaterThan(0);
  const input = main[main.length - 1]!.body.input as { type?: string; role?: string; content?: { text?: string }[] }[];
  return input.filter((i) => i.role === 'developer').flatMap((i) => (i.content ?? []).map((c) => c.text ?? ''));
}

describe('Codex CLI (real CLI) through cao', () => {
  let dev: string;

  it('starts idle, then a prompt goes idle → processing → completed with the answer extracted', async () => {
    // Only "Worked for" ends a Codex turn (the answer streams with no busy row), so no early completed.
    dev = await firstTurn(h, 'codex_dev', 'codex');
  });

  it('got the profile: the multi-line system prompt verbatim as developer instructions, the model', () => {
    expect(developerTexts()).toContain(PROMPT);
    const main = h.model.requests().filter((r) => r.api === 'responses' && (r.body.tools?.length ?? 0) > 0);
    expect(main[main.length - 1]!.body.model).toBe('gpt-conformance-model');
  });

  it("left the user's config.toml alone (Codex may add its own [tui] notes, cao adds nothing)", () => {
    const now = readFileSync(join(h.home, '.codex', 'config.toml'), 'utf8');
    expect(now.startsWith(userConfig.trimEnd())).toBe(true);
    expect(now).not.toMatch(/developer_instructions|mcp_servers|trust_level|projects/);
  });

  it("a multi-line message is one turn: the answer is the last turn's only", () => multiLineIsOneTurn(h, dev));

  it('an escalated command asks for approval (no yolo): waiting_user_answer, Enter approves, then completed', async () => {
    const { file, answer } = await approvalThenCompleted(h, dev, (f) => `escalate touch ${f} && echo made-${f}`, /Would you like to run the following command\?/);
    // The whole multi-line answer, without the command's own "• Ran …" cell.
    expect(answer).toMatch(/^Tool finished\. Result was: Chunk ID: \w+\nWall time: [\d.]+ seconds\nProcess exited with code 0\n/);
    expect(answer).toMatch(new RegExp(`\\nmade-${file.replace('.', '\\.')}$`));
    expect(answer).not.toMatch(/Ran|You approved/);
  });

  it('an API error (400) is error; the next turn completes again', async () => {
    await apiErrorThenRecovery(h, dev, errorOnScreen(h, dev, /^■ \{"error":\{"message":"Fake server scripted error 400"/m));
  });

  it('a 500 is processing while Codex reconnects, and error when it gives up', async () => {
    const { turn, from } = await h.send(dev, 'please fail500 tag=r1');
    await h.waitStatus(dev, 'processing', { turn, from });
    let sawRetry = false;
    for (let i = 0; i < 200 && !sawRetry; i++) {
      const [screen, t] = await Promise.all([h.screen(dev), h.status(dev)]);
      if (/Reconnecting\.\.\. \d\/\d/.test(screen)) {
        expect(t.status).toBe('processing');
        sawRetry = true;
      } else await new Promise((r) => setTimeout(r, 100));
    }
    expect(sawRetry).toBe(true);
    await h.waitStatus(dev, 'error', { turn, from, timeout: 90_000 });
    expect(h.events.statuses(dev).filter((s) => s.turn === turn).map((s) => s.status)).toEqual(['processing', 'error']);
  });

  it('Escape interrupts: "■ Conversation interrupted", the terminal is idle, the next turn completes', async () => {
    await interruptThenNextTurn(h, dev, ['Escape'], /^■ Conversation interrupted/m);
  });

  it('/exit ends it: exited', () => exitEnds(h, dev));

  it('yolo: no approvals and no sandbox, so nothing asks', async () => {
    const t = await h.createTerminal({ profile: 'codex_dev', yolo: true });
    expect(t.status).toBe('idle');
    // The header's details are drawn above the composer a moment after the composer itself.
    let screen = '';
    for (let i = 0; i < 100 && !/permissions: YOLO mode/.test(screen); i++) {
      screen = await h.screen(t.id);
      if (!/permissions: YOLO mode/.test(screen)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(screen).toMatch(/permissions: YOLO mode/);
    const file = `${unique('yolo')}.txt`;
    const plain = await h.send(t.id, `bash: touch ${file} && echo yolo-ran`);
    await h.waitStatus(t.id, 'completed', { turn: plain.turn, from: plain.from });
    expect(existsSync(join(h.workdir, file))).toBe(true);
    // An escalation request cannot be asked for when approvals are off: refused without a question.
    const esc = await h.send(t.id, `bash: escalate touch ${file}.2`);
    await h.waitStatus(t.id, 'completed', { turn: esc.turn, from: esc.from });
    expect(await h.output(t.id)).toMatch(/approval policy is Never/);
    expect(h.events.statuses(t.id).map((s) => s.status)).not.toContain('waiting_user_answer');
  });

  it("MCP round trip: a Codex supervisor calls cao's handoff, a worker answers, the supervisor gets the answer", async () => {
    // Codex offers cao's tools in the server's namespace; no question: cao approves its own tools.
    const { supervisor, answer } = await handoffRoundTrip(h, 'codex_supervisor', (tool) => tool === 'handoff');
    expect(h.model.requests().some((r) => r.api === 'responses' && JSON.stringify(r.body.input ?? []).includes(answer))).toBe(true);
    expect(await h.output(supervisor)).toMatch(new RegExp(`^Tool finished\\. Result was: [\\s\\S]*${answer}[\\s\\S]*$`));
  });
});

describe('the -c overrides, read back by the real CLI', () => {
  it('`codex mcp list --json` sees the servers exactly, quotes, backslashes and newlines included', async () => {
    const tricky = 'a "quoted" \\ back\\slash\nnew line\ttab é $HOME';
    const profile = parseProfile(
      [
        '---',
        'name: p',
        'mcpServers:',
        '  cao-mcp-server: { type: stdio, command: cao, args: ["mcp-server"] }',
        `  "odd.name": { command: node, args: [${JSON.stringify(tricky)}], env: { SECRET: ${JSON.stringify(tricky)} }, tool_timeout_sec: 77 }`,
        '  web: { type: http, url: "http://127.0.0.1:9/mcp", headers: { X-Key: "v" } }',
        '---',
        tricky,
      ].join('\n'),
      'p',
    );
    const workdir = `/tmp/with "quotes".and dots`;
    const spec = launchCodex({ terminalId: 'ab12cd34', profile, workingDirectory: workdir, terminalDir: '/unused', yolo: false, caoEnv: { CAO_API_PORT: '1' }, env: {} });
    const overrides = spec.argv.flatMap((a, i) => (a === '-c' ? ['-c', spec.argv[i + 1]!] : []));
    const home = mkdtempSync(join(tmpdir(), 'cao-codex-home-'));
    try {
      const { stdout } = await run(h.cli('codex').bin, [...overrides, 'mcp', 'list', '--json'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, CODEX_HOME: home },
        timeout: 60_000,
      });
      const servers = JSON.parse(stdout) as { name: string; enabled: boolean; transport: Record<string, unknown>; tool_timeout_sec: number }[];
      const byName = Object.fromEntries(servers.map((s) => [s.name, s]));
      expect(Object.keys(byName).sort()).toEqual(['cao-mcp-server', 'odd_name', 'web']);
      expect(byName['odd_name']!.transport).toMatchObject({ type: 'stdio', command: 'node', args: [tricky] });
      // cao's address (and token) only for cao's own server: not on the command line for any other.
      expect(byName['odd_name']!.transport.env).toEqual({ SECRET: tricky, CAO_TERMINAL_ID: 'ab12cd34' });
      expect(byName['cao-mcp-server']!.transport.env).toMatchObject({ CAO_API_PORT: '1', CAO_TERMINAL_ID: 'ab12cd34' });
      expect(byName['odd_name']!.tool_timeout_sec).toBe(77);
      expect(byName['cao-mcp-server']!.transport).toMatchObject({ type: 'stdio', command: process.execPath });
      expect(byName['cao-mcp-server']!.tool_timeout_sec).toBe(3900);
      expect(byName['web']!.transport).toMatchObject({ type: 'streamable_http', url: 'http://127.0.0.1:9/mcp', http_headers: { 'X-Key': 'v' } });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
