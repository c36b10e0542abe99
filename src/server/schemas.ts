/** What each route accepts. Query strings carry text, so booleans and numbers are coerced. */
import { z } from 'zod';
import { OUTPUT_MODES } from '../actors/output.js';
import { MESSAGE_STATUSES } from '../actors/inbox.js';
import { MAX_HANDOFF_TIMEOUT_S, MAX_HANDOFF_WAIT_S } from '../handoff-limits.js';
import { TERMINAL_ID } from '../ids.js';
import { ProfileName } from '../profiles/schema.js';

const flag = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1')]);

export const CreateTerminalBody = z.object({
  agent_profile: ProfileName,
  provider: z.string().min(1).optional(),
  working_directory: z.string().min(1).optional(),
  yolo: flag.optional(),
  wait: flag.optional(),
});

export const CreateSessionBody = CreateTerminalBody.extend({ session_name: z.string().min(1).max(64).optional() });

export const InputBody = z.object({ message: z.string().min(1, 'message must not be empty').max(512 * 1024) });

/** tmux key names (Enter, C-c, Escape, Up, F1…) or one printable character. */
export const KeysBody = z.object({
  keys: z.array(z.string().regex(/^(?:[A-Za-z0-9][A-Za-z0-9-]{0,19}|[!-~])$/, 'not a key name')).min(1).max(50),
});

export const OutputQuery = z.object({
  mode: z.enum(OUTPUT_MODES).default('full'),
  lines: z.coerce.number().int().min(1).max(10_000).optional(),
});

export const TerminalIdParam = z.string().regex(TERMINAL_ID, 'a terminal id is 8 lowercase hex characters');

export const EventsQuery = z.object({
  terminal_id: TerminalIdParam.optional(),
  session_name: z.string().optional(),
});

/** A sender is a terminal id or a short label such as "ui" or "user". */
const SenderId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'sender_id is a terminal id or a short label (letters, digits, "_", "-")');
const RequestId = z.string().min(1).max(128).optional();
const Message = z.string().min(1, 'message must not be empty').max(512 * 1024);

export const PostMessageBody = z.object({ sender_id: SenderId, message: Message, request_id: RequestId });

export const ListMessagesQuery = z.object({
  status: z.enum(MESSAGE_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const MessageIdParam = z.coerce.number().int().positive();

const Delegation = {
  agent_profile: ProfileName,
  message: Message,
  caller_id: TerminalIdParam.optional(),
  working_directory: z.string().min(1).optional(),
  provider: z.string().min(1).optional(),
  request_id: RequestId,
};

export const HandoffBody = z
  .object({
    ...Delegation,
    timeout_seconds: z.coerce.number().int().min(1).max(MAX_HANDOFF_TIMEOUT_S).optional(),
    /** The original cao's parameter name. */
    timeout: z.coerce.number().int().min(1).max(MAX_HANDOFF_TIMEOUT_S).optional(),
    keep_worker: flag.optional(),
  })
  .transform(({ timeout, ...b }) => ({ ...b, timeout_seconds: b.timeout_seconds ?? timeout }));

export const CancelHandoffRequestBody = z.object({ request_id: RequestId.unwrap() });

export const HandoffWaitQuery = z.object({ wait: z.coerce.number().min(0).max(MAX_HANDOFF_WAIT_S).default(0) });

export const AssignBody = z.object(Delegation);

const CreateFlowFile = z.object({ file_path: z.string().min(1) }).strict();

const CreateFlowFields = z
  .object({
    name: z.string(),
    schedule: z.string().min(1),
    agent_profile: ProfileName,
    provider: z.string().min(1).optional(),
    prompt_template: z.string().min(1, 'prompt_template must not be empty'),
    script: z.string().min(1).optional(),
    working_directory: z.string().min(1).optional(),
    timezone: z.string().min(1).optional(),
    /** How long the gating script may run, in seconds (default 30), as in a flow file. */
    script_timeout: z.number().int().min(1).max(600).optional(),
  })
  .strict()
  .transform((b) => ({
    definition: {
      name: b.name, schedule: b.schedule, agentProfile: b.agent_profile, provider: b.provider as never,
      prompt: b.prompt_template.trim(), script: b.script, workingDirectory: b.working_directory, timezone: b.timezone,
      scriptTimeoutSeconds: b.script_timeout ?? 30,
    },
  }));

/**
 * A flow by its fields (the prompt may use [[var]] placeholders), or a flow file to register. The
 * shape is chosen by whether `file_path` is there, so an error names the field that is wrong (a
 * union would only say "Invalid input").
 */
export const CreateFlowBody = z.looseObject({}).transform((b, ctx) => {
  const r = 'file_path' in b ? CreateFlowFile.safeParse(b) : CreateFlowFields.safeParse(b);
  if (r.success) return r.data;
  for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
  return z.NEVER;
});
