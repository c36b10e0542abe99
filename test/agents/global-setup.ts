/**
 * Global setup of `npm run test:agents`: build cao (the tests start the built `bin/cao-server.js`),
 * install the real CLIs into `.cache/agent-clis/` (skipped when the pinned versions are there),
 * print which versions are tested, and hand the CLIs to the test files (`inject('agentClis')`).
 * `CAO_AGENT_CLIS=claude,codex` limits the run to some CLIs.
 */
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from '../helpers/server.js';
import { CLI_NAMES, ensureClis, isInstalled, type AgentClis, type CliName } from './clis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    agentClis: AgentClis;
  }
}

const say = (s: string) => process.stdout.write(`[agents] ${s}\n`);

function selected(): CliName[] {
  const raw = process.env.CAO_AGENT_CLIS?.trim();
  if (!raw) return [...CLI_NAMES];
  const names = raw.split(/[\s,]+/).filter(Boolean);
  for (const n of names) if (!(CLI_NAMES as readonly string[]).includes(n)) throw new Error(`CAO_AGENT_CLIS: unknown CLI '${n}' (known: ${CLI_NAMES.join(', ')})`);
  return names as CliName[];
}

export function versionTable(clis: AgentClis): string {
  return Object.values(clis)
    .map((c) => (isInstalled(c) ? `  ${c.name.padEnd(8)} ${c.pkg}@${c.version} (reports ${c.reported}) ${c.installed ? 'installed' : 'cached'} in ${(c.ms / 1000).toFixed(1)} s: ${c.bin}` : `  ${c!.name.padEnd(8)} NOT AVAILABLE: ${c!.error}`))
    .join('\n');
}

let clis: AgentClis = {};
let started = 0;

export default async function setup(project: TestProject): Promise<() => void> {
  started = Date.now();
  let t = Date.now();
  execFileSync(process.execPath, [`${REPO_ROOT}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
  say(`built cao in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  t = Date.now();
  clis = await ensureClis(selected(), say);
  say(`agent CLIs ready in ${((Date.now() - t) / 1000).toFixed(1)} s:\n${versionTable(clis)}`);
  project.provide('agentClis', clis);
  return () => say(`tested against:\n${versionTable(clis)}\n  (whole run ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
