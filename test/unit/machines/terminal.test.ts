import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import { terminalMachine, terminalStatus, type TerminalEvent, type WatcherCommand, type WatcherInput } from '../../../src/machines/terminal.js';
import type { ScreenStatus } from '../../../src/providers/types.js';

/** A fake screen watcher: the test plays the screen, and sees what the machine asks of it. */
function harness(input: Partial<{ startTimeoutMs: number; reattached: boolean }> = {}) {
  let sendBack: ((e: TerminalEvent) => void) | undefined;
  const commands: WatcherCommand[] = [];
  const machine = terminalMachine.provide({
    actors: {
      watchScreen: fromCallback<WatcherCommand, WatcherInput>(({ sendBack: sb, receive }) => {
        sendBack = sb as (e: TerminalEvent) => void;
        receive((c) => commands.push(c));
      }),
    },
  });
  const actor = createActor(machine, { input: { id: 'abcd1234', session: 'cao-t', paneId: '%1', provider: 'mock', ...input } }).start();
  const screen = (status: ScreenStatus, fresh = true, dialog?: number) => sendBack!({ type: 'SCREEN', status, fresh, dialog });
  /** A ready screen with text waiting in the input box. */
  const typed = (status: ScreenStatus = 'idle') => sendBack!({ type: 'SCREEN', status, fresh: true, typed: true });
  const status = () => terminalStatus(actor.getSnapshot());
  return { actor, screen, typed, status, commands };
}

