/**
 * Kiro CLI (`kiro-cli`), cao's default provider. cao writes a per-terminal agent configuration
 * under the terminal's own folder and points Kiro at that folder with KIRO_AGENT_CONFIG_DIR (Kiro
 * then reads agents only from there), so the user's ~/.kiro/agents is never touched. The screen
 * rules for the legacy chat and the terminal UI live in kiro-family.ts; docs/providers/kiro_cli.md
 * says where each rule comes from.
 */
import { join } from 'node:path';
import { classifyKiroFamily, extractKiroFamilyAnswer, kiroAgentJson, TRUST_ALL_TOOLS_DIALOGS } from './kiro-family.js';
import { mcpServersFor } from './mcp-config.js';
import type { LaunchContext, LaunchSpec, Provider } from './types.js';

/** The folder Kiro reads agents from for this terminal (KIRO_AGENT_CONFIG_DIR). */
export const kiroAgentsDir = (terminalDir: string) => join(terminalDir, 'kiro-agents');

function launchKiro(ctx: LaunchContext): LaunchSpec {
  const { profile } = ctx;
  const agentsDir = kiroAgentsDir(ctx.terminalDir);
  const files: LaunchSpec['files'] = [];
  let promptFile: string | undefined;
  if (profile.systemPrompt) {
    promptFile = join(ctx.terminalDir, 'system-prompt.md');
    files.push({ path: promptFile, content: profile.systemPrompt });
  }
  // The agents folder is private to this terminal, so the agent keeps the profile's name (the
  // classic prompt reads `[developer] >`, the terminal UI's header `developer · …`).
  const agent = kiroAgentJson(profile, { name: profile.name, promptFile, servers: mcpServersFor(profile, ctx.terminalId, ctx.caoEnv), defaults: 'launch' });
  files.push({ path: join(agentsDir, `${profile.name}.json`), content: `${JSON.stringify(agent, null, 2)}\n` });
  const argv = ['kiro-cli', 'chat', '--agent', profile.name];
  if (ctx.yolo) argv.push('--trust-all-tools');
  return { argv, env: { KIRO_AGENT_CONFIG_DIR: agentsDir }, files };
}

export const kiroCliProvider: Provider = {
  id: 'kiro_cli',
  displayName: 'Kiro CLI',
  binary: 'kiro-cli',
  supported: true,
  launch: launchKiro,
  startupDialogs: TRUST_ALL_TOOLS_DIALOGS,
  classify: classifyKiroFamily,
  extractLastMessage: extractKiroFamilyAnswer,
  // Both UIs take a bracketed paste as one message; the terminal UI (Ink) can drop an Enter that
  // arrives in the same read as the paste, so Enter waits for the echo.
  input: { bracketed: true, submitKeys: ['Enter'], awaitEcho: true },
  // `/quit` is what the terminal UI's own hint names; the classic chat knows it too.
  exit: { text: '/quit' },
  // Ctrl+C cancels a running turn in both UIs (Esc only in the terminal UI).
  interruptKeys: ['C-c'],
};
