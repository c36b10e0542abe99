import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { homePaths } from '../../../src/config.js';
import { loadScript } from '../../../src/mock-agent/script.js';
import { BUILTIN_AGENTS_DIR, ProfileNotFound, listProfiles, loadProfile, profileSources } from '../../../src/profiles/store.js';

let home: string; // CAO_HOME
let dirs: string; // other folders of profiles, outside CAO_HOME

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'cao-unit-home-'));
  dirs = mkdtempSync(join(tmpdir(), 'cao-unit-agents-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(dirs, { recursive: true, force: true });
});

function profile(file: string, description: string, extra = ''): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `---\ndescription: ${description}\n${extra}---\nPrompt from ${description}\n`);
  return file;
}

const store = () => homePaths(home).agentStore;
const settings = (s: unknown) => writeFileSync(homePaths(home).settings, typeof s === 'string' ? s : JSON.stringify(s));

/** The built-in profiles, read from the folder (others may add some). */
const builtins = () =>
  readdirSync(BUILTIN_AGENTS_DIR)
    .filter((f) => f.endsWith('.md'))
    .map((f) => f.slice(0, -3));

/** The ProfileNotFound thrown by loadProfile. */
function notFound(name: string): ProfileNotFound {
  try {
    loadProfile(home, name);
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileNotFound);
    return e as ProfileNotFound;
  }
  throw new Error(`expected '${name}' not to be found`);
}

describe('profileSources', () => {
  it('is the agent store, then agent_dirs, then extra_agent_dirs, then the built-ins', () => {
    settings({ agent_dirs: { kiro_cli: '/k', claude_code: '/c' }, extra_agent_dirs: ['/e1', '/e2'] });
    expect(profileSources(home)).toEqual([
      { dir: join(home, 'agent-store'), label: 'local' },
      { dir: '/k', label: 'kiro_cli' },
      { dir: '/c', label: 'claude_code' },
      { dir: '/e1', label: 'custom' },
      { dir: '/e2', label: 'custom' },
      { dir: BUILTIN_AGENTS_DIR, label: 'built-in' },
    ]);
  });

  it('works without settings.json and ignores a broken one', () => {
    const plain = [
      { dir: join(home, 'agent-store'), label: 'local' },
      { dir: BUILTIN_AGENTS_DIR, label: 'built-in' },
    ];
    expect(profileSources(home)).toEqual(plain);
    settings('{ not json');
    expect(profileSources(home)).toEqual(plain);
  });
});

