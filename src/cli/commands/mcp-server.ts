import { Command } from 'clipanion';
import { CaoCommand } from '../base.js';

/** Placeholder until the MCP tools (handoff, assign, send_message) land. Never writes to stdout. */
export class McpServerCommand extends CaoCommand {
  static paths = [['mcp-server']];
  static usage = Command.Usage({
    description: 'Run the stdio MCP server that gives agents handoff, assign and send_message (not implemented yet)',
  });

  async run(): Promise<number> {
    this.context.stderr.write('cao mcp-server is not implemented yet: the handoff, assign and send_message tools arrive with multi-agent orchestration.\n');
    return 1;
  }
}
