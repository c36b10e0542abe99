/** How long a handoff may wait, in one place: the REST schema, the MCP tool, the server and Codex's tool timeout agree. */

/** The longest handoff cao allows (seconds). */
export const MAX_HANDOFF_TIMEOUT_S = 3600;
/** A handoff's wait when the caller names none (seconds). */
export const DEFAULT_HANDOFF_TIMEOUT_S = 600;
/** The longest single long-poll of `GET /handoffs/{id}?wait=` (seconds). */
export const MAX_HANDOFF_WAIT_S = 60;
