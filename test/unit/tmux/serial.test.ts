import { describe, expect, it } from 'vitest';
import { keyedSerial } from '../../../src/tmux/serial.js';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Let every pending promise callback run. */
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

describe('keyedSerial', () => {
  it('runs jobs with the same key one after another, in call order', async () => {
    const serial = keyedSerial();
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const runs = gates.map((g, i) =>
      serial('%1', async () => {
        log.push(`start ${i}`);
        await g.promise;
        log.push(`end ${i}`);
        return i;
      }),
    );
    await settle();
    expect(log).toEqual(['start 0']);
    // Finishing a later job's gate first changes nothing: job 1 has not started.
    gates[2]!.resolve();
    await settle();
    expect(log).toEqual(['start 0']);
    gates[0]!.resolve();
    await settle();
    expect(log).toEqual(['start 0', 'end 0', 'start 1']);
    gates[1]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs jobs with different keys concurrently', async () => {
    const serial = keyedSerial();
    const log: string[] = [];
    const a = deferred();
    const b = deferred();
    const ra = serial('%1', async () => {
      log.push('start a');
      await a.promise;
      log.push('end a');
    });
    const rb = serial('%2', async () => {
      log.push('start b');
      await b.promise;
      log.push('end b');
    });
    await settle();
    expect(log).toEqual(['start a', 'start b']);
    b.resolve();
    await rb;
    expect(log).toEqual(['start a', 'start b', 'end b']);
    a.resolve();
    await ra;
    expect(log).toEqual(['start a', 'start b', 'end b', 'end a']);
  });

  it('passes a job rejection to its caller and still runs the next job with that key', async () => {
    const serial = keyedSerial();
    const gate = deferred();
    const failing = serial('%1', async () => {
      await gate.promise;
      throw new Error('tmux said no');
    });
    let secondStarted = false;
    const next = serial('%1', async () => {
      secondStarted = true;
      return 'ok';
    });
    await settle();
    expect(secondStarted).toBe(false);
    gate.resolve();
    await expect(failing).rejects.toThrow('tmux said no');
    await expect(next).resolves.toBe('ok');
    expect(secondStarted).toBe(true);
  });

  it('treats a job that throws synchronously like a rejected one', async () => {
    const serial = keyedSerial();
    const bad = serial('%1', () => {
      throw new Error('sync failure');
    });
    const good = serial('%1', async () => 42);
    await expect(bad).rejects.toThrow('sync failure');
    await expect(good).resolves.toBe(42);
  });

  it('keeps serialising a key after its queue has drained', async () => {
    const serial = keyedSerial();
    await serial('%1', async () => 'first');
    await settle();
    const log: string[] = [];
    const gate = deferred();
    const one = serial('%1', async () => {
      log.push('one');
      await gate.promise;
      log.push('one done');
    });
    const two = serial('%1', async () => {
      log.push('two');
    });
    await settle();
    expect(log).toEqual(['one']);
    gate.resolve();
    await Promise.all([one, two]);
    expect(log).toEqual(['one', 'one done', 'two']);
  });

  it('does not share queues between two serialisers', async () => {
    const s1 = keyedSerial();
    const s2 = keyedSerial();
    const gate = deferred();
    const log: string[] = [];
    const r1 = s1('%1', async () => {
      await gate.promise;
      log.push('s1');
    });
    const r2 = s2('%1', async () => {
      log.push('s2');
    });
    await r2;
    expect(log).toEqual(['s2']);
    gate.resolve();
    await r1;
    expect(log).toEqual(['s2', 's1']);
  });
});
