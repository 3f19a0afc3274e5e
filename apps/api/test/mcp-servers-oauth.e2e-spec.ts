import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { McpServersService } from '@auxilia/mcp-servers';
import { startOAuthMcpServer, type OAuthMcpServer } from '@auxilia/testing';
import { startApp, type RunningApp } from './support/app';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** The authorization an oauth_required problem points at. */
function pendingOf(problem: unknown): { authorizationUrl: string; state: string } {
  const { authorizationUrl, state } = (problem ?? {}) as Record<string, unknown>;
  if (typeof authorizationUrl !== 'string' || typeof state !== 'string') {
    throw new Error(`not an oauth_required problem: ${JSON.stringify(problem)}`);
  }
  return { authorizationUrl, state };
}

describe('list-tools of an OAuth-protected MCP server, through the HTTP API', () => {
  let running: RunningApp;
  let upstream: OAuthMcpServer;
  const path = { id: 'guarded' };
  const listTools = () => running.api.GET('/mcp-servers/{id}/list-tools', { params: { path } });
  const isConnected = async () =>
    (await running.api.GET('/mcp-servers/{id}', { params: { path } })).data?.connected;

  /** Plays the browser: the authorization server answers 302 to the callback, which lands on the app. */
  async function authorize(authorizationUrl: string): Promise<Response> {
    const atServer = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(atServer.status).toBe(302);
    const back = new URL(atServer.headers.get('location') ?? '');
    expect(back.pathname).toBe('/mcp-servers/guarded/callback');
    return fetch(new URL(back.pathname + back.search, running.baseUrl), { redirect: 'manual' });
  }

  beforeAll(async () => {
    upstream = await startOAuthMcpServer();
    running = await startApp({ env: { ENCRYPTION_KEY, MCP_SERVERS_FILE: '/nonexistent/mcp-servers.json' } });
    const created = await running.api.POST('/mcp-servers', {
      body: { id: 'guarded', name: 'Guarded', url: upstream.url, requiresOAuth: true },
    });
    expect(created.data?.connected).toBe(false);
  });
  afterAll(async () => {
    await running?.close();
    await upstream?.close();
  });

  it('answers 401 oauth_required, then 200 once the browser came back through the callback', async () => {
    const refused = await listTools();
    expect(refused.response.status).toBe(401);
    expect(refused.error).toMatchObject({
      status: 401,
      error: 'oauth_required',
      serverId: 'guarded',
      authorizationUrl: expect.stringContaining(upstream.issuer.replace(/\/$/, '')),
      state: expect.any(String),
      expiresAt: expect.any(String),
    });
    const { authorizationUrl, state } = pendingOf(refused.error);
    expect(new URL(authorizationUrl).searchParams.get('state')).toBe(state);

    const callback = await authorize(authorizationUrl);
    expect(callback.status).toBeLessThan(400);
    expect(await isConnected()).toBe(true);

    const { response, data } = await listTools();
    expect(response.status).toBe(200);
    expect(data?.map((t) => t.name).sort()).toEqual(['admin-echo', 'echo', 'get-sum']);
    const listed = await (await fetch(`${running.baseUrl}/mcp-servers`)).text();
    for (const token of upstream.stats.issuedAccessTokens) expect(listed).not.toContain(token);
  });

  it('starts a new session after a new authorization', async () => {
    const service = running.app.get(McpServersService);
    expect((await listTools()).response.status).toBe(200);
    const before = await service.getClient('guarded');
    upstream.revokeAll();
    const refused = await running.api.GET('/mcp-servers/{id}/list-tools', {
      params: { path, query: { refresh: 'true' } },
    });
    expect(refused.error).toMatchObject({ status: 401, error: 'oauth_required' });
    expect(await service.getClient('guarded').catch(() => undefined)).toBe(before);

    await authorize(pendingOf(refused.error).authorizationUrl);
    const after = await service.getClient('guarded');
    expect(after).not.toBe(before);
    expect((await listTools()).response.status).toBe(200);
  });

  it('forgets the tokens on DELETE …/oauth and asks for authorization again', async () => {
    const disconnected = await running.api.DELETE('/mcp-servers/{id}/oauth', { params: { path } });
    expect(disconnected.response.status).toBe(204);
    expect(await isConnected()).toBe(false);
    const again = await listTools();
    expect(again.response.status).toBe(401);
    expect(again.error).toMatchObject({ error: 'oauth_required', serverId: 'guarded' });
  });

  it('forgets the tokens when the server is removed', async () => {
    const refused = await listTools();
    await authorize(pendingOf(refused.error).authorizationUrl);
    expect(await isConnected()).toBe(true);
    await running.api.DELETE('/mcp-servers/{id}', { params: { path } });
    await running.api.POST('/mcp-servers', {
      body: { id: 'guarded', name: 'Guarded', url: upstream.url, requiresOAuth: true },
    });
    expect(await isConnected()).toBe(false);
    expect((await listTools()).response.status).toBe(401);
  });
});
