/** Kiro CLI. Not built yet: registered so listings and validation know it. */
import { planned } from './planned.js';

export const kiroCliProvider = planned('kiro_cli', 'Kiro CLI', 'kiro-cli');
