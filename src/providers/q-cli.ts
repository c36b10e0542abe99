/**
 * Amazon Q Developer CLI (`q chat`), Kiro CLI's predecessor: the legacy line-based chat only. Q reads
 * agents from ~/.aws/amazonq/cli-agents (or the workspace's .amazonq/cli-agents) and offers no way
 * to point it elsewhere, so cao writes a per-terminal agent there under a name nothing else uses
 * (`cao-<terminal id>-<profile>`); the system prompt stays under the terminal's own folder.
 * Removing that file when the terminal goes away needs a cleanup hook the Provider interface does
 * not have yet (see docs/providers/q_cli.md).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { classifyKiroFamily, extractKiroFamilyAnswer, kiroAgentJson } from './kiro-family.js';
import { mcpServersFor } from './mcp-config.js';
import type { LaunchContext, LaunchSpec, Provider } from './types.js';

/** Q CLI's global agents folder for a home directory. */
export const qAgentsDir = (home: string) => join(home, '.aws', 'amazonq', 'cli-agents');
/** The agent name cao gives a terminal's Q agent: unique, and visibly cao's. */
export const qAgentName = (terminalId: string, profileName: string) => `cao-${terminalId}-${profileName}`;

function launchQ(ctx: LaunchContext): LaunchSpec {
  const { profile } = ctx;
  const name = qAgentName(ctx.terminalId, profile.name);
  const files: LaunchSpec['files'] = [];
  let promptFile: string | undefined;
  if (profile.systemPrompt) {
    promptFile = join(ctx.terminalDir, 'system-prompt.md');
    files.push({ path: promptFile, content: profile.systemPrompt });
  }
  const agent = kiroAgentJson(profile, { name, promptFile, servers: mcpServersFor(profile, ctx.terminalId, ctx.caoEnv), defaults: 'launch' });
  files.push({ path: join(qAgentsDir(ctx.env.HOME || homedir()), `${name}.json`), content: `${JSON.stringify(agent, null, 2)}\n` });
  const argv = ['q', 'chat', '--agent', name];
  if (ctx.yolo) argv.push('--trust-all-tools');
  return { argv, env: {}, files };
}

export const qCliProvider: Provider = {
  id: 'q_cli',
  displayName: 'Amazon Q CLI',
  binary: 'q',
  supported: true,
  launch: launchQ,
  startupDialogs: [],
  classify: classifyKiroFamily,
  extractLastMessage: extractKiroFamilyAnswer,
  input: { bracketed: true, submitKeys: ['Enter'], awaitEcho: true },
  exit: { text: '/quit' },
  interruptKeys: ['C-c'],
};
