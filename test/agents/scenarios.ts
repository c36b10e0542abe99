/**
 * The conformance steps every real CLI goes through, written once. Each `<cli>.test.ts` calls them
 * and adds only what is its CLI's own: how it shows an error, which key interrupts it, what its
 * tool call is named, what it wrote where.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { rules } from '../helpers/agents.js';
import { CAO_MCP, unique, type AgentHarness, type ProfileSpec } from './harness.js';

/** A system prompt with what naive quoting breaks: quotes, a backslash, a tab, `$HOME`, backticks, blank lines. */
export const TRICKY_PROMPT = 'You are a careful developer.\n- Second line has "quotes", a \\backslash\\, a tab\there and $HOME.\n\nLast line: \'single\' `ticks`.';

/** What handoffRoundTrip needs: a supervisor profile `name` with cao's MCP server, and the mock worker it hands off to. */
export function writeHandoffTeam(h: AgentHarness, name: string, provider: string, extra?: ProfileSpec['extra']): void {
  h.writeProfile(name, { provider, prompt: 'You hand work to other agents with the handoff tool.', mcpServers: CAO_MCP, ...(extra ? { extra } : {}) });
  h.writeMockAgent({
    name: 'mock_worker',
    mcp: false,
    script: rules({ match: '^(.*)$', steps: [{ work: 300 }, { reply: 'Worker result for {{match.1}}: 42' }] }),
  });
}

/**
 * Start a terminal of `profile` (idle), then one turn: processing → completed, exactly that status
 * path for the turn (no early ready screen), the answer extracted whole. Resolves with the id.
 */
