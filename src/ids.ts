import { randomBytes } from 'node:crypto';

export const TERMINAL_ID = /^[a-f0-9]{8}$/;
export const SESSION_PREFIX = 'cao-';
/** Session names reach tmux targets and file names: keep them to a safe alphabet. */
export const SESSION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export const newTerminalId = () => hex(4);
/** Handoffs and assignments: the same 8 hex characters as terminals. */
export const DELEGATION_ID = TERMINAL_ID;
export const newHandoffId = () => hex(4);
export const newSessionName = () => `${SESSION_PREFIX}${hex(4)}`;
export const withSessionPrefix = (name: string) => (name.startsWith(SESSION_PREFIX) ? name : `${SESSION_PREFIX}${name}`);

/** Window names are shown to users; tmux treats '.' and ':' specially, so they are replaced. */
export const newWindowName = (profile: string) => `${profile.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}-${hex(2)}`;
