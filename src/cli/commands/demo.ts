import { Command, Option } from 'clipanion';
import { CaoCommand } from '../base.js';
import { Board } from '../demo/board.js';
import { startLocalServer } from '../demo/local-server.js';
import { Scenario } from '../demo/scenario.js';

export class DemoCommand extends CaoCommand {
  static paths = [['demo']];
  static usage = Command.Usage({
    description: 'Watch a small team of mock agents do a task with handoff, assign and send_message: no API key, no setup',
    details:
      'Starts a private cao-server (own home folder, tmux socket and port) and gives a supervisor on the built-in mock agent a task. The supervisor hands the implementation to a developer, assigns a review to a reviewer, and reports once the review message arrives; all through cao mcp-server. Status is shown live. Everything is removed afterwards unless --keep is given.',
    examples: [['Run the demo', '$0 demo'], ['Keep the agents running to look around in tmux', '$0 demo --keep']],
  });
  task = Option.String('--task', 'Add input validation to the signup form', { description: 'The task the team works on' });
  keep = Option.Boolean('--keep', false, { description: 'Leave the server and agents running until Ctrl-C' });
  plain = Option.Boolean('--plain', false, { description: 'Print events line by line instead of a live board' });

  async run(): Promise<number> {
    const started = Date.now();
    const local = await startLocalServer(this.context.env);
    const abort = new AbortController();
    const interrupted = new Promise<never>((_, reject) => {
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => reject(new Error(`stopped by ${signal}`)));
    });
    interrupted.catch(() => undefined);
    try {
      const board = new Board(this.context.stdout, `cao demo: a team of mock agents, live (tmux -L ${local.socket} attach -t cao-demo)`, this.plain);
      const scenario = new Scenario(local.api, board, local.project);
      await local.api.events((e) => scenario.onEvent(e), abort.signal);
      const result = await Promise.race([scenario.run(this.task), interrupted]);
      this.out();
      this.out(
        `✓ Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s: ${result.agents} agents, ${result.handoffs} handoff, ` +
          `${result.messages} message(s) delivered, ${result.permissions} permission question(s) answered.`,
      );
      this.out('Final answer from the supervisor:');
      for (const line of result.summary.split('\n')) this.out(`  ${line}`);
      if (this.keep) {
        this.out();
        this.out(`The agents are still running. Look at them with:\n  tmux -L ${local.socket} attach -t cao-demo\nPress Ctrl-C here to stop and clean up.`);
        await interrupted.catch(() => undefined);
      } else {
        this.out(`(Run \`cao demo --keep\` to look at the agents in tmux afterwards.)`);
      }
      return 0;
    } finally {
      abort.abort();
      await local.stop();
    }
  }
}
