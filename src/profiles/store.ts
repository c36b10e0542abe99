/**
 * Where profiles are found: CAO_HOME/agent-store, then the configured agent directories, then the
 * built-ins shipped in `agents/`. First hit wins. Names never become paths outside a directory.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { homePaths } from '../config.js';
import { PACKAGE_ROOT } from '../package.js';
import { parseProfile, PROFILE_NAME, type AgentProfile } from './schema.js';

export const BUILTIN_AGENTS_DIR = join(PACKAGE_ROOT, 'agents');

export interface ProfileSource {
  dir: string;
  /** Label shown in listings, as the original cao: built-in, local, custom, or a provider key. */
  label: string;
}

export interface ProfileListing {
  name: string;
  description: string;
  source: string;
}

export class ProfileNotFound extends Error {
  constructor(readonly profileName: string, searched: string[]) {
    super(`agent profile '${profileName}' not found (looked in ${searched.join(', ')})`);
    this.name = 'ProfileNotFound';
  }
}

interface Settings {
  agent_dirs?: Record<string, string>;
  extra_agent_dirs?: string[];
}

function readSettings(file: string): Settings {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Settings;
  } catch {
    return {};
  }
}

/** Profile directories in lookup order. */
export function profileSources(home: string): ProfileSource[] {
  const p = homePaths(home);
  const s = readSettings(p.settings);
  return [
    { dir: p.agentStore, label: 'local' },
    ...Object.entries(s.agent_dirs ?? {}).map(([label, dir]) => ({ dir, label })),
    ...(s.extra_agent_dirs ?? []).map((dir) => ({ dir, label: 'custom' })),
    { dir: BUILTIN_AGENTS_DIR, label: 'built-in' },
  ];
}

const isFile = (f: string) => existsSync(f) && statSync(f).isFile();

/** The file of a profile in one directory: `<dir>/<name>.md` or `<dir>/<name>/agent.md`. */
function fileIn(dir: string, name: string): string | undefined {
  return [join(dir, `${name}.md`), join(dir, name, 'agent.md')].find(isFile);
}

/** A name that may become a file name (the same rule as ProfileName in schema.ts). */
const validName = (name: string) => PROFILE_NAME.test(name) && !name.includes('..');

export function loadProfile(home: string, name: string): AgentProfile {
  if (!validName(name)) throw new ProfileNotFound(name, ['(invalid name)']);
  const sources = profileSources(home);
  for (const s of sources) {
    const file = fileIn(s.dir, name);
    if (file) return parseProfile(readFileSync(file, 'utf8'), name, file);
  }
  throw new ProfileNotFound(name, sources.map((s) => s.dir));
}

export function listProfiles(home: string): ProfileListing[] {
  const seen = new Map<string, ProfileListing>();
  for (const s of profileSources(home)) {
    let entries: string[];
    try {
      entries = readdirSync(s.dir);
    } catch {
      continue;
    }
    for (const entry of entries.sort()) {
      const name = entry.endsWith('.md') ? entry.slice(0, -3) : entry;
      if (seen.has(name) || !validName(name)) continue;
      const file = fileIn(s.dir, name);
      if (!file) continue;
      let description = '';
      try {
        description = parseProfile(readFileSync(file, 'utf8'), name, file).description;
      } catch {
        description = '(invalid profile)';
      }
      seen.set(name, { name, description, source: s.label });
    }
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}
