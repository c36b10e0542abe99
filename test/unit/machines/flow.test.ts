/** The flow machine with a fake schedule actor and fake runs (controlled promises), then with the real schedule actor. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback, fromPromise, type Snapshot } from 'xstate';
import { scheduleActor } from '../../../src/actors/flows.js';
import type { FlowDefinition } from '../../../src/flows/definition.js';
import { flowMachine, flowState, KEEP_RUNS, type FlowEvent, type FlowInput, type FlowRun, type RunInput, type ScheduleInput } from '../../../src/machines/flow.js';

const DEF: FlowDefinition = { name: 'nightly', schedule: '0 2 * * *', agentProfile: 'developer', scriptTimeoutSeconds: 30, prompt: 'Check the build.' };

interface PendingRun {
  input: RunInput;
  resolve(r: FlowRun): void;
  reject(e: unknown): void;
}

const runOf = (input: RunInput, o: Partial<FlowRun> = {}): FlowRun => ({
  trigger: input.trigger, startedAt: input.startedAt, finishedAt: new Date().toISOString(),
  outcome: 'executed', session: `cao-${input.name}-0001`, terminalId: 'abcd1234', error: null, ...o,
});

/** The machine with a schedule actor the test drives (FIRE, SCHEDULED) and runs the test finishes. */
function harness(input: Partial<FlowInput> = {}, snapshot?: Snapshot<unknown>) {
  const schedules: ScheduleInput[] = [];
  let scheduleStops = 0;
  let sendBack: ((e: FlowEvent) => void) | undefined;
  const pending: PendingRun[] = [];
  const machine = flowMachine.provide({
    actors: {
      waitForSchedule: fromCallback<FlowEvent, ScheduleInput>(({ input: i, sendBack: sb }) => {
        schedules.push(i);
        sendBack = sb as (e: FlowEvent) => void;
        return () => void scheduleStops++;
      }),
      executeRun: fromPromise<FlowRun, RunInput>(({ input: i }) => new Promise((resolve, reject) => pending.push({ input: i, resolve, reject }))),
    },
  });
  const full: FlowInput = { name: 'nightly', definition: DEF, filePath: null, enabled: true, nextRunAt: null, ...input };
  const actor = createActor(machine, snapshot ? { snapshot: snapshot as never, input: full } : { input: full }).start();
  const h = {
    actor, schedules, pending,
    get scheduleStops() {
      return scheduleStops;
    },
    state: () => flowState(actor.getSnapshot().value),
    ctx: () => actor.getSnapshot().context,
    /** What the schedule actor would send: the slot came. */
    fire: (at: string, next: string | null) => sendBack!({ type: 'FIRE', at, next }),
    scheduled: (next: string | null) => sendBack!({ type: 'SCHEDULED', next }),
    /** Finish the oldest unfinished run and let the machine take it in. */
    finish: async (o: Partial<FlowRun> = {}) => {
      const p = pending.shift()!;
      p.resolve(runOf(p.input, o));
      await flush();
    },
    fail: async (e: unknown) => {
      pending.shift()!.reject(e);
      await flush();
    },
  };
  return h;
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('flow machine', () => {
  it('starts scheduled when enabled, with the schedule actor asked for the stored next run', () => {
    const h = harness({ nextRunAt: '2025-06-14T02:00:00.000Z' });
    expect(h.state()).toBe('scheduled');
    expect(h.schedules).toEqual([{ schedule: '0 2 * * *', timezone: undefined, nextRunAt: '2025-06-14T02:00:00.000Z' }]);
  });

  it('starts paused when disabled, with no schedule actor', () => {
    const h = harness({ enabled: false });
    expect(h.state()).toBe('paused');
    expect(h.schedules).toEqual([]);
  });

  it('SCHEDULED records the next run the schedule actor computed', () => {
    const h = harness({ definition: { ...DEF, timezone: 'Europe/Berlin' } });
    expect(h.schedules[0]).toEqual({ schedule: '0 2 * * *', timezone: 'Europe/Berlin', nextRunAt: null });
    h.scheduled('2025-06-14T00:00:00.000Z');
    expect(h.ctx().nextRunAt).toBe('2025-06-14T00:00:00.000Z');
    expect(h.state()).toBe('scheduled');
  });

  it('FIRE: scheduled → running → scheduled, the run recorded and nextRunAt taken from FIRE', async () => {
    const h = harness({ nextRunAt: '2025-06-14T02:00:00.000Z' });
    h.fire('2025-06-14T02:00:00.010Z', '2025-06-15T02:00:00.000Z');
    expect(h.state()).toBe('running');
    expect(h.ctx().nextRunAt).toBe('2025-06-15T02:00:00.000Z');
    expect(h.ctx().current).toEqual({ trigger: 'schedule', startedAt: '2025-06-14T02:00:00.010Z' });
    expect(h.scheduleStops).toBe(1); // no schedule actor while running
    expect(h.pending.map((p) => p.input)).toEqual([{ name: 'nightly', definition: DEF, filePath: null, trigger: 'schedule', startedAt: '2025-06-14T02:00:00.010Z' }]);
    await h.finish();
    expect(h.state()).toBe('scheduled');
    expect(h.ctx().current).toBeNull();
    expect(h.ctx().runs).toEqual([expect.objectContaining({ trigger: 'schedule', startedAt: '2025-06-14T02:00:00.010Z', outcome: 'executed', session: 'cao-nightly-0001' })]);
    // Scheduled again for the slot FIRE named.
    expect(h.schedules.at(-1)).toEqual({ schedule: '0 2 * * *', timezone: undefined, nextRunAt: '2025-06-15T02:00:00.000Z' });
  });

  it('keeps the newest run first and at most KEEP_RUNS (20) of them', async () => {
    expect(KEEP_RUNS).toBe(20);
    const h = harness();
    for (let i = 0; i < 25; i++) {
      const at = new Date(Date.UTC(2025, 0, 1 + i, 2)).toISOString();
      h.fire(at, new Date(Date.UTC(2025, 0, 2 + i, 2)).toISOString());
      await h.finish({ outcome: i % 3 === 0 ? 'skipped' : 'executed' });
    }
    const runs = h.ctx().runs;
    expect(runs).toHaveLength(20);
    expect(runs[0]!.startedAt).toBe(new Date(Date.UTC(2025, 0, 25, 2)).toISOString());
    expect(runs[19]!.startedAt).toBe(new Date(Date.UTC(2025, 0, 6, 2)).toISOString());
    const starts = runs.map((r) => r.startedAt);
    expect([...starts].sort().reverse()).toEqual(starts);
  });

  it('ignores FIRE and RUN while running: no second run starts', async () => {
    const h = harness();
    h.fire('2025-06-14T02:00:00.000Z', '2025-06-15T02:00:00.000Z');
    h.actor.send({ type: 'RUN', at: '2025-06-14T02:00:01.000Z' });
    h.actor.send({ type: 'FIRE', at: '2025-06-14T02:00:02.000Z', next: '2099-01-01T00:00:00.000Z' });
    h.actor.send({ type: 'RUN', at: '2025-06-14T02:00:03.000Z' });
    await flush();
    expect(h.pending).toHaveLength(1);
    expect(h.ctx().current).toEqual({ trigger: 'schedule', startedAt: '2025-06-14T02:00:00.000Z' });
    expect(h.ctx().nextRunAt).toBe('2025-06-15T02:00:00.000Z');
    await h.finish();
    expect(h.ctx().runs).toHaveLength(1);
    expect(h.pending).toHaveLength(0);
    expect(h.state()).toBe('scheduled');
  });

  it('manual RUN from scheduled keeps the next slot and returns to scheduled', async () => {
    const h = harness({ nextRunAt: '2025-06-15T02:00:00.000Z' });
    h.actor.send({ type: 'RUN', at: '2025-06-14T12:00:00.000Z' });
    expect(h.state()).toBe('running');
    expect(h.pending[0]!.input).toMatchObject({ trigger: 'manual', startedAt: '2025-06-14T12:00:00.000Z' });
    await h.finish();
    expect(h.state()).toBe('scheduled');
    expect(h.ctx().nextRunAt).toBe('2025-06-15T02:00:00.000Z');
    expect(h.schedules.at(-1)!.nextRunAt).toBe('2025-06-15T02:00:00.000Z');
    expect(h.ctx().runs[0]).toMatchObject({ trigger: 'manual', startedAt: '2025-06-14T12:00:00.000Z' });
  });

  it('manual RUN from paused runs and returns to paused (enabled stays false)', async () => {
    const h = harness({ enabled: false });
    h.actor.send({ type: 'RUN', at: '2025-06-14T12:00:00.000Z' });
    expect(h.state()).toBe('running');
    await h.finish({ outcome: 'skipped', session: null, terminalId: null });
    expect(h.state()).toBe('paused');
    expect(h.ctx().enabled).toBe(false);
    expect(h.ctx().runs).toEqual([expect.objectContaining({ trigger: 'manual', outcome: 'skipped', session: null })]);
    expect(h.schedules).toEqual([]);
  });

  it('DISABLE from scheduled pauses and stops the schedule actor', () => {
    const h = harness({ nextRunAt: '2025-06-15T02:00:00.000Z' });
    h.actor.send({ type: 'DISABLE' });
    expect(h.state()).toBe('paused');
    expect(h.ctx().enabled).toBe(false);
    expect(h.scheduleStops).toBe(1);
  });

  it('DISABLE during a run lets it finish, records it, then pauses', async () => {
    const h = harness();
    h.fire('2025-06-14T02:00:00.000Z', '2025-06-15T02:00:00.000Z');
    h.actor.send({ type: 'DISABLE' });
    expect(h.state()).toBe('running');
    expect(h.ctx().enabled).toBe(false);
    await h.finish();
    expect(h.state()).toBe('paused');
    expect(h.ctx().runs).toHaveLength(1);
    const before = h.schedules.length;
    await flush();
    expect(h.schedules.length).toBe(before); // not scheduled again
  });

  it('ENABLE from paused clears nextRunAt: the schedule actor computes the next slot from now', () => {
    const h = harness({ nextRunAt: '2025-06-14T02:00:00.000Z' });
    h.actor.send({ type: 'DISABLE' });
    h.actor.send({ type: 'ENABLE' });
    expect(h.state()).toBe('scheduled');
    expect(h.ctx().enabled).toBe(true);
    expect(h.ctx().nextRunAt).toBeNull();
    expect(h.schedules.at(-1)).toEqual({ schedule: '0 2 * * *', timezone: undefined, nextRunAt: null });
    h.scheduled('2025-07-01T02:00:00.000Z');
    expect(h.ctx().nextRunAt).toBe('2025-07-01T02:00:00.000Z');
  });

  it('ENABLE while already scheduled changes nothing', () => {
    const h = harness({ nextRunAt: '2025-06-15T02:00:00.000Z' });
    const invoked = h.schedules.length;
    h.actor.send({ type: 'ENABLE' });
    expect(h.state()).toBe('scheduled');
    expect(h.ctx().nextRunAt).toBe('2025-06-15T02:00:00.000Z');
    expect(h.schedules.length).toBe(invoked);
    expect(h.scheduleStops).toBe(0);
  });

  it('ENABLE during a manual run of a paused flow schedules from now afterwards, not from the slot it had before', async () => {
    const h = harness({ nextRunAt: '2025-06-14T02:00:00.000Z' });
    h.actor.send({ type: 'DISABLE' });
    h.actor.send({ type: 'RUN', at: '2025-06-20T12:00:00.000Z' });
    h.actor.send({ type: 'ENABLE' });
    expect(h.state()).toBe('running');
    await h.finish();
    expect(h.state()).toBe('scheduled');
    // The slot of 14 June passed while the flow was disabled: it must not fire now.
    expect(h.schedules.at(-1)!.nextRunAt).toBeNull();
  });

  it('a rejected run is recorded as a failed run with the reason, and the schedule moves on', async () => {
    const h = harness();
    h.fire('2025-06-14T02:00:00.000Z', '2025-06-15T02:00:00.000Z');
    await h.fail(new Error('tmux is gone'));
    expect(h.state()).toBe('scheduled');
    expect(h.ctx().runs).toEqual([
      { trigger: 'schedule', startedAt: '2025-06-14T02:00:00.000Z', finishedAt: expect.any(String), outcome: 'failed', session: null, terminalId: null, error: 'tmux is gone' },
    ]);
    expect(h.ctx().current).toBeNull();
    expect(h.schedules.at(-1)!.nextRunAt).toBe('2025-06-15T02:00:00.000Z');
    // And the next slot runs as usual.
    h.fire('2025-06-15T02:00:00.000Z', '2025-06-16T02:00:00.000Z');
    await h.finish();
    expect(h.ctx().runs.map((r) => r.outcome)).toEqual(['executed', 'failed']);
  });

  it('a rejection that is not an Error is recorded too', async () => {
    const h = harness({ enabled: false });
    h.actor.send({ type: 'RUN', at: '2025-06-14T12:00:00.000Z' });
    await h.fail('just a string');
    expect(h.state()).toBe('paused');
    expect(h.ctx().runs[0]).toMatchObject({ outcome: 'failed', error: expect.stringContaining('just a string') });
  });

  it('a persisted snapshot taken mid-run restores as running, runs again and finishes', async () => {
    const h = harness({ nextRunAt: '2025-06-14T02:00:00.000Z', runs: [runOf({ name: 'nightly', definition: DEF, filePath: null, trigger: 'manual', startedAt: '2025-06-13T10:00:00.000Z' })] });
    h.fire('2025-06-14T02:00:00.000Z', '2025-06-15T02:00:00.000Z');
    const persisted = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot()));
    h.actor.stop();

    const again = harness({}, persisted);
    expect(again.state()).toBe('running');
    expect(again.ctx().current).toEqual({ trigger: 'schedule', startedAt: '2025-06-14T02:00:00.000Z' });
    expect(again.ctx().nextRunAt).toBe('2025-06-15T02:00:00.000Z');
    await flush();
    // The interrupted run is started again, with the same input.
    expect(again.pending.map((p) => p.input)).toEqual([{ name: 'nightly', definition: DEF, filePath: null, trigger: 'schedule', startedAt: '2025-06-14T02:00:00.000Z' }]);
    await again.finish();
    expect(again.state()).toBe('scheduled');
    expect(again.ctx().runs.map((r) => [r.trigger, r.startedAt])).toEqual([['schedule', '2025-06-14T02:00:00.000Z'], ['manual', '2025-06-13T10:00:00.000Z']]);
    expect(again.schedules.at(-1)!.nextRunAt).toBe('2025-06-15T02:00:00.000Z');
  });

  it('a persisted paused flow restores paused, with its history', () => {
    const h = harness({ enabled: false, runs: [runOf({ name: 'nightly', definition: DEF, filePath: null, trigger: 'manual', startedAt: '2025-06-13T10:00:00.000Z' })] });
    const again = harness({}, JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot())));
    expect(again.state()).toBe('paused');
    expect(again.ctx().runs).toHaveLength(1);
    expect(again.schedules).toEqual([]);
  });
});

