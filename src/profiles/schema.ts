/**
 * Agent profiles: Markdown with YAML frontmatter; the body is the system prompt.
 * Field names follow the original cao so existing profiles keep working.
 */
import matter from 'gray-matter';
import { z } from 'zod';
import { PROVIDER_IDS } from '../providers/types.js';

/** A profile name becomes a file name: no separators, no dot-dot, nothing hidden. */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const ProfileName = z
  .string()
  .regex(PROFILE_NAME, 'a profile name uses letters, digits, "_", "-" and "." (not first), at most 64 characters')
  .refine((n) => !n.includes('..'), 'a profile name cannot contain ".."');

export const McpServer = z.looseObject({
  type: z.string().optional(),
  command: z.string().optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  url: z.string().optional(),
  timeout: z.number().optional(),
});

export const ProfileFrontmatter = z.looseObject({
  name: ProfileName.optional(),
  description: z.string().default(''),
  provider: z.enum(PROVIDER_IDS).optional(),
  mcpServers: z.record(z.string(), McpServer).optional(),
  tools: z.array(z.string()).optional(),
  allowedTools: z.array(z.string()).optional(),
  toolAliases: z.record(z.string(), z.string()).optional(),
  toolsSettings: z.record(z.string(), z.unknown()).optional(),
  resources: z.array(z.string()).optional(),
  hooks: z.record(z.string(), z.unknown()).optional(),
  useLegacyMcpJson: z.boolean().optional(),
  model: z.string().optional(),
  prompt: z.string().optional(),
  /** Mock provider only: the script the mock agent follows, relative to the profile file. */
  mockScript: z.string().optional(),
});

export interface AgentProfile {
  name: string;
  description: string;
  provider?: (typeof PROVIDER_IDS)[number];
  mcpServers?: Record<string, z.infer<typeof McpServer>>;
  model?: string;
  prompt?: string;
  mockScript?: string;
  systemPrompt: string;
  /** Where it was read from (undefined for profiles built in code). */
  path?: string;
  /** Every frontmatter field, including ones cao does not interpret (passed on to CLIs that do). */
  frontmatter: Record<string, unknown>;
}

/**
 * What an agent is told to be: the profile's body, or its `prompt` field when the body is empty
 * (Kiro and Q also pass `prompt` on in their agent JSON).
 */
export const instructionsOf = (p: AgentProfile): string => p.systemPrompt || (p.prompt ?? '').trim();

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

/** Parse and validate a profile's text. `fallbackName` is the file stem. */
export function parseProfile(text: string, fallbackName: string, path?: string): AgentProfile {
  let parsed: matter.GrayMatterFile<string>;
  try {
    // An options object disables gray-matter's content cache, which would share `data` objects.
    parsed = matter(text, {});
  } catch (e) {
    throw new ProfileError(`${path ?? fallbackName}: the YAML frontmatter does not parse: ${(e as Error).message}`);
  }
  const r = ProfileFrontmatter.safeParse(parsed.data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(frontmatter)'}: ${i.message}`).join('; ');
    throw new ProfileError(`${path ?? fallbackName}: invalid profile: ${issues}`);
  }
  const f = r.data;
  return {
    name: f.name ?? fallbackName,
    description: f.description,
    provider: f.provider,
    mcpServers: f.mcpServers,
    model: f.model,
    prompt: f.prompt,
    mockScript: f.mockScript,
    systemPrompt: parsed.content.trim(),
    path,
    frontmatter: parsed.data as Record<string, unknown>,
  };
}
