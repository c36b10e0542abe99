/** Amazon Q CLI. Not built yet: registered so listings and validation know it. */
import { planned } from './planned.js';

export const qCliProvider = planned('q_cli', 'Amazon Q CLI', 'q');
