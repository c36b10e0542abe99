import { Command, Option, UsageError } from 'clipanion';
import { readFileSync } from 'node:fs';
import { getProvider, isProviderId } from '../../providers/registry.js';
import { PROVIDER_IDS } from '../../providers/types.js';
import { CaoCommand } from '../base.js';

/** Classify saved screens offline: for users debugging detection, and for tests. */
export class DetectCommand extends CaoCommand {
  static paths = [['detect']];
  static usage = Command.Usage({
    description: "Show how cao reads saved screens: each file's status, or its last answer",
    details:
      'Prints one line per file: the status (idle, processing, completed, waiting_user_answer or error) and the file. With --last, prints the answer cao would extract instead. Screens may contain colour codes (tmux capture-pane -e). Use - to read standard input.',
    examples: [
      ['Classify a screen', '$0 detect --provider claude_code screen.txt'],
      ['Extract the answer', '$0 detect --provider codex --last screen.txt'],
      ['From tmux directly', 'tmux capture-pane -p -J -t %3 | $0 detect --provider gemini_cli -'],
    ],
  });
  provider = Option.String('--provider', { required: true, description: `One of ${PROVIDER_IDS.join(', ')}` });
  last = Option.Boolean('--last', false, { description: 'Print the extracted last answer instead of the status' });
  files = Option.Rest({ required: 1 });

  async run(): Promise<number> {
    if (!isProviderId(this.provider)) throw new UsageError(`Invalid provider '${this.provider}'. Available providers: ${PROVIDER_IDS.join(', ')}`);
    const provider = getProvider(this.provider);
    let failed = 0;
    for (const file of this.files) {
      let screen: string;
      try {
        screen = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (e) {
        this.context.stderr.write(`Error: cannot read ${file}: ${(e as Error).message}\n`);
        failed++;
        continue;
      }
      if (!this.last) {
        this.out(`${provider.classify(screen)} ${file}`);
        continue;
      }
      const answer = provider.extractLastMessage(screen);
      if (this.files.length > 1) this.out(`==> ${file} <==`);
      if (answer === undefined) {
        this.context.stderr.write(`Error: no answer found in ${file}\n`);
        failed++;
      } else this.out(answer);
    }
    return failed > 0 ? 1 : 0;
  }
}
