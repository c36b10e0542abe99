/**
 * Route inputs come from the query string (as the original cao's clients send them) or from a JSON
 * body; both are accepted and the body wins. Validation is zod's, errors are 400.
 */
import type { Context } from 'koa';
import type { z } from 'zod';
import { CaoError } from '../errors.js';

const MAX_BODY = 1024 * 1024;

async function readBody(ctx: Context): Promise<Record<string, unknown>> {
  const type = ctx.get('content-type');
  if (!type || ctx.method === 'GET') return {};
  if (!/^application\/json\b/i.test(type)) throw new CaoError(415, 'invalid', 'send the request body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new CaoError(413, 'invalid', 'request body is larger than 1 MiB');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new CaoError(400, 'invalid', 'request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CaoError(400, 'invalid', 'request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export async function input<S extends z.ZodType>(ctx: Context, schema: S): Promise<z.infer<S>> {
  const query = Object.fromEntries(Object.entries(ctx.query).map(([k, v]) => [k, Array.isArray(v) ? v[v.length - 1] : v]));
  return schema.parse({ ...query, ...(await readBody(ctx)) });
}
