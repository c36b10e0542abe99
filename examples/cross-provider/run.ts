/**
 * Cross-provider teams, run for real, checked, and cleaned up:
 *
 *   npx tsx examples/cross-provider/run.ts        (after `npm run build`; needs tmux, no API key)
 *
 * A worker profile may pin the agent CLI it runs on with `provider:`. The rules cao follows:
 *   (a) a worker whose profile names a provider runs there, whatever its caller runs on or the
 *       request asks for;
 *   (b) a worker whose profile names none runs on its caller's provider (unless the request names
 *       one; the MCP tools never do);
 *   (c) the provider given when a session is created (`cao launch --provider`, POST /sessions)
 *       beats the profile, for that first terminal only;
 *   (d) a worker pinned to a provider cao cannot run is refused with the reason; cao never quietly
 *       runs it somewhere else.
 *
 * The run asks the server which providers it supports, lets the team work on what can run, and
 * checks every rule with real requests. Each check line says who ran where. Exit code 0 only if
 * every outcome is the one the rules predict for the providers this machine has.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../../src/package.js';
import { runExample, type ErrorBody, type EventOf } from '../harness.js';

const AGENTS = join(dirname(fileURLToPath(import.meta.url)), 'agents');
const REQUEST = 'Analyze the sales, support and usage datasets and write a report';

/** The `provider:` lines of agents/*.md. */
const PINNED: Record<string, string | undefined> = {
  cross_provider_supervisor: undefined,
  data_analyst_mock: 'mock',
  data_analyst_claude: 'claude_code',
  data_analyst_any: undefined,
  report_generator_codex: 'codex',
};
/** Who the supervisor's script gives which dataset (agents/cross_provider_supervisor.yaml). */
const ASSIGNED = [
  { dataset: 'sales', profile: 'data_analyst_mock', rule: '(a)' },
  { dataset: 'support', profile: 'data_analyst_claude', rule: '(d)' },
  { dataset: 'usage', profile: 'data_analyst_any', rule: '(b)' },
];

interface ProviderInfo {
  name: string;
  supported: boolean;
  installed: boolean;
  default: boolean;
}
interface HandoffView {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  provider: string;
  result: { success: boolean; message: string; output: string | null } | null;
}
interface TerminalView {
  id: string;
  provider: string;
}
/** Where a request's agent ended up: on a provider, or refused with the server's reason. */
type Outcome = { provider: string; answered?: boolean; refused?: undefined } | { refused: string; created: boolean; provider?: undefined };

const execFileAsync = promisify(execFile);

function onlyNodeAndTmux(path: string): string {
  const dirs = path.split(delimiter).filter((d) => existsSync(join(d, 'tmux')));
  return [dirname(process.execPath), ...dirs.slice(0, 1)].join(delimiter);
}

// The outcome must not depend on which agent CLIs this machine happens to have: the private server
// sees only node and tmux, unless you ask for the real team (CAO_EXAMPLE_REAL_CLIS=1, with their keys set up).
if (process.env.CAO_EXAMPLE_REAL_CLIS !== '1') process.env.PATH = onlyNodeAndTmux(process.env.PATH ?? '');

