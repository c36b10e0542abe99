import { Command } from 'clipanion';
import { homePaths, loadConfig } from '../../config.js';
import { VERSION } from '../../package.js';
import { tmuxExec } from '../../tmux/exec.js';
import { ServerUnreachable } from '../api-client.js';
import { CaoCommand } from '../base.js';

export class InfoCommand extends CaoCommand {
  static paths = [['info']];
  static usage = Command.Usage({ description: 'Show where cao keeps its data, whether the server runs, and the cao session you are in' });

  async run(): Promise<void> {
    const config = loadConfig(this.context.env);
    const api = this.api();
    this.out(`cao ${VERSION}`);
    this.out(`Home:          ${config.home}`);
    this.out(`Database path: ${homePaths(config.home).db}`);
    try {
      const h = await api.health();
      this.out(`Server:        running at ${api.baseUrl} (version ${h.version}, pid ${h.pid}, home ${h.cao_home}, tmux socket ${h.tmux_socket ?? 'default'})`);
    } catch (e) {
      if (!(e instanceof ServerUnreachable)) throw e;
      this.out(`Server:        not running at ${api.baseUrl}`);
    }
    const session = await this.currentTmuxSession();
    if (!session?.startsWith('cao-')) {
      this.out('Not currently in a CAO session.');
      return;
    }
    try {
      const { terminals } = await api.getSession(session);
      this.out(`Session ID:    ${session}`);
      this.out(`Active terminals: ${terminals.length}`);
      for (const t of terminals) this.out(`  ${t.id}  ${t.tmux_window.padEnd(24)} ${t.provider.padEnd(12)} ${t.status}`);
      const self = this.context.env.CAO_TERMINAL_ID;
      if (self) this.out(`This terminal: ${self}`);
    } catch (e) {
      this.out(`Session ID:    ${session} (${e instanceof ServerUnreachable ? 'the server is not running' : 'unknown to the server'})`);
    }
  }

  private async currentTmuxSession(): Promise<string | undefined> {
    if (!this.context.env.TMUX) return undefined;
    try {
      return (await tmuxExec(undefined, ['display-message', '-p', '#S'])).trim();
    } catch {
      return undefined;
    }
  }
}
