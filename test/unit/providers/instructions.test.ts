/** Every provider tells its agent what the profile says it is, from the body or, without one, the `prompt` field. */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profiles/schema.js';
import { allProviders } from '../../../src/providers/registry.js';
import type { LaunchContext } from '../../../src/providers/types.js';
import { launchContext } from '../../helpers/launch-context.js';

const ctx = (text: string) => launchContext({ profile: parseProfile(text, 'p'), caoEnv: {} });
/** Everything a launch hands the CLI: its argv and the files written for it. */
const everything = (c: LaunchContext) => {
  const spec = allProviders().find((p) => p.id === c.profile.provider)!.launch(c);
  return [...spec.argv, ...spec.files.map((f) => f.content)].join('\n');
};

describe('the agent instructions reach every CLI', () => {
  for (const p of allProviders()) {
    it(`${p.id}: from the body, and from the prompt field when the body is empty`, () => {
      expect(everything(ctx(`---\nname: p\nprovider: ${p.id}\n---\nBODY-MARKER: be careful.\n`))).toContain('BODY-MARKER: be careful.');
      expect(everything(ctx(`---\nname: p\nprovider: ${p.id}\nprompt: "FIELD-MARKER: be terse."\n---\n`))).toContain('FIELD-MARKER: be terse.');
    });
  }
});
