import { Command, Option, UsageError } from 'clipanion';
import { createInterface } from 'node:readline/promises';
import type { TerminalView } from '../../actors/views.js';
import { isProviderId } from '../../providers/registry.js';
import { PROVIDER_IDS, type TerminalStatus } from '../../providers/types.js';
import { tmuxExec, tmuxInteractive } from '../../tmux/exec.js';
import { resolveWorkingDirectory } from '../../workdir.js';
import type { StreamEvent } from '../api-client.js';
import { CaoCommand } from '../base.js';
import { Progress } from '../progress.js';

/** Providers that can do nothing on their own need no trust confirmation. */
const NO_CONFIRMATION = new Set(['mock', 'q_cli']);

export class LaunchCommand extends CaoCommand {
  static paths = [['launch']];
  static usage = Command.Usage({
    description: 'Start an agent in a new cao session and attach to it',
    details: 'The agent runs in a tmux window; cao-server tracks its status. Detach with the tmux prefix key and d; the agent keeps running.',
    examples: [
      ['Start a developer with the built-in mock agent', '$0 launch --agents developer --provider mock'],
      ['Start without attaching', '$0 launch --agents code_supervisor --headless --yolo'],
    ],
  });
  agents = Option.String('--agents', { required: true, description: 'Agent profile to run' });
  provider = Option.String('--provider', { description: `Agent CLI (${PROVIDER_IDS.join(', ')}); default: the profile's, else kiro_cli` });
  sessionName = Option.String('--session-name', { description: 'Session name (cao- is prepended if missing)' });
  workingDirectory = Option.String('--working-directory', { description: 'Directory the agent works in (default: here)' });
  headless = Option.Boolean('--headless', false, { description: 'Do not attach to the tmux session' });
  yolo = Option.Boolean('--yolo', false, { description: 'Skip the trust confirmation: the agent (and the workers it starts) act without asking' });

  async run(): Promise<number> {
    if (this.provider && !isProviderId(this.provider)) {
      throw new UsageError(`Invalid provider '${this.provider}'. Available providers: ${PROVIDER_IDS.join(', ')}`);
    }
    const cwd = resolveWorkingDirectory(this.workingDirectory ?? this.context.cwd, this.context.cwd);
    const api = this.api();
    const health = await api.health();
    let trusted = this.yolo;
    if (!trusted && !NO_CONFIRMATION.has(this.provider ?? '')) {
      if (!(await this.confirmTrust(cwd))) {
        this.context.stderr.write('Launch cancelled by user\n');
        return 1;
      }
      trusted = true;
    }
    const t = await this.startAndWait(cwd, trusted);
    this.out(`Session created: ${t.session_name}`);
    this.out(`Terminal created: ${t.name} (${t.id})`);
    if (t.status === 'exited' || t.status === 'error') {
      const screen = await api.output(t.id, 'tail', 15).catch(() => '');
      this.context.stderr.write(`Error: the agent ${t.status === 'exited' ? 'exited' : 'failed'} while starting${t.reason ? `: ${t.reason}` : ''}\n${screen}\n`);
      return 1;
    }
    if (this.headless) return 0;
    return this.attach(health.tmux_socket ?? undefined, t.session_name);
  }

  private async confirmTrust(cwd: string): Promise<boolean> {
    const stdin = this.context.stdin as NodeJS.ReadStream;
    if (!stdin.isTTY) throw new UsageError('cannot ask for confirmation without a terminal: pass --yolo to confirm that the agent may act in this folder');
    this.out(`The agent will be allowed to read, write and run commands in:\n  ${cwd}\n(--yolo skips this question)`);
    const rl = createInterface({ input: stdin, output: this.context.stdout });
    const answer = (await rl.question('Do you trust all the actions in this folder? [Y/n] ')).trim().toLowerCase();
    rl.close();
    return answer === '' || answer === 'y' || answer === 'yes';
  }

  /** Create the session without blocking, and show its progress from the event stream until it is ready. */
  /** `trusted`: the user agreed that the agent acts without asking (the CLI gets its permission-bypass flags). */
  private async startAndWait(cwd: string, trusted: boolean): Promise<TerminalView> {
    const api = this.api();
    const progress = new Progress(this.context.stdout);
    const abort = new AbortController();
    let id: string | undefined;
    let settled: ((s: TerminalStatus) => void) | undefined;
    const firstStatus = new Promise<TerminalStatus>((r) => (settled = r));
    const early: StreamEvent[] = [];
    const onEvent = (e: StreamEvent) => {
      if (e.type !== 'terminal.status') return;
      if (!id) return void early.push(e);
      if (e.terminal_id === id && e.status !== 'starting') settled?.(e.status);
    };
    try {
      await api.events(onEvent, abort.signal);
      progress.update(`Starting ${this.agents}${this.provider ? ` (${this.provider})` : ''}…`);
      const created = await api.createSession({
        agent_profile: this.agents, provider: this.provider, session_name: this.sessionName,
        working_directory: cwd, yolo: trusted, wait: false,
      });
      id = created.id;
      progress.update(`Starting ${created.agent_profile} (${created.provider}) in ${created.session_name}…`);
      for (const e of early) onEvent(e);
      const current = await api.getTerminal(id);
      if (current.status !== 'starting') settled?.(current.status);
      const status = await firstStatus;
      const t = await api.getTerminal(id);
      progress.done(`${status === 'idle' || status === 'completed' ? '✓' : '✗'} ${t.agent_profile} is ${status}`);
      return t;
    } catch (e) {
      progress.done('✗ launch failed');
      throw e;
    } finally {
      abort.abort();
    }
  }

  private async attach(socket: string | undefined, session: string): Promise<number> {
    if (this.context.env.TMUX) {
      try {
        await tmuxExec(socket, ['switch-client', '-t', `=${session}`]);
        return 0;
      } catch {
        this.out(`You are inside another tmux server. Attach from a plain terminal with:\n  tmux ${socket ? `-L ${socket} ` : ''}attach -t ${session}`);
        return 0;
      }
    }
    return tmuxInteractive(socket, ['attach-session', '-t', `=${session}`]);
  }
}
