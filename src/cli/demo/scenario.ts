/**
 * The demo's story: a supervisor plans a task, a developer implements it, a reviewer asks
 * permission to run the tests and approves, the supervisor reports. The demo passes each answer
 * on (a client-side handoff: send, wait for this turn to complete, read the answer).
 */
import type { TerminalView } from '../../actors/views.js';
import type { ApiClient, StreamEvent } from '../api-client.js';
import type { Board } from './board.js';

export interface ScenarioResult {
  answers: Record<string, string>;
  turns: number;
  permissions: number;
}

type Waiter = { id: string; turn: number; resolve(e: StreamEvent): void };

export class Scenario {
  private readonly waiters = new Set<Waiter>();
  private permissions = 0;
  private turns = 0;

  constructor(
    private readonly api: ApiClient,
    private readonly board: Board,
    private readonly project: string,
  ) {}

  onEvent(e: StreamEvent): void {
    if (e.type !== 'terminal.status') return;
    this.board.status(e.terminal_id, e.status, e.turn);
    for (const w of this.waiters) {
      if (e.terminal_id === w.id && e.turn >= w.turn) w.resolve(e);
    }
  }

  async run(task: string): Promise<ScenarioResult> {
    const supervisor = await this.api.createSession({ agent_profile: 'code_supervisor', provider: 'mock', session_name: 'demo', working_directory: this.project, wait: false });
    this.board.addAgent(supervisor.id, 'supervisor', 'code_supervisor');
    const [developer, reviewer] = await Promise.all(
      (['developer', 'reviewer'] as const).map(async (profile) => {
        const t = await this.api.addTerminal(supervisor.session_name, { agent_profile: profile, provider: 'mock', working_directory: this.project, wait: false });
        this.board.addAgent(t.id, profile, profile);
        return t;
      }),
    );
    await Promise.all([supervisor, developer!, reviewer!].map((t) => this.ready(t)));

    const plan = await this.ask(supervisor, `Task: ${task}`);
    const work = await this.ask(developer!, `Implement: ${task}\n\nPlan from the supervisor:\n${plan}`);
    const review = await this.ask(reviewer!, `Review: ${task}\n\nDeveloper's report:\n${work}`);
    const summary = await this.ask(supervisor, `Review result: ${review.split('\n')[0]}`);
    return { answers: { plan, work, review, summary }, turns: this.turns, permissions: this.permissions };
  }

  private async ready(t: TerminalView): Promise<void> {
    const started = this.until(t.id, 0, ['idle', 'completed', 'error', 'waiting_user_answer', 'exited']); // listen first, then look
    let current = await this.api.getTerminal(t.id);
    if (current.status === 'starting') {
      await started;
      current = await this.api.getTerminal(t.id);
    }
    this.board.status(t.id, current.status, 0);
    if (current.status !== 'idle' && current.status !== 'completed') {
      const screen = await this.api.output(t.id, 'tail', 10).catch(() => '(no screen)');
      throw new Error(`${t.agent_profile} did not start: it is ${current.status}${current.reason ? ` (${current.reason})` : ''}\n${screen}`);
    }
  }

  /** Send a message and wait for the answer of this very turn, approving questions on the way. */
  private async ask(t: TerminalView, message: string): Promise<string> {
    const turn = (await this.api.getTerminal(t.id)).turn + 1;
    const label = t.agent_profile === 'code_supervisor' ? 'supervisor' : t.agent_profile;
    this.board.event(`→ ${label}: ${message.split('\n')[0]}`);
    const settled = this.until(t.id, turn, ['completed', 'error', 'waiting_user_answer', 'exited']);
    await this.api.sendInput(t.id, message);
    this.turns++;
    let e = await settled;
    while (e.type === 'terminal.status' && e.status === 'waiting_user_answer') {
      const question = (await this.api.output(t.id, 'tail', 3)).split('\n').find((l) => l.startsWith('?')) ?? 'a question';
      this.board.event(`${label} asks: ${question.replace(/^\?\s*/, '')} → the demo answers y`);
      this.permissions++;
      const next = this.until(t.id, turn, ['completed', 'error', 'exited']);
      await this.api.sendKeys(t.id, ['y']);
      e = await next;
    }
    if (e.type !== 'terminal.status' || e.status !== 'completed') {
      throw new Error(`${label} ended its turn as ${e.type === 'terminal.status' ? e.status : e.type}`);
    }
    const answer = await this.api.output(t.id, 'last');
    this.board.note(t.id, answer.split('\n')[0]!);
    this.board.event(`← ${label}: ${answer.split('\n')[0]}`);
    return answer;
  }

  private until(id: string, turn: number, statuses: string[]): Promise<StreamEvent> {
    return new Promise((resolve) => {
      const w: Waiter = {
        id,
        turn,
        resolve: (e) => {
          if (e.type === 'terminal.status' && !statuses.includes(e.status)) return;
          this.waiters.delete(w);
          resolve(e);
        },
      };
      this.waiters.add(w);
    });
  }
}
