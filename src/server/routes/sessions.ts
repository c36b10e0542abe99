import Router from '@koa/router';
import type { CaoApi } from '../api.js';
import { input } from '../input.js';
import { CreateSessionBody, CreateTerminalBody } from '../schemas.js';

export const sessionRoutes = (api: CaoApi) =>
  new Router({ prefix: '/sessions' })
    .post('/', async (ctx) => {
      const b = await input(ctx, CreateSessionBody);
      ctx.body = await api.createSession({
        agentProfile: b.agent_profile, provider: b.provider, sessionName: b.session_name,
        workingDirectory: b.working_directory, yolo: b.yolo, wait: b.wait,
      });
      ctx.status = 201;
    })
    .get('/', async (ctx) => {
      ctx.body = await api.listSessions();
    })
    .get('/:name', async (ctx) => {
      ctx.body = await api.getSession(ctx.params.name!);
    })
    .delete('/:name', async (ctx) => {
      ctx.body = await api.deleteSession(ctx.params.name!);
    })
    .post('/:name/terminals', async (ctx) => {
      const b = await input(ctx, CreateTerminalBody);
      ctx.body = await api.addTerminal(ctx.params.name!, {
        agentProfile: b.agent_profile, provider: b.provider, workingDirectory: b.working_directory, yolo: b.yolo, wait: b.wait,
      });
      ctx.status = 201;
    })
    .get('/:name/terminals', async (ctx) => {
      ctx.body = await api.listSessionTerminals(ctx.params.name!);
    });
