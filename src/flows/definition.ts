/**
 * Flow files: Markdown with YAML frontmatter (name, schedule, agent_profile, provider, script,
 * working_directory, timezone); the body is the prompt, with [[var]] placeholders filled from
 * the gating script's output.
 */
import matter from 'gray-matter';
import { z } from 'zod';
import { PROVIDER_IDS } from '../providers/types.js';
import { ProfileName } from '../profiles/schema.js';
import { checkSchedule, ScheduleError } from './schedule.js';

export const FLOW_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
export const FlowName = z.string().regex(FLOW_NAME, 'a flow name uses letters, digits, "_" and "-", at most 48 characters');

export const FlowFrontmatter = z
  .object({
    name: FlowName,
    schedule: z.string().min(1, 'schedule is required'),
    agent_profile: ProfileName,
    provider: z.enum(PROVIDER_IDS).optional(),
    script: z.string().min(1).optional(),
    working_directory: z.string().min(1).optional(),
    timezone: z.string().min(1).optional(),
    /** How long the gating script may run, in seconds. */
    script_timeout: z.number().int().min(1).max(600).optional(),
  })
  .strict();

export interface FlowDefinition {
  name: string;
  schedule: string;
  agentProfile: string;
  provider?: (typeof PROVIDER_IDS)[number];
  script?: string;
  workingDirectory?: string;
  timezone?: string;
  scriptTimeoutSeconds: number;
  prompt: string;
}

export class FlowFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlowFileError';
  }
}

/**
 * gray-matter picks the frontmatter's language from the opening line (`---js` evaluates JavaScript):
 * flow files are YAML only, and nothing in them is ever executed.
 */
const notYaml = (): never => {
  throw new Error('flow files have YAML frontmatter only (the opening line must be just ---)');
};
const MATTER_OPTIONS = { language: 'yaml', engines: { javascript: notYaml, json: notYaml, coffee: notYaml } };

/** An unquoted `schedule: * * * * *` or `schedule: @daily` is YAML syntax (an alias, a reserved sign), not a string. */
const UNQUOTED_SCHEDULE = /^schedule:[ \t]*([*@][^\r\n]*)$/m;
const quoteHint = (expr = '0 9 * * 1-5') => `quote the cron expression, as in schedule: "${expr}"`;

/** What YAML made of a schedule that is not a string, in words. */
function yamlValue(v: unknown): string {
  if (v instanceof Date) return `a date (${v.toISOString()})`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `the ${typeof v} ${String(v)}`;
}

export function parseFlow(text: string, source: string): FlowDefinition {
  let parsed: matter.GrayMatterFile<string>;
  try {
    parsed = matter(text, MATTER_OPTIONS);
  } catch (e) {
    const unquoted = UNQUOTED_SCHEDULE.exec(text.split(/\r?\n---/)[0] ?? '');
    const hint = unquoted ? `schedule: ${quoteHint(unquoted[1]!.replace(/\s+#.*$/, '').trim())} (unquoted, YAML reads a leading * or @ as its own syntax); ` : '';
    throw new FlowFileError(`${source}: ${hint}the YAML frontmatter does not parse: ${(e as Error).message}`);
  }
  const data: unknown = parsed.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new FlowFileError(`${source}: frontmatter: expected keys and values (name, schedule, agent_profile, …), not ${Array.isArray(data) ? 'a list' : 'a single value'}`);
  }
  const r = FlowFrontmatter.safeParse(data);
  if (!r.success) {
    throw new FlowFileError(`${source}: ${r.error.issues.map((i) => {
      const field = i.path.join('.') || 'frontmatter';
      // YAML reads some unquoted schedules as numbers (5, 1:30 is 90), dates or lists: say so, and how to fix it.
      const schedule = (data as Record<string, unknown>).schedule;
      if (field === 'schedule' && schedule === null) return `schedule: is empty; ${quoteHint()}`;
      if (field === 'schedule' && schedule !== undefined && typeof schedule !== 'string') {
        return `schedule: YAML read the unquoted value as ${yamlValue(schedule)}, not a cron expression; ${quoteHint()}`;
      }
      return `${field}: ${i.message}`;
    }).join('; ')}`);
  }
  const f = r.data;
  try {
    checkSchedule(f.schedule, f.timezone);
  } catch (e) {
    if (e instanceof ScheduleError) throw new FlowFileError(`${source}: ${e.message}`);
    throw e;
  }
  const prompt = parsed.content.trim();
  if (!prompt) throw new FlowFileError(`${source}: the prompt (the text after the frontmatter) is empty`);
  return {
    name: f.name, schedule: f.schedule, agentProfile: f.agent_profile, provider: f.provider, script: f.script,
    workingDirectory: f.working_directory, timezone: f.timezone, scriptTimeoutSeconds: f.script_timeout ?? 30, prompt,
  };
}

/** A flow file's text, serialised safely (YAML, not string concatenation): names and prompts cannot inject keys. */
export function serializeFlow(d: FlowDefinition): string {
  const front: Record<string, unknown> = { name: d.name, schedule: d.schedule, agent_profile: d.agentProfile };
  if (d.provider) front.provider = d.provider;
  if (d.script) front.script = d.script;
  if (d.workingDirectory) front.working_directory = d.workingDirectory;
  if (d.timezone) front.timezone = d.timezone;
  if (d.scriptTimeoutSeconds !== 30) front.script_timeout = d.scriptTimeoutSeconds;
  // A file object, not a string: matter.stringify(string) would parse the prompt as frontmatter first,
  // so a prompt that starts with ---, or ---js, would add keys to the file (or run as JavaScript).
  return matter.stringify({ content: `${d.prompt}\n` }, front, MATTER_OPTIONS);
}

const PLACEHOLDER = /\[\[(\w+)\]\]/g;

export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Fill [[var]] placeholders; every placeholder must have a value. */
export function renderPrompt(template: string, vars: Record<string, unknown>): string {
  const missing = placeholders(template).filter((k) => !Object.hasOwn(vars, k)).sort();
  if (missing.length > 0) throw new FlowFileError(`missing template variables: ${missing.join(', ')}`);
  return template.replace(PLACEHOLDER, (_, k: string) => {
    const v = vars[k];
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}
