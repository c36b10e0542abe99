/**
 * The orchestrator handle: the one object the server, the CLI's server side and (later) the MCP
 * adapter call. It runs the root actor, does the I/O around it (tmux, store), restores everything
 * after a restart and pushes status changes to the event bus.
 */
import { createActor, waitFor, type Actor, type ActorRefFrom } from 'xstate';
import { homePaths, type CaoConfig } from '../config.js';
import { conflict, errorMessage, invalid, notFound } from '../errors.js';
import { newSessionName, newTerminalId, newWindowName, SESSION_NAME, SESSION_PREFIX, TERMINAL_ID, withSessionPrefix } from '../ids.js';
import type { Logger } from '../log.js';
import { assignMachine } from '../machines/assign.js';
import { handoffMachine, type WorkerPlan } from '../machines/handoff.js';
import { orchestratorMachine } from '../machines/orchestrator.js';
import { terminalMachine, terminalStatus, type TerminalSnapshot } from '../machines/terminal.js';
import type { AgentProfile } from '../profiles/schema.js';
import { getProvider } from '../providers/registry.js';
import type { ProviderId, TerminalStatus } from '../providers/types.js';
import type { Db } from '../store/db.js';
import { handoffRepo } from '../store/handoffs.js';
import { inboxRepo, type MessageRecord, type MessageStatus } from '../store/inbox.js';
import { latestWriter, snapshotRepo, type SnapshotRepo } from '../store/snapshots.js';
import { terminalRepo, type TerminalRecord, type TerminalRepo } from '../store/terminals.js';
import type { PaneInfo, TmuxClient } from '../tmux/client.js';
import { Delegations, type DelegationRequest, type HandoffView } from './delegations.js';
import { EventBus } from './events.js';
import { Inbox } from './inbox.js';
import { launchAgent, removeTerminalDir } from './launch.js';
import { screenWatcher, type WatcherTiming } from './screen-watcher.js';
import { readOutput, type OutputMode } from './output.js';
import { requireCaoSessionName, requireProfile, requireProvider, requireWorkingDirectory } from './requests.js';
import { sessionViews, terminalMeta, terminalView, type SessionView, type TerminalMeta, type TerminalView } from './views.js';

export interface OrchestratorDeps {
  config: CaoConfig;
  tmux: TmuxClient;
  db: Db;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  timing?: Partial<WatcherTiming>;
  /** Start timeout per terminal (ms). */
  startTimeoutMs?: number;
  /** Keep handoff workers after they answered (for debugging). Default false. */
  keepWorkers?: boolean;
}

export interface CreateTerminalRequest {
  agentProfile: string;
  provider?: string;
  workingDirectory?: string;
  yolo?: boolean;
  /** Return only once the agent is ready (or failed to start). Default true. */
  wait?: boolean;
}

export interface CreateSessionRequest extends CreateTerminalRequest {
  sessionName?: string;
}

type Root = Actor<typeof orchestratorMachine>;
type TerminalRef = ActorRefFrom<typeof terminalMachine>;

const ROOT_KEY = 'root';

export class Orchestrator {
  readonly events = new EventBus();
  private readonly records = new Map<string, TerminalRecord>();
  private readonly lastStatus = new Map<string, TerminalStatus>();
  private readonly subscriptions = new Map<string, () => void>();
  private readonly creatingSessions = new Set<string>();
  private readonly terminalsRepo: TerminalRepo;
  private readonly snapshots: SnapshotRepo;
  private readonly persist: ReturnType<typeof latestWriter>;
  private root!: Root;
  private apiAddress: { host: string; port: number };
  private stopping = false;
  private readonly inbox: Inbox;
  private readonly delegations: Delegations;

  private constructor(private readonly d: OrchestratorDeps) {
    this.terminalsRepo = terminalRepo(d.db.collection('terminals'));
    this.snapshots = snapshotRepo(d.db.collection('snapshots'));
    this.inbox = new Inbox(inboxRepo(d.db.collection('inbox')), {
      status: (id) => (this.records.has(id) ? this.status(id) : undefined),
      deliver: (id, text) => this.sendInput(id, text),
      screen: (id) => this.getOutput(id, 'full').then((o) => o.output),
      profileOf: (id) => this.records.get(id)?.agentProfile,
    }, this.events, d.log);
    this.delegations = new Delegations(this.delegationHost(), handoffRepo(d.db.collection('handoffs')));
    this.events.subscribe((e) => this.delegations.onEvent(e));
    this.apiAddress = { host: d.config.apiHost, port: d.config.apiPort };
    this.persist = latestWriter(
      () => this.snapshots.save(ROOT_KEY, this.root.getPersistedSnapshot()),
      (e) => d.log.error(`saving actor snapshots: ${errorMessage(e)}`),
    );
  }

