import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Command } from 'clipanion';
import { createLogger } from '../../log.js';
import { HttpCaoApi } from '../../mcp/api.js';
import { buildMcpServer } from '../../mcp/tools.js';
import { VERSION } from '../../package.js';
import { CaoCommand } from '../base.js';

/** CAO_ENABLE_* flags: on when the value is "true", in any case. */
export const envFlag = (v: string | undefined): boolean => v?.trim().toLowerCase() === 'true';

/**
 * `cao mcp-server`: the stdio MCP server each agent CLI starts for itself (see docs/mcp.md).
 * stdout carries the protocol and nothing else; logs go to stderr.
 */
export class McpServerCommand extends CaoCommand {
  static paths = [['mcp-server']];
  static usage = Command.Usage({
    description: 'Run the stdio MCP server that gives agents handoff, assign and send_message',
    details: `
      Started by agent CLIs, not by hand: it speaks MCP on stdin/stdout and exits when stdin closes.
      The caller is CAO_TERMINAL_ID; cao-server is found through CAO_API_HOST / CAO_API_PORT / CAO_API_TOKEN.
      CAO_ENABLE_WORKING_DIRECTORY=true adds a working_directory parameter to handoff and assign;
      CAO_ENABLE_SENDER_ID_INJECTION=true appends the sender's terminal ID to assigned tasks and messages.
      Logs go to stderr (CAO_LOG_LEVEL, default warn).
    `,
  });

  async run(): Promise<number> {
    const { env, stdin, stdout, stderr } = this.context;
    const log = createLogger(env.CAO_LOG_LEVEL || 'warn', (s) => stderr.write(s));
    const api = HttpCaoApi.fromEnv(env);
    const server = buildMcpServer(api, {
      callerId: env.CAO_TERMINAL_ID || undefined,
      enableWorkingDirectory: envFlag(env.CAO_ENABLE_WORKING_DIRECTORY),
      enableSenderIdInjection: envFlag(env.CAO_ENABLE_SENDER_ID_INJECTION),
      version: VERSION,
      logger: log,
    });

    const closed = new Promise<string>((resolve) => {
      stdin.once('end', () => resolve('stdin closed'));
      stdin.once('close', () => resolve('stdin closed'));
      stdin.once('error', (e: Error) => resolve(`stdin: ${e.message}`));
      // The client went away while we were writing (EPIPE): nobody is listening any more.
      stdout.on('error', (e: Error) => resolve(`stdout: ${e.message}`));
      server.server.onclose = () => resolve('connection closed');
    });
    server.server.onerror = (e) => log.warn(`MCP: ${e.message}`);

    await server.connect(new StdioServerTransport(stdin, stdout));
    log.debug(`cao mcp-server ${VERSION} ready (caller ${env.CAO_TERMINAL_ID || 'unknown'}, cao-server ${api.baseUrl})`);

    const why = await closed;
    log.debug(`shutting down: ${why}`);
    // Aborts tool calls still running; a waiting handoff then cancels itself on cao-server.
    await server.close();
    return 0;
  }
}
