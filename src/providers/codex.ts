/** Codex CLI. Not built yet: registered so listings and validation know it. */
import { planned } from './planned.js';

export const codexProvider = planned('codex', 'Codex CLI', 'codex');