await runExample('cao example "cross-provider": one team, several agent CLIs', AGENTS, async (ex) => {
  const providers = (await ex.http<ProviderInfo[]>('GET', '/agents/providers')).body;
  const info = (name: string) => providers.find((p) => p.name === name)!;
  const defaultProvider = providers.find((p) => p.default)!.name;
  const usable = (name: string) => info(name).supported && info(name).installed;
  for (const name of ['mock', 'claude_code', 'codex', defaultProvider]) {
    const p = info(name);
    ex.log(`provider ${name.padEnd(11)} ${p.supported ? 'supported' : 'not supported yet'}, ${p.installed ? 'installed' : 'not installed'}${p.default ? ' (the default)' : ''}`);
  }
  // A worker runs where its profile pins it, or nowhere: a provider that cannot run here is refused, never swapped.
  ex.log(usable('claude_code') && usable('codex')
    ? 'claude_code and codex can run here: the team really mixes CLIs (they need their own setup and keys)'
    : `only ${providers.filter((p) => p.supported && p.installed).map((p) => p.name).join(', ')} can run here: workers pinned elsewhere must be refused, never moved`);

  /** Ids of the terminals now: a refused request must not add one (workers of earlier requests may go meanwhile). */
  const terminalIds = async () => new Set((await ex.http<{ id: string }[]>('GET', '/terminals')).body.map((t) => t.id));
  const addedSince = async (before: Set<string>) => [...(await terminalIds())].some((id) => !before.has(id));
  const refusal = (body: unknown, status: number) => `${status} ${(body as ErrorBody).error?.message ?? JSON.stringify(body)}`;
  ex.log(`the supervisor's task: ${REQUEST}`);
  process.stdout.write('\nWho ran where: rule, request, profile [the provider it names], caller → outcome\n');

  /** One check per placement: the outcome must be what the rules predict for `expected`. */
  const judge = (rule: string, request: string, profile: string, caller: string, expected: string, got: Outcome, why = '') => {
    const ok = usable(expected)
      ? got.provider === expected && got.answered !== false
      : got.refused !== undefined && new RegExp(`Provider '${expected}' (is not supported yet|cannot start here)`).test(got.refused) && !got.created;
    const result = got.provider ? `${got.provider}${got.answered ? ', answered' : got.answered === false ? ', did NOT answer' : ''}` : `refused: ${got.refused}`;
    const pin = PINNED[profile] ?? '—';
    ex.check(`${rule} ${request.padEnd(54)} ${`${profile} [${pin}]`.padEnd(33)} ${caller.padEnd(9)} → ${result}`, ok,
      `expected ${usable(expected) ? `to run on ${expected}` : `a refusal: ${expected} cannot run here`}${why}`);
  };

  // ── (c) the session's first terminal: the supervisor names no provider, so the request's applies.
  const sup = await ex.api.createSession({ agent_profile: 'cross_provider_supervisor', provider: 'mock', session_name: 'cross', working_directory: ex.project });
  judge('(c)', 'POST /sessions provider=mock', 'cross_provider_supervisor', '—', 'mock', { provider: sup.provider });
  if (sup.status !== 'idle') throw new Error(`the supervisor did not start: it is ${sup.status}${sup.reason ? ` (${sup.reason})` : ''}`);

  // ── The team through MCP: the supervisor assigns three analysts and hands off to a report generator.
  const storyStart = ex.events.length;
  await ex.api.sendInput(sup.id, REQUEST);
  // A real Codex may take minutes to write the template; the mock answers (or is refused) at once.
  await ex.turnEnd(sup.id, 1, 'the supervisor dispatching the team', usable('codex') ? 330_000 : 30_000);
  const screen = await ex.api.output(sup.id, 'full');
  /**
   * Where a worker the supervisor asked for ended up. The script printed each tool's answer on the
   * screen; an accepted one names the worker's terminal, whose creation event says its provider.
   */
  const viaMcp = async (profile: string, toolAnswer: string): Promise<Outcome & { id?: string }> => {
    const id = /\(terminal:? ([0-9a-f]{8})\)/.exec(toolAnswer)?.[1];
    if (!id) return { refused: toolAnswer, created: ex.events.slice(storyStart).some((e) => e.type === 'terminal.created' && e.agent_profile === profile) };
    const t = await ex.waitFor(`terminal ${id} to be created`, (e): e is EventOf<'terminal.created'> => e.type === 'terminal.created' && e.terminal_id === id);
    return { provider: t.provider, id };
  };
  const workers: { dataset: string; profile: string; id?: string; provider?: string }[] = [];
  for (const { dataset, profile, rule } of ASSIGNED) {
    const got = await viaMcp(profile, new RegExp(`^· ${dataset} → ${profile}: (.*)$`, 'm').exec(screen)?.[1] ?? '(no answer on screen)');
    judge(rule, 'assign (MCP) from the supervisor', profile, `from ${sup.provider}`, PINNED[profile] ?? sup.provider, got);
    workers.push({ dataset, profile, id: got.id, provider: got.provider });
  }
  const template = /report_generator_codex: (.*)$/m.exec(screen)?.[1] ?? '(no answer on screen)';
  judge('(d)', 'handoff (MCP) from the supervisor', 'report_generator_codex', `from ${sup.provider}`, 'codex', await viaMcp('report_generator_codex', template));

  // The analysts that run on the mock agent report back; the supervisor notes each report.
  for (const w of workers) {
    if (w.provider !== 'mock') continue; // a real CLI's report depends on its model: not waited for
    const report = await ex.waitFor(`the ${w.dataset} report from ${w.profile}`,
      (e): e is EventOf<'message.delivered'> => e.type === 'message.delivered' && e.terminal_id === sup.id && e.sender_id === w.id);
    await ex.turnEnd(sup.id, report.turn, `the supervisor noting the ${w.dataset} report`);
    const noted = (await ex.api.output(sup.id, 'full')).includes(`● noted ${w.dataset}`);
    ex.check(`    ${w.profile} (on mock) sent its ${w.dataset} findings with send_message; the supervisor noted them`, noted);
  }

  // ── The rules one request at a time, over REST.
  const handoff = async (body: Record<string, unknown>): Promise<Outcome> => {
    const before = await terminalIds();
    const r = await ex.http<HandoffView | ErrorBody>('POST', '/handoffs', { message: 'Analyze the billing dataset.', timeout_seconds: 60, ...body });
    if (r.status !== 202) return { refused: refusal(r.body, r.status), created: await addedSince(before) };
    const h = r.body as HandoffView;
    if (h.provider !== 'mock') {
      // A real CLI's answer is not the point here (and costs tokens): its placement is known now.
      await ex.http('POST', `/handoffs/${h.id}/cancel`);
      return { provider: h.provider };
    }
    const done = (await ex.http<HandoffView>('GET', `/handoffs/${h.id}?wait=30`)).body;
    return { provider: h.provider, answered: done.result?.success === true && /Findings for the billing dataset/.test(done.result.output ?? '') };
  };
  const addTerminal = async (session: string, profile: string, provider: string): Promise<Outcome> => {
    const before = await terminalIds();
    const q = new URLSearchParams({ agent_profile: profile, provider, working_directory: ex.project, wait: 'false' });
    const r = await ex.http<TerminalView | ErrorBody>('POST', `/sessions/${session}/terminals?${q}`);
    if (r.status === 201) return { provider: (r.body as TerminalView).provider };
    return { refused: refusal(r.body, r.status), created: await addedSince(before) };
  };
  const url = new URL(ex.api.baseUrl);
  const caoLaunch = async (args: string[]): Promise<Outcome> => {
    const before = await terminalIds();
    const argv = [join(PACKAGE_ROOT, 'bin', 'cao.js'), 'launch', '--headless', '--working-directory', ex.project, ...args];
    const env = { ...ex.env, CAO_API_HOST: url.hostname, CAO_API_PORT: url.port };
    try {
      const { stdout } = await execFileAsync(process.execPath, argv, { env, timeout: 30_000 });
      const id = /Terminal created: .* \(([0-9a-f]{8})\)/.exec(stdout)?.[1];
      if (!id) throw new Error(`cao launch printed no terminal:\n${stdout}`);
      return { provider: (await ex.api.getTerminal(id)).provider };
    } catch (e) {
      const err = e as { stderr?: string; code?: number };
      if (typeof err.code !== 'number') throw e;
      return { refused: `exit ${err.code}, ${(err.stderr ?? '').trim()}`, created: await addedSince(before) };
    }
  };

  // (a) A profile's provider beats the one the request names, and the caller's.
  judge('(a)', `POST /sessions/${sup.session_name}/terminals ?provider=codex`, 'data_analyst_mock', '—', 'mock', await addTerminal(sup.session_name, 'data_analyst_mock', 'codex'));
  judge('(a)', 'POST /handoffs provider=codex', 'data_analyst_mock', 'from mock', 'mock', await handoff({ agent_profile: 'data_analyst_mock', provider: 'codex', caller_id: sup.id }));
  // (b) No provider in the profile: the caller's. Without a caller there is nothing to inherit.
  judge('(b)', 'POST /handoffs', 'data_analyst_any', 'from mock', 'mock', await handoff({ agent_profile: 'data_analyst_any', caller_id: sup.id }));
  judge('(b)', 'POST /handoffs', 'data_analyst_any', 'no caller', defaultProvider, await handoff({ agent_profile: 'data_analyst_any' }), ` (${defaultProvider} is the default)`);
  // (c) The launch provider beats the profile for the new session's first terminal, not for later ones.
  judge('(c)', 'cao launch --provider mock', 'data_analyst_claude', '—', 'mock', await caoLaunch(['--agents', 'data_analyst_claude', '--provider', 'mock', '--session-name', 'launched']));
  judge('(c)', 'POST /sessions/cao-launched/terminals ?provider=mock', 'data_analyst_claude', '—', 'claude_code', await addTerminal('cao-launched', 'data_analyst_claude', 'mock'));
  // (d) Pinned to a provider cao cannot run: refused, even when the request offers one that works.
  judge('(d)', 'POST /handoffs provider=mock', 'data_analyst_claude', 'from mock', 'claude_code', await handoff({ agent_profile: 'data_analyst_claude', provider: 'mock', caller_id: sup.id }));
  judge('(d)', 'cao launch (no --provider)', 'data_analyst_claude', '—', 'claude_code', await caoLaunch(['--agents', 'data_analyst_claude', '--yolo', '--session-name', 'pinned']));
});
