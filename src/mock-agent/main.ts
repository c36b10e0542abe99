/**
 * Entry point of the mock agent CLI:
 *   node dist/mock-agent/main.js [--script FILE] [--profile NAME] [--system-prompt-file FILE]
 *                                [--yolo] [--trust] [--startup-delay MS]
 * Env: CAO_MOCK_SCRIPT (script when --script is absent), CAO_MOCK_TRACE (turn trace file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VERSION } from '../package.js';
import { MockAgent } from './agent.js';
import { EMPTY_SCRIPT, loadScript, type Script } from './script.js';

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      script: { type: 'string' },
      profile: { type: 'string', default: 'mock' },
      'system-prompt-file': { type: 'string' },
      yolo: { type: 'boolean', default: false },
      trust: { type: 'boolean', default: false },
      'startup-delay': { type: 'string' },
    },
    strict: true,
  });
  const scriptPath = values.script ?? process.env.CAO_MOCK_SCRIPT;
  let script: Script = EMPTY_SCRIPT;
  if (scriptPath) script = loadScript(scriptPath);
  if (values.trust || values['startup-delay']) {
    script = {
      ...script,
      startup: {
        trust: values.trust || script.startup.trust,
        delay: values['startup-delay'] ? Number(values['startup-delay']) : script.startup.delay,
      },
    };
  }
  // Read to prove the file is there, as a real CLI would fail on a missing prompt file.
  const promptFile = values['system-prompt-file'];
  if (promptFile && existsSync(promptFile)) readFileSync(promptFile, 'utf8');

  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  const agent = new MockAgent({
    input: process.stdin,
    output: process.stdout,
    script,
    profile: values.profile!,
    cwd: process.cwd(),
    version: VERSION,
    yolo: values.yolo!,
    env: process.env,
    traceFile: process.env.CAO_MOCK_TRACE || undefined,
    onExit: (code) => {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
      process.exit(code);
    },
  });
  agent.start();
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`mock agent: ${(e as Error).message}\n`);
  process.exit(2);
}
