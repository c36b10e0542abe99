/** Kimi CLI. Not built yet: registered so listings and validation know it. */
import { planned } from './planned.js';

export const kimiCliProvider = planned('kimi_cli', 'Kimi CLI', 'kimi');
