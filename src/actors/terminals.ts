/**
 * The terminals: their records, their actors under the root, and the I/O on their panes
 * (launching, typing, reading, exiting). Status changes are published on the event bus.
 */
import { waitFor, type ActorRefFrom } from 'xstate';
import { homePaths, type CaoConfig } from '../config.js';
import { conflict, errorMessage, notFound } from '../errors.js';
import { newTerminalId, newWindowName, TERMINAL_ID } from '../ids.js';
import type { Logger } from '../log.js';
import type { WorkerPlan } from '../machines/handoff.js';
import type { OrchestratorEvent } from '../machines/orchestrator.js';
import { terminalMachine, terminalStatus, type TerminalContext, type TerminalSnapshot } from '../machines/terminal.js';
import type { AgentProfile } from '../profiles/schema.js';
import { getProvider } from '../providers/registry.js';
import { bottomLines } from '../providers/screen.js';
import type { ProviderId, TerminalStatus } from '../providers/types.js';
import type { TerminalRecord, TerminalRepo } from '../store/terminals.js';
import type { TmuxClient } from '../tmux/client.js';
import type { EventBus } from './events.js';
import { launchAgent, removeTerminalDir } from './launch.js';
import { readOutput, type OutputMode } from './output.js';
import { requireProfile, requireProvider, requireWorkingDirectory } from './requests.js';
import { terminalView, type TerminalView } from './views.js';

export interface CreateTerminalRequest {
  agentProfile: string;
  provider?: string;
  workingDirectory?: string;
  yolo?: boolean;
  /** Return only once the agent is ready (or failed to start). Default true. */
  wait?: boolean;
}

type TerminalRef = ActorRefFrom<typeof terminalMachine>;
type Fields = Pick<TerminalRecord, 'id' | 'session' | 'windowName' | 'windowId' | 'paneId' | 'provider' | 'agentProfile' | 'workingDirectory' | 'yolo'>;

export interface TerminalsDeps {
  config: CaoConfig;
  tmux: TmuxClient;
  repo: TerminalRepo;
  events: EventBus;
  log: Logger;
  env: NodeJS.ProcessEnv;
  startTimeoutMs: number;
  /** The root actor's mailbox and children. */
  send(e: OrchestratorEvent): void;
  children(): Record<string, unknown>;
  /** Something about a terminal changed: save the actor tree. */
  changed(): void;
}

export class Terminals {
  private readonly records = new Map<string, TerminalRecord>();
  private readonly lastStatus = new Map<string, TerminalStatus>();
  private readonly subscriptions = new Map<string, () => void>();
  private apiAddress: { host: string; port: number };

  constructor(private readonly d: TerminalsDeps) {
    this.apiAddress = { host: d.config.apiHost, port: d.config.apiPort };
  }

  setApiAddress(host: string, port: number): void {
    this.apiAddress = { host, port };
  }

  async load(): Promise<void> {
    for (const r of await this.d.repo.all()) this.records.set(r.id, r);
  }

  /**
   * After the root actor was restored: drop actors whose records are gone, give records without an
   * actor a fresh one (it follows the agent's screen at once), and follow them all.
   */
  reconcile(): void {
    for (const id of Object.keys(this.d.children())) {
      if (TERMINAL_ID.test(id) && !this.records.has(id)) this.d.send({ type: 'child.stop', id });
    }
    for (const r of this.records.values()) {
      if (!this.child(r.id)) this.spawn(r, true);
      this.follow(r.id);
    }
    if (this.records.size > 0) this.d.log.info(`restored ${this.records.size} terminal(s)`);
  }

  stop(): void {
    for (const unsub of this.subscriptions.values()) unsub();
    this.subscriptions.clear();
  }

  // ── queries ──────────────────────────────────────────────────────────────

  has(id: string): boolean {
    return this.records.has(id);
  }

  record(id: string): TerminalRecord {
    const r = this.records.get(id);
    if (!r) throw notFound(`Terminal '${id}' not found`);
    return r;
  }

  inSession(session: string): TerminalRecord[] {
    return [...this.records.values()].filter((r) => r.session === session);
  }

  status(id: string): TerminalStatus {
    const child = this.child(id);
    return child ? terminalStatus(child.getSnapshot()) : 'exited';
  }

  context(id: string): TerminalContext | undefined {
    return this.child(id)?.getSnapshot().context;
  }

  view(id: string): TerminalView {
    return terminalView(this.record(id), this.status(id), this.context(id));
  }

  all(): TerminalView[] {
    return [...this.records.keys()].map((id) => this.view(id));
  }

  // ── life cycle ───────────────────────────────────────────────────────────

