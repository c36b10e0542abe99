/** Every provider tells its agent what the profile says it is, from the body or, without one, the `prompt` field. */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profiles/schema.js';
import { allProviders } from '../../../src/providers/registry.js';
import type { LaunchContext } from '../../../src/providers/types.js';

const ctx = (text: string): LaunchContext => ({
  terminalId: 'ab12cd34',
  profile: parseProfile(text, 'p'),
  workingDirectory: '/home/dev/project',
  terminalDir: '/home/u/.cao/terminals/ab12cd34',
  yolo: false,
  caoEnv: {},
  env: { HOME: '/home/u' },
});
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
