import { Command, Option, UsageError } from 'clipanion';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { homePaths, loadConfig } from '../../config.js';
import { type AgentProfile, instructionsOf, parseProfile, PROFILE_NAME } from '../../profiles/schema.js';
import { loadProfile } from '../../profiles/store.js';
import { kiroAgentJson } from '../../providers/kiro-family.js';
import { mcpServersFor, type McpServerSpec } from '../../providers/mcp-config.js';
import { qAgentsDir } from '../../providers/q-cli.js';
import { isProviderId } from '../../providers/registry.js';
import { PROVIDER_IDS, type ProviderId } from '../../providers/types.js';
import { CaoCommand } from '../base.js';

const DOWNLOAD_TIMEOUT_MS = 30_000;

/** Copy a profile (from a URL, a file, or a name cao already knows) into CAO_HOME/agent-store. */
export class InstallCommand extends CaoCommand {
  static paths = [['install']];
  static usage = Command.Usage({
    description: 'Install an agent profile into the local agent store (CAO_HOME/agent-store)',
    details: 'SOURCE is an http(s) URL of a .md profile, a path to a .md file, or the name of a profile cao already knows (for example a built-in).',
    examples: [
      ['Install from a file', '$0 install ./my-agent.md'],
      ['Install from a URL', '$0 install https://example.com/agents/data_analyst.md'],
      ['Copy a built-in so you can edit it', '$0 install developer'],
      ['Also write a Kiro CLI agent (~/.kiro/agents/<name>.json)', '$0 install developer --provider kiro_cli'],
    ],
  });
  source = Option.String({ name: 'source' });
  provider = Option.String('--provider', {
    description: 'Provider the profile is meant for; kiro_cli, q_cli and copilot_cli also get the agent file those CLIs read',
  });

  async run(): Promise<void> {
    if (this.provider && !isProviderId(this.provider)) {
      throw new UsageError(`Invalid provider '${this.provider}'. Available providers: ${PROVIDER_IDS.join(', ')}`);
    }
    const { home } = loadConfig(this.context.env);
    const { text, stem, from } = await this.read(home);
    const profile = parseProfile(text, stem, from);
    if (!PROFILE_NAME.test(profile.name)) throw new Error(`'${profile.name}' is not a valid profile name`);
    const store = homePaths(home).agentStore;
    mkdirSync(store, { recursive: true });
    const target = join(store, `${profile.name}.md`);
    writeFileSync(target, text);
    this.out(`✓ Agent '${profile.name}' installed successfully`);
    this.out(`✓ Profile file: ${target}`);
    const script = this.copyMockScript(profile.mockScript, from, store);
    if (script) this.out(`✓ Mock script: ${script}`);
    if (profile.provider) this.out(`  provider: ${profile.provider}`);
    const artifact = this.writeProviderAgent(this.provider as ProviderId | undefined, profile, home);
    if (artifact) this.out(`✓ ${this.provider} agent: ${artifact}`);
  }

  /**
   * The agent file a CLI reads by name (the original cao's `cao install --provider`): Kiro and Q
   * agent JSON, Copilot `<name>.agent.md`. cao's own launches do not need it (they write a
   * per-terminal agent); it lets the user run `kiro-cli chat --agent <name>` and the like directly.
   */
  private writeProviderAgent(provider: ProviderId | undefined, profile: AgentProfile, home: string): string | undefined {
    const env = this.context.env;
    const userHome = env.HOME || homedir();
    if (provider === 'kiro_cli' || provider === 'q_cli') {
      // The system prompt goes to a context file the agent loads as a resource.
      let promptFile: string | undefined;
      if (profile.systemPrompt) {
        promptFile = join(home, 'agent-context', `${profile.name}.md`);
        mkdirSync(dirname(promptFile), { recursive: true });
        writeFileSync(promptFile, `${profile.systemPrompt}\n`);
      }
      const agent = kiroAgentJson(profile, { name: profile.name, promptFile, servers: installServers(profile), defaults: 'install' });
      const dir = provider === 'kiro_cli' ? env.CAO_AGENTS_DIR || join(userHome, '.kiro', 'agents') : qAgentsDir(userHome);
      return writeFile(join(dir, `${profile.name}.json`), `${JSON.stringify(agent, null, 2)}\n`);
    }
    if (provider === 'copilot_cli') {
      const body = instructionsOf(profile);
      if (!body) throw new Error(`Agent '${profile.name}' has no usable prompt content for Copilot: give it a Markdown body or a 'prompt' field`);
      const front = `---\nname: ${JSON.stringify(profile.name)}\ndescription: ${JSON.stringify(profile.description)}\n---\n`;
      return writeFile(join(userHome, '.copilot', 'agents', `${profile.name}.agent.md`), `${front}${body}\n`);
    }
    return undefined;
  }

  /** A relative mockScript must travel with its profile, or the installed copy points at nothing. */
  private copyMockScript(script: string | undefined, from: string, store: string): string | undefined {
    if (!script || isAbsolute(script) || /^https?:/i.test(from)) return undefined;
    const source = resolve(dirname(from), script);
    const target = resolve(store, script);
    if (!target.startsWith(`${store}/`) || !existsSync(source) || source === target) return undefined;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    return target;
  }

  private async read(home: string): Promise<{ text: string; stem: string; from: string }> {
    const src = this.source;
    if (/^https?:\/\//i.test(src)) {
      const url = new URL(src);
      const file = basename(url.pathname);
      if (!file.endsWith('.md')) throw new Error(`URL must point to a .md file: ${src}`);
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
      } catch (e) {
        throw new Error(`Failed to download agent from ${src}: ${(e as Error).message}`);
      }
      if (!res.ok) throw new Error(`Failed to download agent from ${src}: HTTP ${res.status}`);
      return { text: await res.text(), stem: file.slice(0, -3), from: src };
    }
    const path = resolve(this.context.cwd, src);
    if (existsSync(path)) {
      if (!path.endsWith('.md')) throw new Error(`File must be a .md file: ${src}`);
      return { text: readFileSync(path, 'utf8'), stem: basename(path, '.md'), from: path };
    }
    if (src.endsWith('.md') || src.includes('/')) throw new Error(`File not found: ${src}`);
    const known = loadProfile(home, src);
    return { text: readFileSync(known.path!, 'utf8'), stem: src, from: known.path! };
  }
}

function writeFile(path: string, content: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/**
 * The profile's MCP servers for an installed agent: cao's own server points at this installation;
 * no terminal id is written (the CLI's MCP servers inherit CAO_TERMINAL_ID from the pane).
 */
function installServers(profile: AgentProfile): Record<string, McpServerSpec> {
  const servers = mcpServersFor(profile, '');
  for (const s of Object.values(servers)) {
    if (s.env?.CAO_TERMINAL_ID === '') delete s.env.CAO_TERMINAL_ID;
    if (s.env && Object.keys(s.env).length === 0) delete s.env;
  }
  return servers;
}
