import Router from '@koa/router';
import { CaoError } from '../../errors.js';
import { messageView } from '../../actors/views.js';
import type { CaoApi } from '../api.js';
import { input } from '../input.js';
import { InputBody, KeysBody, ListMessagesQuery, OutputQuery, PostMessageBody, TerminalIdParam } from '../schemas.js';

export const terminalRoutes = (api: CaoApi) =>
  new Router({ prefix: '/terminals' })
    .param('id', async (id, ctx, next) => {
      if (!TerminalIdParam.safeParse(id).success) throw new CaoError(422, 'unprocessable', `'${id}' is not a terminal id: ids are 8 lowercase hex characters`);
      await next();
    })
    .get('/', (ctx) => {
      ctx.body = api.allTerminals();
    })
    .get('/:id', (ctx) => {
      ctx.body = api.getTerminal(ctx.params.id!);
    })
    .delete('/:id', async (ctx) => {
      await api.deleteTerminal(ctx.params.id!);
      ctx.body = { success: true };
    })
    .post('/:id/input', async (ctx) => {
      const { message } = await input(ctx, InputBody);
      await api.sendInput(ctx.params.id!, message);
      ctx.body = { success: true };
    })
    .post('/:id/keys', async (ctx) => {
      const { keys } = await input(ctx, KeysBody);
      await api.sendKeys(ctx.params.id!, keys);
      ctx.body = { success: true };
    })
    .get('/:id/output', async (ctx) => {
      const q = OutputQuery.safeParse(ctx.query);
      if (!q.success) throw new CaoError(422, 'unprocessable', `mode must be one of full, last, tail; lines a number from 1 to 10000`);
      ctx.body = await api.getOutput(ctx.params.id!, q.data.mode, q.data.lines);
    })
    .post('/:id/exit', async (ctx) => {
      await api.exitTerminal(ctx.params.id!);
      ctx.body = { success: true };
    })
    .get('/:id/working-directory', async (ctx) => {
      ctx.body = { working_directory: await api.workingDirectory(ctx.params.id!) };
    })
    .post('/:id/inbox/messages', async (ctx) => {
      const b = await input(ctx, PostMessageBody);
      const m = await api.postMessage(ctx.params.id!, { senderId: b.sender_id, message: b.message, requestId: b.request_id });
      ctx.body = { success: true, message_id: m.id, sender_id: m.sender_id, receiver_id: m.receiver_id, created_at: m.created_at, status: m.status };
    })
    .get('/:id/inbox/messages', async (ctx) => {
      const q = ListMessagesQuery.safeParse(ctx.query);
      if (!q.success) throw new CaoError(400, 'invalid', 'status must be pending, delivering, delivered or failed; limit a number from 1 to 500');
      ctx.body = api.listMessages(ctx.params.id!, q.data).map(messageView);
    });