  async create(session: string, newSession: boolean, profile: AgentProfile, providerId: ProviderId, req: CreateTerminalRequest, chosenId?: string): Promise<TerminalView> {
    const cwd = requireWorkingDirectory(req.workingDirectory);
    let id = chosenId ?? newTerminalId();
    while (!chosenId && this.records.has(id)) id = newTerminalId();
    const pane = await launchAgent(this.d.tmux, {
      terminalId: id, provider: getProvider(providerId), profile, session, newSession,
      windowName: newWindowName(profile.name),
      workingDirectory: cwd,
      terminalDir: homePaths(this.d.config.home).terminalDir(id),
      yolo: req.yolo ?? false,
      caoEnv: this.caoEnv(),
      baseEnv: this.d.env,
    });
    await this.register({ id, ...pane, provider: providerId, agentProfile: profile.name, workingDirectory: cwd, yolo: req.yolo ?? false }, false);
    this.d.log.info(`terminal ${id} (${profile.name}, ${providerId}) started in ${session} pane ${pane.paneId}`);
    if (req.wait !== false) await this.waitForStatus(id, (s) => s !== 'starting', this.d.startTimeoutMs + 5000);
    return this.view(id);
  }

  /**
   * Make sure a delegation's worker exists. Idempotent: a restarted handoff may ask again, and a
   * window created just before a crash is found by its @cao_id tag and adopted.
   */
  async ensureWorker(plan: WorkerPlan): Promise<void> {
    if (this.records.has(plan.workerId)) return;
    const provider = requireProvider(plan.provider);
    const panes = await this.d.tmux.listPanes();
    const pane = panes.find((p) => p.tag === plan.workerId);
    if (pane) {
      await this.register({ id: plan.workerId, ...pane, provider, agentProfile: plan.agentProfile, workingDirectory: plan.workingDirectory, yolo: plan.yolo }, true);
      return;
    }
    const profile = requireProfile(this.d.config.home, plan.agentProfile);
    if (!plan.newSession && !panes.some((p) => p.session === plan.session)) throw notFound(`Session '${plan.session}' not found`);
    await this.create(plan.session, plan.newSession, profile, provider, { agentProfile: plan.agentProfile, workingDirectory: plan.workingDirectory, yolo: plan.yolo, wait: false }, plan.workerId);
  }

  /** Forget a terminal (its actor, record and files); the caller closes its window. */
  async forget(r: TerminalRecord): Promise<void> {
    this.subscriptions.get(r.id)?.();
    this.subscriptions.delete(r.id);
    this.d.send({ type: 'child.stop', id: r.id });
    this.records.delete(r.id);
    this.lastStatus.delete(r.id);
    await this.d.repo.delete(r.id);
    removeTerminalDir(homePaths(this.d.config.home).terminalDir(r.id));
    this.d.changed();
    this.d.events.emit({ type: 'terminal.removed', terminal_id: r.id, session_name: r.session });
  }

  async delete(id: string): Promise<void> {
    const r = this.record(id);
    // Window first: a CLI still running would write into its folder again after we removed it.
    await this.d.tmux.killWindow(r.windowId);
    await this.forget(r);
  }

  // ── I/O on the pane ──────────────────────────────────────────────────────

  /** Type a message into the agent as one paste and submit it. Resolves with the turn it started. */
  async sendInput(id: string, message: string): Promise<number> {
    const r = this.record(id);
    const child = this.liveChild(id, 'send input to');
    const provider = getProvider(r.provider);
    child.send({ type: 'INPUT' });
    try {
      await this.d.tmux.pasteText(r.paneId, message, { bracketed: provider.input.bracketed, keys: provider.input.submitKeys, awaitEcho: provider.input.awaitEcho });
    } catch (e) {
      child.send({ type: 'INPUT_FAILED' });
      throw e;
    }
    await this.touch(r);
    return child.getSnapshot().context.turn;
  }

  /** Press keys by name (Enter, C-c, Escape, y…) without submitting text. */
  async sendKeys(id: string, keys: string[]): Promise<void> {
    const r = this.record(id);
    this.liveChild(id, 'send keys to');
    await this.d.tmux.sendKeys(r.paneId, keys);
    await this.touch(r);
  }

  async output(id: string, mode: OutputMode, lines?: number): Promise<string> {
    const r = this.record(id);
    const status = this.status(id);
    // The answer on screen mid-turn is the previous turn's: do not pass it off as the current one.
    if (mode === 'last' && (status === 'processing' || status === 'starting')) {
      throw conflict(`Terminal '${id}' is ${status}: its answer to turn ${this.context(id)?.turn ?? 0} is not there yet`);
    }
    return readOutput(this.d.tmux, r, mode, lines);
  }

