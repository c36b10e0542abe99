/**
 * Handoffs and assignments: requests are checked and planned here (caller, profile, provider,
 * session, working directory), then run as actors under the root. This module feeds them what
 * happens to their workers (status changes, task delivery) and keeps finished handoffs' results.
 */
import { fromPromise, waitFor, type ActorRefFrom, type AnyActorRef } from 'xstate';
import { conflict, errorMessage, notFound } from '../errors.js';
import { DEFAULT_HANDOFF_TIMEOUT_S } from '../handoff-limits.js';
import { newHandoffId, newSessionName, newTerminalId } from '../ids.js';
import type { Logger } from '../log.js';
import { assignMachine, type AssignContext } from '../machines/assign.js';
import { handoffMachine, type HandoffContext, type HandoffEvent, type HandoffResult, type WorkerPlan } from '../machines/handoff.js';
import { assignChildId, handoffChildId } from '../machines/orchestrator.js';
import type { TerminalStatus } from '../providers/types.js';
import type { HandoffRecord, HandoffRepo } from '../store/handoffs.js';
import type { EventBus, StampedEvent } from './events.js';
import type { Inbox } from './inbox.js';
import { requireProfile, requireProvider, requireWorkingDirectory } from './requests.js';


/** What delegation needs from the orchestrator. */
export interface DelegationHost {
  home: string;
  keepWorkers: boolean;
  inbox: Inbox;
  events: EventBus;
  log: Logger;
  send(event: { type: 'handoff.spawn'; input: HandoffContext } | { type: 'assign.spawn'; input: AssignContext } | { type: 'child.stop'; id: string }): void;
  child(id: string): ActorRefFrom<typeof handoffMachine> | ActorRefFrom<typeof assignMachine> | undefined;
  children(): string[];
  terminal(id: string): { status: TerminalStatus; turn: number; reason: string | null; provider: string; session: string; workingDirectory: string; yolo: boolean } | undefined;
  paneDirectory(id: string): Promise<string | null>;
  ensureWorker(plan: WorkerPlan): Promise<void>;
  readAnswer(id: string): Promise<string>;
  removeWorker(id: string): Promise<void>;
  screenTail(id: string, lines: number): Promise<string>;
  persist(): void;
}

export interface DelegationRequest {
  agentProfile: string;
  message: string;
  callerId?: string;
  workingDirectory?: string;
  provider?: string;
  requestId?: string;
}

export interface HandoffView {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  phase: string;
  agent_profile: string;
  caller_id: string | null;
  worker_id: string;
  worker_status: TerminalStatus | null;
  provider: string;
  created_at: string;
  elapsed_ms: number;
  result: HandoffResult | null;
}

type HandoffRef = ActorRefFrom<typeof handoffMachine>;
const taskRequestId = (kind: 'handoff' | 'assign', id: string) => `${kind}:${id}:task`;
/** Request ids cancelled before their handoff existed, remembered (in memory) this many at most. */
const MAX_CANCELLED_REQUESTS = 1000;
/** How long a finished handoff's result stays readable (`GET /handoffs/{id}`, a retried POST). */
export const RESULT_RETENTION_MS = 24 * 60 * 60 * 1000;

export class Delegations {
  private readonly byRequest = new Map<string, string>();
  private readonly cancelledRequests = new Set<string>();
  private readonly followed = new Set<string>();
  /** Finished handoffs, oldest first, as the store has them (written a moment later). */
  private readonly finished = new Map<string, HandoffRecord>();

  constructor(
    private readonly h: DelegationHost,
    private readonly results: HandoffRepo,
    private readonly retentionMs = RESULT_RETENTION_MS,
  ) {}

  /** What handoffs and assignments both do: start the worker, queue its task in its inbox. */
  private workerActors<C extends HandoffContext | AssignContext>(kind: 'handoff' | 'assign') {
    const h = this.h;
    return {
      createWorker: fromPromise<void, C>(({ input }) => h.ensureWorker(input)),
      queueTask: fromPromise<{ messageId: number }, C>(async ({ input }) => ({
        messageId: (await h.inbox.post({ receiverId: input.workerId, senderId: input.callerId ?? 'cao', message: input.message, kind: 'task', requestId: taskRequestId(kind, input.id) })).id,
      })),
    };
  }

