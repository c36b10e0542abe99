import { Command, Option } from 'clipanion';
import { CaoCommand } from '../../base.js';
import { when } from './format.js';

export class FlowEnableCommand extends CaoCommand {
  static paths = [['flow', 'enable']];
  static usage = Command.Usage({ description: 'Enable a flow: it runs on its schedule again, from now on' });
  name = Option.String({ name: 'name' });

  async run(): Promise<void> {
    const f = await this.api().setFlowEnabled(this.name, true);
    this.out(`Flow '${f.name}' enabled (next run ${when(f.next_run)})`);
  }
}

export class FlowDisableCommand extends CaoCommand {
  static paths = [['flow', 'disable']];
  static usage = Command.Usage({ description: 'Disable a flow: it stops running on its schedule (cao flow run still works)' });
  name = Option.String({ name: 'name' });

  async run(): Promise<void> {
    const f = await this.api().setFlowEnabled(this.name, false);
    this.out(`Flow '${f.name}' disabled`);
  }
}
