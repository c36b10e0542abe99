/** Percentiles, a seeded random source and per-process CPU time from /proc. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles. */
export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    count: s.length,
    p50: round(at(50)),
    p90: round(at(90)),
    p99: round(at(99)),
    max: round(s[s.length - 1] ?? NaN),
    mean: round(s.reduce((a, b) => a + b, 0) / (s.length || 1)),
  };
}

/** mulberry32: reproducible work times for a given --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const clockTicks = (): number => Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return Number(f[11]) + Number(f[12]);
}

/** Direct children of a process (for the server: its `tmux -C` control clients). */
export function childPids(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}

/** CPU of each named group of processes over `seconds`, as % of one core. */
export async function measureCpu(groups: Record<string, number[]>, seconds: number): Promise<Record<string, number>> {
  const hz = clockTicks();
  const sum = (pids: number[]) => pids.reduce((a, p) => a + cpuTicks(p), 0);
  const before = Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, sum(pids)]));
  const start = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (performance.now() - start) / 1000;
  return Object.fromEntries(
    Object.entries(groups).map(([k, pids]) => [k, Math.round(((sum(pids) - before[k]!) / hz / wall) * 1000) / 10]),
  );
}

/** utime + stime in clock ticks, or undefined once the process is gone. */
function ticksIfAlive(pid: number): number | undefined {
  try {
    return cpuTicks(pid);
  } catch {
    return undefined;
  }
}

export interface CpuReading {
  seconds: number;
  /** % of one core per group over the measured wall time. */
  pct: Record<string, number>;
  /** CPU seconds per group. */
  cpuSeconds: Record<string, number>;
}

/**
 * Starts measuring the CPU of named groups of processes now; `stop()` reads it. Unlike measureCpu
 * it spans whatever the caller does in between (a load run). A process that ends in between counts
 * with what it used until its last reading (none, here: it is left out).
 */
export function cpuMeter(groups: Record<string, number[]>): { stop(): CpuReading } {
  const hz = clockTicks();
  const before = Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, new Map(pids.map((p) => [p, ticksIfAlive(p)]))]));
  const start = performance.now();
  return {
    stop: () => {
      const seconds = (performance.now() - start) / 1000;
      const used = Object.fromEntries(
        Object.entries(before).map(([k, m]) => {
          let ticks = 0;
          for (const [pid, b] of m) {
            const a = ticksIfAlive(pid);
            if (a !== undefined && b !== undefined) ticks += a - b;
          }
          return [k, ticks / hz];
        }),
      );
      const r1 = (x: number) => Math.round(x * 10) / 10;
      const r2 = (x: number) => Math.round(x * 100) / 100;
      return {
        seconds: r2(seconds),
        pct: Object.fromEntries(Object.entries(used).map(([k, s]) => [k, r1((s / seconds) * 100)])),
        cpuSeconds: Object.fromEntries(Object.entries(used).map(([k, s]) => [k, r2(s)])),
      };
    },
  };
}