  /** The actor implementations the machines name. */
  handoffActors() {
    const h = this.h;
    return {
      ...this.workerActors<HandoffContext>('handoff'),
      readAnswer: fromPromise<string, HandoffContext>(({ input }) => h.readAnswer(input.workerId)),
      removeWorker: fromPromise<void, HandoffContext>(({ input }) => h.removeWorker(input.workerId)),
      describeWorker: fromPromise<string, HandoffContext>(({ input }) => h.screenTail(input.workerId, 15)),
    };
  }

  assignActors() {
    const h = this.h;
    return {
      ...this.workerActors<AssignContext>('assign'),
      notifyCaller: fromPromise<void, AssignContext>(async ({ input }) => {
        await h.inbox.post({
          receiverId: input.callerId!, senderId: 'cao', requestId: `assign:${input.id}:failure`,
          message: `The ${input.agentProfile} you assigned (terminal ${input.workerId}) ${input.failure}. Its task was:\n${input.message}`,
        });
      }),
    };
  }

  /** After a restart: learn the request ids, follow every live delegation, and tell it what it missed. */
  async restore(): Promise<void> {
    for (const r of (await this.results.all()).sort((a, b) => a.finished_at.localeCompare(b.finished_at))) {
      this.finished.set(r.id, r);
      if (r.request_id) this.byRequest.set(r.request_id, r.id);
    }
    this.dropOldResults();
    for (const childId of this.h.children()) {
      const ctx = this.context(childId);
      if (!ctx) continue;
      if (ctx.requestId) this.byRequest.set(ctx.requestId, ctx.id);
      this.follow(childId);
      this.catchUp(childId, ctx);
    }
  }

  async startHandoff(r: DelegationRequest & { timeoutSeconds?: number; keepWorker?: boolean }): Promise<HandoffView> {
    const known = r.requestId && this.byRequest.get(r.requestId);
    if (known) return this.handoff(known);
    this.refuseCancelled(r.requestId);
    const plan = await this.plan(r);
    // The caller may have cancelled while the plan was being made.
    this.refuseCancelled(r.requestId);
    const input: HandoffContext = {
      ...plan, id: newHandoffId(), message: r.message, requestId: r.requestId ?? null, createdAt: new Date().toISOString(),
      timeoutMs: (r.timeoutSeconds ?? DEFAULT_HANDOFF_TIMEOUT_S) * 1000, keepWorker: r.keepWorker ?? this.h.keepWorkers,
      messageId: null, deliveredTurn: null, workerStatus: null, workerTurn: 0, output: null, failure: null, result: null,
    };
    if (r.requestId) this.byRequest.set(r.requestId, input.id);
    this.h.send({ type: 'handoff.spawn', input });
    this.follow(handoffChildId(input.id));
    this.h.log.info(`handoff ${input.id}: ${plan.agentProfile} (${plan.provider}) as terminal ${plan.workerId} for ${plan.callerId ?? 'no caller'}`);
    return this.handoff(input.id);
  }

  async assign(r: DelegationRequest): Promise<{ success: true; terminal_id: string; assignment_id: string; message: string }> {
    const known = r.requestId && this.byRequest.get(r.requestId);
    const existing = known ? this.context(assignChildId(known)) : undefined;
    if (existing) return this.assignReply(existing.id, existing.workerId, existing.agentProfile);
    const plan = await this.plan(r);
    const input: AssignContext = { ...plan, id: newHandoffId(), message: r.message, requestId: r.requestId ?? null, createdAt: new Date().toISOString(), failure: null };
    if (r.requestId) this.byRequest.set(r.requestId, input.id);
    this.h.send({ type: 'assign.spawn', input });
    this.follow(assignChildId(input.id));
    return this.assignReply(input.id, plan.workerId, plan.agentProfile);
  }

