/**
 * The conformance harness: a real `cao-server` process whose agents are the real CLIs (installed
 * by global-setup.ts into .cache/agent-clis), talking to a fake model server instead of a model.
 *
 * ```ts
 * import { inject } from 'vitest';
 * import { startAgentHarness, type AgentHarness } from './harness.js';
 *
 * let h: AgentHarness;
 * beforeAll(async () => {
 *   h = await startAgentHarness({ clis: inject('agentClis'), need: ['codex'] });
 *   h.writeProfile('dev', { provider: 'codex', prompt: 'You write code.' });
 * });
 * afterAll(() => h?.stop());
 *
 * it('answers', async () => {
 *   const t = await h.createTerminal({ profile: 'dev' });            // POST /sessions, waits past `starting`
 *   expect(t.status).toBe('idle');
 *   const { turn, from } = await h.send(t.id, 'Say hello tag=t1');  // POST /terminals/{id}/input
 *   await h.waitStatus(t.id, 'processing', { turn, from });           // SSE terminal.status events
 *   await h.waitStatus(t.id, 'completed', { turn, from });
 *   expect(await h.output(t.id)).toMatch(/\[t1\]$/);                  // GET …/output?mode=last
 * });
 * ```
 *
 * What a harness is, per test file (`startAgentHarness`):
 * - `model`: a fake model server (fake-model-server.ts; the prompt's words script its reply:
 *   `delay=MS`, `bash: CMD`, `mcp: TEXT`, `mcptool: NAME {JSON}`, `fail400`/`fail500`, `tag=X`);
 *   `model.requests()` shows what the CLI sent (system prompt, tools, tool results).
 * - `server`: a `cao-server` (test/helpers/server.ts: own CAO_HOME, tmux socket, port) started with
 *   PATH extended by the CLIs' bin folders and every CLI's endpoint and key aimed at `model`:
 *   ANTHROPIC_BASE_URL + ANTHROPIC_API_KEY (Claude Code; CLAUDE_CODE_MAX_RETRIES=2), GOOGLE_GEMINI_BASE_URL
 *   + GEMINI_API_KEY (Gemini), COPILOT_OFFLINE + COPILOT_PROVIDER_* (Copilot BYOK), and for Codex,
 *   which takes its endpoint only from config, `$HOME/.codex/config.toml` with `[model_providers.fake]`
 *   (`CODEX_HOME` names the same folder; env_key FAKE_OPENAI_KEY).
 * - `home`: the HOME of cao-server and so of every agent: a fresh folder, so no test touches the real
 *   user's config. It starts with what a user who set the CLIs up for an API key would have (see
 *   `userConfig` below); `setupHome(home, model)` adds or replaces files before the server starts.
 * - `events`: the server's SSE stream, opened before anything happens; `waitStatus` and
 *   `events.waitFor(statusIs(id, 'completed', turn), { from })` read it.
 * - `workdir`: a fresh working directory for agents (realpath; `createTerminal` uses it by default).
 *
 * Helpers: `writeProfile` (an agent profile for any provider), `writeMockAgent` (a scripted mock
 * worker, test/helpers/agents.ts), `createTerminal` (`settleMs`: an optional wait after ready),
 * `send` (input; returns the turn and the event position before it), `keys` (tmux key names: 'Enter', 'Escape', 'C-c', 'y'…), `waitStatus`,
 * `output` (mode last|full|tail), `screen` (the visible screen: last 50 lines), `waitScreen`
 * (poll it until a pattern matches), `waitModelGot` (the CLI sent a prompt on), `explain` (status
 * history and screen, for failure messages), `stop`. A `waitStatus` that times out says what the
 * terminal showed.
 *
 * A CLI's test file adds only its specifics: its provider id, which prompt triggers a permission
 * question, which key approves it, how it shows an error. Run one CLI's file alone with
 * `CAO_AGENT_CLIS=codex npx vitest run --config vitest.agents.config.ts test/agents/codex.test.ts`.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeAgent, type TestAgent } from '../helpers/agents.js';
import { waitGone } from '../helpers/env.js';
import { startServer, statusIs, type CaoServer, type EventStream, type StreamMessage, type TerminalJson } from '../helpers/server.js';
import { isInstalled, type AgentClis, type CliName, type InstalledCli } from './clis.js';
import { startFakeModel, type FakeModel, type FakeModelOptions } from './fake-model-server.js';

export const FAKE_KEYS = {
  anthropic: 'sk-ant-api03-fake-key-0123456789abcdefghijklmnop',
  gemini: 'fake-gemini-key',
  openai: 'sk-fake-openai-key',
  copilot: 'sk-fake-copilot-key',
} as const;

export interface HarnessOptions {
  /** The CLIs global-setup installed: `inject('agentClis')`. */
  clis: AgentClis;
  /** CLIs this file needs: start() throws, with the install error, if one is missing. */
  need?: CliName[];
  /** Extra environment for cao-server and so for the agents (wins over the harness's). */
  env?: Record<string, string>;
  model?: FakeModelOptions;
  /** Add or replace files in the fresh HOME before the server starts. */
  setupHome?: (home: string, model: FakeModel) => void;
}

