/** The one place errors become HTTP responses: `{ error: { code, message } }` plus `detail` for old clients. */
import type { Middleware } from 'koa';
import { ZodError } from 'zod';
import { CaoError } from '../errors.js';
import type { Logger } from '../log.js';

const isExposed = (e: unknown): e is { status: number; message: string } =>
  typeof e === 'object' && e !== null && (e as { expose?: unknown }).expose === true && typeof (e as { status?: unknown }).status === 'number';

export function zodMessage(e: ZodError): string {
  return e.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

export const errorHandler = (log: Logger): Middleware => async (ctx, next) => {
  try {
    await next();
    if (ctx.body === undefined && ctx.status === 404) throw new CaoError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}`);
    if (ctx.body === undefined && (ctx.status === 405 || ctx.status === 501)) {
      // The router set the Allow header; keep it and explain.
      const message = `${ctx.method} is not allowed on ${ctx.path} (allowed: ${ctx.response.get('Allow')})`;
      ctx.body = { error: { code: 'invalid', message }, detail: message };
    }
  } catch (e) {
    const err =
      e instanceof CaoError ? e
      : e instanceof ZodError ? new CaoError(400, 'invalid', zodMessage(e))
      : isExposed(e) ? new CaoError(e.status, e.status === 404 ? 'not_found' : 'invalid', e.message)
      : new CaoError(500, 'internal', `internal error: ${e instanceof Error ? e.message : String(e)}`);
    ctx.status = err.status;
    ctx.body = { error: { code: err.code, message: err.message }, detail: err.message };
    if (err.status >= 500) log.error(`${ctx.method} ${ctx.path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
};
