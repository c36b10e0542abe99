/** A provider's launch context for unit tests: terminal ab12cd34 of the `developer` profile, home /home/u. */
import { parseProfile } from '../../src/profiles/schema.js';
import type { LaunchContext } from '../../src/providers/types.js';

export const TERMINAL_DIR = '/home/u/.cao/terminals/ab12cd34';
export const DEVELOPER = '---\nname: developer\ndescription: Dev\n---\nYou write code.';

/** `profileText` is parsed as the `developer` profile unless `over` brings its own profile. */
export const launchContext = (over: Partial<LaunchContext> = {}, profileText = DEVELOPER): LaunchContext => ({
  terminalId: 'ab12cd34',
  profile: parseProfile(profileText, 'developer'),
  workingDirectory: '/home/dev/project',
  terminalDir: TERMINAL_DIR,
  yolo: false,
  caoEnv: { CAO_API_HOST: '127.0.0.1', CAO_API_PORT: '9889' },
  env: { HOME: '/home/u' },
  ...over,
});
