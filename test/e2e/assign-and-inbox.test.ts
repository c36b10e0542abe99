/**
 * assign and send_message for real: three analysts report back to the supervisor that assigned
 * them, and twenty messages to a busy receiver arrive in order, each once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rules, writeAgent } from '../helpers/agents.js';
import { startServer, statusIs, type CaoServer, type EventStream } from '../helpers/server.js';

let s: CaoServer;
let events: EventStream;

beforeAll(async () => {
  s = await startServer();
  writeAgent(s.home, {
    name: 'e2e_lead',
    script: rules(
      { match: 'Result of part (\\d)', steps: [{ reply: 'noted part {{match.1}}' }] },
      {
        match: '^go',
        steps: [1, 2, 3].map((n) => ({
          call: { server: 'cao-mcp-server', tool: 'assign', args: { agent_profile: 'e2e_analyst', message: `Analyze part ${n}. Report to terminal {{terminal_id}}.` } },
        })).concat([{ reply: 'assigned three analysts' } as never]),
      },
    ),
  });
  writeAgent(s.home, {
    name: 'e2e_analyst',
    script: rules({
      match: 'Analyze part (\\d)\\. Report to terminal ([0-9a-f]{8})',
      steps: [
        { work: 200 },
        { call: { server: 'cao-mcp-server', tool: 'send_message', args: { receiver_id: '{{match.2}}', message: 'Result of part {{match.1}}: 42 rows' } } },
        { reply: 'sent part {{match.1}}' },
      ],
    }),
  });
  events = await s.events();
});

afterAll(async () => {
  events?.close();
  await s?.stop();
});

const inbox = async (id: string) => (await s.get(`/terminals/${id}/inbox/messages?limit=500`)).body as { id: number; status: string; message: string; turn: number; sender_id: string }[];

describe('assign + send_message', () => {
  it('a supervisor assigns three analysts; exactly three reports arrive, each once', async () => {
    const lead = (await s.createSession({ agent_profile: 'e2e_lead', provider: 'mock' }));
    const from = events.mark();
    await s.post(`/terminals/${lead.id}/input`, { message: 'go' });
    // Turn 1 assigns; turns 2-4 are the three reports.
    await events.waitFor(statusIs(lead.id, 'completed', 4), { from, timeout: 60_000, what: 'the third report handled' });
    const messages = await inbox(lead.id);
    expect(messages).toHaveLength(3);
    expect(messages.every((m) => m.status === 'delivered')).toBe(true);
    expect(messages.map((m) => /part (\d)/.exec(m.message)![1]).sort()).toEqual(['1', '2', '3']);
    expect(messages.map((m) => m.turn).sort()).toEqual([2, 3, 4]);
    const analysts = new Set(messages.map((m) => m.sender_id));
    expect(analysts.size).toBe(3); // one report from each analyst
    const screen = (await s.get(`/terminals/${lead.id}/output?mode=full`)).body.output as string;
    for (const m of messages) expect(screen.split(`❯ [Message #${m.id} from`).length - 1).toBe(1);
    // Nothing more arrives.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await inbox(lead.id)).toHaveLength(3);
  }, 90_000);
});

describe('the inbox', () => {
  it('twenty messages to a busy receiver arrive in order, each exactly once', async () => {
    const r = await s.createSession({ agent_profile: 'developer', provider: 'mock' });
    const from = events.mark();
    await s.post(`/terminals/${r.id}/input`, { message: 'a long task delay=1500' });
    await events.waitFor(statusIs(r.id, 'processing', 1), { from });
    const ids: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const p = await s.post(`/terminals/${r.id}/inbox/messages`, { sender_id: 'tester', message: `note ${i} delay=20` });
      expect(p.status).toBe(200);
      ids.push(p.body.message_id);
    }
    expect((await inbox(r.id)).filter((m) => m.status === 'pending')).toHaveLength(20); // still busy: nothing typed yet
    await events.waitFor(statusIs(r.id, 'completed', 21), { from, timeout: 60_000, what: 'all 20 handled' });
    const messages = await inbox(r.id);
    expect(messages.map((m) => m.id)).toEqual(ids);
    expect(messages.map((m) => m.status)).toEqual(Array(20).fill('delivered'));
    expect(messages.map((m) => m.turn)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    const screen = (await s.get(`/terminals/${r.id}/output?mode=full`)).body.output as string;
    const positions = ids.map((id) => screen.indexOf(`[Message #${id} from tester]`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Typed once each: one echo of the submitted input per message.
    for (const id of ids) expect(screen.split(`❯ [Message #${id} from`).length - 1).toBe(1);
  }, 90_000);

  it('refuses unknown receivers (404), bad senders (400), and can be asked where a message is', async () => {
    expect((await s.post('/terminals/0badc0de/inbox/messages', { sender_id: 'x', message: 'hi' })).status).toBe(404);
    const r = await s.createSession({ agent_profile: 'developer', provider: 'mock' });
    expect((await s.post(`/terminals/${r.id}/inbox/messages`, { sender_id: 'not ok!', message: 'hi' })).status).toBe(400);
    const p = await s.post(`/terminals/${r.id}/inbox/messages`, { sender_id: 'ui', message: 'hi there', request_id: 'once' });
    const again = await s.post(`/terminals/${r.id}/inbox/messages`, { sender_id: 'ui', message: 'hi there', request_id: 'once' });
    expect(again.body.message_id).toBe(p.body.message_id);
    const m = await s.get(`/inbox/messages/${p.body.message_id}`);
    expect(m.body).toMatchObject({ id: p.body.message_id, receiver_id: r.id, sender_id: 'ui' });
    expect((await s.get('/inbox/messages/999999')).status).toBe(404);
    expect((await s.get(`/terminals/${r.id}/inbox/messages?status=bogus`)).status).toBe(400);
  }, 30_000);
});
