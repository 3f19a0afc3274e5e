import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthService, type OAuthServerRef } from '@auxilia/oauth';
import { startOAuthMcpServer, type OAuthMcpServer } from '@auxilia/testing';
import { startApp, type RunningApp } from './support/app';
import {
  connected,
  newClient,
  readEvents,
  startAuthorization,
  text,
  transportFor,
  visit,
} from './oauth-support';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let app: RunningApp;
let server: OAuthMcpServer;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startOAuthMcpServer();
  app = await startApp({ env: { ENCRYPTION_KEY } });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await app?.close();
  await server?.close();
});

function ref(target: OAuthMcpServer = server): OAuthServerRef {
  return { id: `srv-${randomUUID().slice(0, 8)}`, url: target.url };
}

function eventsUrl(id: string, state: string): string {
  return `${app.baseUrl}/mcp-servers/${id}/oauth/events?state=${encodeURIComponent(state)}`;
}

describe('MCP authorization through the callback', () => {
  it('connects after the browser returns to the callback, and tells the waiter', async () => {
    const target = ref();
    const authorized: string[] = [];
    const sub = app.app
      .get(OAuthService)
      .authorized$.subscribe((a) => authorized.push(`${a.serverId}/${a.state}`));
    closers.push(async () => sub.unsubscribe());
    expect(await app.app.get(OAuthService).hasTokens(target.id)).toBe(false);

    const pending = await startAuthorization(app, target);
    expect(pending.serverId).toBe(target.id);
    expect(Date.parse(pending.expiresAt)).toBeGreaterThan(Date.now());
    const authorizationUrl = new URL(pending.authorizationUrl);
    expect(authorizationUrl.searchParams.get('state')).toBe(pending.state);
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(
      `${app.config.oauth.redirectBaseUrl}/mcp-servers/${target.id}/callback`,
    );
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('resource')).toBe(server.url);

    const waiter = readEvents(eventsUrl(target.id, pending.state));
    const callback = await visit(pending.authorizationUrl, app);
    const page = await fetch(callback, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain(`${target.id} is connected`);
    for (const secret of [...server.stats.issuedCodes, ...server.stats.issuedAccessTokens]) {
      expect(html).not.toContain(secret);
    }

    const { status, events } = await waiter;
    expect(status).toBe(200);
    expect(events).toEqual([
      {
        id: expect.any(String),
        event: 'authorized',
        data: { serverId: target.id, state: pending.state, status: 'authorized' },
      },
    ]);
    expect(authorized).toContain(`${target.id}/${pending.state}`);
    expect(await app.app.get(OAuthService).hasTokens(target.id)).toBe(true);

    const client = await connected(app, target);
    closers.push(() => client.close());
    expect(text(await client.callTool({ name: 'get-sum', arguments: { a: 20, b: 22 } }))).toBe('42');

    // A waiter that comes after the fact still gets the outcome.
    const late = await readEvents(eventsUrl(target.id, pending.state));
    expect(late.events.map((e) => e.event)).toEqual(['authorized']);
  });

  it('refuses a replayed state and a state presented for another server', async () => {
    const target = ref();
    const pending = await startAuthorization(app, target);
    const callback = await visit(pending.authorizationUrl, app);

    const elsewhere = new URL(callback.href.replace(`/mcp-servers/${target.id}/`, '/mcp-servers/other/'));
    const foreign = await fetch(elsewhere);
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await foreign.json()).toMatchObject({ status: 400, error: 'invalid_state', serverId: 'other' });

    // The foreign attempt consumed nothing: the right server still completes.
    expect((await fetch(callback, { headers: { accept: 'application/json' } })).status).toBe(200);
    const replay = await fetch(callback, { headers: { accept: 'application/json' } });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_state' });
    expect((await fetch(`${app.baseUrl}/mcp-servers/${target.id}/callback?code=x`)).status).toBe(400);
    expect((await fetch(eventsUrl('other', pending.state))).status).toBe(404);
  });

  it('shows the refusal and tells the waiter when the user denies', async () => {
    const denying = await startOAuthMcpServer({ deny: true });
    closers.push(() => denying.close());
    const target = ref(denying);

    const pending = await startAuthorization(app, target);
    const waiter = readEvents(eventsUrl(target.id, pending.state));
    const callback = await visit(pending.authorizationUrl, app);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const page = await fetch(callback, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('Authorization refused');

    const { events } = await waiter;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: 'error',
      data: { serverId: target.id, state: pending.state, status: 'error', error: 'access_denied' },
    });
    expect(await app.app.get(OAuthService).hasTokens(target.id)).toBe(false);

    // A client that asks for JSON gets the same refusal as a problem.
    const again = await startAuthorization(app, target);
    const json = await fetch(await visit(again.authorizationUrl, app), {
      headers: { accept: 'application/json' },
    });
    expect(json.status).toBe(400);
    expect(json.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await json.json()).toMatchObject({ status: 400, error: 'access_denied', serverId: target.id });
  });

  it('refreshes an expired access token with the stored refresh token', async () => {
    const shortLived = await startOAuthMcpServer({ accessTokenTtlSeconds: 2 });
    closers.push(() => shortLived.close());
    const target = ref(shortLived);
    const pending = await startAuthorization(app, target);
    expect((await fetch(await visit(pending.authorizationUrl, app))).status).toBe(200);
    const client = await connected(app, target);
    closers.push(() => client.close());
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'a' } }))).toBe('a');

    await sleep(2500);
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'b' } }))).toBe('b');
    expect(shortLived.stats.tokenRequests.refresh_token).toBe(1);
  }, 20_000);

  it('steps up to the admin scope when a tool asks for it', async () => {
    const target = ref();
    const pending = await startAuthorization(app, target);
    expect((await fetch(await visit(pending.authorizationUrl, app))).status).toBe(200);

    const provider = app.app.get(OAuthService).providerFor(target);
    const client = newClient();
    closers.push(() => client.close());
    await client.connect(transportFor(target, provider));
    await expect(
      client.callTool({ name: 'admin-echo', arguments: { message: 'hi' } }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    const stepUp = provider.pendingAuthorization();
    if (!stepUp) throw new Error('no step-up authorization');
    expect(new URL(stepUp.authorizationUrl).searchParams.get('scope')).toBe('mcp admin');
    expect((await fetch(await visit(stepUp.authorizationUrl, app))).status).toBe(200);

    const upgraded = await connected(app, target);
    closers.push(() => upgraded.close());
    expect(text(await upgraded.callTool({ name: 'admin-echo', arguments: { message: 'hi' } }))).toBe(
      'admin: hi',
    );
  });
});
