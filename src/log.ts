/** A small leveled logger writing to stderr (stdout belongs to MCP in `cao mcp-server`). */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function createLogger(level: string | undefined = process.env.CAO_LOG_LEVEL, write = (s: string) => process.stderr.write(s)): Logger {
  const min = LEVELS[(level?.toLowerCase() as LogLevel) ?? 'info'] ?? LEVELS.info;
  const at = (l: LogLevel) => (msg: string) => {
    if (LEVELS[l] >= min) write(`${new Date().toISOString()} ${l.padEnd(5)} ${msg}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