describe('terminal machine', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('starts, ignores loading screens, and becomes idle at the first prompt', () => {
    const t = harness();
    expect(t.status()).toBe('starting');
    t.screen('processing');
    expect(t.status()).toBe('starting');
    t.screen('idle');
    expect(t.status()).toBe('idle');
  });

  it('a reattached agent that is mid-turn shows as processing, not starting', () => {
    const t = harness({ reattached: true });
    t.screen('processing');
    expect(t.status()).toBe('processing');
    t.screen('completed');
    expect(t.status()).toBe('completed');
  });

  it('answers a known startup dialog by pressing its keys, a bounded number of times', () => {
    const t = harness();
    t.screen('waiting_user_answer', true, 0);
    expect(t.status()).toBe('starting');
    expect(t.commands).toEqual([{ type: 'PRESS', keys: ['y'], why: "answering the startup dialog 'trust folder'" }]);
    for (let i = 0; i < 10; i++) t.screen('waiting_user_answer', true, 0);
    expect(t.commands.length).toBe(5);
    expect(t.status()).toBe('waiting_user_answer');
  });

  it('an unknown question during start leaves starting as waiting_user_answer', () => {
    const t = harness();
    t.screen('waiting_user_answer');
    expect(t.status()).toBe('waiting_user_answer');
  });

  it('fails with a reason when the agent never becomes ready', () => {
    const t = harness({ startTimeoutMs: 5000 });
    vi.advanceTimersByTime(5001);
    expect(t.status()).toBe('error');
    expect(t.actor.getSnapshot().context.reason).toMatch(/did not become ready within 5 s/);
  });

  describe('input the CLI did not take (its Enter dropped)', () => {
    const enters = (t: ReturnType<typeof harness>) => t.commands.filter((c) => c.type === 'PRESS').length;

    it('is not an answer: the paste drawn in the input box does not settle the turn', () => {
      const t = harness();
      t.screen('idle');
      t.actor.send({ type: 'INPUT' });
      t.typed();
      vi.advanceTimersByTime(400);
      expect(t.status()).toBe('processing');
      t.screen('processing');
      t.screen('completed');
      expect(t.status()).toBe('completed');
      expect(enters(t)).toBe(0);
    });

    it('left in the box: the submit keys are pressed again until the agent takes it', () => {
      const t = harness();
      t.screen('idle');
      t.actor.send({ type: 'INPUT' });
      t.typed();
      vi.advanceTimersByTime(499);
      expect(enters(t)).toBe(0);
      vi.advanceTimersByTime(1);
      expect(t.commands.at(-1)).toEqual({ type: 'PRESS', keys: ['Enter'], why: 'turn 1: the input is still in the input box, submitting it again (1/3)' });
      t.typed(); // still there (the CLI turned that Enter into a newline too)
      vi.advanceTimersByTime(500);
      expect(enters(t)).toBe(2);
      t.screen('processing');
      vi.advanceTimersByTime(5000);
      expect(enters(t)).toBe(2);
      t.screen('completed');
      expect(t.status()).toBe('completed');
    });

    it('gives up after three presses and shows the screen: idle with the text in the box', () => {
      const t = harness();
      t.screen('idle');
      t.actor.send({ type: 'INPUT' });
      t.typed();
      vi.advanceTimersByTime(10_000);
      expect(enters(t)).toBe(3);
      expect(t.status()).toBe('idle');
    });

    it('text in the box after the agent worked on the turn is the user\'s: nothing is pressed', () => {
      const t = harness();
      t.screen('idle');
      t.actor.send({ type: 'INPUT' });
      t.screen('processing');
      t.typed('completed');
      vi.advanceTimersByTime(5000);
      expect(t.status()).toBe('completed');
      expect(enters(t)).toBe(0);
    });

    it('a settling ready screen that turns into unsent text waits for the text instead', () => {
      const t = harness();
      t.screen('completed');
      t.actor.send({ type: 'INPUT' });
      t.screen('idle');
      t.typed();
      vi.advanceTimersByTime(300);
      expect(t.status()).toBe('processing');
      vi.advanceTimersByTime(200);
      expect(enters(t)).toBe(1);
    });
  });

  it('counts turns and tells the watcher when one begins', () => {
    const t = harness();
    t.screen('idle');
    t.actor.send({ type: 'INPUT' });
    expect(t.status()).toBe('processing');
    expect(t.actor.getSnapshot().context.turn).toBe(1);
    expect(t.commands).toContainEqual({ type: 'TURN' });
  });

  it('never completes a turn on the screen it had before the input (no false completed)', () => {
    const t = harness();
    t.screen('completed');
    t.actor.send({ type: 'INPUT' });
    t.screen('completed', false); // the old answer, still on screen
    expect(t.status()).toBe('processing');
    t.screen('processing');
    t.screen('completed');
    expect(t.status()).toBe('completed');
  });

  it('completes an instant turn after the new ready screen stays quiet for the settle period', () => {
    const t = harness();
    t.screen('idle');
    t.actor.send({ type: 'INPUT' });
    t.screen('completed', true);
    expect(t.status()).toBe('processing');
    vi.advanceTimersByTime(200);
    t.screen('completed', true); // a later ready screen does not restart the quiet period
    vi.advanceTimersByTime(150);
    expect(t.status()).toBe('completed');
  });

  it('a turn that starts working during the settle period is followed, not completed', () => {
    const t = harness();
    t.screen('idle');
    t.actor.send({ type: 'INPUT' });
    t.screen('idle', true);
    t.screen('processing');
    vi.advanceTimersByTime(1000);
    expect(t.status()).toBe('processing');
    t.screen('completed');
    expect(t.status()).toBe('completed');
  });

  it('believes the screen if it never changes after the input', () => {
    const t = harness();
    t.screen('completed');
    t.actor.send({ type: 'INPUT' });
    vi.advanceTimersByTime(10_001);
    expect(t.status()).toBe('completed');
  });

  it('reports questions and errors of the current turn at once', () => {
    const t = harness();
    t.screen('idle');
    t.actor.send({ type: 'INPUT' });
    t.screen('waiting_user_answer');
    expect(t.status()).toBe('waiting_user_answer');
    t.screen('processing');
    t.screen('error');
    expect(t.status()).toBe('error');
  });

  it('follows a user who types straight into the terminal', () => {
    const t = harness();
    t.screen('idle');
    t.screen('processing');
    expect(t.status()).toBe('processing');
    t.screen('completed');
    expect(t.status()).toBe('completed');
  });

  it('a failed send gives the turn back to the screen', () => {
    const t = harness();
    t.screen('completed');
    t.actor.send({ type: 'INPUT' });
    t.actor.send({ type: 'INPUT_FAILED' });
    expect(t.status()).toBe('completed');
  });

  it('exits from any state and keeps why', () => {
    const t = harness();
    t.screen('idle');
    t.actor.send({ type: 'INPUT' });
    // the watcher reports the pane's death
    (t.actor as unknown as { send(e: TerminalEvent): void }).send({ type: 'EXITED', code: 3, reason: 'the agent exited with status 3' });
    expect(t.status()).toBe('exited');
    expect(t.actor.getSnapshot().context).toMatchObject({ exitCode: 3, reason: 'the agent exited with status 3' });
  });

  it('survives a persist/restore round trip mid-turn', () => {
    const t = harness();
    t.screen('idle');
    t.actor.send({ type: 'INPUT' });
    t.screen('processing');
    const persisted = t.actor.getPersistedSnapshot();
    t.actor.stop();
    const again = createActor(
      terminalMachine.provide({ actors: { watchScreen: fromCallback<WatcherCommand, WatcherInput>(() => undefined) } }),
      { snapshot: JSON.parse(JSON.stringify(persisted)), input: undefined as never },
    ).start();
    expect(terminalStatus(again.getSnapshot())).toBe('processing');
    expect(again.getSnapshot().context).toMatchObject({ turn: 1, workedTurn: 1 });
  });
});
