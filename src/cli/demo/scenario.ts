/**
 * The demo's story, told by the agents themselves through cao's MCP tools: the user gives the
 * supervisor a task; the supervisor hands the implementation to a developer (handoff: it waits for
 * the answer), assigns a review to a reviewer (assign: it does not wait), and ends its turn; the
 * reviewer asks permission to run the tests, then reports back with send_message; the message
 * reaches the supervisor's inbox, and the supervisor reports. The demo only types the task,
 * answers the permission question as a user would, and watches.
 */
import type { ApiClient, StreamEvent } from '../api-client.js';
import type { Board } from './board.js';

export interface ScenarioResult {
  summary: string;
  agents: number;
  handoffs: number;
  messages: number;
  permissions: number;
}

const LABEL: Record<string, string> = { code_supervisor: 'supervisor' };

export class Scenario {
  private readonly profiles = new Map<string, string>();
  private supervisor: string | undefined;
  private done: ((summary: string) => void) | undefined;
  private failed: ((e: Error) => void) | undefined;
  private readonly answering = new Set<string>();
  private handoffs = 0;
  private messages = 0;
  private permissions = 0;

  constructor(
    private readonly api: ApiClient,
    private readonly board: Board,
    private readonly project: string,
  ) {}

  private label(id: string): string {
    const p = this.profiles.get(id) ?? id;
    return LABEL[p] ?? p;
  }

  onEvent(e: StreamEvent): void {
    switch (e.type) {
      case 'terminal.created':
        this.profiles.set(e.terminal_id, e.agent_profile);
        this.board.addAgent(e.terminal_id, LABEL[e.agent_profile] ?? e.agent_profile, e.agent_profile);
        break;
      case 'terminal.status':
        this.board.status(e.terminal_id, e.status, e.turn);
        if (e.status === 'waiting_user_answer') void this.answer(e.terminal_id);
        if (e.terminal_id === this.supervisor) this.supervisorStatus(e.status, e.turn);
        break;
      case 'message.delivered':
        this.messages++;
        this.board.event(`✉ message #${e.message_id} from ${this.label(e.sender_id)} delivered to ${this.label(e.terminal_id)}`);
        break;
      case 'handoff.finished':
        this.handoffs++;
        this.board.event(`⇄ handoff to ${e.terminal_id ? this.label(e.terminal_id) : 'a worker'} ${e.success ? 'returned its answer' : `failed: ${e.message}`}`);
        break;
      default:
        break;
    }
  }

  async run(task: string): Promise<ScenarioResult> {
    const finished = new Promise<string>((resolve, reject) => {
      this.done = resolve;
      this.failed = reject;
    });
    const t = await this.api.createSession({ agent_profile: 'code_supervisor', provider: 'mock', session_name: 'demo', working_directory: this.project, wait: true });
    this.supervisor = t.id;
    this.profiles.set(t.id, 'code_supervisor');
    this.board.addAgent(t.id, 'supervisor', 'code_supervisor');
    this.board.status(t.id, t.status, 0);
    if (t.status !== 'idle') throw new Error(`the supervisor did not start: it is ${t.status}${t.reason ? ` (${t.reason})` : ''}`);
    this.board.event(`→ supervisor: Task: ${task}`);
    await this.api.sendInput(t.id, `Task: ${task}`);
    const summary = await finished;
    return { summary, agents: this.profiles.size, handoffs: this.handoffs, messages: this.messages, permissions: this.permissions };
  }

  /** Turn 1 plans and delegates; the turn that follows the reviewer's message is the report. */
  private supervisorStatus(status: string, turn: number): void {
    if (status === 'error' || status === 'exited') {
      void this.api.output(this.supervisor!, 'tail', 12).then(
        (screen) => this.failed?.(new Error(`the supervisor ended turn ${turn} as ${status}:\n${screen}`)),
        () => this.failed?.(new Error(`the supervisor ended turn ${turn} as ${status}`)),
      );
      return;
    }
    if (status !== 'completed') return;
    void this.api.output(this.supervisor!, 'last').then((answer) => {
      this.board.note(this.supervisor!, answer.split('\n')[0]!);
      this.board.event(`← supervisor: ${answer.split('\n')[0]}`);
      if (/Task complete/.test(answer)) this.done?.(answer);
    }, (e: Error) => this.failed?.(e));
  }

  /** Answer a permission question as the user would, once per question. */
  private async answer(id: string): Promise<void> {
    if (this.answering.has(id)) return;
    this.answering.add(id);
    try {
      const tail = await this.api.output(id, 'tail', 4);
      const question = tail.split('\n').find((l) => l.startsWith('?'))?.replace(/^\?\s*/, '') ?? 'a question';
      this.board.event(`${this.label(id)} asks: ${question} → the demo answers y, as a user would`);
      this.permissions++;
      await this.api.sendKeys(id, ['y']);
    } finally {
      this.answering.delete(id);
    }
  }
}
