import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstValueFrom, filter } from 'rxjs';
import { OAuthService } from '@auxilia/oauth';
import { startOAuthMcpServer, type OAuthMcpServer } from '@auxilia/testing';
import { startApp, type RunningApp } from './support/app';
import { connected, readEvents, startAuthorization, text, visit } from './oauth-support';

const SUCCESS_URL = 'https://app.example.com/connected';

describe('two instances sharing one Redis', () => {
  let first: RunningApp;
  let second: RunningApp;
  let server: OAuthMcpServer;

  beforeAll(async () => {
    server = await startOAuthMcpServer();
    const env = {
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      REDIS_KEY_PREFIX: `test-${randomUUID().slice(0, 8)}:`,
    };
    first = await startApp({ env });
    second = await startApp({ env: { ...env, OAUTH_SUCCESS_REDIRECT_URL: SUCCESS_URL } });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await server?.close();
  });

  it('resolves a waiter on the first instance when the callback lands on the second', async () => {
    const target = { id: `shared-${randomUUID().slice(0, 8)}`, url: server.url };
    const pending = await startAuthorization(first, target);
    // Only the Redis transport can tell the first instance: the second one ran the callback.
    const heard = firstValueFrom(
      first.app.get(OAuthService).authorized$.pipe(filter((a) => a.state === pending.state)),
    );
    const waiter = readEvents(
      `${first.baseUrl}/mcp-servers/${target.id}/oauth/events?state=${encodeURIComponent(pending.state)}`,
    );

    const callback = await visit(pending.authorizationUrl, second);
    const res = await fetch(callback, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(SUCCESS_URL);
    expect(Object.fromEntries(location.searchParams)).toEqual({ serverId: target.id, status: 'authorized' });

    expect(await heard).toEqual({ serverId: target.id, state: pending.state });
    const { events } = await waiter;
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['authorized', { serverId: target.id, state: pending.state, status: 'authorized' }],
    ]);

    // Tokens stored by the second instance serve the first one.
    expect(await first.app.get(OAuthService).hasTokens(target.id)).toBe(true);
    const client = await connected(first, target);
    try {
      expect(text(await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }))).toBe('3');
    } finally {
      await client.close();
    }
  });
});