export async function firstTurn(h: AgentHarness, profile: string, provider: string): Promise<string> {
  const t = await h.createTerminal({ profile });
  expect(t.status).toBe('idle');
  expect(t.provider).toBe(provider);
  const { turn, from } = await h.send(t.id, 'Say hello delay=1500 tag=hello1');
  await h.waitStatus(t.id, 'processing', { turn, from });
  await h.waitStatus(t.id, 'completed', { turn, from });
  expect(await h.output(t.id)).toMatch(/^Hello from the fake model \(reply #\d+\)\. \[hello1\]$/);
  expect(h.events.statuses(t.id).filter((s) => s.turn === turn).map((s) => s.status)).toEqual(['processing', 'completed']);
  return t.id;
}

/** Send `message` and wait for its turn to complete; the answer ends with `[tag]`. */
export async function turnCompletes(h: AgentHarness, id: string, message: string, tag: string): Promise<void> {
  const { turn, from } = await h.send(id, `${message} tag=${tag}`);
  await h.waitStatus(id, 'completed', { turn, from });
  expect(await h.output(id)).toMatch(new RegExp(`\\[${tag}\\]$`));
}

/** A message of several lines (a blank line, quotes, a backslash) is one turn with one answer. */
export async function multiLineIsOneTurn(h: AgentHarness, id: string): Promise<void> {
  const { turn, from } = await h.send(id, 'First line of a task.\n\nThird line with "quotes" and \\backslash.\ntag=multi1');
  await h.waitStatus(id, 'completed', { turn, from });
  expect(await h.output(id)).toMatch(/^Hello from the fake model \(reply #\d+\)\. \[multi1\]$/);
}

/**
 * `bash: <command(file)>` makes the CLI ask first: waiting_user_answer with `question` on screen
 * and no file yet; Enter approves; completed, and the command made the file. Resolves with the
 * file's name and the extracted answer, for the CLI's own checks of how it shows a tool result.
 */
export async function approvalThenCompleted(h: AgentHarness, id: string, command: (file: string) => string, question: RegExp): Promise<{ file: string; answer: string }> {
  const file = `${unique('perm')}.txt`;
  const { turn, from } = await h.send(id, `bash: ${command(file)}`);
  await h.waitStatus(id, 'waiting_user_answer', { turn, from });
  expect(await h.screen(id)).toMatch(question);
  expect(existsSync(join(h.workdir, file))).toBe(false);
  await h.keys(id, ['Enter']);
  await h.waitStatus(id, 'completed', { turn, from });
  expect(existsSync(join(h.workdir, file))).toBe(true);
  return { file, answer: await h.output(id) };
}

/** `POST /terminals/{id}/exit` (the provider's exit command or keys) ends the CLI: exited. */
export async function exitEnds(h: AgentHarness, id: string): Promise<void> {
  const from = h.events.mark();
  expect((await h.server.post(`/terminals/${id}/exit`)).status).toBe(200);
  await h.waitStatus(id, 'exited', { from, timeout: 20_000 });
}

/**
 * A scripted HTTP 400 makes the turn `error`; `shown` checks how the CLI shows it (on screen, or as
 * the extracted answer). The next turn completes again.
 */
export async function apiErrorThenRecovery(h: AgentHarness, id: string, shown: () => Promise<void>): Promise<void> {
  const bad = await h.send(id, 'please fail400 tag=e1');
  await h.waitStatus(id, 'error', { turn: bad.turn, from: bad.from });
  await shown();
  await turnCompletes(h, id, 'Say hello again', 'after1');
}

/** The error is on the screen only: `mode=last` has no answer to give. */
export const errorOnScreen = (h: AgentHarness, id: string, line: RegExp) => async () => {
  expect(await h.screen(id)).toMatch(line);
  await expect(h.output(id)).rejects.toThrow(/409|no answer/);
};

/**
 * A long turn, interrupted with `keys` once the CLI itself is busy with it (the fake model has the
 * prompt; cao says processing from the moment it sent it): idle, with `marker` on screen; the next
 * turn completes.
 */
export async function interruptThenNextTurn(h: AgentHarness, id: string, keys: string[], marker: RegExp): Promise<void> {
  const { turn, from } = await h.send(id, 'Take your time delay=30000 tag=slow1');
  await h.waitStatus(id, 'processing', { turn, from });
  await h.waitModelGot('tag=slow1');
  await h.keys(id, keys);
  await h.waitStatus(id, 'idle', { turn, from, timeout: 15_000 });
  expect(await h.screen(id)).toMatch(marker);
  await turnCompletes(h, id, 'Say hello', 'afterint');
}

/**
 * A supervisor of `profile` (written by writeHandoffTeam) calls cao's `handoff` through `cao mcp-server` (the tool the model
 * calls is the one `isHandoff` names); a mock worker answers; the supervisor's turn completes after
 * the handoff, with no permission question. Fails at once, with the screen, if the turn ends
 * without a handoff. Resolves with the worker's answer, for the CLI's own checks of where it went.
 */
export async function handoffRoundTrip(h: AgentHarness, profile: string, isHandoff: (tool: string) => boolean): Promise<{ supervisor: string; answer: string }> {
  const sup = await h.createTerminal({ profile });
  expect(sup.status).toBe('idle');
  const task = unique('task');
  const { turn, from } = await h.send(sup.id, `mcptool: handoff {"agent_profile":"mock_worker","message":"${task}"} tag=mcp1`);
  const turnEnded = (m: { event: string; data: any }) =>
    m.event === 'terminal.status' && m.data.terminal_id === sup.id && m.data.turn === turn && ['completed', 'error', 'idle'].includes(m.data.status);
  const finished = await h.events
    .waitFor((m) => m.event === 'handoff.finished' || turnEnded(m), { from, timeout: 90_000, what: 'handoff.finished' })
    .catch(async (e: Error) => {
      throw new Error(`${e.message.split('\n')[0]}\n${await h.explain(sup.id)}`);
    });
  if (finished.event !== 'handoff.finished') throw new Error(`the supervisor's turn ended (${finished.data.status}) without a handoff\n${await h.explain(sup.id)}`);
  expect(finished.data.success).toBe(true);
  await h.waitStatus(sup.id, 'completed', { turn, from, timeout: 60_000 });
  const call = h.model.replies().find((r) => r.tool && isHandoff(r.tool.name));
  expect(call?.tool?.args).toEqual({ agent_profile: 'mock_worker', message: task });
  expect(h.events.statuses(sup.id).map((s) => s.status)).not.toContain('waiting_user_answer');
  return { supervisor: sup.id, answer: `Worker result for ${task}: 42` };
}
