import { Command, Option } from 'clipanion';
import { resolve } from 'node:path';
import { CaoCommand } from '../../base.js';
import { when } from './format.js';

export class FlowAddCommand extends CaoCommand {
  static paths = [['flow', 'add']];
  static usage = Command.Usage({
    description: 'Register a flow file: a prompt sent to a new agent session on a cron schedule',
    details: 'The file is Markdown with frontmatter: name, schedule (standard cron), agent_profile, and optionally provider, script, working_directory, timezone. The body is the prompt; [[var]] placeholders are filled from the gating script\'s output.',
    examples: [['Add a flow', '$0 flow add examples/flow/morning-trivia.md']],
  });
  file = Option.String({ name: 'file' });

  async run(): Promise<void> {
    const f = await this.api().addFlowFile(resolve(this.context.cwd, this.file));
    this.out(`Flow '${f.name}' added successfully`);
    this.out(`  Schedule: ${f.schedule}${f.timezone ? ` (${f.timezone})` : ''}`);
    this.out(`  Agent:    ${f.agent_profile}${f.provider ? ` (${f.provider})` : ''}`);
    this.out(`  Next run: ${when(f.next_run)}`);
  }
}
