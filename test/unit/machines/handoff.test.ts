import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import { handoffMachine, type HandoffContext, type HandoffInput } from '../../../src/machines/handoff.js';

const input: HandoffInput = {
  id: 'h1', workerId: 'w0000001', callerId: 'c0000001', agentProfile: 'developer', provider: 'mock', session: 'cao-t', newSession: false,
  workingDirectory: '/work', yolo: false, message: 'do it', timeoutMs: 60_000, keepWorker: false, createdAt: '2026-01-01T00:00:00.000Z', requestId: null,
};

function harness(o: { keepWorker?: boolean; answer?: () => Promise<string>; create?: () => Promise<void> } = {}) {
  const calls: string[] = [];
  const m = handoffMachine.provide({
    actors: {
      createWorker: fromPromise<void, HandoffContext>(async () => {
        calls.push('create');
        if (o.create) await o.create();
      }),
      queueTask: fromPromise<{ messageId: number }, HandoffContext>(async () => {
        calls.push('queue');
        return { messageId: 7 };
      }),
      readAnswer: fromPromise<string, HandoffContext>(async () => {
        calls.push('read');
        return o.answer ? o.answer() : 'the answer\nwith two lines';
      }),
      removeWorker: fromPromise<void, HandoffContext>(async () => {
        calls.push('remove');
      }),
      describeWorker: fromPromise<string, HandoffContext>(async () => '? Allow? [y/n]'),
    },
  });
  const actor = createActor(m, { input: { ...input, keepWorker: o.keepWorker ?? false } }).start();
  const settle = () => vi.advanceTimersByTimeAsync(0);
  return { actor, calls, settle };
}

describe('handoff machine', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('creates, queues, waits for the delivered turn to complete, reads, removes, succeeds', async () => {
    const h = harness();
    await h.settle();
    expect(h.actor.getSnapshot().value).toEqual({ running: 'working' });
    h.actor.send({ type: 'WORKER', status: 'idle', turn: 0, reason: null });
    h.actor.send({ type: 'DELIVERED', turn: 1 });
    h.actor.send({ type: 'WORKER', status: 'processing', turn: 1, reason: null });
    expect(h.actor.getSnapshot().value).toEqual({ running: 'working' });
    h.actor.send({ type: 'WORKER', status: 'completed', turn: 1, reason: null });
    await h.settle();
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.actor.getSnapshot().output).toEqual({ success: true, message: 'Handed off to developer (mock)', output: 'the answer\nwith two lines', terminal_id: 'w0000001' });
    expect(h.calls).toEqual(['create', 'queue', 'read', 'remove']);
  });

  it('ignores a completed screen from before the task was delivered', async () => {
    const h = harness();
    await h.settle();
    h.actor.send({ type: 'WORKER', status: 'completed', turn: 0, reason: null });
    await h.settle();
    expect(h.actor.getSnapshot().value).toEqual({ running: 'working' });
  });

  it('completes when the worker finished before the delivery was recorded', async () => {
    const h = harness();
    await h.settle();
    h.actor.send({ type: 'WORKER', status: 'completed', turn: 1, reason: null });
    h.actor.send({ type: 'DELIVERED', turn: 1 });
    await h.settle();
    expect(h.actor.getSnapshot().output?.success).toBe(true);
  });

  it('keeps the worker when asked', async () => {
    const h = harness({ keepWorker: true });
    await h.settle();
    h.actor.send({ type: 'DELIVERED', turn: 1 });
    h.actor.send({ type: 'WORKER', status: 'completed', turn: 1, reason: null });
    await h.settle();
    expect(h.actor.getSnapshot().output?.success).toBe(true);
    expect(h.calls).not.toContain('remove');
  });

  it('ends early, with the bottom of the screen, when the worker asks a question', async () => {
    const h = harness();
    await h.settle();
    h.actor.send({ type: 'DELIVERED', turn: 1 });
    h.actor.send({ type: 'WORKER', status: 'waiting_user_answer', turn: 1, reason: null });
    await h.settle();
    const out = h.actor.getSnapshot().output!;
    expect(out.success).toBe(false);
    expect(out.message).toMatch(/^Handoff to developer failed: developer \(terminal w0000001\) is waiting for an answer\n--- bottom of the worker's screen ---\n\? Allow\? \[y\/n\]$/);
    expect(out.terminal_id).toBe('w0000001');
  });

  it('ends early when the worker exits or errs, with the reason', async () => {
    const h = harness();
    await h.settle();
    h.actor.send({ type: 'WORKER', status: 'exited', turn: 0, reason: 'the agent exited with status 1' });
    await h.settle();
    expect(h.actor.getSnapshot().output!.message).toContain('exited: the agent exited with status 1');
  });

  it('times out with a clear message', async () => {
    const h = harness();
    await h.settle();
    await vi.advanceTimersByTimeAsync(60_001);
    expect(h.actor.getSnapshot().output!.message).toMatch(/failed: timed out after 60 s/);
  });

  it('fails when the worker cannot be created, or the task cannot be delivered, or on cancel', async () => {
    const a = harness({ create: async () => { throw new Error('Session cao-x not found'); } });
    await a.settle();
    expect(a.actor.getSnapshot().output!.message).toContain('the worker could not start: Session cao-x not found');
    const b = harness();
    await b.settle();
    b.actor.send({ type: 'UNDELIVERABLE', reason: 'the receiver has exited' });
    await b.settle();
    expect(b.actor.getSnapshot().output!.message).toContain('the task could not be delivered: the receiver has exited');
    const c = harness();
    await c.settle();
    c.actor.send({ type: 'CANCEL' });
    await c.settle();
    expect(c.actor.getSnapshot().output!.message).toContain('cancelled by the caller');
  });

  it('restores mid-handoff and finishes from the events it then gets', async () => {
    const h = harness();
    await h.settle();
    h.actor.send({ type: 'DELIVERED', turn: 1 });
    const saved = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot()));
    h.actor.stop();
    const again = createActor(handoffMachine.provide({
      actors: {
        readAnswer: fromPromise<string, HandoffContext>(async () => 'after restart'),
        removeWorker: fromPromise<void, HandoffContext>(async () => undefined),
      },
    }), { snapshot: saved, input }).start();
    again.send({ type: 'WORKER', status: 'completed', turn: 1, reason: null });
    await vi.advanceTimersByTimeAsync(0);
    expect(again.getSnapshot().output).toMatchObject({ success: true, output: 'after restart' });
  });
});
