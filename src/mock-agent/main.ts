/**
 * Entry point of the mock agent CLI:
 *   node dist/mock-agent/main.js [--script FILE] [--profile NAME] [--system-prompt-file FILE]
 *                                [--yolo] [--trust] [--startup-delay MS] [--mcp-config FILE|JSON]…
 * Env: CAO_MOCK_SCRIPT (script when --script is absent), CAO_MOCK_TRACE (turn trace file).
 * --mcp-config takes Claude Code's shape, {"mcpServers": {name: {command, args, env}}}, as a file or as
 * JSON text; it may be given more than once (later servers of the same name win).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VERSION } from '../package.js';
import { MockAgent } from './agent.js';
import { McpManager, loadMcpConfig, mergeMcpConfigs, type McpConfig } from './mcp.js';
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
      'mcp-config': { type: 'string', multiple: true },
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
        ...script.startup,
        trust: values.trust || script.startup.trust,
        delay: values['startup-delay'] ? Number(values['startup-delay']) : script.startup.delay,
      },
    };
  }
  // Read to prove the file is there, as a real CLI would fail on a missing prompt file.
  const promptFile = values['system-prompt-file'];
  if (promptFile && existsSync(promptFile)) readFileSync(promptFile, 'utf8');

  // A broken MCP config is reported on screen and the agent starts without MCP, as a CLI would.
  const notices: string[] = [];
  let mcp: McpManager | undefined;
  const mcpValues = values['mcp-config'] ?? [];
  if (mcpValues.length > 0) {
    try {
      const configs: McpConfig[] = mcpValues.map((v) => loadMcpConfig(v));
      mcp = new McpManager(mergeMcpConfigs(configs));
      notices.push(...mcp.problems.map((p) => `⚠ ${p}`));
    } catch (e) {
      notices.push(`⚠ ${(e as Error).message}; starting without MCP servers`);
    }
  }
  mcp?.start(); // in the background: the prompt does not wait for the servers

  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    if (!mcp) process.exit(code);
    // Close the servers (their processes end), but never hang on one that will not stop.
    const guard = setTimeout(() => process.exit(code), 5000);
    void mcp.close().finally(() => {
      clearTimeout(guard);
      process.exit(code);
    });
  };
  if (mcp) {
    process.once('SIGHUP', () => exit(129));
    process.once('SIGTERM', () => exit(143));
  }

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
    ...(mcp ? { callTool: mcp.callTool.bind(mcp), lastToolData: () => mcp.lastStructured } : {}),
    notices,
    onExit: (code) => {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
      exit(code);
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
