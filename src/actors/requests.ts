/** Turning what a request names (profile, provider, session, directory) into checked values or clear errors. */
import { invalid, notFound, unprocessable } from '../errors.js';
import { SESSION_NAME, SESSION_PREFIX } from '../ids.js';
import { ProfileError, type AgentProfile } from '../profiles/schema.js';
import { loadProfile, ProfileNotFound } from '../profiles/store.js';
import { getProvider, isInstalled, isProviderId } from '../providers/registry.js';
import { DEFAULT_PROVIDER, PROVIDER_IDS, type ProviderId } from '../providers/types.js';
import { resolveWorkingDirectory, WorkdirError } from '../workdir.js';

export function requireProfile(home: string, name: string): AgentProfile {
  try {
    return loadProfile(home, name);
  } catch (e) {
    if (e instanceof ProfileNotFound) throw notFound(e.message);
    if (e instanceof ProfileError) throw unprocessable(e.message);
    throw e;
  }
}

/** The first provider named, else the default; every name given must exist, the chosen one be supported. */
export function requireKnownProvider(...candidates: (string | undefined)[]): ProviderId {
  const unknown = candidates.find((c) => c !== undefined && !isProviderId(c));
  if (unknown !== undefined) throw invalid(`Invalid provider '${unknown}'. Available providers: ${PROVIDER_IDS.join(', ')}`);
  const p = (candidates.find((c) => c !== undefined) ?? DEFAULT_PROVIDER) as ProviderId;
  if (!getProvider(p).supported) throw unprocessable(`Provider '${p}' is not supported yet by this version of cao`);
  return p;
}

/** As requireKnownProvider, for starting an agent now: its CLI must also be installed. */
export function requireProvider(...candidates: (string | undefined)[]): ProviderId {
  const p = requireKnownProvider(...candidates);
  const { binary } = getProvider(p);
  // Refuse now, clearly, instead of starting a window whose command does not exist.
  if (!isInstalled(binary)) throw unprocessable(`Provider '${p}' cannot start here: its CLI \`${binary}\` is not installed (not on cao-server's PATH)`);
  return p;
}

/** Names of cao sessions (`cao-…`); anything else is not one of ours. */
export function requireCaoSessionName(name: string): string {
  if (!SESSION_NAME.test(name) || !name.startsWith(SESSION_PREFIX)) throw notFound(`Session '${name}' not found`);
  return name;
}

export function requireWorkingDirectory(dir: string | undefined): string {
  try {
    return resolveWorkingDirectory(dir ?? process.cwd());
  } catch (e) {
    if (e instanceof WorkdirError) throw invalid(e.message);
    throw e;
  }
}