  /** A handoff's state; with `waitMs`, returns as soon as it finishes or when the wait is over. */
  async handoff(id: string, waitMs = 0): Promise<HandoffView> {
    const ref = this.h.child(handoffChildId(id)) as HandoffRef | undefined;
    if (ref && waitMs > 0) await waitFor(ref, (s) => s.context.result !== null || s.status === 'done', { timeout: waitMs }).catch(() => undefined);
    const live = this.h.child(handoffChildId(id)) as HandoffRef | undefined;
    if (live) return this.view(live.getSnapshot().context, live.getSnapshot().value);
    const done = this.finished.get(id);
    if (!done) throw notFound(`Handoff '${id}' not found (results are kept for ${Math.round(this.retentionMs / 3_600_000)} hours)`);
    return {
      id, status: done.result.success ? 'succeeded' : 'failed', phase: 'done', agent_profile: done.agent_profile, caller_id: done.caller_id,
      worker_id: done.worker_id, worker_status: null, provider: done.provider, created_at: done.created_at,
      elapsed_ms: Date.parse(done.finished_at) - Date.parse(done.created_at), result: done.result,
    };
  }

  async cancel(id: string): Promise<HandoffView> {
    const ref = this.h.child(handoffChildId(id)) as HandoffRef | undefined;
    ref?.send({ type: 'CANCEL' });
    return this.handoff(id, ref ? 5000 : 0);
  }

  /**
   * Cancel by the request id of a `POST /handoffs` whose answer the caller never got (it gave up
   * while the request was in flight). A handoff not created yet never will be: a late request with
   * that id is refused. Null when there was nothing to cancel.
   */
  async cancelRequest(requestId: string): Promise<HandoffView | null> {
    const known = this.byRequest.get(requestId);
    if (known) return this.cancel(known);
    this.cancelledRequests.add(requestId);
    if (this.cancelledRequests.size > MAX_CANCELLED_REQUESTS) this.cancelledRequests.delete(this.cancelledRequests.values().next().value!);
    return null;
  }

  private refuseCancelled(requestId: string | undefined): void {
    if (requestId && this.cancelledRequests.has(requestId)) throw conflict(`The handoff with request_id '${requestId}' was cancelled before it started`);
  }

  /** Route what happens to workers to the delegations waiting on them. */
  onEvent(e: StampedEvent): void {
    if (e.type === 'terminal.status') {
      for (const childId of this.h.children()) {
        const ctx = this.context(childId);
        if (ctx?.workerId === e.terminal_id) this.h.child(childId)?.send({ type: 'WORKER', status: e.status, turn: e.turn, reason: e.reason });
      }
    } else if (e.type === 'message.delivered' || e.type === 'message.failed') {
      const req = this.h.inbox.get(e.message_id).request_id;
      const m = req && /^(handoff|assign):([0-9a-f]{8}):task$/.exec(req);
      if (!m) return;
      const childId = m[1] === 'handoff' ? handoffChildId(m[2]!) : assignChildId(m[2]!);
      const event: HandoffEvent = e.type === 'message.delivered' ? { type: 'DELIVERED', turn: e.turn } : { type: 'UNDELIVERABLE', reason: e.reason };
      this.h.child(childId)?.send(event);
    }
  }

  private async plan(r: DelegationRequest): Promise<WorkerPlan> {
    const caller = r.callerId ? this.h.terminal(r.callerId) : undefined;
    if (r.callerId && !caller) throw notFound(`Caller terminal '${r.callerId}' not found`);
    const profile = requireProfile(this.h.home, r.agentProfile);
    // Cross-provider teams: the worker's own profile decides, else it runs where its caller runs.
    const provider = requireProvider(profile.provider, r.provider, caller?.provider);
    const inherited = r.callerId ? ((await this.h.paneDirectory(r.callerId)) ?? caller!.workingDirectory) : undefined;
    return {
      workerId: newTerminalId(), callerId: r.callerId ?? null, agentProfile: profile.name, provider,
      session: caller?.session ?? newSessionName(), newSession: !caller,
      workingDirectory: requireWorkingDirectory(r.workingDirectory ?? inherited),
      yolo: caller?.yolo ?? false,
    };
  }

  private assignReply(id: string, workerId: string, profile: string) {
    return { success: true as const, terminal_id: workerId, assignment_id: id, message: `Task assigned to ${profile} (terminal: ${workerId})` };
  }

