/**
 * The four real CLIs through cao with NO_COLOR=1 in the environment, as many users have it: the
 * CLIs then draw their screens differently (Gemini draws its input box with rules instead of
 * coloured blocks), and status detection must not depend on colour. One turn, an API error and the
 * recovery from it, for each; for Gemini also a permission question.
 */
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { startAgentHarness, type AgentHarness } from './harness.js';
import { apiErrorThenRecovery, approvalThenCompleted, firstTurn } from './scenarios.js';

let h: AgentHarness;
const CLIS = [
  { cli: 'claude', provider: 'claude_code' },
  { cli: 'codex', provider: 'codex' },
  { cli: 'gemini', provider: 'gemini_cli' },
  { cli: 'copilot', provider: 'copilot_cli' },
] as const;

beforeAll(async () => {
  h = await startAgentHarness({ clis: inject('agentClis'), need: CLIS.map((c) => c.cli), env: { NO_COLOR: '1' } });
  for (const c of CLIS) h.writeProfile(`${c.cli}_plain`, { provider: c.provider, prompt: 'You are a careful developer.' });
});

afterAll(async () => {
  await h?.stop();
});

describe.each(CLIS)('$cli with NO_COLOR=1', ({ cli, provider }) => {
  let id: string;

  it('a turn goes idle → processing → completed with the whole answer', async () => {
    id = await firstTurn(h, `${cli}_plain`, provider);
  });

  it('an API error is error; the next turn completes', async () => {
    await apiErrorThenRecovery(h, id, async () => undefined);
  });
});

describe('Gemini with NO_COLOR=1', () => {
  it('a shell command asks for approval: waiting_user_answer, Enter approves, then completed', async () => {
    const t = await h.createTerminal({ profile: 'gemini_plain' });
    await approvalThenCompleted(h, t.id, (file) => `touch ${file}`, /Allow execution of \[Shell\]\?/);
  });
});
