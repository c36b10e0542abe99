/**
 * The orchestrator handle: the one object the server calls. It owns the root actor and its
 * persistence, and composes the terminals, the inbox and the delegations (handoff, assign), which
 * it restores after a restart and reconciles with tmux.
 */
import { join } from 'node:path';
import { createActor, type Actor, type ActorRefFrom } from 'xstate';
import type { CaoConfig } from '../config.js';
import { conflict, errorMessage, invalid, notFound } from '../errors.js';
import { newSessionName, SESSION_NAME, SESSION_PREFIX, withSessionPrefix } from '../ids.js';
import type { Logger } from '../log.js';
import { assignMachine } from '../machines/assign.js';
import { flowMachine, type FlowRun } from '../machines/flow.js';
import type { FlowDefinition } from '../flows/definition.js';
import { handoffMachine } from '../machines/handoff.js';
import { orchestratorMachine } from '../machines/orchestrator.js';
import { terminalMachine } from '../machines/terminal.js';
import type { TerminalStatus } from '../providers/types.js';
import type { Db } from '../store/db.js';
import { flowRepo } from '../store/flows.js';
import { handoffRepo } from '../store/handoffs.js';
import { inboxRepo, type MessageRecord, type MessageStatus } from '../store/inbox.js';
import { latestWriter, snapshotRepo, type SnapshotRepo } from '../store/snapshots.js';
import { terminalRepo } from '../store/terminals.js';
import type { TmuxClient } from '../tmux/client.js';
import { Delegations, type DelegationHost, type DelegationRequest, type HandoffView } from './delegations.js';
import { Flows, type FlowView } from './flows.js';
import { EventBus } from './events.js';
import { Inbox } from './inbox.js';
import type { OutputMode } from './output.js';
import { requireCaoSessionName, requireProfile, requireProvider } from './requests.js';
import { screenWatcher, type WatcherTiming } from './screen-watcher.js';
import { Terminals, type CreateTerminalRequest } from './terminals.js';
import { sessionViews, terminalMeta, type SessionView, type TerminalMeta, type TerminalView } from './views.js';

export type { CreateTerminalRequest } from './terminals.js';

export interface OrchestratorDeps {
  config: CaoConfig;
  tmux: TmuxClient;
  db: Db;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  timing?: Partial<WatcherTiming>;
  /** Start timeout per terminal (ms). */
  startTimeoutMs?: number;
}

export interface CreateSessionRequest extends CreateTerminalRequest {
  sessionName?: string;
}

type Root = Actor<typeof orchestratorMachine>;
const ROOT_KEY = 'root';

export class Orchestrator {
  readonly events = new EventBus();
  private readonly terminals: Terminals;
  private readonly inbox: Inbox;
  private readonly delegations: Delegations;
  private readonly flows: Flows;
  private readonly snapshots: SnapshotRepo;
  private readonly persist: ReturnType<typeof latestWriter>;
  private readonly creatingSessions = new Set<string>();
  private root!: Root;
  private stopping = false;

  private constructor(private readonly d: OrchestratorDeps) {
    this.snapshots = snapshotRepo(d.db.collection('snapshots'));
    this.persist = latestWriter(
      () => this.snapshots.save(ROOT_KEY, this.root.getPersistedSnapshot()),
      (e) => d.log.error(`saving actor snapshots: ${errorMessage(e)}`),
    );
    this.terminals = new Terminals({
      config: d.config, tmux: d.tmux, repo: terminalRepo(d.db.collection('terminals')), events: this.events, log: d.log,
      env: d.env ?? process.env, startTimeoutMs: d.startTimeoutMs ?? 120_000,
      send: (e) => this.root.send(e),
      children: () => this.root.getSnapshot().children,
      changed: () => this.saveSoon(),
    });
    this.inbox = new Inbox(inboxRepo(d.db.collection('inbox')), {
      status: (id) => (this.terminals.has(id) ? this.terminals.status(id) : undefined),
      deliver: (id, text) => this.terminals.sendInput(id, text),
      screen: (id) => this.terminals.output(id, 'full'),
      profileOf: (id) => (this.terminals.has(id) ? this.terminals.record(id).agentProfile : undefined),
    }, this.events, d.log);
    this.delegations = new Delegations(this.delegationHost(), handoffRepo(d.db.collection('handoffs')));
    // Terminals publish what happens to them; the inbox and the delegations follow the same stream.
    this.events.subscribe((e) => this.inbox.onEvent(e));
    this.events.subscribe((e) => this.delegations.onEvent(e));
    this.flows = new Flows({
      home: d.config.home,
      flowsDir: join(d.config.home, 'flows'),
      log: d.log,
      send: (e) => this.root.send(e),
      child: (id) => this.root.getSnapshot().children[id] as ActorRefFrom<typeof flowMachine> | undefined,
      changed: () => this.saveSoon(),
      createSession: (r) => this.createSession({ ...r, wait: true }),
      sendInput: (id, message) => this.sendInput(id, message),
    }, flowRepo(d.db.collection('flows')));
  }

