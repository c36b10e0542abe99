import { Command, Option } from 'clipanion';
import { CaoCommand } from '../../base.js';

export class FlowRunCommand extends CaoCommand {
  static paths = [['flow', 'run']];
  static usage = Command.Usage({
    description: 'Run a flow now, whatever its schedule and whether it is enabled',
    details: 'Waits for the run: its gating script, then a new session with the prompt. Exit 1 when the run failed.',
  });
  name = Option.String({ name: 'name' });

  async run(): Promise<number> {
    const { run } = await this.api().runFlow(this.name);
    if (run.outcome === 'executed') this.out(`Flow '${this.name}' executed successfully (session ${run.session}, terminal ${run.terminalId})`);
    else if (run.outcome === 'skipped') this.out(`Flow '${this.name}' skipped (execute=false)`);
    else {
      this.context.stderr.write(`Error: flow '${this.name}' failed: ${run.error}\n`);
      return 1;
    }
    return 0;
  }
}
