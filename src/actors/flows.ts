/**
 * Flows: registering them (from a file or from a request), their actors under the root, their
 * schedules (croner) and their runs. A flow's file is the definition; the server re-reads it at
 * every run, so prompt and script changes apply at the next run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromCallback, fromPromise, waitFor, type ActorRefFrom } from 'xstate';
import { conflict, notFound, unprocessable } from '../errors.js';
import { FlowFileError, parseFlow, serializeFlow, type FlowDefinition } from '../flows/definition.js';
import { nextRun } from '../flows/schedule.js';
import type { Logger } from '../log.js';
import { flowMachine, flowState, type FlowEvent, type FlowRun, type RunInput, type ScheduleInput } from '../machines/flow.js';
import type { OrchestratorEvent } from '../machines/orchestrator.js';
import type { FlowRecord, FlowRepo } from '../store/flows.js';
import { executeFlowRun, type FlowRunHost } from './flow-run.js';
import { requireKnownProvider, requireProfile } from './requests.js';

type FlowRef = ActorRefFrom<typeof flowMachine>;
const flowChildId = (name: string) => `flow-${name}`;
/** setTimeout's limit; longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface FlowView {
  name: string;
  file_path: string | null;
  schedule: string;
  timezone: string | null;
  agent_profile: string;
  provider: string | null;
  script: string | null;
  working_directory: string | null;
  enabled: boolean;
  state: 'scheduled' | 'paused' | 'running';
  next_run: string | null;
  last_run: string | null;
  prompt_template: string;
  runs: FlowRun[];
}

export interface FlowsHost extends FlowRunHost {
  home: string;
  log: Logger;
  send(e: OrchestratorEvent): void;
  child(id: string): FlowRef | undefined;
  changed(): void;
}

/** The schedule actor: fires at the next slot (at once if a slot passed while we were away). */
export const scheduleActor = fromCallback<FlowEvent, ScheduleInput>(({ input, sendBack }) => {
  let timer: NodeJS.Timeout | undefined;
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const fire = () => {
    const at = new Date();
    sendBack({ type: 'FIRE', at: at.toISOString(), next: iso(nextRun(input.schedule, input.timezone, at)) });
  };
  // A timer only fires once the clock shows the slot: timers may fire a little early and clocks may be set back,
  // and a FIRE before the slot would compute that same slot as the next one and run it twice.
  const arm = (due: Date) => {
    const wait = due.getTime() - Date.now();
    timer = setTimeout(() => (Date.now() >= due.getTime() ? fire() : arm(due)), Math.max(0, Math.min(wait, MAX_TIMER_MS)));
  };
  const due = input.nextRunAt ? new Date(input.nextRunAt) : nextRun(input.schedule, input.timezone, new Date());
  if (!input.nextRunAt) sendBack({ type: 'SCHEDULED', next: iso(due) });
  if (due) arm(due);
  return () => clearTimeout(timer);
});

export class Flows {
  private readonly records = new Map<string, FlowRecord>();

  constructor(
    private readonly h: FlowsHost,
    private readonly repo: FlowRepo,
  ) {}

  actors() {
    return {
      waitForSchedule: scheduleActor,
      executeRun: fromPromise<FlowRun, RunInput>(({ input }) => executeFlowRun(this.h, input)),
    };
  }

  async load(): Promise<void> {
    for (const r of await this.repo.all()) this.records.set(r.name, r);
  }

  /** After the root was restored: every record gets its actor back. */
  reconcile(children: string[]): void {
    for (const id of children) if (id.startsWith('flow-') && !this.records.has(id.slice(5))) this.h.send({ type: 'child.stop', id });
    for (const r of this.records.values()) {
      if (!this.ref(r.name)) this.spawn(r, null);
      this.follow(r.name);
    }
  }

