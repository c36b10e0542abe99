/** Gemini CLI. Not built yet: registered so listings and validation know it. */
import { planned } from './planned.js';

export const geminiCliProvider = planned('gemini_cli', 'Gemini CLI', 'gemini');
