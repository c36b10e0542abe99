/** Run the cao CLI in-process and collect what it prints. */
import { PassThrough } from 'node:stream';
import { Cli } from 'clipanion';
import { buildCli } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCao(argv: string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const stdin = new PassThrough();
  const code = await buildCli().run(argv, { ...Cli.defaultContext, stdin, stdout, stderr, env, cwd, colorDepth: 1 });
  return { code, stdout: out, stderr: err };
}
