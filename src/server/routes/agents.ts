import Router from '@koa/router';
import { listProfiles } from '../../profiles/store.js';
import { allProviders, isInstalled } from '../../providers/registry.js';
import { DEFAULT_PROVIDER } from '../../providers/types.js';

export const agentRoutes = (home: string) =>
  new Router({ prefix: '/agents' })
    .get('/profiles', (ctx) => {
      ctx.body = listProfiles(home);
    })
    .get('/providers', (ctx) => {
      ctx.body = allProviders().map((p) => ({
        name: p.id,
        display_name: p.displayName,
        binary: p.binary,
        installed: isInstalled(p.binary),
        supported: p.supported,
        default: p.id === DEFAULT_PROVIDER,
      }));
    });
