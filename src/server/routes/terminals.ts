import Router from '@koa/router';
import { CaoError } from '../../errors.js';
import type { CaoApi } from '../api.js';
import { input } from '../input.js';
import { InputBody, KeysBody, OutputQuery, TerminalIdParam } from '../schemas.js';

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
    });
