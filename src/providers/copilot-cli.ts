/** GitHub Copilot CLI. Not built yet: registered so listings and validation know it. */
import { planned } from './planned.js';

export const copilotCliProvider = planned('copilot_cli', 'GitHub Copilot CLI', 'copilot');
