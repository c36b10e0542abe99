/**
 * Flows: `POST /flows` takes either `{ "file_path": … }` (register a flow file, as `cao flow add`
 * does) or the fields of a flow (written to CAO_HOME/flows/<name>.flow.md, safely serialised).
 */
import Router from '@koa/router';
import { z } from 'zod';
import { CaoError } from '../../errors.js';
import { FlowName } from '../../flows/definition.js';
import type { CaoApi } from '../api.js';
import { input } from '../input.js';
import { CreateFlowBody } from '../schemas.js';
import { zodMessage } from '../errors.js';

export const flowRoutes = (api: CaoApi) =>
  new Router({ prefix: '/flows' })
    .param('name', async (name, ctx, next) => {
      if (!FlowName.safeParse(name).success) throw new CaoError(404, 'not_found', `Flow '${name}' not found`);
      await next();
    })
    .get('/', (ctx) => {
      ctx.body = api.listFlows();
    })
    .post('/', async (ctx) => {
      let body: z.infer<typeof CreateFlowBody>;
      try {
        body = await input(ctx, CreateFlowBody);
      } catch (e) {
        if (e instanceof z.ZodError) throw new CaoError(422, 'unprocessable', zodMessage(e));
        throw e;
      }
      ctx.body = 'file_path' in body ? await api.addFlowFile(body.file_path) : await api.createFlow(body.definition);
      ctx.status = 201;
    })
    .get('/:name', (ctx) => {
      ctx.body = api.getFlow(ctx.params.name!);
    })
    .delete('/:name', async (ctx) => {
      await api.removeFlow(ctx.params.name!);
      ctx.body = { success: true };
    })
    .post('/:name/enable', async (ctx) => {
      ctx.body = { success: true, flow: await api.setFlowEnabled(ctx.params.name!, true) };
    })
    .post('/:name/disable', async (ctx) => {
      ctx.body = { success: true, flow: await api.setFlowEnabled(ctx.params.name!, false) };
    })
    .post('/:name/run', async (ctx) => {
      ctx.req.socket.setTimeout(0);
      const run = await api.runFlow(ctx.params.name!);
      ctx.body = { executed: run.outcome === 'executed', run };
    });
