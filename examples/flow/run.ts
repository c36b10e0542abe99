/**
 * The flow examples, run for real on the mock agent, checked, and cleaned up:
 *
 *   npx tsx examples/flow/run.ts        (after `npm run build`; needs tmux, no API key)
 *
 * Registers the three flows of this folder with a private cao-server, shows their next runs,
 * and runs each one now (as `cao flow run` does): the morning trivia and the stand-up start an
 * agent with their prompt; the service monitor's health check keeps the agent asleep while the
 * service is healthy and wakes it, with the failure in its prompt, when it is not.
 */
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlowView } from '../../src/actors/flows.js';
import type { FlowRun } from '../../src/machines/flow.js';
import { runExample } from '../harness.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FLOWS = ['morning-trivia', 'daily-standup', 'service-monitor'];

// The "service" the monitor checks: its health can be switched.
let healthy = true;
const service = createServer((_, res) => res.writeHead(healthy ? 200 : 500).end(healthy ? 'ok' : 'down'));
await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
process.env.SERVICE_URL = `http://127.0.0.1:${(service.address() as { port: number }).port}/health`;
process.on('exit', () => service.close());

await runExample('cao example "flow": scheduled prompts, a gated monitor', join(HERE, 'agents'), async (ex) => {
  const run = (name: string) => ex.http<{ executed: boolean; run: FlowRun }>('POST', `/flows/${name}/run`);

  for (const name of FLOWS) {
    const f = await ex.api.addFlowFile(join(HERE, `${name}.md`));
    ex.log(`added ${f.name}: "${f.schedule}"${f.timezone ? ` ${f.timezone}` : ''}, next run ${f.next_run}`);
  }
  const standup = (await ex.http<FlowView>('GET', '/flows/daily-standup')).body;
  const next = new Date(standup.next_run!);
  const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(next);
  ex.check(`the stand-up's next run is a weekday at 09:00 Berlin time (${berlin})`, /^(Mon|Tue|Wed|Thu|Fri) 09:00$/.test(berlin));
  ex.check('a duplicate flow is refused with 409', (await ex.http('POST', '/flows', { file_path: join(HERE, 'morning-trivia.md') })).status === 409);

  for (const [name, expect] of [['morning-trivia', 'Trivia of the day'], ['daily-standup', 'Stand-up summary']] as const) {
    const r = (await run(name)).body.run;
    ex.log(`ran ${name}: ${r.outcome} in ${r.session}`);
    if (!ex.check(`${name} started an agent with its prompt`, r.outcome === 'executed' && r.terminalId !== null, r.error ?? undefined)) continue;
    await ex.turnEnd(r.terminalId!, 1, `${name}'s agent`);
    const answer = (await ex.answer(r.terminalId!)) ?? '';
    ex.log(`  ${name}'s agent: ${answer.split('\n')[0]}`);
    ex.check(`${name}'s agent answered`, answer.includes(expect), answer);
  }

  healthy = true;
  const quiet = (await run('service-monitor')).body;
  ex.log(`service healthy → service-monitor ${quiet.run.outcome}`);
  ex.check('a healthy service keeps the monitor asleep (skipped, no session)', quiet.run.outcome === 'skipped' && quiet.run.session === null, JSON.stringify(quiet.run));

  healthy = false;
  const woke = (await run('service-monitor')).body.run;
  ex.log(`service down → service-monitor ${woke.outcome} in ${woke.session}`);
  if (ex.check('a failing health check wakes the on-call agent', woke.outcome === 'executed', woke.error ?? undefined)) {
    await ex.turnEnd(woke.terminalId!, 1, 'the on-call agent');
    const answer = (await ex.answer(woke.terminalId!)) ?? '';
    ex.log(`  on-call: ${answer.split('\n')[0]}`);
    ex.check("the script's output filled the prompt (the agent saw HTTP 500)", answer.includes('HTTP 500'), answer);
  }

  await ex.http('POST', '/flows/morning-trivia/disable');
  const disabled = (await ex.http<FlowView>('GET', '/flows/morning-trivia')).body;
  ex.check('a disabled flow has no next run, and keeps its history', !disabled.enabled && disabled.next_run === null && disabled.runs.length === 1);
  const list = (await ex.http<FlowView[]>('GET', '/flows')).body;
  ex.log(`flows: ${list.map((f) => `${f.name} (${f.enabled ? 'enabled' : 'disabled'}, ${f.runs.length} run(s), last ${f.runs[0]?.outcome ?? '-'})`).join('; ')}`);
});
