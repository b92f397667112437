import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IS_PUBLIC } from '../../src/kernel/principal';
import { defineAbilityFor } from '../../src/permissions/ability.factory';
import { POLICY, PolicySpec } from '../../src/permissions/policy.decorator';
import { SIGNED_IN } from '../../src/kernel/route-decorators';
import { ApiClient, seedWorkspace, TestWorkspace } from '../support/api-client';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Who may reach what, route by route. A change to any route's declared policy, a new route, or a
 * route that declares nothing fails this test, so the change shows up in review.
 *
 *   public                 no token (@Public)
 *   signed-in              any user's session token; API keys refused (@SignedIn)
 *   signed-in, api key ok  any session token or API key (@SignedIn({allowApiKey: true}))
 *   <action> <Subject>     a member of :wid whose role may ever do that (@Policy); rows are checked after
 *   …, no api key          the same, with a person's session only: API keys get 403 (@Policy(…, {allowApiKey: false}))
 */
const EXPECTED: Record<string, string> = {
  'GET /health': 'public',
  // Prometheus text; the controller itself requires the METRICS_TOKEN bearer (404 when unset).
  'GET /metrics': 'public',
  'POST /v1/auth/signup': 'public',
  'POST /v1/auth/login': 'public',
  'POST /v1/auth/logout': 'signed-in',
  'GET /v1/me': 'signed-in, api key ok',
  'GET /v1/webhook-event-types': 'signed-in, api key ok',

  'POST /v1/workspaces': 'signed-in',
  'GET /v1/workspaces': 'signed-in, api key ok',
  'GET /v1/workspaces/:wid': 'read Workspace',
  'PATCH /v1/workspaces/:wid': 'update Workspace',
  'DELETE /v1/workspaces/:wid': 'delete Workspace, no api key',

  'GET /v1/workspaces/:wid/members': 'read Member',
  'POST /v1/workspaces/:wid/members': 'create Member, no api key',
  'PATCH /v1/workspaces/:wid/members/:userId': 'update Member, no api key',
  'DELETE /v1/workspaces/:wid/members/:userId': 'delete Member, no api key',
  'GET /v1/workspaces/:wid/members/:userId/permissions': 'read_permissions Member',

  'POST /v1/workspaces/:wid/teams': 'create Team',
  'GET /v1/workspaces/:wid/teams': 'read Team',
  'GET /v1/workspaces/:wid/teams/:id': 'read Team',
  'PATCH /v1/workspaces/:wid/teams/:id': 'update Team',
  'DELETE /v1/workspaces/:wid/teams/:id': 'delete Team',
  'PUT /v1/workspaces/:wid/teams/:tid/members/:userId': 'update Team, no api key',
  'DELETE /v1/workspaces/:wid/teams/:tid/members/:userId': 'update Team, no api key',

  'POST /v1/workspaces/:wid/api-keys': 'create ApiKey, no api key',
  'GET /v1/workspaces/:wid/api-keys': 'read ApiKey',
  'DELETE /v1/workspaces/:wid/api-keys/:id': 'delete ApiKey, no api key',

  // Accounts (issue 14): mailed-token routes are public; the rest need a person, not an API key.
  'POST /v1/auth/verify-email': 'public',
  'POST /v1/auth/resend-verification': 'signed-in',
  'POST /v1/auth/password-reset': 'public',
  'POST /v1/auth/password-reset/confirm': 'public',
  'POST /v1/me/password': 'signed-in',
  'GET /v1/me/sessions': 'signed-in',
  'DELETE /v1/me/sessions': 'signed-in',
  'DELETE /v1/me/sessions/:id': 'signed-in',
  'GET /v1/me/invitations': 'signed-in',
  'POST /v1/me/invitations/:id/accept': 'signed-in',
  'POST /v1/me/invitations/:id/decline': 'signed-in',
  'POST /v1/workspaces/:wid/invitations': 'create Invitation, no api key',
  'GET /v1/workspaces/:wid/invitations': 'read Invitation, no api key',
  'DELETE /v1/workspaces/:wid/invitations/:id': 'delete Invitation, no api key',
  'GET /v1/workspaces/:wid/roles': 'read Role',
  'GET /v1/workspaces/:wid/roles/:id': 'read Role',
  'POST /v1/workspaces/:wid/roles': 'create Role, no api key',
  'PATCH /v1/workspaces/:wid/roles/:id': 'update Role, no api key',
  'DELETE /v1/workspaces/:wid/roles/:id': 'delete Role, no api key',

  ...Object.fromEntries(
    (
      [
        ['investments', 'Investment'],
        ['valuations', 'Valuation'],
        ['memos', 'Memo'],
        ['assumptions', 'Assumption'],
        ['pipelines', 'Pipeline'],
      ] as const
    ).flatMap(([path, subject]) => [
      [`POST /v1/workspaces/:wid/${path}`, `create ${subject}`],
      [`GET /v1/workspaces/:wid/${path}`, `read ${subject}`],
      [`GET /v1/workspaces/:wid/${path}/:id`, `read ${subject}`],
      [`PATCH /v1/workspaces/:wid/${path}/:id`, `update ${subject}`],
      [`DELETE /v1/workspaces/:wid/${path}/:id`, `delete ${subject}`],
    ]),
  ),

  'POST /v1/workspaces/:wid/webhooks': 'create Webhook',
  'GET /v1/workspaces/:wid/webhooks': 'read Webhook',
  'GET /v1/workspaces/:wid/webhooks/:id': 'read Webhook',
  'PATCH /v1/workspaces/:wid/webhooks/:id': 'update Webhook',
  'DELETE /v1/workspaces/:wid/webhooks/:id': 'delete Webhook',
  'GET /v1/workspaces/:wid/webhooks/:id/secret': 'read Webhook',
  'POST /v1/workspaces/:wid/webhooks/:id/rotate-secret': 'update Webhook',
  'POST /v1/workspaces/:wid/webhooks/:id/test': 'update Webhook',
  'GET /v1/workspaces/:wid/webhooks/:id/deliveries': 'read Webhook',
  // Operations (issue 16): why (not), the delivery search, health.
  'GET /v1/workspaces/:wid/events/:eventId': 'read Webhook',
  'GET /v1/workspaces/:wid/deliveries': 'read Webhook',
  'GET /v1/workspaces/:wid/webhooks/:id/stats': 'read Webhook',
  'GET /v1/workspaces/:wid/audit-log': 'read AuditLog',
  'GET /v1/workspaces/:wid/webhooks/:id/deliveries/:did': 'read Webhook',
  'POST /v1/workspaces/:wid/webhooks/:id/deliveries/:did/redeliver': 'update Webhook',
  'POST /v1/workspaces/:wid/webhooks/:id/recover': 'update Webhook',
};

