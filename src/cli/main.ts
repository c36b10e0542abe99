/** `cao`: the command-line client. Commands that act on agents talk to cao-server over HTTP. */
import { Builtins, Cli } from 'clipanion';
import { VERSION } from '../package.js';
import type { CaoContext } from './base.js';
import { DemoCommand } from './commands/demo.js';
import { DetectCommand } from './commands/detect.js';
import { FlowAddCommand } from './commands/flow/add.js';
import { FlowListCommand } from './commands/flow/list.js';
import { FlowRemoveCommand } from './commands/flow/remove.js';
import { FlowRunCommand } from './commands/flow/run.js';
import { FlowDisableCommand, FlowEnableCommand } from './commands/flow/toggle.js';
import { InfoCommand } from './commands/info.js';
import { InitCommand } from './commands/init.js';
import { InstallCommand } from './commands/install.js';
import { LaunchCommand } from './commands/launch.js';
import { McpServerCommand } from './commands/mcp-server.js';
import { ShutdownCommand } from './commands/shutdown.js';

export function buildCli(): Cli<CaoContext> {
  const cli = new Cli<CaoContext>({ binaryName: 'cao', binaryLabel: 'cao (CLI Agent Orchestrator)', binaryVersion: VERSION });
  for (const c of [LaunchCommand, ShutdownCommand, InfoCommand, InitCommand, InstallCommand, DemoCommand, DetectCommand, McpServerCommand,
    FlowAddCommand, FlowListCommand, FlowEnableCommand, FlowDisableCommand, FlowRunCommand, FlowRemoveCommand]) cli.register(c);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  return cli;
}

export function runCli(argv: string[]): void {
  void buildCli().runExit(argv, { ...Cli.defaultContext, cwd: process.cwd() });
}