  private context(childId: string): HandoffContext | AssignContext | undefined {
    if (!childId.startsWith('handoff-') && !childId.startsWith('assign-')) return undefined;
    return this.h.child(childId)?.getSnapshot().context as HandoffContext | AssignContext | undefined;
  }

  private view(c: HandoffContext, value: unknown): HandoffView {
    const phase = typeof value === 'string' ? value : Object.values(value as Record<string, string>)[0]!;
    const status = c.result ? (c.result.success ? 'succeeded' : 'failed') : 'running';
    return {
      id: c.id, status, phase, agent_profile: c.agentProfile, caller_id: c.callerId, worker_id: c.workerId,
      worker_status: this.h.terminal(c.workerId)?.status ?? c.workerStatus, provider: c.provider,
      created_at: c.createdAt, elapsed_ms: Date.now() - Date.parse(c.createdAt), result: c.result,
    };
  }

  /** Keep a handoff's result as soon as it is known; drop the actor when it is done. */
  private follow(childId: string): void {
    const ref = this.h.child(childId) as AnyActorRef | undefined;
    if (!ref || this.followed.has(childId)) return;
    this.followed.add(childId);
    let reported = false;
    const sub = ref.subscribe({
      next: (s: { status: string; context: HandoffContext | AssignContext }) => {
        this.h.persist();
        const ctx = s.context;
        if (!reported && 'result' in ctx && ctx.result) {
          reported = true;
          this.report(ctx);
        }
        if (s.status !== 'done') return;
        sub.unsubscribe();
        this.followed.delete(childId);
        this.h.send({ type: 'child.stop', id: childId });
        this.h.persist();
      },
      error: (e: unknown) => this.h.log.error(`${childId}: ${errorMessage(e)}`),
    });
  }

  /** Keep the result (in memory at once, on disk next) before the actor can go away, then announce it. */
  private report(ctx: HandoffContext): void {
    const result = ctx.result!;
    const record: HandoffRecord = {
      v: 1, id: ctx.id, request_id: ctx.requestId, caller_id: ctx.callerId, agent_profile: ctx.agentProfile, worker_id: ctx.workerId,
      provider: ctx.provider, created_at: ctx.createdAt, finished_at: new Date().toISOString(), result,
    };
    this.finished.set(ctx.id, record);
    this.results.put(record).catch((e) => this.h.log.error(`saving handoff ${ctx.id}: ${errorMessage(e)}`));
    this.dropOldResults();
    this.h.events.emit({ type: 'handoff.finished', handoff_id: ctx.id, terminal_id: ctx.workerId, success: result.success, message: result.message });
    this.h.log.info(`handoff ${ctx.id}: ${result.success ? 'succeeded' : result.message}`);
  }

  /** Results past their retention are forgotten, here and on disk (oldest first, so this stops early). */
  private dropOldResults(): void {
    const before = new Date(Date.now() - this.retentionMs).toISOString();
    for (const [id, r] of this.finished) {
      if (r.finished_at >= before) break;
      this.finished.delete(id);
      if (r.request_id && this.byRequest.get(r.request_id) === id) this.byRequest.delete(r.request_id);
      this.results.delete(id).catch((e) => this.h.log.error(`dropping handoff ${id}: ${errorMessage(e)}`));
    }
  }

  /** Events a restored delegation missed while the server was down. */
  private catchUp(childId: string, ctx: HandoffContext | AssignContext): void {
    const task = ctx.requestId !== undefined ? this.h.inbox.byRequestId(taskRequestId(childId.startsWith('handoff-') ? 'handoff' : 'assign', ctx.id)) : undefined;
    if (task?.status === 'delivered') this.h.child(childId)?.send({ type: 'DELIVERED', turn: task.turn ?? 1 });
    if (task?.status === 'failed') this.h.child(childId)?.send({ type: 'UNDELIVERABLE', reason: task.last_error ?? 'unknown' });
    const w = this.h.terminal(ctx.workerId);
    if (w) this.h.child(childId)?.send({ type: 'WORKER', status: w.status, turn: w.turn, reason: w.reason });
  }
}