interface DeclaredRoute {
  route: string;
  method: string;
  path: string;
  declared: string;
  policy?: PolicySpec;
}

/** Every controller handler Nest registered, with the policy the guards will read from it. */
function declaredRoutes(t: TestApp): DeclaredRoute[] {
  const reflector = t.app.get(Reflector);
  const scanner = new MetadataScanner();
  const routes: DeclaredRoute[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as { prototype: Record<string, (...args: unknown[]) => unknown> } & (new () => unknown);
      const bases = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, type) ?? '');
      for (const name of scanner.getAllMethodNames(type.prototype)) {
        const handler = type.prototype[name];
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (paths === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const targets = [handler, type];
        const policy = reflector.getAllAndOverride<PolicySpec | undefined>(POLICY, targets);
        const signedIn = reflector.getAllAndOverride<{ allowApiKey: boolean } | undefined>(SIGNED_IN, targets);
        const declared = reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)
          ? 'public'
          : signedIn
            ? signedIn.allowApiKey
              ? 'signed-in, api key ok'
              : 'signed-in'
            : policy
              ? `${policy.action} ${policy.subject}${policy.allowApiKey === false ? ', no api key' : ''}`
              : 'NO POLICY DECLARED';
        for (const base of bases) {
          for (const sub of ([] as string[]).concat(paths)) {
            const path = `/${[base, sub].map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
            routes.push({ route: `${method} ${path}`, method, path, declared, policy });
          }
        }
      }
    }
  }
  return routes;
}

/** What Express actually serves, minus Swagger's own /docs* pages. */
function servedRoutes(t: TestApp): string[] {
  const router = (t.app.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router;
  return router.stack
    .filter((layer) => layer.route && !layer.route.path.startsWith('/docs'))
    .flatMap((layer) => Object.keys(layer.route!.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`));
}