  /** The last `n` non-blank lines of the screen, without tmux's own "Pane is dead" notice: why a worker stopped. */
  async bottom(id: string, n: number): Promise<string> {
    const screen = await readOutput(this.d.tmux, this.record(id), 'full');
    return bottomLines(screen.replace(/^Pane is dead \(.*\)$/m, ''), n).join('\n');
  }

  async exit(id: string): Promise<void> {
    const r = this.record(id);
    this.liveChild(id, 'exit');
    const exit = getProvider(r.provider).exit;
    if ('keys' in exit) await this.d.tmux.sendKeys(r.paneId, exit.keys);
    else await this.sendInput(id, exit.text);
  }

  async workingDirectory(id: string): Promise<string | null> {
    const info = await this.d.tmux.paneInfo(this.record(id).paneId);
    return info && !info.dead ? info.currentPath : null;
  }

  /** Resolves once the terminal's status satisfies `ok` (or rejects after `timeoutMs`). */
  async waitForStatus(id: string, ok: (s: TerminalStatus) => boolean, timeoutMs: number): Promise<TerminalStatus> {
    const child = this.child(id);
    if (!child) throw notFound(`Terminal '${id}' not found`);
    const snap = await waitFor(child, (s) => ok(terminalStatus(s)) || s.status === 'done', { timeout: timeoutMs });
    return terminalStatus(snap);
  }

  // ── internals ────────────────────────────────────────────────────────────

  /** The terminal's actor under the root (restored terminals get the configured start timeout too). */
  private spawn(t: Pick<TerminalRecord, 'id' | 'session' | 'paneId' | 'provider'>, reattached: boolean): void {
    this.d.send({ type: 'terminal.spawn', input: { id: t.id, session: t.session, paneId: t.paneId, provider: t.provider, startTimeoutMs: this.d.startTimeoutMs, reattached } });
  }

  /** Record a terminal whose window exists, spawn its actor and follow it. */
  private async register(t: Fields, reattached: boolean): Promise<void> {
    const now = new Date().toISOString();
    const record: TerminalRecord = { v: 1, ...t, createdAt: now, lastActive: now };
    this.records.set(t.id, record);
    await this.d.repo.put(record);
    this.spawn(t, reattached);
    this.d.events.emit({ type: 'terminal.created', terminal_id: t.id, session_name: t.session, agent_profile: t.agentProfile, provider: t.provider });
    this.follow(t.id);
  }

  /** Publish a terminal's status changes and save snapshots as they change. */
  private follow(id: string): void {
    const child = this.child(id);
    if (!child || this.subscriptions.has(id)) return;
    const onSnapshot = (s: TerminalSnapshot) => {
      this.d.changed();
      const status = terminalStatus(s);
      const previous = this.lastStatus.get(id) ?? null;
      if (status === previous) return;
      this.lastStatus.set(id, status);
      const r = this.records.get(id);
      if (r) {
        this.d.events.emit({
          type: 'terminal.status', terminal_id: id, session_name: r.session, status, previous,
          turn: s.context.turn, reason: s.context.reason,
        });
      }
    };
    onSnapshot(child.getSnapshot());
    const sub = child.subscribe({ next: onSnapshot, error: (e) => this.d.log.error(`terminal ${id}: ${errorMessage(e)}`) });
    this.subscriptions.set(id, () => sub.unsubscribe());
  }

  private caoEnv(): Record<string, string> {
    const env: Record<string, string> = {
      CAO_API_HOST: this.apiAddress.host,
      CAO_API_PORT: String(this.apiAddress.port),
      CAO_HOME: this.d.config.home,
    };
    if (this.d.config.tmuxSocket) env.CAO_TMUX_SOCKET = this.d.config.tmuxSocket;
    if (this.d.config.apiToken) env.CAO_API_TOKEN = this.d.config.apiToken;
    return env;
  }

  private async touch(r: TerminalRecord): Promise<void> {
    r.lastActive = new Date().toISOString();
    await this.d.repo.put(r);
  }

  private child(id: string): TerminalRef | undefined {
    return this.d.children()[id] as TerminalRef | undefined;
  }

  private liveChild(id: string, verb: string): TerminalRef {
    const child = this.child(id);
    const status = child ? terminalStatus(child.getSnapshot()) : 'exited';
    if (!child || status === 'exited') throw conflict(`Cannot ${verb} terminal '${id}': its agent has exited`);
    if (status === 'starting') throw conflict(`Cannot ${verb} terminal '${id}' yet: its agent is still starting`);
    return child;
  }
}
