import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder, the same from src/ (tsx, tests) and from dist/ (installed). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * argv that runs one of this package's entry points with the current Node, whether we run from
 * compiled JS or from the TypeScript sources (then through tsx).
 */
export function nodeEntry(relativeToSrc: string): string[] {
  const here = fileURLToPath(import.meta.url);
  const fromDist = here.endsWith('.js');
  const file = join(PACKAGE_ROOT, fromDist ? 'dist' : 'src', relativeToSrc.replace(/\.ts$/, fromDist ? '.js' : '.ts'));
  if (fromDist || !existsSync(file)) return [process.execPath, file];
  // The agent's cwd is elsewhere: name tsx's loader by absolute URL, not by package name.
  return [process.execPath, '--import', import.meta.resolve('tsx'), file];
}
