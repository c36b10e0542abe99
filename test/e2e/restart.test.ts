/**
 * The server is SIGKILLed while a handoff is running and messages are queued for a busy agent.
 * After a restart everything completes: the supervisor gets its worker's answer (its MCP server
 * picked the same handoff up again), the queued messages are delivered in order, nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rules, writeAgent } from '../helpers/agents.js';
import { startServer, statusIs, type CaoServer } from '../helpers/server.js';

let s: CaoServer;

beforeAll(async () => {
  s = await startServer();
  writeAgent(s.home, {
    name: 'e2e_boss',
    script: rules(
      { match: 'ping (\\d+)', steps: [{ reply: 'pong {{match.1}}' }] },
      {
        match: '^delegate: ([^\\n]*)',
        steps: [
          { call: { server: 'cao-mcp-server', tool: 'handoff', args: { agent_profile: 'e2e_slow_worker', message: '{{match.1}}' } } },
          { reply: 'Worker said: {{result.output}}' },
        ],
      },
    ),
  });
  writeAgent(s.home, { name: 'e2e_slow_worker', mcp: false, script: rules({ match: '^(.*)$', steps: [{ work: 4000 }, { reply: 'Finished {{match.1}}' }] }) });
});

afterAll(async () => {
  await s?.stop();
});

describe('SIGKILL in the middle of a handoff with queued messages', () => {
  it('completes everything after a restart, losing and doubling nothing', async () => {
    const boss = await s.createSession({ agent_profile: 'e2e_boss', provider: 'mock' });
    let events = await s.events();
    await s.post(`/terminals/${boss.id}/input`, { message: 'delegate: the migration' });
    const created = await events.waitFor((m) => m.event === 'terminal.created' && m.data.agent_profile === 'e2e_slow_worker', { timeout: 20_000 });
    const worker = created.data.terminal_id as string;
    await events.waitFor(statusIs(worker, 'processing', 1), { timeout: 20_000, what: 'worker working' });
    // The boss is busy inside its handoff call: messages to it queue up.
    const ids: number[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await s.post(`/terminals/${boss.id}/inbox/messages`, { sender_id: 'tester', message: `ping ${i}` })).body.message_id);
    events.close();

    await s.kill('SIGKILL');
    await s.restart();
    events = await s.events();

    // Turn 1 (the handoff) completes with the worker's answer; then the five pings, in order.
    await events.waitFor(statusIs(boss.id, 'completed', 6), { timeout: 60_000, what: 'boss turn 6' });
    const screen = (await s.get(`/terminals/${boss.id}/output?mode=full`)).body.output as string;
    expect(screen).toContain('Worker said: Finished the migration');
    expect(screen.split('Worker said:').length - 1).toBe(1);
    const inbox = (await s.get(`/terminals/${boss.id}/inbox/messages`)).body as { id: number; status: string; turn: number }[];
    expect(inbox.map((m) => m.id)).toEqual(ids);
    expect(inbox.map((m) => m.status)).toEqual(Array(5).fill('delivered'));
    expect(inbox.map((m) => m.turn)).toEqual([2, 3, 4, 5, 6]);
    for (let i = 1; i <= 5; i++) expect(screen.split(`pong ${i}`).length - 1).toBe(1);
    const positions = [1, 2, 3, 4, 5].map((i) => screen.indexOf(`pong ${i}`));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // One tool result, one answer: the handoff returned once. The worker is gone.
    expect(screen.split('⎿  Handoff to e2e_slow_worker succeeded').length - 1).toBe(1);
    expect((await s.get(`/terminals/${worker}`)).status).toBe(404);
    events.close();
  }, 120_000);
});
