/**
 * The "assign" story, run for real on the mock agent, checked, and cleaned up:
 *
 *   npx tsx examples/assign/run.ts        (after `npm run build`; needs tmux, no API key)
 *
 * The user asks an analysis_supervisor to analyze three datasets. The supervisor assigns one
 * data_analyst per dataset (assign does not wait) and ends its turn. Each analyst works and sends
 * its findings back with send_message; cao types each message into the supervisor once it is
 * idle, and the supervisor notes it. When the three reports are in, the user asks for the report:
 * the supervisor hands the findings to a report_generator (handoff waits for the answer) and
 * answers with the report. Exit code 0 only if all of that verifiably happened.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TerminalMeta } from '../../src/actors/views.js';
import { firstLine, isType, runExample, type EventOf } from '../harness.js';

const AGENTS = join(dirname(fileURLToPath(import.meta.url)), 'agents');
const DATASETS = ['sales', 'support', 'usage'];
const REQUEST = 'Analyze the sales, support and usage datasets and write a report';

interface InboxMessage {
  id: number;
  sender_id: string;
  message: string;
  kind: 'message' | 'task';
  status: string;
}

const datasetOf = (text: string) => /Findings for the (\w+) dataset/.exec(text)?.[1];
const sorted = (xs: (string | undefined)[]) => [...xs].sort().join(', ');

await runExample('cao example "assign": three analysts in parallel, one report', AGENTS, async (ex) => {
  const profiles = new Map<string, string>();
  const who = (id: string) => `${profiles.get(id) ?? 'someone'} ${id}`;
  let supervisor = '';

  ex.on((e) => {
    if (e.type === 'terminal.created') {
      profiles.set(e.terminal_id, e.agent_profile);
      ex.log(`+ ${e.agent_profile} started as terminal ${e.terminal_id} (${e.provider})`);
    } else if (e.type === 'message.delivered') {
      // The inbox carries both: assigned and handed-off tasks, and send_message messages.
      if (e.terminal_id === supervisor) ex.log(`✉ message #${e.message_id} from ${who(e.sender_id)} typed into the supervisor`);
      else ex.log(`→ task #${e.message_id} typed into ${who(e.terminal_id)}`);
    } else if (e.type === 'handoff.finished') {
      ex.log(`⇄ handoff to ${e.terminal_id ? who(e.terminal_id) : 'a worker'} ${e.success ? 'returned its answer' : `failed: ${e.message}`}`);
    } else if (e.type === 'terminal.status' && e.status === 'completed') {
      void ex.answer(e.terminal_id).then((a) => a && ex.log(`← ${who(e.terminal_id)}: ${firstLine(a)}`), () => undefined);
    } else if (e.type === 'terminal.status' && (e.status === 'error' || e.status === 'exited')) {
      ex.log(`✗ ${who(e.terminal_id)} is ${e.status}${e.reason ? `: ${e.reason}` : ''}`);
    }
  });

  // The profiles name no provider: the supervisor runs on the one asked for here, and the workers it
  // starts inherit it. The same profiles run a real team with `cao launch --provider <p>`.
  const sup = await ex.api.createSession({ agent_profile: 'analysis_supervisor', provider: 'mock', session_name: 'assign', working_directory: ex.project });
  supervisor = sup.id;
  profiles.set(sup.id, 'analysis_supervisor');
  if (sup.status !== 'idle') throw new Error(`the supervisor did not start: it is ${sup.status}${sup.reason ? ` (${sup.reason})` : ''}`);
  ex.log(`user → analysis_supervisor: ${REQUEST}`);
  await ex.api.sendInput(sup.id, REQUEST);
  await ex.turnEnd(sup.id, 1, 'the supervisor assigning the analysts');

  // Each report is typed into the supervisor as its own turn; wait for the third one to be handled.
  const reports: EventOf<'message.delivered'>[] = [];
  while (reports.length < 3) {
    reports.push(await ex.waitFor(`report ${reports.length + 1} of 3 to reach the supervisor`,
      (e): e is EventOf<'message.delivered'> => e.type === 'message.delivered' && e.terminal_id === sup.id && !reports.includes(e)));
  }
  const lastReportTurn = Math.max(...reports.map((r) => r.turn));
  await ex.turnEnd(sup.id, lastReportTurn, 'the supervisor noting the third report');

  // The mock agent cannot remember the three reports it noted (a model would), so the user's
  // request restates them: exactly what cao delivered to the supervisor's inbox.
  const inbox = (await ex.http<InboxMessage[]>('GET', `/terminals/${sup.id}/inbox/messages`)).body.filter((m) => m.kind === 'message');
  ex.log(`user → analysis_supervisor: Write the report (with the ${inbox.length} reports from its inbox)`);
  await ex.api.sendInput(sup.id, `Write the report. The reports you received:\n${inbox.map((m) => m.message).join('\n')}`);
  await ex.turnEnd(sup.id, lastReportTurn + 1, 'the supervisor getting the report from report_generator', 60_000);
  const finalAnswer = await ex.api.output(sup.id, 'last');

  process.stdout.write(`\nThe supervisor's final answer:\n${finalAnswer.replace(/^/gm, '  │ ')}\n\nChecks:\n`);
  const screen = await ex.api.output(sup.id, 'full');
  const team = (await ex.api.getSession(sup.session_name)).terminals;
  const analysts = team.filter((t: TerminalMeta) => t.agent_profile === 'data_analyst').map((t) => t.id);
  // Every successful assign printed its result on the supervisor's screen: {"success":true,"terminal_id":"…",…}.
  const assigned = [...screen.matchAll(/⚙ cao-mcp-server - assign\(.*\n\s*⎿\s+\{"success":true,"terminal_id":"([0-9a-f]{8})"/g)].map((m) => m[1]);
  ex.check('the supervisor started 3 data_analyst terminals with assign', assigned.length === 3 && sorted(assigned) === sorted(analysts),
    `assign results on screen: [${sorted(assigned)}]; data_analyst terminals in the session: [${sorted(analysts)}]`);

  const allInbox = (await ex.http<InboxMessage[]>('GET', `/terminals/${sup.id}/inbox/messages`)).body;
  const delivered = ex.events.filter(isType('message.delivered')).filter((e) => e.terminal_id === sup.id);
  ex.check('exactly 3 messages were delivered to the supervisor, one per dataset, each from its own analyst',
    allInbox.length === 3 && delivered.length === 3 && allInbox.every((m) => m.kind === 'message' && m.status === 'delivered') &&
      sorted(allInbox.map((m) => datasetOf(m.message))) === sorted(DATASETS) && sorted(allInbox.map((m) => m.sender_id)) === sorted(analysts),
    JSON.stringify(allInbox.map((m) => ({ id: m.id, from: m.sender_id, status: m.status, text: m.message })), null, 1));
  ex.check('each message was typed into the supervisor once', allInbox.every((m) => screen.split(`[Message #${m.id} from`).length === 2));
  const noted = [...screen.matchAll(/^● noted (\w+)$/gm)].map((m) => m[1]);
  ex.check('the supervisor noted each report once', sorted(noted) === sorted(DATASETS), `noted: [${sorted(noted)}]`);

  const handoffs = ex.events.filter(isType('handoff.finished'));
  ex.check('one handoff, to report_generator, succeeded',
    handoffs.length === 1 && handoffs[0]!.success && profiles.get(handoffs[0]!.terminal_id ?? '') === 'report_generator',
    JSON.stringify(handoffs));
  const missing = inbox.filter((m) => !finalAnswer.includes(m.message.replace(/^Findings for the \w+ dataset: /, '')));
  ex.check('the final answer is the report, with the findings of all three datasets',
    /^Handed off to report_generator/.test(finalAnswer) && DATASETS.every((d) => finalAnswer.includes(d)) && missing.length === 0,
    `missing: ${missing.map((m) => m.message).join(' | ') || 'none'}`);
});