let t: TestApp;
let api: ApiClient;
let routes: DeclaredRoute[];
beforeAll(async () => {
  t = await startTestApp();
  api = new ApiClient(t.baseUrl);
  routes = declaredRoutes(t);
});
afterAll(() => t?.close());

describe('route guard snapshot', () => {
  it('every route declares a policy, and the declarations match the reviewed table', () => {
    const undeclared = routes.filter((r) => r.declared === 'NO POLICY DECLARED').map((r) => r.route);
    expect(undeclared, 'routes without @Public/@SignedIn/@Policy').toEqual([]);
    expect(Object.fromEntries(routes.map((r) => [r.route, r.declared]))).toEqual(EXPECTED);
    expect(new Set(routes.map((r) => r.route)).size, 'a route registered twice').toBe(routes.length);
  });

  it('the discovered routes are exactly the ones Express serves (nothing registered around Nest)', () => {
    expect(servedRoutes(t).sort()).toEqual(routes.map((r) => r.route).sort());
  });

  it('workspace routes are @Policy routes and @Policy routes are workspace routes', () => {
    for (const r of routes) {
      expect(r.path.startsWith('/v1/workspaces/:wid') === !!r.policy, r.route).toBe(true);
    }
  });
});

describe('the guards enforce the snapshot over HTTP', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await seedWorkspace(api);
  });
  const url = (path: string) => path.replace(':wid', ws.id).replace(/:\w+/g, () => randomUUID());

  it('without a token, every non-public route answers 401; public ones never do', async () => {
    for (const r of routes) {
      const res = await api.request(r.method, url(r.path), r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
      if (r.declared === 'public') expect(res.status, r.route).not.toBe(401);
      else expect(res.status, r.route).toBe(401);
    }
  });

  it('a signed-in outsider gets 404 on every workspace route', async () => {
    for (const r of routes.filter((x) => x.policy)) {
      const res = await ws.outsider.api.request(r.method, url(r.path), r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
      expect(res.status, r.route).toBe(404);
    }
  });

  it('members and viewers get 403 exactly on the routes their role can never use', async () => {
    for (const [user, role, teamIds] of [
      [ws.member, 'member', [ws.teamA]],
      [ws.viewer, 'viewer', [ws.teamA]],
    ] as const) {
      const ability = defineAbilityFor({ userId: user.id, role, teamIds: [...teamIds] });
      for (const r of routes.filter((x) => x.policy)) {
        // Random ids and empty bodies: an allowed route answers 400/404, never 403 and never a write.
        const res = await user.api.request(r.method, url(r.path), r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
        const never = ability.cannot(r.policy!.action, r.policy!.subject);
        expect(res.status === 403, `${role} ${r.route} → ${res.status}`).toBe(never);
      }
    }
  });

  it("an owner's API key gets 403 exactly on the routes that refuse API keys (and nothing is changed)", async () => {
    const key = (await ws.owner.api.post(`/v1/workspaces/${ws.id}/api-keys`, { name: 'Snapshot' })).body.key as string;
    const asKey = api.as(key);
    for (const r of routes.filter((x) => x.policy)) {
      // The owner may do everything: only the API-key rule can answer 403.
      const res = await asKey.request(r.method, url(r.path), r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
      expect(res.status === 403, `${r.route} → ${res.status}`).toBe(r.policy!.allowApiKey === false);
    }
    expect((await ws.owner.api.get(`/v1/workspaces/${ws.id}`)).status, 'the workspace survived').toBe(200);
  });
});
