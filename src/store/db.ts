/**
 * cao's database: keyv over SQLite in CAO_HOME/cao.db, one namespace per collection. Every store
 * access goes through keyv so that another keyv backend is a configuration change.
 * keyv 5 swallows store errors unless told otherwise: throwOnErrors is required, and a busy timeout
 * plus WAL let a second process (a CLI, a restarted server) share the file.
 */
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export const COLLECTIONS = ['terminals', 'snapshots', 'settings', 'inbox', 'handoffs', 'flows'] as const;
export type Collection = (typeof COLLECTIONS)[number];

export interface Db {
  collection(name: Collection): Keyv;
  close(): Promise<void>;
}

export async function openDb(file: string): Promise<Db> {
  mkdirSync(dirname(file), { recursive: true });
  const stores = new Map<Collection, { kv: Keyv; store: KeyvSqlite }>();
  const open = async (name: Collection) => {
    const store = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 5000 });
    stores.set(name, { store, kv: new Keyv({ store, namespace: name, throwOnErrors: true }) });
    return store;
  };
  // WAL needs the file to itself for a moment: switch before the other connections open.
  const first = await open(COLLECTIONS[0]);
  await first.query('PRAGMA journal_mode=WAL');
  for (const name of COLLECTIONS.slice(1)) await (await open(name)).query('SELECT 1');
  return {
    collection: (name) => stores.get(name)!.kv,
    close: async () => {
      await Promise.all([...stores.values()].map((s) => s.store.disconnect()));
    },
  };
}

/** Every value of a collection. */
export async function allValues<T>(kv: Keyv): Promise<T[]> {
  const out: T[] = [];
  for await (const [, value] of kv.iterator!(undefined) as AsyncGenerator<[string, T]>) out.push(value);
  return out;
}

/**
 * A collection of records that carry their format version `v`: a record of another version is
 * never returned (it was written by a different cao and is ignored rather than misread).
 */
export function versionedRepo<T extends { v: number }, K extends string | number>(kv: Keyv, version: T['v'], keyOf: (r: T) => K, encode: (k: K) => string = String) {
  const current = (r: T | undefined): r is T => r?.v === version;
  return {
    put: async (r: T): Promise<T> => {
      await kv.set(encode(keyOf(r)), r);
      return r;
    },
    get: async (k: K): Promise<T | undefined> => {
      const r = (await kv.get(encode(k))) as T | undefined;
      return current(r) ? r : undefined;
    },
    delete: (k: K): Promise<boolean> => kv.delete(encode(k)),
    all: async (): Promise<T[]> => (await allValues<T>(kv)).filter(current),
  };
}

