import { Command, UsageError, type BaseContext } from 'clipanion';
import { ApiClient } from './api-client.js';

export interface CaoContext extends BaseContext {
  cwd: string;
}

/**
 * Every cao command: a user mistake is a UsageError (printed with usage), anything else is printed
 * as one line `Error: …` on stderr with exit code 1 — never a stack trace.
 */
export abstract class CaoCommand extends Command<CaoContext> {
  abstract run(): Promise<number | void>;

  async execute(): Promise<number> {
    try {
      return (await this.run()) ?? 0;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      this.context.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
  }

  api(): ApiClient {
    return ApiClient.fromEnv(this.context.env);
  }

  out(line = ''): void {
    this.context.stdout.write(`${line}\n`);
  }
}