describe('flow machine with the real schedule actor (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  /** Runs finish at once (skipped); the test only watches when they start. */
  function real(input: Partial<FlowInput> = {}, snapshot?: Snapshot<unknown>) {
    const started: RunInput[] = [];
    const machine = flowMachine.provide({
      actors: {
        waitForSchedule: scheduleActor,
        executeRun: fromPromise<FlowRun, RunInput>(async ({ input: i }) => {
          started.push(i);
          return runOf(i, { outcome: 'skipped', session: null, terminalId: null });
        }),
      },
    });
    const full: FlowInput = { name: 'nightly', definition: { ...DEF, timezone: 'UTC' }, filePath: null, enabled: true, nextRunAt: null, ...input };
    const actor = createActor(machine, snapshot ? { snapshot: snapshot as never, input: full } : { input: full }).start();
    return { actor, started, ctx: () => actor.getSnapshot().context, state: () => flowState(actor.getSnapshot().value) };
  }

  it('computes the next slot, fires at it with the following one as next, and records the run', async () => {
    vi.setSystemTime(new Date('2025-06-14T01:00:00Z'));
    const f = real();
    expect(f.ctx().nextRunAt).toBe('2025-06-14T02:00:00.000Z');
    await vi.advanceTimersByTimeAsync(60 * 60_000 - 1);
    expect(f.started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.started).toEqual([expect.objectContaining({ trigger: 'schedule', startedAt: '2025-06-14T02:00:00.000Z' })]);
    expect(f.ctx().nextRunAt).toBe('2025-06-15T02:00:00.000Z');
    expect(f.state()).toBe('scheduled');
    expect(f.ctx().runs).toHaveLength(1);
    // And again a day later, exactly once.
    await vi.advanceTimersByTimeAsync(24 * 60 * 60_000);
    expect(f.started.map((r) => r.startedAt)).toEqual(['2025-06-14T02:00:00.000Z', '2025-06-15T02:00:00.000Z']);
    expect(vi.getTimerCount()).toBe(1);
    f.actor.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a stored next run that passed while the server was down fires once at start (missed slots collapse)', async () => {
    vi.setSystemTime(new Date('2025-06-17T09:00:00Z'));
    const f = real({ nextRunAt: '2025-06-14T02:00:00.000Z' });
    await vi.advanceTimersByTimeAsync(0);
    expect(f.started).toHaveLength(1);
    expect(f.ctx().nextRunAt).toBe('2025-06-18T02:00:00.000Z');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(f.started).toHaveLength(1);
  });

  it('restored from a snapshot taken before the first slot, it still fires a slot that passed while it was down', async () => {
    vi.setSystemTime(new Date('2025-06-14T01:00:00Z'));
    const f = real();
    expect(f.ctx().nextRunAt).toBe('2025-06-14T02:00:00.000Z');
    const persisted = JSON.parse(JSON.stringify(f.actor.getPersistedSnapshot()));
    f.actor.stop();
    // The server is down from 01:00 to 03:00.
    vi.setSystemTime(new Date('2025-06-14T03:00:00Z'));
    const again = real({}, persisted);
    await vi.advanceTimersByTimeAsync(0);
    expect(again.started.map((r) => r.trigger)).toEqual(['schedule']);
    expect(again.ctx().nextRunAt).toBe('2025-06-15T02:00:00.000Z');
    again.actor.stop();
  });

  it('restored before the slot, it keeps the slot (no new one computed) and fires it once', async () => {
    vi.setSystemTime(new Date('2025-06-14T01:00:00Z'));
    const f = real();
    const persisted = JSON.parse(JSON.stringify(f.actor.getPersistedSnapshot()));
    f.actor.stop();
    vi.setSystemTime(new Date('2025-06-14T01:30:00Z'));
    const again = real({}, persisted);
    expect(again.ctx().nextRunAt).toBe('2025-06-14T02:00:00.000Z');
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(again.started.map((r) => r.startedAt)).toEqual(['2025-06-14T02:00:00.000Z']);
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(again.started).toHaveLength(1);
    again.actor.stop();
  });

  it('a timer that fires before the clock shows the slot (clock set back) does not run that slot twice', async () => {
    vi.setSystemTime(new Date('2025-06-14T01:59:00Z'));
    const f = real();
    expect(f.ctx().nextRunAt).toBe('2025-06-14T02:00:00.000Z');
    // The wall clock is set back by 50 ms (NTP): the 60 s timer ends at 01:59:59.950.
    vi.setSystemTime(new Date('2025-06-14T01:58:59.950Z'));
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(f.started).toHaveLength(1);
    expect(new Date(f.started[0]!.startedAt).getTime()).toBeGreaterThanOrEqual(Date.parse('2025-06-14T02:00:00.000Z'));
    expect(f.ctx().nextRunAt).toBe('2025-06-15T02:00:00.000Z');
    f.actor.stop();
  });

  it('waits longer than a setTimeout can (a yearly flow) and fires on the day', async () => {
    vi.setSystemTime(new Date('2025-01-02T00:00:00Z'));
    const f = real({ definition: { ...DEF, schedule: '0 0 1 1 *', timezone: 'UTC' } });
    expect(f.ctx().nextRunAt).toBe('2026-01-01T00:00:00.000Z');
    await vi.advanceTimersByTimeAsync(Date.parse('2026-01-01T00:00:00Z') - Date.now() - 1000);
    expect(f.started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.started.map((r) => r.startedAt)).toEqual(['2026-01-01T00:00:00.000Z']);
    expect(f.ctx().nextRunAt).toBe('2027-01-01T00:00:00.000Z');
    f.actor.stop();
  });

  it('ENABLE after a long pause schedules from now: the slots it missed while disabled do not fire', async () => {
    vi.setSystemTime(new Date('2025-06-14T01:00:00Z'));
    const f = real();
    f.actor.send({ type: 'DISABLE' });
    vi.setSystemTime(new Date('2025-06-20T12:00:00Z'));
    f.actor.send({ type: 'ENABLE' });
    await vi.advanceTimersByTimeAsync(0);
    expect(f.started).toEqual([]);
    expect(f.ctx().nextRunAt).toBe('2025-06-21T02:00:00.000Z');
    expect(vi.getTimerCount()).toBe(1);
    f.actor.stop();
  });

  it('a schedule that never fires again leaves the flow scheduled with no next run', async () => {
    vi.setSystemTime(new Date('2025-06-14T01:00:00Z'));
    const f = real({ definition: { ...DEF, schedule: '0 0 30 2 *', timezone: 'UTC' } });
    expect(f.state()).toBe('scheduled');
    expect(f.ctx().nextRunAt).toBeNull();
    await vi.advanceTimersByTimeAsync(365 * 24 * 60 * 60_000);
    expect(f.started).toEqual([]);
    f.actor.stop();
  });
});
