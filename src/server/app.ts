/** The koa application: security first, one error handler, one router per resource. */
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from '../log.js';
import type { CaoApi, ServerInfo } from './api.js';
import { errorHandler } from './errors.js';
import { agentRoutes } from './routes/agents.js';
import { delegationRoutes } from './routes/delegation.js';
import { eventRoutes } from './routes/events.js';
import { flowRoutes } from './routes/flows.js';
import { sessionRoutes } from './routes/sessions.js';
import { terminalRoutes } from './routes/terminals.js';
import { security } from './security.js';

export interface AppDeps {
  api: CaoApi;
  info: ServerInfo;
  log: Logger;
  token?: string;
}

export function createApp(d: AppDeps): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged by errorHandler
  const health = new Router().get('/health', (ctx) => {
    ctx.body = {
      status: 'ok', service: 'cli-agent-orchestrator', version: d.info.version,
      cao_home: d.info.home, tmux_socket: d.info.tmuxSocket ?? null, pid: process.pid,
    };
  });
  app.use(errorHandler(d.log));
  app.use(security({ token: d.token }));
  for (const r of [health, sessionRoutes(d.api), terminalRoutes(d.api), agentRoutes(d.info.home), delegationRoutes(d.api), flowRoutes(d.api), eventRoutes(d.api)]) {
    app.use(r.routes());
    app.use(r.allowedMethods());
  }
  return app;
}
