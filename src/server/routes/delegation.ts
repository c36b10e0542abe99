/** Handoffs (wait for a worker's answer), assignments (fire and forget) and inbox message lookup. */
import Router from '@koa/router';
import { CaoError } from '../../errors.js';
import { messageView } from '../../actors/views.js';
import { DELEGATION_ID } from '../../ids.js';
import type { CaoApi } from '../api.js';
import { input } from '../input.js';
import { AssignBody, CancelHandoffRequestBody, HandoffBody, HandoffWaitQuery, MessageIdParam } from '../schemas.js';


export const delegationRoutes = (api: CaoApi) =>
  new Router()
    .param('hid', async (id, ctx, next) => {
      if (!DELEGATION_ID.test(id)) throw new CaoError(422, 'unprocessable', `'${id}' is not a handoff id: ids are 8 lowercase hex characters`);
      await next();
    })
    .post('/handoffs', async (ctx) => {
      const b = await input(ctx, HandoffBody);
      ctx.body = await api.startHandoff({
        agentProfile: b.agent_profile, message: b.message, callerId: b.caller_id, workingDirectory: b.working_directory,
        provider: b.provider, requestId: b.request_id, timeoutSeconds: b.timeout_seconds, keepWorker: b.keep_worker,
      });
      ctx.status = 202;
    })
    .get('/handoffs/:hid', async (ctx) => {
      const q = HandoffWaitQuery.safeParse(ctx.query);
      if (!q.success) throw new CaoError(400, 'invalid', 'wait is a number of seconds from 0 to 60');
      ctx.req.socket.setTimeout(0);
      ctx.body = await api.getHandoff(ctx.params.hid!, q.data.wait * 1000);
    })
    .post('/handoffs/:hid/cancel', async (ctx) => {
      ctx.body = await api.cancelHandoff(ctx.params.hid!);
    })
    // For a caller that gave up while its POST /handoffs was in flight and so never learned the id.
    .post('/handoffs/cancel', async (ctx) => {
      const b = await input(ctx, CancelHandoffRequestBody);
      ctx.body = { request_id: b.request_id, handoff: await api.cancelHandoffRequest(b.request_id) };
    })
    .post('/assignments', async (ctx) => {
      const b = await input(ctx, AssignBody);
      ctx.body = await api.assign({
        agentProfile: b.agent_profile, message: b.message, callerId: b.caller_id, workingDirectory: b.working_directory,
        provider: b.provider, requestId: b.request_id,
      });
      ctx.status = 201;
    })
    .get('/inbox/messages/:mid', (ctx) => {
      const id = MessageIdParam.safeParse(ctx.params.mid);
      if (!id.success) throw new CaoError(422, 'unprocessable', 'a message id is a positive whole number');
      ctx.body = messageView(api.getMessage(id.data));
    });