export interface CreateOptions {
  profile: string;
  /** Default: the profile's provider. */
  provider?: string;
  yolo?: boolean;
  workingDirectory?: string;
  sessionName?: string;
  /**
   * Wait this long after the terminal is ready. Not needed for Claude Code's "early input" (an Enter
   * in its first moments becomes a newline): cao presses Enter again when its text stays in the box.
   */
  settleMs?: number;
}

export interface ProfileSpec {
  provider: string;
  /** The system prompt (profile body). */
  prompt?: string;
  description?: string;
  model?: string;
  mcpServers?: Record<string, Record<string, unknown>>;
  /** Other frontmatter fields (allowedTools, …). */
  extra?: Record<string, unknown>;
}

/** cao's own MCP server, as profiles name it. */
export const CAO_MCP = { 'cao-mcp-server': { type: 'stdio', command: 'cao', args: ['mcp-server'] } };

/** What a user who set the CLIs up for an API key has in HOME (the harness writes it first). */
export function userConfig(home: string, model: FakeModel): void {
  // Codex reads its endpoint only from config: a model provider pointing at the fake model.
  mkdirSync(join(home, '.codex'), { recursive: true });
  writeFileSync(
    join(home, '.codex', 'config.toml'),
    [
      'model = "gpt-5.2"',
      'model_provider = "fake"',
      'check_for_update_on_startup = false',
      '',
      '[features]',
      '# otherwise the TUI starts a detached app-server daemon that outlives it',
      'daemon_auto_start = false',
      '',
      '[model_providers.fake]',
      'name = "Fake"',
      `base_url = "${model.url}/v1"`,
      'env_key = "FAKE_OPENAI_KEY"',
      'wire_api = "responses"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '',
    ].join('\n'),
  );
  // Gemini: the auth type a user with GEMINI_API_KEY selected once.
  mkdirSync(join(home, '.gemini'), { recursive: true });
  writeFileSync(
    join(home, '.gemini', 'settings.json'),
    `${JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } }, general: { enableAutoUpdate: false, enableAutoUpdateNotification: false }, privacy: { usageStatisticsEnabled: false } }, null, 2)}\n`,
  );
}

export class AgentHarness {
  private constructor(
    readonly server: CaoServer,
    readonly model: FakeModel,
    readonly home: string,
    readonly events: EventStream,
    readonly clis: AgentClis,
  ) {}