  /** Restore every actor from the store and reconcile it with tmux. */
  static async start(d: OrchestratorDeps): Promise<Orchestrator> {
    const o = new Orchestrator(d);
    await o.restore();
    return o;
  }

  /** Where agents reach the API (the real port once the server listens). */
  setApiAddress(host: string, port: number): void {
    this.terminals.setApiAddress(host, port);
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
    if (this.creatingSessions.has(session) || this.terminals.inSession(session).length > 0) throw conflict(`Session '${session}' already exists`);
    this.creatingSessions.add(session);
    try {
      if (await this.d.tmux.hasSession(session)) throw conflict(`Session '${session}' already exists`);
      return await this.terminals.create(session, true, profile, provider, req);
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
    return this.terminals.create(session, false, profile, provider, req);
  }

  async listSessions(): Promise<SessionView[]> {
    return sessionViews((await this.d.tmux.listSessions()).filter((s) => s.name.startsWith(SESSION_PREFIX)));
  }

  async getSession(name: string): Promise<{ session: SessionView; terminals: TerminalMeta[] }> {
    const session = requireCaoSessionName(name);
    const live = (await this.d.tmux.listSessions()).find((s) => s.name === session);
    const terminals = this.terminals.inSession(session);
    if (!live && terminals.length === 0) throw notFound(`Session '${session}' not found`);
    const [view] = sessionViews(live ? [live] : [{ name: session, windows: 0, attached: 0, createdAt: new Date(0) }]);
    return {
      session: { ...view!, status: live ? view!.status : 'ended' },
      terminals: terminals.map((r) => terminalMeta(r, this.terminals.status(r.id))),
    };
  }

  async listSessionTerminals(name: string): Promise<TerminalMeta[]> {
    return (await this.getSession(name)).terminals;
  }

  async deleteSession(name: string): Promise<{ success: true; deleted: string[]; errors: string[] }> {
    const session = requireCaoSessionName(name);
    const live = await this.d.tmux.hasSession(session);
    const terminals = this.terminals.inSession(session);
    if (!live && terminals.length === 0) throw notFound(`Session '${session}' not found`);
    const errors: string[] = [];
    for (const r of terminals) await this.terminals.forget(r).catch((e) => errors.push(`${r.id}: ${errorMessage(e)}`));
    await this.d.tmux.killSession(session);
    this.events.emit({ type: 'session.removed', session_name: session });
    return { success: true, deleted: [session], errors };
  }

  // ── terminals ─────────────────────────────────────────────────────────────

  getTerminal(id: string): TerminalView {
    return this.terminals.view(id);
  }

  allTerminals(): TerminalView[] {
    return this.terminals.all();
  }

  sendInput(id: string, message: string): Promise<number> {
    return this.terminals.sendInput(id, message);
  }

  sendKeys(id: string, keys: string[]): Promise<void> {
    return this.terminals.sendKeys(id, keys);
  }

  async getOutput(id: string, mode: OutputMode, lines?: number): Promise<{ output: string; mode: OutputMode }> {
    return { output: await this.terminals.output(id, mode, lines), mode };
  }

  exitTerminal(id: string): Promise<void> {
    return this.terminals.exit(id);
  }

  deleteTerminal(id: string): Promise<void> {
    return this.terminals.delete(id);
  }

  workingDirectory(id: string): Promise<string | null> {
    return this.terminals.workingDirectory(id);
  }

  waitForStatus(id: string, ok: (s: TerminalStatus) => boolean, timeoutMs: number): Promise<TerminalStatus> {
    return this.terminals.waitForStatus(id, ok, timeoutMs);
  }

  // ── inbox ─────────────────────────────────────────────────────────────────

  /** Queue a message for a terminal; it is persisted when this resolves. */
  async postMessage(receiverId: string, m: { senderId: string; message: string; requestId?: string }): Promise<MessageRecord> {
    this.terminals.record(receiverId);
    if (this.terminals.status(receiverId) === 'exited') throw conflict(`Terminal '${receiverId}' has exited: it cannot receive messages`);
    return this.inbox.post({ receiverId, ...m });
  }

  listMessages(receiverId: string, o: { status?: MessageStatus; limit?: number }): MessageRecord[] {
    this.terminals.record(receiverId);
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

  cancelHandoffRequest(requestId: string): Promise<HandoffView | null> {
    return this.delegations.cancelRequest(requestId);
  }

  assign(r: DelegationRequest) {
    return this.delegations.assign(r);
  }

  // ── flows ─────────────────────────────────────────────────────────────────

  listFlows(): FlowView[] {
    return this.flows.list();
  }

  getFlow(name: string): FlowView {
    return this.flows.get(name);
  }

  addFlowFile(path: string): Promise<FlowView> {
    return this.flows.addFile(path);
  }

  createFlow(def: FlowDefinition): Promise<FlowView> {
    return this.flows.create(def);
  }

  removeFlow(name: string): Promise<void> {
    return this.flows.remove(name);
  }

  setFlowEnabled(name: string, enabled: boolean): Promise<FlowView> {
    return this.flows.setEnabled(name, enabled);
  }

  runFlow(name: string): Promise<FlowRun> {
    return this.flows.run(name);
  }

  /** Stop watching (agents keep running in tmux), save the final snapshot. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true; // from here on only the final snapshot below is written
    this.inbox.stop();
    this.terminals.stop();
    this.persist.schedule();
    await this.persist.flush();
    this.root.stop();
    await this.d.tmux.closeControls();
  }

  // ── internals ─────────────────────────────────────────────────────────────

  /** Save the actor tree soon (coalesced); nothing after stop() began, the database may be closing. */
  private saveSoon(): void {
    if (!this.stopping) this.persist.schedule();
  }

  private async restore(): Promise<void> {
    await this.terminals.load();
    await this.inbox.load();
    await this.flows.load();
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
        flow: flowMachine.provide({ actors: this.flows.actors() }),
      },
    });
    this.root = createActor(logic, saved ? { snapshot: saved as never } : {});
    this.root.start();
    this.terminals.reconcile();
    this.flows.reconcile(Object.keys(this.root.getSnapshot().children));
    await this.delegations.restore();
    await this.inbox.resume();
    this.saveSoon();
  }

  private delegationHost(): DelegationHost {
    const t = this.terminals;
    return {
      home: this.d.config.home,
      keepWorkers: this.d.config.keepWorkers,
      inbox: this.inbox,
      events: this.events,
      log: this.d.log,
      send: (e) => this.root.send(e),
      child: (id) => this.root.getSnapshot().children[id] as ActorRefFrom<typeof handoffMachine> | ActorRefFrom<typeof assignMachine> | undefined,
      children: () => Object.keys(this.root.getSnapshot().children),
      terminal: (id) => {
        if (!t.has(id)) return undefined;
        const r = t.record(id);
        const ctx = t.context(id);
        return {
          status: t.status(id), turn: ctx?.turn ?? 0, reason: ctx?.reason ?? null, provider: r.provider,
          session: r.session, workingDirectory: r.workingDirectory, yolo: r.yolo ?? false,
        };
      },
      paneDirectory: (id) => t.workingDirectory(id),
      ensureWorker: (plan) => t.ensureWorker(plan),
      readAnswer: (id) => t.output(id, 'last'),
      removeWorker: async (id) => {
        if (!t.has(id)) return;
        // Let the CLI exit cleanly first; remove it either way.
        await t.exit(id).then(() => t.waitForStatus(id, (s) => s === 'exited', 3000)).catch(() => undefined);
        await t.delete(id);
      },
      screenTail: (id, lines) => t.bottom(id, lines).catch(() => ''),
      persist: () => this.saveSoon(),
    };
  }
}
