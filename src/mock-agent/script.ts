/**
 * The mock agent's script: ordered rules that match an input and run steps.
 *
 * ```yaml
 * startup: { delay: 200, trust: true }
 * rules:
 *   - match: "^review"                 # JS regex, case-insensitive, against the whole input
 *     steps:
 *       - work: 500                    # spinner for 500 ms
 *       - ask: "Run the test suite?"   # y/n permission question; "n" ends the turn
 *       - call: { server: cao, tool: handoff, args: { agent_profile: reviewer, message: "{{input}}" } }
 *       - reply: "Review done: {{result}}"
 *   - match: "explode"
 *     fail: "simulated crash"          # shorthand: delay / ask / call / reply / fail in that order
 * ```
 * Inputs that no rule matches get the built-in behaviour (words delay=MS, ask, fail).
 * Templates: {{input}} {{result}} {{result.FIELD.…}} {{turn}} {{profile}} {{terminal_id}} {{match.N}} {{env.NAME}}.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const Call = z.object({
  server: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()).default({}),
});

export const Step = z.union([
  z.object({ work: z.number().int().min(0) }).strict(),
  z.object({ ask: z.string() }).strict(),
  z.object({ call: Call }).strict(),
  z.object({ say: z.string() }).strict(),
  z.object({ reply: z.string() }).strict(),
  z.object({ fail: z.string() }).strict(),
]);
export type Step = z.infer<typeof Step>;

const Rule = z
  .object({
    match: z.string(),
    steps: z.array(Step).optional(),
    delay: z.number().int().min(0).optional(),
    ask: z.string().optional(),
    call: Call.optional(),
    reply: z.string().optional(),
    fail: z.string().optional(),
  })
  .strict();

export const Script = z
  .object({
    startup: z
      .object({
        delay: z.number().int().min(0).default(0),
        trust: z.boolean().default(false),
        /** For this long after the first prompt, Enter is dropped (as Claude Code's "early input" does). */
        earlyInput: z.number().int().min(0).default(0),
      })
      .strict()
      .default({ delay: 0, trust: false, earlyInput: 0 }),
    /** Work time of the built-in behaviour when the input names no delay. */
    defaultDelay: z.number().int().min(0).default(100),
    rules: z.array(Rule).default([]),
  })
  .strict();
export type Script = z.infer<typeof Script>;

export interface CompiledRule {
  pattern: RegExp;
  steps: Step[];
}

export const EMPTY_SCRIPT: Script = Script.parse({});

export function loadScript(path: string): Script {
  const text = readFileSync(path, 'utf8');
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(`mock script ${path} does not parse: ${(e as Error).message}`);
  }
  const r = Script.safeParse(data ?? {});
  if (!r.success) {
    throw new Error(`mock script ${path} is invalid: ${r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`);
  }
  compileRules(r.data); // reject bad regexes at load time, not at the first input
  return r.data;
}

export function compileRules(script: Script): CompiledRule[] {
  return script.rules.map((r, i) => {
    let pattern: RegExp;
    try {
      pattern = new RegExp(r.match, 'i');
    } catch (e) {
      throw new Error(`rule ${i + 1}: match is not a valid regular expression: ${(e as Error).message}`);
    }
    const steps: Step[] = r.steps ?? [
      ...(r.delay !== undefined ? [{ work: r.delay }] : []),
      ...(r.ask !== undefined ? [{ ask: r.ask }] : []),
      ...(r.call ? [{ call: r.call }] : []),
      ...(r.reply !== undefined ? [{ reply: r.reply }] : []),
      ...(r.fail !== undefined ? [{ fail: r.fail }] : []),
    ];
    return { pattern, steps };
  });
}

/** The built-in behaviour: words in the input steer the turn. */
export function builtinSteps(input: string, defaultDelay: number): Step[] {
  const delay = /(?:^|\s)delay=(\d+)(?=\s|$)/.exec(input);
  const words = new Set(input.split(/\s+/));
  return [
    { work: delay ? Number(delay[1]) : defaultDelay },
    ...(words.has('ask') ? [{ ask: `Allow the mock tool to act on: ${oneLine(input)}?` }] : []),
    words.has('fail') ? { fail: 'the mock agent was asked to fail' } : { reply: 'Done. You said: {{input}}' },
  ];
}

export interface TemplateVars {
  input: string;
  result: string;
  /** Structured result of the last call (MCP structuredContent), read by {{result.FIELD}}. */
  resultData?: unknown;
  turn: number;
  profile: string;
  terminalId: string;
  match: string[];
  env: NodeJS.ProcessEnv;
}

export function render(template: string, v: TemplateVars): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, key: string) => {
    if (key === 'input') return v.input;
    if (key === 'result') return v.result;
    if (key.startsWith('result.')) return resultField(v, key.slice(7));
    if (key === 'turn') return String(v.turn);
    if (key === 'profile') return v.profile;
    if (key === 'terminal_id') return v.terminalId;
    if (key.startsWith('match.')) return v.match[Number(key.slice(6))] ?? '';
    if (key.startsWith('env.')) return v.env[key.slice(4)] ?? '';
    return whole;
  });
}

/**
 * A dot path (`a.b.0`) into the last call's structured result, or into its text parsed as JSON when
 * it has none. Strings render as they are, other values as JSON; a missing field renders empty.
 */
function resultField(v: TemplateVars, path: string): string {
  let value: unknown = v.resultData;
  if (value === undefined) {
    try {
      value = JSON.parse(v.result);
    } catch {
      return '';
    }
  }
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return '';
    value = (value as Record<string, unknown>)[part];
  }
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Render templates inside call arguments (strings only, recursively). */
export function renderArgs(value: unknown, v: TemplateVars): unknown {
  if (typeof value === 'string') return render(value, v);
  if (Array.isArray(value)) return value.map((x) => renderArgs(x, v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, renderArgs(x, v)]));
  return value;
}

export const oneLine = (s: string, max = 80) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};
