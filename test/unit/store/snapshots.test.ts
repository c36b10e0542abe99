import { describe, expect, it, vi } from 'vitest';
import { latestWriter } from '../../../src/store/snapshots.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise<void>((r) => setTimeout(r, 0));

/** A write function whose calls stay open until the test finishes them. */
function controlledWrite() {
  const calls: Deferred<void>[] = [];
  const write = vi.fn(() => {
    const d = deferred<void>();
    calls.push(d);
    return d.promise;
  });
  return { write, calls };
}

describe('latestWriter', () => {
  it('writes once for one schedule()', async () => {
    const write = vi.fn(async () => undefined);
    const onError = vi.fn();
    const w = latestWriter(write, onError);
    w.schedule();
    await w.flush();
    expect(write).toHaveBeenCalledTimes(1);
    expect(onError).not.toHaveBeenCalled();
  });

  it('starts writing at once, without waiting for flush()', () => {
    const { write } = controlledWrite();
    latestWriter(write, vi.fn()).schedule();
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('runs one write at a time, and a burst during a write costs exactly one more write', async () => {
    const { write, calls } = controlledWrite();
    const w = latestWriter(write, vi.fn());
    w.schedule();
    expect(write).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 50; i++) w.schedule();
    await settle();
    expect(write).toHaveBeenCalledTimes(1); // never two writes at once
    calls[0]!.resolve();
    await settle();
    expect(write).toHaveBeenCalledTimes(2);
    calls[1]!.resolve();
    await w.flush();
    expect(write).toHaveBeenCalledTimes(2);
  });

  it('writes the state as it is when the write starts (the newest one)', async () => {
    let state = 0;
    const written: number[] = [];
    const gate = deferred();
    const w = latestWriter(async () => {
      written.push(state);
      if (written.length === 1) await gate.promise;
    }, vi.fn());
    state = 1;
    w.schedule();
    for (state = 2; state <= 10; state++) w.schedule();
    state = 10;
    gate.resolve();
    await w.flush();
    expect(written).toEqual([1, 10]);
  });

  it('does not write again when nothing was scheduled during a write', async () => {
    const { write, calls } = controlledWrite();
    const w = latestWriter(write, vi.fn());
    w.schedule();
    calls[0]!.resolve();
    await w.flush();
    await settle();
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('flush() waits for the running write and the one scheduled after it', async () => {
    const { write, calls } = controlledWrite();
    const w = latestWriter(write, vi.fn());
    w.schedule();
    w.schedule();
    let flushed = false;
    const f = w.flush().then(() => (flushed = true));
    await settle();
    expect(flushed).toBe(false);
    calls[0]!.resolve();
    await settle();
    expect(flushed).toBe(false);
    expect(write).toHaveBeenCalledTimes(2);
    calls[1]!.resolve();
    await f;
    expect(flushed).toBe(true);
  });

  it('flush() also waits for a change scheduled after it was called, while a write still runs', async () => {
    const { write, calls } = controlledWrite();
    const w = latestWriter(write, vi.fn());
    w.schedule();
    let flushed = false;
    const f = w.flush().then(() => (flushed = true));
    await settle();
    w.schedule(); // e.g. a last status change during shutdown
    calls[0]!.resolve();
    await settle();
    expect(write).toHaveBeenCalledTimes(2);
    expect(flushed).toBe(false);
    calls[1]!.resolve();
    await f;
    expect(flushed).toBe(true);
    expect(write).toHaveBeenCalledTimes(2);
  });

  it('starts a new write for a change scheduled after everything was written', async () => {
    const { write, calls } = controlledWrite();
    const w = latestWriter(write, vi.fn());
    w.schedule();
    calls[0]!.resolve();
    await w.flush();
    w.schedule();
    expect(write).toHaveBeenCalledTimes(2);
    calls[1]!.resolve();
    await w.flush();
  });

  it('flush() resolves at once when nothing is pending', async () => {
    const w = latestWriter(vi.fn(async () => undefined), vi.fn());
    await expect(w.flush()).resolves.toBeUndefined();
  });

  it('reports a failing write to onError and keeps writing later snapshots', async () => {
    const failure = new Error('disk full');
    let n = 0;
    const write = vi.fn(async () => {
      if (++n === 1) throw failure;
    });
    const onError = vi.fn();
    const w = latestWriter(write, onError);
    w.schedule();
    await w.flush();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(failure);
    w.schedule();
    await w.flush();
    expect(write).toHaveBeenCalledTimes(2);
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('still writes what was scheduled during a write that then fails', async () => {
    const { write, calls } = controlledWrite();
    const onError = vi.fn();
    const w = latestWriter(write, onError);
    w.schedule();
    w.schedule();
    calls[0]!.reject(new Error('locked'));
    await settle();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(write).toHaveBeenCalledTimes(2);
    calls[1]!.resolve();
    await w.flush();
    expect(write).toHaveBeenCalledTimes(2);
  });

  it('treats a write that throws synchronously like a failed one (later writes and flush still work)', async () => {
    let n = 0;
    const onError = vi.fn();
    const w = latestWriter(() => {
      if (++n === 1) throw new Error('sync');
      return Promise.resolve();
    }, onError);
    w.schedule();
    await settle();
    expect(onError).toHaveBeenCalledTimes(1);
    // Checked before flush(): a writer stuck after the throw would make flush() spin forever.
    w.schedule();
    expect(n).toBe(2);
    await w.flush();
    expect(onError).toHaveBeenCalledTimes(1);
  });
});
