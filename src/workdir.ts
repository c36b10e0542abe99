/**
 * Working-directory policy: a directory an agent may run in must exist, is canonicalised (realpath,
 * so symlinks and '..' are resolved), and may not be a system directory itself.
 */
import { realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

export const BLOCKED_DIRS = new Set([
  '/', '/bin', '/sbin', '/usr', '/usr/bin', '/usr/sbin', '/usr/lib', '/etc', '/var', '/tmp', '/dev', '/proc', '/sys',
  '/root', '/boot', '/lib', '/lib64', '/private/etc', '/private/var', '/private/tmp',
]);

export class WorkdirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkdirError';
  }
}

/** Expand `~`, resolve against `base`, realpath, check. Returns the canonical path. */
export function resolveWorkingDirectory(input: string, base = process.cwd()): string {
  if (input.includes('\0')) throw new WorkdirError('Working directory contains a NUL byte');
  const expanded = input === '~' ? homedir() : input.startsWith('~/') ? resolve(homedir(), input.slice(2)) : input;
  const absolute = isAbsolute(expanded) ? expanded : resolve(base, expanded);
  let real: string;
  try {
    real = realpathSync(absolute);
  } catch {
    throw new WorkdirError(`Working directory does not exist: ${input}`);
  }
  if (!statSync(real).isDirectory()) throw new WorkdirError(`Working directory is not a directory: ${input}`);
  if (BLOCKED_DIRS.has(real)) {
    throw new WorkdirError(`Working directory not allowed: ${input} (resolves to blocked system path ${real})`);
  }
  return real;
}