  /** Restore every terminal from the store and reconcile it with tmux. */
  static async start(d: OrchestratorDeps): Promise<Orchestrator> {
    const o = new Orchestrator(d);
    await o.restore();
    return o;
  }

  /** Where agents reach the API (the real port once the server listens). */
  setApiAddress(host: string, port: number): void {
    this.apiAddress = { host, port };
  }

  // ── sessions ──────────────────────────────────────────────────────────────

  async createSession(req: CreateSessionRequest): Promise<TerminalView> {
    const session = req.sessionName ? withSessionPrefix(req.sessionName) : newSessionName();
    if (!SESSION_NAME.test(session)) {
      throw invalid(`invalid session name '${req.sessionName}': use letters, digits, '_' and '-', at most 64 characters`);
    }
    const profile = requireProfile(this.d.config.home, req.agentProfile);
    const provider = requireProvider(req.provider, profile.provider);
    // Reserve the name before the first await, so parallel requests for it cannot both pass the check.
    if (this.creatingSessions.has(session) || this.terminalsOf(session).length > 0) throw conflict(`Session '${session}' already exists`);
    this.creatingSessions.add(session);
    try {
      if (await this.d.tmux.hasSession(session)) throw conflict(`Session '${session}' already exists`);
      return await this.createTerminal(session, true, profile, provider, req);
    } finally {
      this.creatingSessions.delete(session);
    }
  }

  async addTerminal(sessionName: string, req: CreateTerminalRequest): Promise<TerminalView> {
    const session = requireCaoSessionName(sessionName);
    if (!(await this.d.tmux.hasSession(session))) throw notFound(`Session '${session}' not found`);
    const profile = requireProfile(this.d.config.home, req.agentProfile);
    // A profile that names its provider keeps it: cross-provider teams are built this way.
    const provider = requireProvider(profile.provider, req.provider);
    return this.createTerminal(session, false, profile, provider, req);
  }

  async listSessions(): Promise<SessionView[]> {
    const live = (await this.d.tmux.listSessions()).filter((s) => s.name.startsWith(SESSION_PREFIX));
    return sessionViews(live);
  }

  async getSession(name: string): Promise<{ session: SessionView; terminals: TerminalMeta[] }> {
    const session = requireCaoSessionName(name);
    const live = (await this.d.tmux.listSessions()).find((s) => s.name === session);
    const terminals = this.terminalsOf(session);
    if (!live && terminals.length === 0) throw notFound(`Session '${session}' not found`);
    const [view] = sessionViews(live ? [live] : [{ name: session, windows: 0, attached: 0, createdAt: new Date(0) }]);
    return { session: { ...view!, status: live ? view!.status : 'ended' }, terminals: terminals.map((r) => terminalMeta(r, this.status(r.id))) };
  }

  async listSessionTerminals(name: string): Promise<TerminalMeta[]> {
    return (await this.getSession(name)).terminals;
  }

  async deleteSession(name: string): Promise<{ success: true; deleted: string[]; errors: string[] }> {
    const session = requireCaoSessionName(name);
    const live = await this.d.tmux.hasSession(session);
    const terminals = this.terminalsOf(session);
    if (!live && terminals.length === 0) throw notFound(`Session '${session}' not found`);
    const errors: string[] = [];
    for (const r of terminals) await this.forget(r).catch((e) => errors.push(`${r.id}: ${errorMessage(e)}`));
    await this.d.tmux.killSession(session);
    this.events.emit({ type: 'session.removed', session_name: session });
    return { success: true, deleted: [session], errors };
  }

  // ── terminals ─────────────────────────────────────────────────────────────

  getTerminal(id: string): TerminalView {
    const r = this.record(id);
    return terminalView(r, this.status(id), this.child(id)?.getSnapshot().context);
  }

  allTerminals(): TerminalView[] {
    return [...this.records.keys()].map((id) => this.getTerminal(id));
  }

