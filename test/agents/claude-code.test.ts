/**
 * Claude Code through cao, for real: the `claude` CLI in tmux, launched by cao-server with the
 * claude_code provider, answering from the fake model. Claude's specifics: a `bash: touch …` prompt
 * asks permission (read-only commands would not), Enter approves; `fail400` is an error at once,
 * `fail500` is retried (CLAUDE_CODE_MAX_RETRIES=2 here) before it is one.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgentHarness, unique, type AgentHarness } from './harness.js';
import { apiErrorThenRecovery, approvalThenCompleted, exitEnds, firstTurn, handoffRoundTrip, multiLineIsOneTurn, turnCompletes, writeHandoffTeam } from './scenarios.js';

let h: AgentHarness;
const PROMPT = 'You are a careful developer.\n- Second line starts with a dash, has "quotes", a \\backslash\\ and $HOME.\n\nLast line.';
const USER_SETTINGS = `${JSON.stringify({ env: { CAO_CONFORMANCE_USER_SETTING: 'kept' } }, null, 2)}\n`;
const USER_GLOBAL = `${JSON.stringify({ theme: 'light', numStartups: 7, projects: {} }, null, 2)}\n`;

beforeAll(async () => {
  h = await startAgentHarness({
    clis: inject('agentClis'),
    need: ['claude'],
    // The user's own Claude config: it must be read (settings carried over), never written.
    setupHome: (home) => {
      mkdirSync(join(home, '.claude'), { recursive: true });
      writeFileSync(join(home, '.claude', 'settings.json'), USER_SETTINGS);
      writeFileSync(join(home, '.claude.json'), USER_GLOBAL);
    },
  });
  h.writeProfile('claude_dev', { provider: 'claude_code', prompt: PROMPT, model: 'claude-conformance-model' });
  // Claude may call cao's tools without asking (mapped to --allowedTools=mcp__cao-mcp-server).
  writeHandoffTeam(h, 'claude_supervisor', 'claude_code', { allowedTools: ['@cao-mcp-server'] });
});

afterAll(async () => {
  await h?.stop();
});

describe('Claude Code (real CLI) through cao', () => {
  let dev: string;

  it('starts idle, then a prompt goes idle → processing → completed with the answer extracted', async () => {
    dev = await firstTurn(h, 'claude_dev', 'claude_code');
  });

  it('got the profile: the multi-line system prompt verbatim, the model, no MCP servers', () => {
    const main = h.model.requests().filter((r) => r.api === 'anthropic' && (r.body.tools?.length ?? 0) > 0);
    expect(main.length).toBeGreaterThan(0);
    const last = main[main.length - 1]!.body;
    const system = (Array.isArray(last.system) ? last.system.map((s: { text: string }) => s.text).join('\n') : String(last.system)) as string;
    expect(system).toContain(PROMPT);
    expect(last.model).toBe('claude-conformance-model');
    expect(last.tools.some((t: { name: string }) => t.name.startsWith('mcp__'))).toBe(false);
  });

  it("ran with its own config folder: the user's ~/.claude.json and ~/.claude are read, never written", () => {
    const configDir = join(h.server.home, 'terminals', dev, 'claude');
    const settings = JSON.parse(readFileSync(join(configDir, 'settings.json'), 'utf8'));
    expect(settings.env).toEqual({ CAO_CONFORMANCE_USER_SETTING: 'kept' });
    expect(settings.promptSuggestionEnabled).toBe(false);
    const state = JSON.parse(readFileSync(join(configDir, '.claude.json'), 'utf8'));
    expect(state.projects[h.workdir].hasTrustDialogAccepted).toBe(true);
    expect(state.theme).toBe('light');
    expect(readFileSync(join(h.home, '.claude', 'settings.json'), 'utf8')).toBe(USER_SETTINGS);
    expect(readFileSync(join(h.home, '.claude.json'), 'utf8')).toBe(USER_GLOBAL);
  });

  it("a multi-line message is one turn: the answer is the last turn's only", () => multiLineIsOneTurn(h, dev));

  it('a shell command asks permission (no yolo): waiting_user_answer, Enter approves, then completed', async () => {
    const { answer } = await approvalThenCompleted(h, dev, (file) => `touch ${file}`, /Do you want to proceed\?/);
    expect(answer).toMatch(/^Tool finished\. Result was: /);
  });

  it('an API error (400) is error; the next turn completes again', async () => {
    // Claude shows the error as an answer block: it is what `mode=last` gives.
    await apiErrorThenRecovery(h, dev, async () => expect(await h.output(dev)).toBe('API Error: 400 Fake server scripted error 400'));
  });

  it('a 500 is processing while Claude retries, and error when it gives up', async () => {
    const { turn, from } = await h.send(dev, 'please fail500 tag=r1');
    await h.waitStatus(dev, 'processing', { turn, from });
    // The retry line is on screen while the status is still processing.
    let sawRetry = false;
    for (let i = 0; i < 100 && !sawRetry; i++) {
      const [screen, t] = await Promise.all([h.screen(dev), h.status(dev)]);
      if (/API error · Retrying in/.test(screen)) {
        expect(t.status).toBe('processing');
        sawRetry = true;
      } else await new Promise((r) => setTimeout(r, 100));
    }
    expect(sawRetry).toBe(true);
    await h.waitStatus(dev, 'error', { turn, from, timeout: 60_000 });
    expect(await h.output(dev)).toMatch(/^API Error: 500\b/);
  });

  it('Escape interrupts: the prompt goes back into the input box, the terminal is idle', async () => {
    const { turn, from } = await h.send(dev, 'Take your time delay=30000 tag=slow1');
    await h.waitStatus(dev, 'processing', { turn, from });
    // Claude itself busy with it, not only cao having sent it (cao says processing at once).
    await h.waitModelGot('tag=slow1');
    await h.waitScreen(dev, /esc to interrupt/);
    await h.keys(dev, ['Escape']);
    await h.waitStatus(dev, 'idle', { turn, from, timeout: 15_000 });
    // Claude draws the stopped turn first, then puts the prompt back into the box (a frame later).
    await h.waitScreen(dev, /^❯\u00a0Take your time delay=30000 tag=slow1$/m, 5000);
    expect((await h.status(dev)).status).toBe('idle');
    // Clear the restored prompt, or it would be sent along with the next message.
    await h.keys(dev, ['C-u']);
    await turnCompletes(h, dev, 'Say hello', 'afterint');
  });

  it('/exit ends it: exited', () => exitEnds(h, dev));

  it('yolo: the shell command runs without a question (as root through IS_SANDBOX=1)', async () => {
    const t = await h.createTerminal({ profile: 'claude_dev', yolo: true });
    expect(t.status).toBe('idle');
    expect(await h.screen(t.id)).toMatch(/bypass permissions on/);
    const file = `${unique('yolo')}.txt`;
    const { turn, from } = await h.send(t.id, `bash: touch ${file}`);
    await h.waitStatus(t.id, 'completed', { turn, from });
    expect(h.events.statuses(t.id).map((s) => s.status)).not.toContain('waiting_user_answer');
    expect(existsSync(join(h.workdir, file))).toBe(true);
  });

  it("MCP round trip: a Claude supervisor calls cao's handoff, a worker answers, the supervisor gets the answer", async () => {
    // Through cao mcp-server (the tool Claude offered is cao's); no question: the profile allows cao's tools.
    const { supervisor, answer } = await handoffRoundTrip(h, 'claude_supervisor', (tool) => tool === 'mcp__cao-mcp-server__handoff');
    // The result carried the worker's answer back to the model and onto the supervisor's screen.
    expect(h.model.requests().some((r) => r.api === 'anthropic' && JSON.stringify(r.body.messages ?? []).includes(answer))).toBe(true);
    expect(await h.output(supervisor, 'full')).toContain(answer);
    // Claude hands the model the tool's structured result (JSON) rather than its text.
    const last = await h.output(supervisor);
    expect(last).toMatch(/^Tool finished\. Result was: .*"success":true/);
    expect(last).toContain(answer);
    expect(last).toMatch(/\[mcp1\]$/);
  });
});

describe('Claude Code logged in with a subscription (no API key)', () => {
  const TOKEN = 'sk-ant-oat01-conformance-fake-access-token';
  const CREDENTIALS = `${JSON.stringify({ claudeAiOauth: { accessToken: TOKEN, refreshToken: 'sk-ant-ort01-fake', expiresAt: 4102444800000, scopes: ['user:inference', 'user:profile'], subscriptionType: 'max' } })}\n`;
  let s: AgentHarness;

  beforeAll(async () => {
    s = await startAgentHarness({
      clis: inject('agentClis'),
      need: ['claude'],
      env: { ANTHROPIC_API_KEY: '' },
      // Where `claude /login` keeps the login on Linux.
      setupHome: (home) => {
        mkdirSync(join(home, '.claude'), { recursive: true });
        writeFileSync(join(home, '.claude', '.credentials.json'), CREDENTIALS, { mode: 0o600 });
      },
    });
    s.writeProfile('claude_sub', { provider: 'claude_code', prompt: 'You write code.' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("uses the user's login from ~/.claude (not copied, not changed) although its config folder is cao's", async () => {
    const t = await s.createTerminal({ profile: 'claude_sub' });
    expect(t.status).toBe('idle');
    const { turn, from } = await s.send(t.id, 'Say hello tag=sub1');
    await s.waitStatus(t.id, 'completed', { turn, from });
    expect(await s.output(t.id)).toMatch(/\[sub1\]$/);
    const main = s.model.requests().filter((r) => r.api === 'anthropic');
    expect(main.length).toBeGreaterThan(0);
    for (const r of main) expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(existsSync(join(s.server.home, 'terminals', t.id, 'claude', '.credentials.json'))).toBe(false);
    expect(readFileSync(join(s.home, '.claude', '.credentials.json'), 'utf8')).toBe(CREDENTIALS);
  });
});
