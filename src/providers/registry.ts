/**
 * All providers by id. The seven real CLIs are registered by name (so listings and validation know
 * them) but are marked unsupported until their screen rules are built.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { mockProvider } from './mock.js';
import { PROVIDER_IDS, type Provider, type ProviderId } from './types.js';

const planned = (id: ProviderId, displayName: string, binary: string): Provider => ({
  id, displayName, binary,
  supported: false,
  launch: () => {
    throw new Error(`provider '${id}' is not supported yet`);
  },
  startupDialogs: [],
  classify: () => 'processing',
  extractLastMessage: () => undefined,
  input: { bracketed: true, submitKeys: ['Enter'] },
  exit: { text: '/exit' },
});

const providers: Record<ProviderId, Provider> = {
  kiro_cli: planned('kiro_cli', 'Kiro CLI', 'kiro-cli'),
  claude_code: planned('claude_code', 'Claude Code', 'claude'),
  codex: planned('codex', 'Codex CLI', 'codex'),
  gemini_cli: planned('gemini_cli', 'Gemini CLI', 'gemini'),
  kimi_cli: planned('kimi_cli', 'Kimi CLI', 'kimi'),
  copilot_cli: planned('copilot_cli', 'GitHub Copilot CLI', 'copilot'),
  q_cli: planned('q_cli', 'Amazon Q CLI', 'q'),
  mock: mockProvider,
};

export const isProviderId = (s: string): s is ProviderId => (PROVIDER_IDS as readonly string[]).includes(s);

export function getProvider(id: ProviderId): Provider {
  return providers[id];
}

export const allProviders = (): Provider[] => PROVIDER_IDS.map((id) => providers[id]);

/** Whether an executable is on PATH (or is an absolute path that exists). */
export function isInstalled(binary: string, path = process.env.PATH ?? ''): boolean {
  const candidates = binary.includes('/') ? [binary] : path.split(delimiter).filter(Boolean).map((d) => join(d, binary));
  return candidates.some((f) => {
    try {
      accessSync(f, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