  /** Type a message into the agent as one paste and submit it. Resolves with the turn it started. */
  async sendInput(id: string, message: string): Promise<number> {
    const r = this.record(id);
    const child = this.liveChild(id, 'send input to');
    const provider = getProvider(r.provider);
    child.send({ type: 'INPUT' });
    try {
      await this.d.tmux.pasteText(r.paneId, message, { bracketed: provider.input.bracketed, keys: provider.input.submitKeys });
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

  async getOutput(id: string, mode: OutputMode, lines?: number): Promise<{ output: string; mode: OutputMode }> {
    const r = this.record(id);
    const status = this.status(id);
    // The answer on screen mid-turn is the previous turn's: do not pass it off as the current one.
    if (mode === 'last' && (status === 'processing' || status === 'starting')) {
      throw conflict(`Terminal '${id}' is ${status}: its answer to turn ${this.child(id)?.getSnapshot().context.turn ?? 0} is not there yet`);
    }
    return { output: await readOutput(this.d.tmux, r, mode, lines), mode };
  }

  async exitTerminal(id: string): Promise<void> {
    const r = this.record(id);
    this.liveChild(id, 'exit');
    const exit = getProvider(r.provider).exit;
    if ('keys' in exit) await this.d.tmux.sendKeys(r.paneId, exit.keys);
    else await this.sendInput(id, exit.text);
  }

  async deleteTerminal(id: string): Promise<void> {
    const r = this.record(id);
    await this.forget(r);
    await this.d.tmux.killWindow(r.windowId);
  }

  async workingDirectory(id: string): Promise<string | null> {
    const r = this.record(id);
    const info = await this.d.tmux.paneInfo(r.paneId);
    return info && !info.dead ? info.currentPath : null;
  }

  /** Resolves once the terminal's status satisfies `ok` (or rejects after `timeoutMs`). */
  async waitForStatus(id: string, ok: (s: TerminalStatus) => boolean, timeoutMs: number): Promise<TerminalStatus> {
    const child = this.child(id);
    if (!child) throw notFound(`Terminal '${id}' not found`);
    const snap = await waitFor(child, (s) => ok(terminalStatus(s)) || s.status === 'done', { timeout: timeoutMs });
    return terminalStatus(snap);
  }

  // ── inbox ─────────────────────────────────────────────────────────────────

  /** Queue a message for a terminal; it is persisted when this resolves. */
  async postMessage(receiverId: string, m: { senderId: string; message: string; requestId?: string }): Promise<MessageRecord> {
    this.record(receiverId);
    if (this.status(receiverId) === 'exited') throw conflict(`Terminal '${receiverId}' has exited: it cannot receive messages`);
    return this.inbox.post({ receiverId, ...m });
  }

  listMessages(receiverId: string, o: { status?: MessageStatus; limit?: number }): MessageRecord[] {
    this.record(receiverId);
    return this.inbox.list(receiverId, o);
  }

  getMessage(id: number): MessageRecord {
    return this.inbox.get(id);
  }

  // ── delegation ────────────────────────────────────────────────────────────

  startHandoff(r: DelegationRequest & { timeoutSeconds?: number; keepWorker?: boolean }): Promise<HandoffView> {
    return this.delegations.startHandoff(r);
  }

  getHandoff(id: string, waitMs?: number): Promise<HandoffView> {
    return this.delegations.handoff(id, waitMs);
  }

  cancelHandoff(id: string): Promise<HandoffView> {
    return this.delegations.cancel(id);
  }

  assign(r: DelegationRequest) {
    return this.delegations.assign(r);
  }

  /** Stop watching (agents keep running in tmux), save the final snapshot. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.inbox.stop();
    this.persist.schedule();
    await this.persist.flush();
    for (const unsub of this.subscriptions.values()) unsub();
    this.root.stop();
    await this.d.tmux.closeControls();
  }

  // ── internals ─────────────────────────────────────────────────────────────

  private async createTerminal(
    session: string,
    newSession: boolean,
    profile: AgentProfile,
    providerId: ProviderId,
    req: CreateTerminalRequest,
    chosenId?: string,
  ): Promise<TerminalView> {
    const cwd = requireWorkingDirectory(req.workingDirectory);
    let id = chosenId ?? newTerminalId();
    while (!chosenId && this.records.has(id)) id = newTerminalId();
    const provider = getProvider(providerId);
    const home = homePaths(this.d.config.home);
    const pane = await launchAgent(this.d.tmux, {
      terminalId: id, provider, profile, session, newSession,
      windowName: newWindowName(profile.name),
      workingDirectory: cwd,
      terminalDir: home.terminalDir(id),
      yolo: req.yolo ?? false,
      caoEnv: this.caoEnv(),
      baseEnv: this.d.env ?? process.env,
    });
    await this.register({ id, ...pane, provider: providerId, agentProfile: profile.name, workingDirectory: cwd }, false);
    this.d.log.info(`terminal ${id} (${profile.name}, ${providerId}) started in ${session} pane ${pane.paneId}`);
    if (req.wait !== false) await this.waitForStatus(id, (s) => s !== 'starting', (this.d.startTimeoutMs ?? 120_000) + 5000);
    return this.getTerminal(id);
  }

  /** Record a terminal whose window exists and start following it. */
  private async register(
    t: Pick<TerminalRecord, 'id' | 'session' | 'windowName' | 'windowId' | 'paneId' | 'provider' | 'agentProfile' | 'workingDirectory'>,
    reattached: boolean,
  ): Promise<void> {
    const now = new Date().toISOString();
    const record: TerminalRecord = { v: 1, ...t, createdAt: now, lastActive: now };
    this.records.set(t.id, record);
    await this.terminalsRepo.put(record);
    this.root.send({
      type: 'terminal.spawn',
      input: { id: t.id, session: t.session, paneId: t.paneId, provider: t.provider, startTimeoutMs: this.d.startTimeoutMs ?? 120_000, reattached },
    });
    this.events.emit({ type: 'terminal.created', terminal_id: t.id, session_name: t.session, agent_profile: t.agentProfile, provider: t.provider });
    this.follow(t.id);
  }

  /**
   * Make sure a delegation's worker exists. Idempotent: a restarted handoff may ask again, and a
   * window that was created just before a crash is found by its @cao_id tag and adopted.
   */
  private async ensureWorker(plan: WorkerPlan): Promise<void> {
    if (this.records.has(plan.workerId)) return;
    const pane: PaneInfo | undefined = (await this.d.tmux.listPanes()).find((p) => p.tag === plan.workerId);
    const provider = requireProvider(plan.provider);
    if (pane) {
      await this.register({ id: plan.workerId, ...pane, provider, agentProfile: plan.agentProfile, workingDirectory: plan.workingDirectory }, true);
      return;
    }
    const profile = requireProfile(this.d.config.home, plan.agentProfile);
    if (!plan.newSession && !(await this.d.tmux.hasSession(plan.session))) throw notFound(`Session '${plan.session}' not found`);
    await this.createTerminal(plan.session, plan.newSession, profile, provider, { agentProfile: plan.agentProfile, workingDirectory: plan.workingDirectory, wait: false }, plan.workerId);
  }

  private delegationHost() {
    return {
      home: this.d.config.home,
      keepWorkers: this.d.keepWorkers ?? false,
      inbox: this.inbox,
      events: this.events,
      log: this.d.log,
      send: (e: Parameters<Root['send']>[0]) => this.root.send(e),
      child: (id: string) => this.root.getSnapshot().children[id] as ActorRefFrom<typeof handoffMachine> | ActorRefFrom<typeof assignMachine> | undefined,
      children: () => Object.keys(this.root.getSnapshot().children),
      terminal: (id: string) => {
        const r = this.records.get(id);
        const ctx = this.child(id)?.getSnapshot().context;
        return r && { status: this.status(id), turn: ctx?.turn ?? 0, reason: ctx?.reason ?? null, provider: r.provider, session: r.session, workingDirectory: r.workingDirectory };
      },
      paneDirectory: (id: string) => this.workingDirectory(id),
      ensureWorker: (plan: WorkerPlan) => this.ensureWorker(plan),
      readAnswer: async (id: string) => (await this.getOutput(id, 'last')).output,
      removeWorker: async (id: string) => {
        if (!this.records.has(id)) return;
        // Let the CLI exit cleanly first; remove it either way.
        await this.exitTerminal(id).then(() => this.waitForStatus(id, (s) => s === 'exited', 3000)).catch(() => undefined);
        await this.deleteTerminal(id);
      },
      screenTail: (id: string, lines: number) => this.getOutput(id, 'tail', lines).then((o) => o.output).catch(() => ''),
      persist: () => this.persist.schedule(),
    };
  }

  private caoEnv(): Record<string, string> {
    const env: Record<string, string> = {
      CAO_API_HOST: this.apiAddress.host,
      CAO_API_PORT: String(this.apiAddress.port),
      CAO_HOME: this.d.config.home,
    };
    if (this.d.config.tmuxSocket) env.CAO_TMUX_SOCKET = this.d.config.tmuxSocket;
    return env;
  }

  private async restore(): Promise<void> {
    for (const r of await this.terminalsRepo.all()) this.records.set(r.id, r);
    await this.inbox.load();
    const saved = await this.snapshots.load(ROOT_KEY).catch((e) => {
      this.d.log.warn(`discarding unreadable actor snapshot: ${errorMessage(e)}`);
      return undefined;
    });
    const logic = orchestratorMachine.provide({
      actors: {
        terminal: terminalMachine.provide({
          actors: { watchScreen: screenWatcher({ tmux: this.d.tmux, timing: this.d.timing, log: (m) => this.d.log.warn(m) }) },
        }),
        handoff: handoffMachine.provide({ actors: this.delegations.handoffActors() }),
        assign: assignMachine.provide({ actors: this.delegations.assignActors() }),
      },
    });
    this.root = createActor(logic, saved ? { snapshot: saved as never } : {});
    this.root.start();
    // Terminals whose records are gone are dropped; records without an actor get a fresh one.
    for (const id of Object.keys(this.root.getSnapshot().children)) {
      if (TERMINAL_ID.test(id) && !this.records.has(id)) this.root.send({ type: 'child.stop', id });
    }
    for (const r of this.records.values()) {
      if (!this.child(r.id)) {
        this.root.send({ type: 'terminal.spawn', input: { id: r.id, session: r.session, paneId: r.paneId, provider: r.provider, reattached: true } });
      }
      this.follow(r.id);
    }
    await this.delegations.restore();
    await this.inbox.resume();
    this.persist.schedule();
    if (this.records.size > 0) this.d.log.info(`restored ${this.records.size} terminal(s)`);
  }

  /** Watch a terminal actor: publish status changes and save snapshots as they change. */
  private follow(id: string): void {
    const child = this.child(id);
    if (!child || this.subscriptions.has(id)) return;
    const onSnapshot = (s: TerminalSnapshot) => {
      this.persist.schedule();
      const status = terminalStatus(s);
      const previous = this.lastStatus.get(id) ?? null;
      if (status === previous) return;
      this.lastStatus.set(id, status);
      const r = this.records.get(id);
      if (r) {
        this.events.emit({
          type: 'terminal.status', terminal_id: id, session_name: r.session, status, previous,
          turn: s.context.turn, reason: s.context.reason,
        });
      }
      this.inbox.onStatus(id, status);
    };
    onSnapshot(child.getSnapshot());
    const sub = child.subscribe({ next: onSnapshot, error: (e) => this.d.log.error(`terminal ${id}: ${errorMessage(e)}`) });
    this.subscriptions.set(id, () => sub.unsubscribe());
  }

  private async forget(r: TerminalRecord): Promise<void> {
    this.subscriptions.get(r.id)?.();
    this.subscriptions.delete(r.id);
    this.root.send({ type: 'child.stop', id: r.id });
    this.records.delete(r.id);
    this.lastStatus.delete(r.id);
    await this.terminalsRepo.delete(r.id);
    removeTerminalDir(homePaths(this.d.config.home).terminalDir(r.id));
    this.persist.schedule();
    this.inbox.receiverRemoved(r.id);
    this.events.emit({ type: 'terminal.removed', terminal_id: r.id, session_name: r.session });
  }

  private async touch(r: TerminalRecord): Promise<void> {
    r.lastActive = new Date().toISOString();
    await this.terminalsRepo.put(r);
  }

  private child(id: string): TerminalRef | undefined {
    return this.root.getSnapshot().children[id] as TerminalRef | undefined;
  }

  private liveChild(id: string, verb: string): TerminalRef {
    const child = this.child(id);
    const status = child ? terminalStatus(child.getSnapshot()) : 'exited';
    if (!child || status === 'exited') throw conflict(`Cannot ${verb} terminal '${id}': its agent has exited`);
    if (status === 'starting') throw conflict(`Cannot ${verb} terminal '${id}' yet: its agent is still starting`);
    return child;
  }

  private status(id: string): TerminalStatus {
    const child = this.child(id);
    return child ? terminalStatus(child.getSnapshot()) : 'exited';
  }

  private record(id: string): TerminalRecord {
    const r = this.records.get(id);
    if (!r) throw notFound(`Terminal '${id}' not found`);
    return r;
  }

  private terminalsOf(session: string): TerminalRecord[] {
    return [...this.records.values()].filter((r) => r.session === session);
  }
}
