/** Claude Code. Not built yet: registered so listings and validation know it. */
import { planned } from './planned.js';

export const claudeCodeProvider = planned('claude_code', 'Claude Code', 'claude');
