import { Command, Option, UsageError } from 'clipanion';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { homePaths, loadConfig } from '../../config.js';
import { parseProfile, PROFILE_NAME } from '../../profiles/schema.js';
import { loadProfile } from '../../profiles/store.js';
import { isProviderId } from '../../providers/registry.js';
import { PROVIDER_IDS } from '../../providers/types.js';
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
    ],
  });
  source = Option.String({ name: 'source' });
  provider = Option.String('--provider', { description: 'Provider the profile is meant for (validated)' });

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