  /** `cao flow add FILE`: register the flow a file defines. */
  async addFile(path: string): Promise<FlowView> {
    const file = resolve(path);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw notFound(`Flow file not found: ${path}`);
    }
    return this.add(this.parse(text, file), file);
  }

  /** `POST /flows` with the fields: written to CAO_HOME/flows/<name>.flow.md first, safely serialised. */
  async create(def: FlowDefinition): Promise<FlowView> {
    if (this.records.has(def.name)) throw conflict(`Flow '${def.name}' already exists`);
    const text = serializeFlow(def);
    // Validated as the file will be read (name, schedule, provider, …) before anything is written.
    const parsed = this.parse(text, `flow '${def.name}'`);
    this.check(parsed);
    const dir = join(this.h.home, 'flows');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${parsed.name}.flow.md`);
    writeFileSync(file, text);
    return this.add(parsed, file);
  }

  list(): FlowView[] {
    return [...this.records.keys()].map((n) => this.view(n)).sort((a, b) => (a.next_run ?? '~').localeCompare(b.next_run ?? '~') || a.name.localeCompare(b.name));
  }

  get(name: string): FlowView {
    this.record(name);
    return this.view(name);
  }

  async remove(name: string): Promise<void> {
    this.record(name);
    if (flowState(this.ref(name)?.getSnapshot().value) === 'running') throw conflict(`Flow '${name}' is running: remove it when the run has finished`);
    this.h.send({ type: 'child.stop', id: flowChildId(name) });
    this.records.delete(name);
    await this.repo.delete(name);
    this.h.changed();
  }

  async setEnabled(name: string, enabled: boolean): Promise<FlowView> {
    const r = this.record(name);
    this.ref(name)!.send({ type: enabled ? 'ENABLE' : 'DISABLE' });
    r.enabled = enabled;
    await this.repo.put(r);
    return this.view(name);
  }

  /** Run now, whatever the schedule and `enabled` say; resolves with the run. 409 while a run is going. */
  async run(name: string, timeoutMs = 15 * 60_000): Promise<FlowRun> {
    this.record(name);
    const ref = this.ref(name)!;
    if (flowState(ref.getSnapshot().value) === 'running') throw conflict(`Flow '${name}' is already running`);
    // The newest run before this one: once KEEP_RUNS are kept, the number of runs no longer grows.
    const previous = ref.getSnapshot().context.runs[0];
    ref.send({ type: 'RUN', at: new Date().toISOString() });
    const s = await waitFor(ref, (snap) => snap.context.current === null && snap.context.runs[0] !== previous, { timeout: timeoutMs });
    return s.context.runs[0]!;
  }

  private async add(def: FlowDefinition, filePath: string | null): Promise<FlowView> {
    if (this.records.has(def.name)) throw conflict(`Flow '${def.name}' already exists`);
    this.check(def);
    const record: FlowRecord = { v: 1, name: def.name, filePath, definition: def, enabled: true, createdAt: new Date().toISOString(), runs: [] };
    this.records.set(def.name, record);
    await this.repo.put(record);
    this.spawn(record, null);
    this.follow(def.name);
    this.h.log.info(`flow ${def.name} added (${def.schedule})`);
    return this.view(def.name);
  }

  /**
   * A flow must name a profile and a provider cao knows now, not at its first run. The provider's
   * CLI may be installed later; a run without it fails with the reason.
   */
  private check(def: FlowDefinition): void {
    let profile: ReturnType<typeof requireProfile>;
    try {
      profile = requireProfile(this.h.home, def.agentProfile);
    } catch (e) {
      throw unprocessable(`agent_profile: ${(e as Error).message}`);
    }
    try {
      // As a run's session will choose it: the flow's provider, else the profile's, else the default.
      requireKnownProvider(def.provider, profile.provider);
    } catch (e) {
      throw unprocessable(`provider: ${(e as Error).message}`);
    }
  }

  private parse(text: string, file: string): FlowDefinition {
    try {
      return parseFlow(text, file);
    } catch (e) {
      if (e instanceof FlowFileError) throw unprocessable(e.message);
      throw e;
    }
  }

  private spawn(r: FlowRecord, nextRunAt: string | null): void {
    this.h.send({
      type: 'flow.spawn',
      input: { name: r.name, definition: r.definition, filePath: r.filePath, enabled: r.enabled, nextRunAt, runs: r.runs },
    });
  }

  /** Save snapshots as the flow changes, and mirror finished runs into its record. */
  private follow(name: string): void {
    const ref = this.ref(name);
    if (!ref) return;
    // The newest run seen (not how many: once KEEP_RUNS are kept, a new run does not change the count).
    let seen = ref.getSnapshot().context.runs[0];
    ref.subscribe((s) => {
      this.h.changed();
      const r = this.records.get(name);
      if (!r || s.context.runs[0] === seen) return;
      seen = s.context.runs[0];
      r.runs = s.context.runs;
      const last = s.context.runs[0]!;
      this.h.log.info(`flow ${name}: ${last.outcome}${last.session ? ` in ${last.session}` : ''}${last.error ? `: ${last.error}` : ''}`);
      void this.repo.put(r).catch((e: Error) => this.h.log.error(`saving flow ${name}: ${e.message}`));
    });
  }

  private view(name: string): FlowView {
    const r = this.record(name);
    const snap = this.ref(name)?.getSnapshot();
    const ctx = snap?.context;
    const d = r.definition;
    let prompt = d.prompt;
    try {
      if (r.filePath) prompt = parseFlow(readFileSync(r.filePath, 'utf8'), r.filePath).prompt;
    } catch {
      // The file changed into something invalid: the run will say so; show what was registered.
    }
    const runs = ctx?.runs ?? r.runs;
    return {
      name, file_path: r.filePath, schedule: d.schedule, timezone: d.timezone ?? null, agent_profile: d.agentProfile,
      provider: d.provider ?? null, script: d.script ?? null, working_directory: d.workingDirectory ?? null,
      enabled: ctx?.enabled ?? r.enabled, state: snap ? flowState(snap.value) : 'paused',
      next_run: (ctx?.enabled ?? r.enabled) ? (ctx?.nextRunAt ?? null) : null,
      last_run: runs[0]?.startedAt ?? null, prompt_template: prompt, runs,
    };
  }

  private record(name: string): FlowRecord {
    const r = this.records.get(name);
    if (!r) throw notFound(`Flow '${name}' not found`);
    return r;
  }

  private ref(name: string): FlowRef | undefined {
    return this.h.child(flowChildId(name));
  }
}
