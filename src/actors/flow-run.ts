/**
 * One run of a flow: re-read the flow file, run the gating script, fill the prompt, start a session
 * with the flow's profile and provider, send the prompt. Every outcome is a recorded run, never a
 * thrown error: a failing script fails that run, and the schedule moves on.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseFlow, renderPrompt, type FlowDefinition } from '../flows/definition.js';
import type { FlowRun, RunInput } from '../machines/flow.js';
import { runProcess } from '../tmux/exec.js';
import type { TerminalView } from './views.js';

const ScriptOutput = z.object({ execute: z.boolean(), output: z.record(z.string(), z.unknown()).default({}) });

export interface FlowRunHost {
  /** Folder for flows without a file, and for their relative scripts. */
  flowsDir: string;
  createSession(r: { agentProfile: string; provider?: string; sessionName: string; workingDirectory?: string }): Promise<TerminalView>;
  sendInput(terminalId: string, message: string): Promise<unknown>;
}

type Gate = { execute: boolean; vars: Record<string, unknown> };

export async function executeFlowRun(h: FlowRunHost, r: RunInput): Promise<FlowRun> {
  const base = { trigger: r.trigger, startedAt: r.startedAt, session: null, terminalId: null };
  const done = (o: Pick<FlowRun, 'outcome' | 'error'> & Partial<FlowRun>): FlowRun => ({ ...base, ...o, finishedAt: new Date().toISOString() });
  try {
    const def = r.filePath ? parseFlow(readFileSync(r.filePath, 'utf8'), r.filePath) : r.definition;
    const folder = r.filePath ? dirname(r.filePath) : h.flowsDir;
    const gate = def.script ? await runGate(def, folder) : { execute: true, vars: {} };
    if (!gate.execute) return done({ outcome: 'skipped', error: null });
    const prompt = renderPrompt(def.prompt, gate.vars);
    const t = await h.createSession({
      // Relative to the flow file, like its script.
      agentProfile: def.agentProfile, provider: def.provider, workingDirectory: def.workingDirectory && resolve(folder, def.workingDirectory),
      sessionName: `${r.name.slice(0, 48)}-${randomBytes(2).toString('hex')}`,
    });
    if (t.status !== 'idle' && t.status !== 'completed') {
      return done({ outcome: 'failed', session: t.session_name, terminalId: t.id, error: `the agent did not start: it is ${t.status}${t.reason ? ` (${t.reason})` : ''}` });
    }
    try {
      await h.sendInput(t.id, prompt);
    } catch (e) {
      // The session exists: the run names it, so it can be looked at (or removed).
      return done({ outcome: 'failed', session: t.session_name, terminalId: t.id, error: e instanceof Error ? e.message : String(e) });
    }
    return done({ outcome: 'executed', session: t.session_name, terminalId: t.id, error: null });
  } catch (e) {
    return done({ outcome: 'failed', error: e instanceof Error ? e.message : String(e) });
  }
}

/** Run the gating script in the flow's folder: it prints {"execute": bool, "output": {…}}. */
async function runGate(def: FlowDefinition, folder: string): Promise<Gate> {
  const script = isAbsolute(def.script!) ? def.script! : resolve(folder, def.script!);
  try {
    accessSync(script, constants.X_OK);
  } catch {
    throw new Error(`script ${script} does not exist or is not executable (chmod +x)`);
  }
  const res = await runProcess([script], { cwd: folder, timeoutMs: def.scriptTimeoutSeconds * 1000 });
  if (res.timedOut) throw new Error(`script ${def.script} did not finish within ${def.scriptTimeoutSeconds} s`);
  if (res.code !== 0) throw new Error(`script ${def.script} failed with exit code ${res.code}: ${res.stderr.trim().slice(-500) || '(no output on stderr)'}`);
  let json: unknown;
  try {
    json = JSON.parse(res.stdout);
  } catch {
    throw new Error(`script ${def.script} did not print JSON: ${res.stdout.trim().slice(0, 200) || '(nothing)'}`);
  }
  const parsed = ScriptOutput.safeParse(json);
  if (!parsed.success) throw new Error(`script ${def.script} printed ${JSON.stringify(json).slice(0, 200)}, expected {"execute": true|false, "output": {…}}`);
  return { execute: parsed.data.execute, vars: parsed.data.output };
}
