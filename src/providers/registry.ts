/** All providers by id; one file per CLI. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { claudeCodeProvider } from './claude-code.js';
import { codexProvider } from './codex.js';
import { copilotCliProvider } from './copilot-cli.js';
import { geminiCliProvider } from './gemini-cli.js';
import { kimiCliProvider } from './kimi-cli.js';
import { kiroCliProvider } from './kiro-cli.js';
import { mockProvider } from './mock.js';
import { qCliProvider } from './q-cli.js';
import { PROVIDER_IDS, type Provider, type ProviderId } from './types.js';

const providers: Record<ProviderId, Provider> = {
  kiro_cli: kiroCliProvider,
  claude_code: claudeCodeProvider,
  codex: codexProvider,
  gemini_cli: geminiCliProvider,
  kimi_cli: kimiCliProvider,
  copilot_cli: copilotCliProvider,
  q_cli: qCliProvider,
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
