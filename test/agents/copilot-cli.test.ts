/**
 * GitHub Copilot CLI through cao, for real: the `copilot` CLI (1.0.102) in tmux, launched by
 * cao-server with the copilot_cli provider, answering from the fake model in Copilot's offline
 * bring-your-own-key mode (COPILOT_OFFLINE + COPILOT_PROVIDER_BASE_URL/TYPE/API_KEY + COPILOT_MODEL,
 * set by the harness). Copilot's specifics: the folder-trust question at startup is answered by cao
 * ("Yes", this session only); the system prompt is a custom agent (`--agent`); `bash: touch …` asks
 * "Do you want to run this command?", Enter approves; `fail400` ends the turn in ` ✗ 400 …`; Ctrl-C
 * interrupts (` ● Operation cancelled by user`; Esc does not); Ctrl-D exits.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgentHarness, unique, type AgentHarness } from './harness.js';
import { apiErrorThenRecovery, approvalThenCompleted, errorOnScreen, exitEnds, firstTurn, handoffRoundTrip, interruptThenNextTurn, multiLineIsOneTurn, TRICKY_PROMPT, writeHandoffTeam } from './scenarios.js';

let h: AgentHarness;
const PROMPT = TRICKY_PROMPT;

beforeAll(async () => {
  h = await startAgentHarness({ clis: inject('agentClis'), need: ['copilot'] });
  h.writeProfile('copilot_dev', { provider: 'copilot_cli', prompt: PROMPT, model: 'gpt-conformance-model' });
  writeHandoffTeam(h, 'copilot_supervisor', 'copilot_cli');
});

afterAll(async () => {
  await h?.stop();
});

/** The main (tool-bearing) Chat Completions requests so far. */
const mainRequests = () => h.model.requests().filter((r) => r.api === 'chat' && (r.body.tools?.length ?? 0) > 0);

describe('GitHub Copilot CLI (real CLI) through cao', () => {
  let dev: string;

  it('starts idle (trust answered), then a prompt goes idle → processing → completed with the answer extracted', async () => {
    dev = await firstTurn(h, 'copilot_dev', 'copilot_cli');
    expect(await h.screen(dev)).toMatch(/Selected custom agent: cao-copilot_dev/);
  });

  it("got the profile: the system prompt verbatim as the custom agent's instructions, the model", () => {
    const main = mainRequests();
    expect(main.length).toBeGreaterThan(0);
    const last = main[main.length - 1]!.body;
    const system = (last.messages as { role: string; content: unknown }[])
      .filter((m) => m.role === 'system')
      .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
      .join('\n');
    expect(system).toContain(PROMPT);
    // Inside Copilot's own system prompt, not instead of it.
    expect(system.indexOf(PROMPT)).toBeGreaterThan(1000);
    expect(last.model).toBe('gpt-conformance-model');
  });

  it("kept cao's files in the terminal's folder and wrote nothing into the project", () => {
    const agent = join(h.server.home, 'terminals', dev, 'copilot-agent', '.github', 'agents', 'cao-copilot_dev.agent.md');
    expect(readFileSync(agent, 'utf8')).toContain(PROMPT);
    expect(readdirSync(h.workdir).filter((f) => /copilot|\.github/i.test(f))).toEqual([]);
    // The session-only trust answer is not remembered in the user's Copilot config.
    const config = join(h.home, '.copilot', 'config.json');
    if (existsSync(config)) expect(readFileSync(config, 'utf8')).not.toContain(h.workdir);
  });

  it("a multi-line message is one turn: the answer is the last turn's only", () => multiLineIsOneTurn(h, dev));

  it('a shell command asks for approval (no yolo): waiting_user_answer, Enter approves, then completed', async () => {
    const { file, answer } = await approvalThenCompleted(h, dev, (f) => `touch ${f} && echo made-${f}`, /Do you want to run this command\?/);
    // The whole multi-line answer, without the shell command's own block.
    expect(answer).toMatch(new RegExp(`^Tool finished\\. Result was: made-${file.replace('.', '\\.')}\\n<shellId: \\d+ completed with exit code 0>$`));
  });

  it('an API error (400) is error; the next turn completes again', async () => {
    await apiErrorThenRecovery(h, dev, errorOnScreen(h, dev, /^ ✗ 400 /m));
  });

  it('Ctrl-C interrupts: "● Operation cancelled by user", the terminal is idle, the next turn completes', async () => {
    await interruptThenNextTurn(h, dev, ['C-c'], /^ ● Operation cancelled by user/m);
  });

  it('Ctrl-D ends it: exited', () => exitEnds(h, dev));

  it('yolo: tools run without a question', async () => {
    const t = await h.createTerminal({ profile: 'copilot_dev', yolo: true });
    expect(t.status).toBe('idle');
    expect(await h.screen(t.id)).toMatch(/Allow All/);
    const file = `${unique('yolo')}.txt`;
    const { turn, from } = await h.send(t.id, `bash: touch ${file} && echo yolo-ran`);
    await h.waitStatus(t.id, 'completed', { turn, from });
    expect(existsSync(join(h.workdir, file))).toBe(true);
    expect(h.events.statuses(t.id).map((s) => s.status)).not.toContain('waiting_user_answer');
  });

  it("MCP round trip: a Copilot supervisor calls cao's handoff, a worker answers, the supervisor gets the answer", async () => {
    // cao's own tools are allowed on the command line: no question, even without yolo.
    const { supervisor, answer } = await handoffRoundTrip(h, 'copilot_supervisor', (tool) => tool.endsWith('handoff'));
    expect(await h.output(supervisor)).toContain(answer);
  });
});
