/**
 * What reading a screen costs: every provider's classify() and extractLastMessage() over its screen
 * fixtures (real 200×50 captures), many rounds. The watcher runs classify on each screen it reads,
 * so this is the CPU price of one status check per provider, apart from tmux.
 *
 *   npx tsx bench/classify.ts [--rounds N] [--out FILE]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allProviders } from '../src/providers/registry.js';
import { defaultOut, printTable, writeResult, type GoalRow } from './lib/report.js';
import { ROOT } from './lib/server.js';
import { summarize } from './lib/stats.js';

/** A screen check well under a millisecond leaves the 15 ms debounce as the only noticeable delay. */
const TARGET_P99_US = 1000;

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '200' }, out: { type: 'string' } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error('--rounds must be a positive integer');
  process.exit(2);
}

const rows: GoalRow[] = [];
const results: Record<string, unknown> = {};
let wrong = 0;
for (const p of allProviders()) {
  const dir = join(ROOT, 'test', 'fixtures', 'screens', p.id);
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));
  const screens = files.map((f) => ({ expected: f.slice(0, f.indexOf('.')), text: readFileSync(join(dir, f), 'utf8') }));
  const classifyUs: number[] = [];
  const extractUs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const s of screens) {
      let t = performance.now();
      const status = p.classify(s.text);
      classifyUs.push((performance.now() - t) * 1000);
      t = performance.now();
      p.extractLastMessage(s.text);
      extractUs.push((performance.now() - t) * 1000);
      if (r === 0 && status !== s.expected) wrong++;
    }
  }
  const c = summarize(classifyUs);
  const e = summarize(extractUs);
  results[p.id] = { screens: screens.length, classifyUs: c, extractUs: e };
  rows.push([`${p.id}: classify p50 / p99 (${screens.length} screens)`, `${c.p50.toFixed(0)} / ${c.p99.toFixed(0)} µs`, `p99 < ${TARGET_P99_US} µs`, c.p99 < TARGET_P99_US]);
  rows.push([`${p.id}: extractLastMessage p50 / p99`, `${e.p50.toFixed(0)} / ${e.p99.toFixed(0)} µs`, `p99 < ${TARGET_P99_US} µs`, e.p99 < TARGET_P99_US]);
}
rows.push(['fixtures classified as their file name says', `${wrong} wrong`, '0 wrong', wrong === 0]);
printTable(rows, [`${rounds} rounds over every fixture; µs per screen.`]);
const file = writeResult(values.out ?? defaultOut('classify'), 'classify', { rounds, wrong, providers: results });
console.log(`\nwritten to ${file}`);
