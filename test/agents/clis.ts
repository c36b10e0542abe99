/**
 * The real agent CLIs the conformance tests drive, installed from the npm registry into
 * `.cache/agent-clis/<name>/` of this repository (not project dependencies), at pinned versions.
 * An install is skipped when that version is already there. npm's install scripts run: Claude
 * Code's postinstall puts its native binary in place of `bin/claude.exe` (checked; if it did not
 * run, the binary of the platform package is linked instead).
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/server.js';

const run = promisify(execFile);

export const CLI_NAMES = ['claude', 'codex', 'gemini', 'copilot'] as const;
export type CliName = (typeof CLI_NAMES)[number];

/** Package, pinned version and command of each CLI. */
export const CLI_PACKAGES: Record<CliName, { pkg: string; version: string; bin: string }> = {
  claude: { pkg: '@anthropic-ai/claude-code', version: '2.1.197', bin: 'claude' },
  codex: { pkg: '@openai/codex', version: '0.171.0', bin: 'codex' },
  gemini: { pkg: '@google/gemini-cli', version: '0.61.0', bin: 'gemini' },
  copilot: { pkg: '@github/copilot', version: '1.0.102', bin: 'copilot' },
};

/** `.cache/agent-clis` of this repository, or `CAO_AGENT_CLI_CACHE`. */
export const CACHE_DIR = process.env.CAO_AGENT_CLI_CACHE || join(REPO_ROOT, '.cache', 'agent-clis');

export interface InstalledCli {
  name: CliName;
  pkg: string;
  /** The pinned version that is installed. */
  version: string;
  /** What `<bin> --version` printed (its first x.y.z). */
  reported: string;
  /** The command, absolute. */
  bin: string;
  /** The folder to put on PATH. */
  binDir: string;
  /** Whether this run installed it (false: it was already there). */
  installed: boolean;
  /** Time spent on it in this run (install and version check). */
  ms: number;
}

export type CliResult = InstalledCli | { name: CliName; error: string; ms: number };
export type AgentClis = Partial<Record<CliName, CliResult>>;

export const isInstalled = (r: CliResult | undefined): r is InstalledCli => r !== undefined && !('error' in r);

const cliDir = (name: CliName) => join(CACHE_DIR, name);

function installedVersion(name: CliName): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(cliDir(name), 'node_modules', CLI_PACKAGES[name].pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

const isElf = (file: string) => {
  try {
    if (statSync(file).size < 1_000_000) return false;
    const fd = openSync(file, 'r');
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
    return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } catch {
    return false;
  }
};

/**
 * Claude Code's postinstall copies the platform package's native binary over the `bin/claude.exe`
 * placeholder. If npm did not run it: run it now; if that fails too, link `.bin/claude` to the
 * platform package's binary.
 */
async function ensureClaudeNative(dir: string, log: (s: string) => void): Promise<void> {
  const pkgDir = join(dir, 'node_modules', '@anthropic-ai', 'claude-code');
  const exe = join(pkgDir, 'bin', 'claude.exe');
  if (isElf(exe) || process.platform !== 'linux') return;
  log('claude: bin/claude.exe is not the native binary (postinstall did not run?): running install.cjs');
  await run(process.execPath, ['install.cjs'], { cwd: pkgDir }).catch((e: Error) => log(`claude: install.cjs failed: ${e.message}`));
  if (isElf(exe)) return;
  const musl = existsSync('/lib/libc.musl-x86_64.so.1') || existsSync('/lib/libc.musl-aarch64.so.1');
  const platformBin = join(dir, 'node_modules', '@anthropic-ai', `claude-code-linux-${process.arch}${musl ? '-musl' : ''}`, 'claude');
  if (!isElf(platformBin)) throw new Error(`no native Claude Code binary: neither ${exe} nor ${platformBin}`);
  const link = join(dir, 'node_modules', '.bin', 'claude');
  if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) unlinkSync(link);
  symlinkSync(platformBin, link);
  log(`claude: using ${platformBin}`);
}

/** A lock folder next to the CLI's folder, so two test runs on one machine never install into it at once. */
async function withLock<T>(name: CliName, fn: () => Promise<T>): Promise<T> {
  const lock = `${cliDir(name)}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 15 * 60_000) rmSync(lock, { recursive: true, force: true }); // left by a killed run
      else if (Date.now() > deadline) throw new Error(`${lock} is held by another run`);
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** `<bin> --version`, run with a throw-away HOME so checking a version writes nothing of ours anywhere. */
async function reportedVersion(bin: string): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'cao-cli-version-'));
  try {
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache'), NO_UPDATE_NOTIFIER: '1', DISABLE_AUTOUPDATER: '1' };
    const { stdout, stderr } = await run(bin, ['--version'], { env, timeout: 60_000 });
    const m = /\d+\.\d+\.\d+/.exec(`${stdout}\n${stderr}`);
    if (!m) throw new Error(`${bin} --version printed no version: ${stdout}${stderr}`);
    return m[0];
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Install one CLI at its pinned version unless it is there already; report where it is and what it says it is. */
export async function ensureCli(name: CliName, log: (s: string) => void = () => undefined): Promise<InstalledCli> {
  const started = Date.now();
  const { pkg, version, bin } = CLI_PACKAGES[name];
  const dir = cliDir(name);
  let installed = false;
  await withLock(name, async () => {
    if (installedVersion(name) !== version || !existsSync(join(dir, 'node_modules', '.bin', bin))) {
      log(`${name}: installing ${pkg}@${version} into ${dir}`);
      rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `cao-agent-cli-${name}`, private: true, dependencies: { [pkg]: version } }, null, 2)}\n`);
      rmSync(join(dir, 'package-lock.json'), { force: true });
      // npm runs the packages' install scripts (Claude's links its native binary, Gemini's builds node-pty).
      await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 });
      installed = true;
    }
    if (name === 'claude') await ensureClaudeNative(dir, log);
  });
  const binPath = join(dir, 'node_modules', '.bin', bin);
  const reported = await reportedVersion(binPath);
  if (reported !== version) throw new Error(`${binPath} reports version ${reported}, expected ${version}`);
  return { name, pkg, version, reported, bin: binPath, binDir: dirname(binPath), installed, ms: Date.now() - started };
}

/** Install the CLIs (one at a time: the 2-core machine and the registry gain nothing from parallel installs). */
export async function ensureClis(names: readonly CliName[] = CLI_NAMES, log: (s: string) => void = () => undefined): Promise<AgentClis> {
  const out: AgentClis = {};
  for (const name of names) {
    const started = Date.now();
    try {
      out[name] = await ensureCli(name, log);
    } catch (e) {
      out[name] = { name, error: (e as Error).message, ms: Date.now() - started };
    }
  }
  return out;
}
