/** The PASS/FAIL table on stdout and the JSON result file, shared by the benchmarks. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ROOT } from './server.js';

/** [goal, result, target, pass] */
export type GoalRow = [string, string, string, boolean];

export const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a');
export const round2 = (x: number) => Math.round(x * 100) / 100;

export function printTable(rows: GoalRow[], info: string[]): void {
  const cells = rows.map(([g, r, t, ok]) => [g, r, t, ok ? 'PASS' : 'FAIL'] as const);
  const w = [0, 1, 2].map((i) => Math.max(['Goal', 'Result', 'Target'][i]!.length, ...cells.map((c) => c[i]!.length)));
  console.log(`\n${'Goal'.padEnd(w[0]!)}  ${'Result'.padEnd(w[1]!)}  ${'Target'.padEnd(w[2]!)}  Verdict`);
  for (const c of cells) console.log(`${c[0].padEnd(w[0]!)}  ${c[1].padEnd(w[1]!)}  ${c[2].padEnd(w[2]!)}  ${c[3]}`);
  if (info.length) console.log(`\n${info.join('\n')}`);
}

export function machineInfo() {
  let tmux = 'unknown';
  try {
    tmux = execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim();
  } catch {
    /* reported as unknown */
  }
  return { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version, tmux };
}

export function gitRev(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export const defaultOut = (name: string) => join(ROOT, 'bench', 'results', `${name}.json`);

/** Writes `{ benchmark, date, git, machine, ...body }` to `file`; returns the absolute path. */
export function writeResult(file: string, benchmark: string, body: Record<string, unknown>): string {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  const result = { benchmark, date: new Date().toISOString(), git: gitRev(), machine: machineInfo(), ...body };
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}