describe('loadProfile', () => {
  it('finds the built-in profiles shipped in agents/', () => {
    const p = loadProfile(home, 'developer');
    expect(p.name).toBe('developer');
    expect(p.path).toBe(join(BUILTIN_AGENTS_DIR, 'developer.md'));
    expect(p.systemPrompt).not.toBe('');
    expect(loadProfile(home, 'reviewer').path).toBe(join(BUILTIN_AGENTS_DIR, 'reviewer.md'));
  });

  it('loads every built-in profile without error', () => {
    for (const name of builtins()) expect(loadProfile(home, name).path, name).toBe(join(BUILTIN_AGENTS_DIR, `${name}.md`));
  });

  it('points built-in mockScript fields at scripts that load', () => {
    for (const name of builtins()) {
      const p = loadProfile(home, name);
      if (p.mockScript === undefined) continue;
      expect(() => loadScript(resolve(dirname(p.path!), p.mockScript!)), name).not.toThrow();
    }
  });

  it('prefers CAO_HOME/agent-store over agent_dirs, extra_agent_dirs and the built-ins', () => {
    const k = join(dirs, 'kiro');
    const e = join(dirs, 'extra');
    settings({ agent_dirs: { kiro_cli: k }, extra_agent_dirs: [e] });
    profile(join(store(), 'developer.md'), 'local one');
    profile(join(k, 'developer.md'), 'kiro one');
    profile(join(e, 'developer.md'), 'extra one');
    expect(loadProfile(home, 'developer')).toMatchObject({ description: 'local one', systemPrompt: 'Prompt from local one', path: join(store(), 'developer.md') });
  });

  it('prefers agent_dirs over extra_agent_dirs, and extra_agent_dirs over the built-ins', () => {
    const k = join(dirs, 'kiro');
    const e1 = join(dirs, 'extra1');
    const e2 = join(dirs, 'extra2');
    settings({ agent_dirs: { kiro_cli: k }, extra_agent_dirs: [e1, e2] });
    profile(join(k, 'developer.md'), 'kiro one');
    profile(join(e1, 'developer.md'), 'extra one');
    expect(loadProfile(home, 'developer').description).toBe('kiro one');
    rmSync(join(k, 'developer.md'));
    expect(loadProfile(home, 'developer').description).toBe('extra one');
    profile(join(e2, 'developer.md'), 'second extra');
    expect(loadProfile(home, 'developer').description).toBe('extra one');
    rmSync(join(e1, 'developer.md'));
    expect(loadProfile(home, 'developer').description).toBe('second extra');
    rmSync(join(e2, 'developer.md'));
    expect(loadProfile(home, 'developer').path).toBe(join(BUILTIN_AGENTS_DIR, 'developer.md'));
  });

  it('finds <dir>/<name>/agent.md, preferring <dir>/<name>.md in the same folder', () => {
    const file = profile(join(store(), 'planner', 'agent.md'), 'folder form');
    expect(loadProfile(home, 'planner')).toMatchObject({ name: 'planner', description: 'folder form', path: file });
    profile(join(store(), 'planner.md'), 'file form');
    expect(loadProfile(home, 'planner').description).toBe('file form');
  });

  it('lets the folder form in an earlier source win over a file in a later one', () => {
    profile(join(store(), 'developer', 'agent.md'), 'local folder');
    expect(loadProfile(home, 'developer').description).toBe('local folder');
  });

  it('skips a folder named like a profile file', () => {
    mkdirSync(join(store(), 'developer.md'), { recursive: true });
    expect(loadProfile(home, 'developer').path).toBe(join(BUILTIN_AGENTS_DIR, 'developer.md'));
  });

  it('uses the file stem as the name when the frontmatter has none', () => {
    profile(join(store(), 'helper.md'), 'no name field');
    expect(loadProfile(home, 'helper').name).toBe('helper');
  });

  it('throws ProfileNotFound for an unknown name, listing where it looked', () => {
    const e = notFound('no-such-agent');
    expect(e.profileName).toBe('no-such-agent');
    expect(e.message).toContain("agent profile 'no-such-agent' not found");
    expect(e.message).toContain(store());
    expect(e.message).toContain(BUILTIN_AGENTS_DIR);
  });

  it('throws ProfileNotFound for names that would leave the folder, even if the target exists', () => {
    // home/secret.md is reachable from home/agent-store as ../secret.md.
    profile(join(home, 'secret.md'), 'outside');
    profile(join(store(), 'sub', 'inner.md'), 'nested');
    for (const name of ['../secret', '..', 'sub/inner', 'sub\\inner', '.hidden', '', `${'../'.repeat(10)}etc/passwd`, '/etc/passwd']) {
      expect(notFound(name).message, name).toContain('(invalid name)');
    }
  });

  it('reports an invalid profile file instead of skipping it', () => {
    profile(join(store(), 'broken.md'), 'b', 'provider: not-a-provider\n');
    expect(() => loadProfile(home, 'broken')).toThrow(/provider/);
  });
});

