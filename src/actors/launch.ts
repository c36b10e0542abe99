/**
 * Launching an agent CLI in a new tmux window: the provider's launch spec, its per-terminal files
 * under CAO_HOME, and an explicit environment. The CLI is the window's own command (no shell).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentProfile } from '../profiles/schema.js';
import type { Provider } from '../providers/types.js';
import type { NewPaneSpec, PaneRef, TmuxClient } from '../tmux/client.js';
import { TmuxError } from '../tmux/exec.js';
import { conflict, notFound } from '../errors.js';

/** Variables of cao's own environment that must not leak into agents. */
const DROPPED = /^(TMUX|TMUX_PANE|CAO_TERMINAL_ID|CLAUDECODE|CLAUDE_.*|CODEX_.*)$/;
/** ...except these, which select how a CLI authenticates or where its config lives, or tune its retries. */
const KEPT = new Set([
  'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY',
  'CLAUDE_CODE_SKIP_BEDROCK_AUTH', 'CLAUDE_CODE_SKIP_VERTEX_AUTH', 'CLAUDE_CODE_SKIP_FOUNDRY_AUTH',
  'CLAUDE_CODE_OAUTH_TOKEN', 'CLAUDE_CONFIG_DIR', 'CLAUDE_CODE_MAX_RETRIES',
  'CODEX_HOME',
]);

export function agentEnv(base: NodeJS.ProcessEnv, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && (KEPT.has(k) || !DROPPED.test(k))) env[k] = v;
  return { ...env, ...extra };
}

export interface LaunchRequest {
  terminalId: string;
  provider: Provider;
  profile: AgentProfile;
  session: string;
  newSession: boolean;
  windowName: string;
  workingDirectory: string;
  terminalDir: string;
  yolo: boolean;
  /** CAO_* variables every agent gets (terminal id, API address, home, tmux socket). */
  caoEnv: Record<string, string>;
  baseEnv: NodeJS.ProcessEnv;
}

export async function launchAgent(tmux: TmuxClient, r: LaunchRequest): Promise<PaneRef> {
  const env = agentEnv(r.baseEnv, { ...r.caoEnv, CAO_TERMINAL_ID: r.terminalId });
  mkdirSync(r.terminalDir, { recursive: true, mode: 0o700 });
  const spec = r.provider.launch({
    terminalId: r.terminalId,
    profile: r.profile,
    workingDirectory: r.workingDirectory,
    terminalDir: r.terminalDir,
    yolo: r.yolo,
    caoEnv: r.caoEnv,
    env,
  });
  // Files a CLI needs outside the terminal's folder (a few CLIs read only fixed places) are listed
  // first, so that removing the terminal removes them too.
  const external = spec.files.map((f) => f.path).filter((p) => !p.startsWith(`${r.terminalDir}/`));
  if (external.length > 0) writeFileSync(join(r.terminalDir, EXTERNAL_FILES), JSON.stringify(external), { mode: 0o600 });
  for (const f of spec.files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.content, { mode: 0o600 });
  }
  const pane: NewPaneSpec = {
    tag: r.terminalId,
    session: r.session,
    windowName: r.windowName,
    cwd: r.workingDirectory,
    env: withoutKeys({ ...env, ...spec.env, CAO_TERMINAL_ID: r.terminalId }, spec.unsetEnv ?? []),
    argv: withUnset(spec.argv, spec.unsetEnv ?? []),
  };
  try {
    return r.newSession ? await tmux.newSession(pane) : await tmux.newWindow(pane);
  } catch (e) {
    removeTerminalDir(r.terminalDir);
    if (e instanceof TmuxError && /duplicate session/.test(e.stderr)) throw conflict(`Session '${r.session}' already exists`);
    if (e instanceof TmuxError && e.isMissing) throw notFound(`Session '${r.session}' not found`);
    throw e;
  }
}

const withoutKeys = (env: Record<string, string>, keys: string[]) =>
  Object.fromEntries(Object.entries(env).filter(([k]) => !keys.includes(k)));

/** `env -u NAME …` in front of the command removes a variable whatever tmux's own environment holds. */
const withUnset = (argv: string[], keys: string[]) =>
  keys.length === 0 ? argv : ['/usr/bin/env', ...keys.flatMap((k) => ['-u', k]), ...argv];

const EXTERNAL_FILES = 'external-files.json';

/** Remove a terminal's folder and the files it wrote elsewhere. */
export function removeTerminalDir(dir: string): void {
  try {
    for (const f of JSON.parse(readFileSync(join(dir, EXTERNAL_FILES), 'utf8')) as string[]) rmSync(f, { force: true });
  } catch {
    // nothing written outside
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}
