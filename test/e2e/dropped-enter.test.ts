/**
 * A CLI that drops the Enter of a message sent right after it starts (Claude Code's "early input"):
 * the mock agent's `startup.earlyInput` does the same. cao sees its text left in the input box and
 * presses Enter again, so neither a direct message nor a handoff to a fresh worker is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rules, writeAgent } from '../helpers/agents.js';
import { startServer, statusIs, type CaoServer, type EventStream } from '../helpers/server.js';

let s: CaoServer;
let events: EventStream;

beforeAll(async () => {
  s = await startServer();
  writeAgent(s.home, {
    name: 'early_worker',
    mcp: false,
    script: { startup: { earlyInput: 1200 }, ...rules({ match: '^(.*)$', steps: [{ work: 200 }, { reply: 'Took: {{match.1}}' }] }) },
  });
  writeAgent(s.home, {
    name: 'early_supervisor',
    script: rules({
      match: '^delegate: ([^\\n]*)',
      steps: [
        { call: { server: 'cao-mcp-server', tool: 'handoff', args: { agent_profile: 'early_worker', message: '{{match.1}}' } } },
        { reply: 'Worker said: {{result.output}}' },
      ],
    }),
  });
  events = await s.events();
});

afterAll(async () => {
  events?.close();
  await s?.stop();
});

describe('a dropped Enter', () => {
  it('a message sent the moment the agent is ready is pressed in again and answered; the turn never looks done before', async () => {
    const t = await s.createSession({ agent_profile: 'early_worker', provider: 'mock' });
    expect(t.status).toBe('idle');
    const from = events.mark();
    expect((await s.post(`/terminals/${t.id}/input`, { message: 'first task' })).status).toBe(200);
    await events.waitFor(statusIs(t.id, 'completed', 1), { from, timeout: 15_000, what: 'completed' });
    expect((await s.get(`/terminals/${t.id}/output?mode=last`)).body.output).toBe('Took: first task');
    expect(events.statuses(t.id).filter((x) => x.turn === 1).map((x) => x.status)).toEqual(['processing', 'completed']);
    // The screen shows it was submitted once: one echo of the input, one answer.
    const screen = (await s.get(`/terminals/${t.id}/output?mode=full`)).body.output as string;
    expect(screen.match(/^❯ first task$/gm)).toHaveLength(1);
    expect(screen.match(/^● Took: first task$/gm)).toHaveLength(1);
    // And it was cao pressing Enter again that sent it, as the server log says.
    expect(s.logs()).toContain(`${t.id}: turn 1: the input is still in the input box, submitting it again (1/3)`);
  });

  it('a handoff to a freshly started worker gets its answer', async () => {
    const sup = await s.createSession({ agent_profile: 'early_supervisor', provider: 'mock' });
    const from = events.mark();
    expect((await s.post(`/terminals/${sup.id}/input`, { message: 'delegate: the report' })).status).toBe(200);
    await events.waitFor(statusIs(sup.id, 'completed', 1), { from, timeout: 30_000, what: 'supervisor completed' });
    expect((await s.get(`/terminals/${sup.id}/output?mode=last`)).body.output).toBe('Worker said: Took: the report');
  });
});
