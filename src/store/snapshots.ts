/**
 * Persisted actor snapshots, versioned: a snapshot written by an older machine definition is
 * dropped (the actors are rebuilt from their records) instead of being restored wrongly.
 */
import type { Keyv } from 'keyv';

export const SNAPSHOT_VERSION = 1;

interface Stored {
  v: number;
  savedAt: string;
  snapshot: unknown;
}

export const snapshotRepo = (kv: Keyv) => ({
  save: (key: string, snapshot: unknown) => kv.set(key, { v: SNAPSHOT_VERSION, savedAt: new Date().toISOString(), snapshot } satisfies Stored),
  load: async (key: string): Promise<unknown> => {
    const s = (await kv.get(key)) as Stored | undefined;
    return s?.v === SNAPSHOT_VERSION ? s.snapshot : undefined;
  },
  delete: (key: string) => kv.delete(key),
});
export type SnapshotRepo = ReturnType<typeof snapshotRepo>;

/**
 * Writes the latest snapshot, one write at a time: while a write runs, newer snapshots replace
 * each other and only the last is written next (so a burst of changes costs two writes).
 */
export function latestWriter(write: () => Promise<unknown>, onError: (e: unknown) => void) {
  let running: Promise<void> | null = null;
  let dirty = false;
  // A write that throws synchronously becomes a rejection, so the await below always yields: else
  // loop() could finish (running = null) before schedule() stores its promise, and then no write
  // would ever start again and flush() would spin forever.
  const attempt = async () => write();
  const loop = async () => {
    while (dirty) {
      dirty = false;
      try {
        await attempt();
      } catch (e) {
        onError(e);
      }
    }
    running = null;
  };
  return {
    schedule(): void {
      dirty = true;
      running ??= loop();
    },
    /** Resolves when everything scheduled so far is written. */
    async flush(): Promise<void> {
      while (running) await running;
    },
  };
}
