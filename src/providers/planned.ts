/** A provider whose support is registered but not built: it refuses to launch. */
import type { Provider, ProviderId } from './types.js';

export const planned = (id: ProviderId, displayName: string, binary: string): Provider => ({
  id, displayName, binary,
  supported: false,
  launch: () => {
    throw new Error(`provider '${id}' is not supported yet`);
  },
  startupDialogs: [],
  classify: () => 'processing',
  extractLastMessage: () => undefined,
  input: { bracketed: true, submitKeys: ['Enter'] },
  exit: { text: '/exit' },
  interruptKeys: ['Escape'],
});