  static async start(o: HarnessOptions): Promise<AgentHarness> {
    for (const name of o.need ?? []) {
      const c = o.clis[name];
      if (!isInstalled(c)) throw new Error(`the ${name} CLI is not available: ${c ? (c as { error: string }).error : 'global setup did not install it (CAO_AGENT_CLIS?)'}`);
    }
    const model = await startFakeModel(o.model);
    const home = realpathSync(mkdtempSync(join(tmpdir(), 'cao-agents-home-')));
    let server: CaoServer | undefined;
    try {
      userConfig(home, model);
      o.setupHome?.(home, model);
      const binDirs = Object.values(o.clis).filter(isInstalled).map((c) => c.binDir);
      const env: Record<string, string> = {
        PATH: [...binDirs, process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(':'),
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        XDG_CACHE_HOME: join(home, '.cache'),
        XDG_DATA_HOME: join(home, '.local', 'share'),
        XDG_STATE_HOME: join(home, '.local', 'state'),
        // The CLIs draw their UI with Unicode only in a UTF-8 locale (CI may have none set).
        ...(process.env.LC_ALL || process.env.LANG ? {} : { LANG: 'C.UTF-8' }),
        NO_UPDATE_NOTIFIER: '1',
        // As in a CI job, wherever the suite runs: CI=true must not make a CLI headless under cao.
        CI: 'true',
        // Claude Code
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: FAKE_KEYS.anthropic,
        CLAUDE_CODE_MAX_RETRIES: '2',
        DISABLE_AUTOUPDATER: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
        // Gemini CLI
        GOOGLE_GEMINI_BASE_URL: model.url,
        GEMINI_API_KEY: FAKE_KEYS.gemini,
        // Codex CLI (its endpoint is in $CODEX_HOME/config.toml)
        CODEX_HOME: join(home, '.codex'),
        FAKE_OPENAI_KEY: FAKE_KEYS.openai,
        // Copilot CLI: bring-your-own-key, no GitHub login
        COPILOT_OFFLINE: 'true',
        COPILOT_AUTO_UPDATE: 'false',
        COPILOT_PROVIDER_BASE_URL: `${model.url}/v1`,
        COPILOT_PROVIDER_TYPE: 'openai',
        COPILOT_PROVIDER_API_KEY: FAKE_KEYS.copilot,
        COPILOT_MODEL: 'gpt-4.1',
        ...o.env,
      };
      server = await startServer({ env });
      const events = await server.events();
      return new AgentHarness(server, model, home, events, o.clis);
    } catch (e) {
      await server?.stop();
      await model.close();
      rmSync(home, { recursive: true, force: true });
      throw e;
    }
  }

  get workdir(): string {
    return this.server.workdir;
  }

  cli(name: CliName): InstalledCli {
    const c = this.clis[name];
    if (!isInstalled(c)) throw new Error(`the ${name} CLI is not available`);
    return c;
  }

  /** Write `CAO_HOME/agent-store/<name>.md`. */
  writeProfile(name: string, p: ProfileSpec): void {
    const front: Record<string, unknown> = { name, description: p.description ?? `conformance test agent ${name}`, provider: p.provider };
    if (p.model) front.model = p.model;
    if (p.mcpServers) front.mcpServers = p.mcpServers;
    Object.assign(front, p.extra);
    const dir = join(this.server.home, 'agent-store');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.md`), `---\n${stringify(front)}---\n${p.prompt ?? ''}\n`);
  }

  /** A scripted mock agent (provider mock), e.g. a worker for handoffs. */
  writeMockAgent(a: TestAgent): void {
    writeAgent(this.server.home, a);
  }

  /** POST /sessions (waits until the terminal is past `starting`); throws unless 201. */
  async createTerminal(o: CreateOptions): Promise<TerminalJson> {
    const body: Record<string, unknown> = { agent_profile: o.profile, working_directory: o.workingDirectory ?? this.workdir };
    if (o.provider) body.provider = o.provider;
    if (o.yolo !== undefined) body.yolo = o.yolo;
    if (o.sessionName) body.session_name = o.sessionName;
    const r = await this.server.post<TerminalJson>('/sessions', body);
    if (r.status !== 201) throw new Error(`POST /sessions answered ${r.status}: ${r.text}\n${this.server.logs()}`);
    if (o.settleMs) await new Promise((res) => setTimeout(res, o.settleMs));
    return r.body;
  }

  /** Type a message (POST /terminals/{id}/input). `turn` is the turn it started; `from` the event position before it. */
  async send(id: string, message: string): Promise<{ turn: number; from: number }> {
    const from = this.events.mark();
    const r = await this.server.post(`/terminals/${id}/input`, { message });
    if (r.status !== 200) throw new Error(`POST /terminals/${id}/input answered ${r.status}: ${r.text}`);
    const t = await this.server.get<TerminalJson>(`/terminals/${id}`);
    return { turn: t.body.turn, from };
  }

  /** Press keys by tmux name (POST /terminals/{id}/keys). */
  async keys(id: string, keys: string[]): Promise<void> {
    const r = await this.server.post(`/terminals/${id}/keys`, { keys });
    if (r.status !== 200) throw new Error(`POST /terminals/${id}/keys answered ${r.status}: ${r.text}`);
  }

  /** The terminal.status event of `id` reaching `status` (in `turn`, after event position `from`). */
  async waitStatus(id: string, status: string, o: { turn?: number; from?: number; timeout?: number } = {}): Promise<StreamMessage> {
    try {
      return await this.events.waitFor(statusIs(id, status, o.turn), { from: o.from, timeout: o.timeout ?? 60_000, what: `${id} ${status}${o.turn !== undefined ? ` in turn ${o.turn}` : ''}` });
    } catch (e) {
      throw new Error(`${(e as Error).message.split('\n')[0]}\n${await this.explain(id)}`);
    }
  }

  /** GET /terminals/{id}/output: `last` (the answer, default), `full` (all history), `tail`. */
  async output(id: string, mode: 'last' | 'full' | 'tail' = 'last'): Promise<string> {
    const r = await this.server.get<{ output: string }>(`/terminals/${id}/output?mode=${mode}`);
    if (r.status !== 200) throw new Error(`GET output (${mode}) of ${id} answered ${r.status}: ${r.text}\n${await this.explain(id)}`);
    return r.body.output;
  }

  /** The visible screen (the last 50 lines of the history). */
  async screen(id: string): Promise<string> {
    const r = await this.server.get<{ output: string }>(`/terminals/${id}/output?mode=tail&lines=50`);
    return r.body?.output ?? `(no screen: ${r.status} ${r.text})`;
  }

  /**
   * Poll the screen until it matches: for the moments the status cannot show, e.g. that the CLI
   * itself is busy with the turn (cao reports processing from the moment it sends the input).
   */
  async waitScreen(id: string, pattern: RegExp, timeout = 15_000): Promise<string> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const screen = await this.screen(id);
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`the screen of ${id} did not match ${pattern} within ${timeout} ms\n${await this.explain(id)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Wait until the fake model received a request containing `text`: the CLI is busy with that prompt. */
  async waitModelGot(text: string, timeout = 15_000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.model.requests().some((r) => JSON.stringify(r.body ?? '').includes(text))) {
      if (Date.now() > deadline) throw new Error(`the fake model got no request with ${JSON.stringify(text)} within ${timeout} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async status(id: string): Promise<TerminalJson> {
    return (await this.server.get<TerminalJson>(`/terminals/${id}`)).body;
  }

  /** A terminal's status history and screen, for failure messages. */
  async explain(id: string): Promise<string> {
    const statuses = this.events.statuses(id).map((s) => `${s.status}@${s.turn}`).join(' → ');
    return `statuses of ${id}: ${statuses || '(none)'}\nscreen of ${id}:\n${await this.screen(id).catch((e: Error) => e.message)}\nserver log:\n${this.server.logs().slice(-2000)}`;
  }

  /** Close the stream, stop cao-server (and its tmux server with every agent), the fake model; remove HOME. */
  async stop(): Promise<void> {
    this.events.close();
    // Kill the agents first and wait for them to exit: a CLI still writing into its folders would
    // make removing HOME fail (ENOTEMPTY). Each pane is its own process group, and a CLI's helper
    // processes can outlive the CLI itself: whatever is left of the group gets SIGKILL.
    const pids = (await this.server.tmux.listPanes().catch(() => [])).map((p) => p.pid).filter((p): p is number => typeof p === 'number' && p > 0);
    await this.server.tmux.killServer().catch(() => undefined);
    await waitGone(pids, 5000);
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // the group is gone
      }
    }
    await this.server.stop();
    await this.model.close();
    rmSync(this.home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

export const startAgentHarness = (o: HarnessOptions) => AgentHarness.start(o);

/** A unique word for file names and tags in one test run. */
export const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