describe('listProfiles', () => {
  it('lists the built-ins on a fresh CAO_HOME', () => {
    const list = listProfiles(home);
    expect(list.map((p) => p.name)).toEqual([...builtins()].sort((a, b) => a.localeCompare(b)));
    for (const p of list) expect(p.source, p.name).toBe('built-in');
    expect(list.find((p) => p.name === 'developer')?.description).not.toBe('');
  });

  it('labels each profile with its source and sorts by name', () => {
    const k = join(dirs, 'kiro');
    const e = join(dirs, 'extra');
    settings({ agent_dirs: { kiro_cli: k }, extra_agent_dirs: [e] });
    profile(join(store(), 'zeta.md'), 'local zeta');
    profile(join(k, 'kilo', 'agent.md'), 'kiro kilo');
    profile(join(e, 'alpha.md'), 'extra alpha');
    const mine = listProfiles(home).filter((p) => ['zeta', 'kilo', 'alpha'].includes(p.name));
    expect(mine).toEqual([
      { name: 'alpha', description: 'extra alpha', source: 'custom' },
      { name: 'kilo', description: 'kiro kilo', source: 'kiro_cli' },
      { name: 'zeta', description: 'local zeta', source: 'local' },
    ]);
    const names = listProfiles(home).map((p) => p.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  it('lists a name once, from the first source that has it (as loadProfile would load it)', () => {
    const e = join(dirs, 'extra');
    settings({ extra_agent_dirs: [e] });
    profile(join(store(), 'developer.md'), 'local dev');
    profile(join(e, 'developer.md'), 'extra dev');
    profile(join(e, 'reviewer.md'), 'extra reviewer');
    const list = listProfiles(home);
    expect(list.filter((p) => p.name === 'developer')).toEqual([{ name: 'developer', description: 'local dev', source: 'local' }]);
    expect(list.filter((p) => p.name === 'reviewer')).toEqual([{ name: 'reviewer', description: 'extra reviewer', source: 'custom' }]);
    for (const p of list) expect(loadProfile(home, p.name).description, p.name).toBe(p.description);
  });

  it('lists a profile file and its folder form in the same source once', () => {
    profile(join(store(), 'dup.md'), 'file form');
    profile(join(store(), 'dup', 'agent.md'), 'folder form');
    expect(listProfiles(home).filter((p) => p.name === 'dup')).toEqual([{ name: 'dup', description: 'file form', source: 'local' }]);
  });

  it('shows an invalid profile as such instead of failing the whole listing', () => {
    profile(join(store(), 'broken.md'), 'b', 'provider: nope\n');
    writeFileSync(join(store(), 'yaml-broken.md'), '---\ndescription: [unclosed\n---\n');
    const list = listProfiles(home);
    expect(list.find((p) => p.name === 'broken')).toEqual({ name: 'broken', description: '(invalid profile)', source: 'local' });
    expect(list.find((p) => p.name === 'yaml-broken')?.description).toBe('(invalid profile)');
  });

  it('ignores files and folders that are not profiles', () => {
    mkdirSync(store(), { recursive: true });
    writeFileSync(join(store(), 'notes.txt'), 'not a profile');
    mkdirSync(join(store(), 'empty-folder'));
    profile(join(store(), '.hidden.md'), 'hidden');
    profile(join(store(), '_private.md'), 'bad first char');
    const names = listProfiles(home).map((p) => p.name);
    for (const n of ['notes.txt', 'notes', 'empty-folder', '.hidden', '_private']) expect(names, n).not.toContain(n);
  });

  it('lists only profiles that loadProfile can load (no ".." names)', () => {
    profile(join(store(), 'v1..2.md'), 'dotted');
    profile(join(store(), 'v1.2.md'), 'single dot');
    const names = listProfiles(home).map((p) => p.name);
    expect(names).toContain('v1.2');
    expect(names).not.toContain('v1..2');
    for (const n of names) expect(() => loadProfile(home, n), n).not.toThrow();
  });

  it('skips configured folders that do not exist', () => {
    settings({ agent_dirs: { kiro_cli: join(dirs, 'missing') }, extra_agent_dirs: [join(dirs, 'also-missing')] });
    expect(listProfiles(home).map((p) => p.name)).toEqual([...builtins()].sort((a, b) => a.localeCompare(b)));
  });
});
