/**
 * Gemini CLI through cao, for real: the `gemini` CLI (0.61.0) in tmux, launched by cao-server with
 * the gemini_cli provider, answering from the fake model (GOOGLE_GEMINI_BASE_URL + GEMINI_API_KEY).
 * Gemini's specifics: every terminal has its own Gemini home (GEMINI_CLI_HOME under the terminal's
 * folder: settings.json with the MCP servers, GEMINI.md with the system prompt); `bash: touch …`
 * asks "Allow execution of [Shell]?", Enter approves; `fail400` ends the turn in `✕ [API Error: …]`;
 * Esc interrupts (`ℹ Request cancelled.`); `/quit` exits.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgentHarness, unique, type AgentHarness } from './harness.js';
import { apiErrorThenRecovery, approvalThenCompleted, errorOnScreen, exitEnds, firstTurn, handoffRoundTrip, interruptThenNextTurn, multiLineIsOneTurn, TRICKY_PROMPT, writeHandoffTeam } from './scenarios.js';

let h: AgentHarness;
const PROMPT = TRICKY_PROMPT;
let userSettings = '';

beforeAll(async () => {
  h = await startAgentHarness({
    clis: inject('agentClis'),
    need: ['gemini'],
    setupHome: (home) => {
      userSettings = readFileSync(join(home, '.gemini', 'settings.json'), 'utf8');
    },
  });
  h.writeProfile('gemini_dev', { provider: 'gemini_cli', prompt: PROMPT, model: 'gemini-conformance-model' });
  writeHandoffTeam(h, 'gemini_supervisor', 'gemini_cli');
});

afterAll(async () => {
  await h?.stop();
});

/** The main (tool-bearing) Gemini requests so far. */
const mainRequests = () => h.model.requests().filter((r) => r.api === 'gemini' && (r.body.tools?.[0]?.functionDeclarations?.length ?? 0) > 0);
const systemText = (body: any): string => (body.systemInstruction?.parts ?? []).map((p: { text?: string }) => p.text ?? '').join('\n');

describe('Gemini CLI (real CLI) through cao', () => {
  let dev: string;

  it('starts idle, then a prompt goes idle → processing → completed with the answer extracted', async () => {
    dev = await firstTurn(h, 'gemini_dev', 'gemini_cli');
  });

  it("got the profile: the system prompt verbatim after Gemini's own, the model", () => {
    const main = mainRequests();
    expect(main.length).toBeGreaterThan(0);
    const last = main[main.length - 1]!;
    const system = systemText(last.body);
    expect(system).toContain(PROMPT);
    // Appended to Gemini's built-in system prompt, not instead of it.
    expect(system.indexOf(PROMPT)).toBeGreaterThan(1000);
    expect(last.path).toContain('/models/gemini-conformance-model:');
  });

  it("kept everything in the terminal's folder: the user's ~/.gemini and the project are untouched", () => {
    const home = join(h.server.home, 'terminals', dev, 'gemini-home', '.gemini');
    expect(JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')).security.auth.selectedType).toBe('gemini-api-key');
    expect(readFileSync(join(home, 'GEMINI.md'), 'utf8')).toBe(`${PROMPT}\n`);
    expect(readFileSync(join(h.home, '.gemini', 'settings.json'), 'utf8')).toBe(userSettings);
    expect(existsSync(join(h.home, '.gemini', 'GEMINI.md'))).toBe(false);
    expect(readdirSync(h.workdir).filter((f) => /gemini/i.test(f))).toEqual([]);
  });

  it("a multi-line message is one turn: the answer is the last turn's only", () => multiLineIsOneTurn(h, dev));

  it('a shell command asks for approval (no yolo): waiting_user_answer, Enter approves, then completed', async () => {
    const { file, answer } = await approvalThenCompleted(h, dev, (f) => `touch ${f} && echo made-${f}`, /Allow execution of \[Shell\]\?/);
    expect(answer).toMatch(/^Tool finished\. Result was: \{"output":/);
    expect(answer).toContain(`made-${file}`);
  });

  it('an API error (400) is error; the next turn completes again', async () => {
    await apiErrorThenRecovery(h, dev, errorOnScreen(h, dev, /^✕ \[API Error: .*Fake server scripted error 400/m));
  });

  it('Escape interrupts: "ℹ Request cancelled.", the terminal is idle, the next turn completes', async () => {
    await interruptThenNextTurn(h, dev, ['Escape'], /^ℹ Request cancelled\./m);
  });

  it('/quit ends it: exited', () => exitEnds(h, dev));

  it('yolo: tools run without a question', async () => {
    const t = await h.createTerminal({ profile: 'gemini_dev', yolo: true });
    expect(t.status).toBe('idle');
    expect(await h.screen(t.id)).toMatch(/YOLO/);
    const file = `${unique('yolo')}.txt`;
    const { turn, from } = await h.send(t.id, `bash: touch ${file} && echo yolo-ran`);
    await h.waitStatus(t.id, 'completed', { turn, from });
    expect(existsSync(join(h.workdir, file)), await h.explain(t.id)).toBe(true);
    expect(h.events.statuses(t.id).map((s) => s.status)).not.toContain('waiting_user_answer');
  });

  it("MCP round trip: a Gemini supervisor calls cao's handoff, a worker answers, the supervisor gets the answer", async () => {
    const { supervisor, answer } = await handoffRoundTrip(h, 'gemini_supervisor', (tool) => tool.endsWith('handoff'));
    expect(await h.output(supervisor)).toContain(answer);
  });
});
