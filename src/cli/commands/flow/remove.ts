import { Command, Option } from 'clipanion';
import { CaoCommand } from '../../base.js';

export class FlowRemoveCommand extends CaoCommand {
  static paths = [['flow', 'remove']];
  static usage = Command.Usage({ description: 'Remove a flow (its file is left alone)' });
  name = Option.String({ name: 'name' });

  async run(): Promise<void> {
    await this.api().removeFlow(this.name);
    this.out(`Flow '${this.name}' removed successfully`);
  }
}
