import { Command, Option, UsageError } from 'clipanion';
import { CaoCommand } from '../base.js';

export class ShutdownCommand extends CaoCommand {
  static paths = [['shutdown']];
  static usage = Command.Usage({
    description: 'Stop cao sessions: their agents exit and their tmux sessions close',
    examples: [
      ['Stop every cao session', '$0 shutdown --all'],
      ['Stop one session', '$0 shutdown --session cao-demo'],
    ],
  });
  all = Option.Boolean('--all', false, { description: 'Stop every session whose name starts with cao-' });
  session = Option.String('--session', { description: 'Stop this session' });

  async run(): Promise<number> {
    if (this.all && this.session) throw new UsageError('use either --all or --session, not both');
    if (!this.all && !this.session) throw new UsageError('say which sessions to stop: --all or --session <name>');
    const api = this.api();
    const names = this.all ? (await api.listSessions()).map((s) => s.name) : [this.session!];
    if (names.length === 0) {
      this.out('No cao sessions found to shutdown');
      return 0;
    }
    let failed = 0;
    for (const name of names) {
      try {
        const r = await api.deleteSession(name);
        this.out(`Shut down ${name}`);
        for (const e of r.errors) this.context.stderr.write(`  warning: ${e}\n`);
      } catch (e) {
        failed++;
        this.context.stderr.write(`Error: ${name}: ${(e as Error).message}\n`);
      }
    }
    return failed > 0 ? 1 : 0;
  }
}
