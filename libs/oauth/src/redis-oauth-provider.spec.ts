import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { RedisKeys, SecretCipher } from '@auxilia/core';
import { startOAuthMcpServer, type OAuthMcpServer } from '@auxilia/testing';
import { RedisOAuthProvider, type ProviderSettings } from './redis-oauth-provider';
import { RedisOAuthStore } from './redis-oauth.store';
import type { OAuthServerRef } from './oauth.types';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const settings: ProviderSettings = { redirectBaseUrl: 'http://127.0.0.1:9', callbackTimeoutS: 60 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: Redis;
let keys: RedisKeys;
let store: RedisOAuthStore;
const servers: OAuthMcpServer[] = [];
const clients: Client[] = [];

beforeAll(() => {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set');
  redis = new Redis(url);
  keys = new RedisKeys(`oauth-spec-${randomUUID().slice(0, 8)}:`);
  store = new RedisOAuthStore(redis, keys, new SecretCipher(randomBytes(32)));
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(servers.map((s) => s.close()));
  await redis.quit();
});

async function fixture(options?: Parameters<typeof startOAuthMcpServer>[0]): Promise<OAuthMcpServer> {
  const server = await startOAuthMcpServer(options);
  servers.push(server);
  return server;
}

/** Plays the browser, then the callback: takes the flow once and exchanges the code from it alone. */
async function authorize(ref: OAuthServerRef, provider: RedisOAuthProvider): Promise<void> {
  const pending = provider.pendingAuthorization();
  if (!pending) throw new Error('no pending authorization');
  const res = await fetch(pending.authorizationUrl, { redirect: 'manual' });
  const back = new URL(res.headers.get('location') ?? '');
  expect(back.searchParams.get('state')).toBe(pending.state);
  const flow = await store.takeFlow(ref.id, pending.state);
  if (!flow) throw new Error('flow not found');
  expect(await store.takeFlow(ref.id, pending.state)).toBeUndefined();
  const fromFlow = new RedisOAuthProvider(
    { id: flow.serverId, url: flow.serverUrl },
    store,
    settings,
    quiet,
    flow,
  );
  expect(
    await auth(fromFlow, {
      serverUrl: flow.serverUrl,
      authorizationCode: back.searchParams.get('code') ?? '',
    }),
  ).toBe('AUTHORIZED');
}

async function connect(ref: OAuthServerRef): Promise<Client> {
  const client = new Client({ name: 'oauth-spec', version: '1.0.0' });
  clients.push(client);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(ref.url), {
      authProvider: new RedisOAuthProvider(ref, store, settings, quiet),
    }),
  );
  return client;
}

async function authorizeAndConnect(ref: OAuthServerRef): Promise<Client> {
  const provider = new RedisOAuthProvider(ref, store, settings, quiet);
  const refused = new Client({ name: 'oauth-spec', version: '1.0.0' });
  await expect(
    refused.connect(new StreamableHTTPClientTransport(new URL(ref.url), { authProvider: provider })),
  ).rejects.toBeInstanceOf(UnauthorizedError);
  await refused.close();
  await authorize(ref, provider);
  return connect(ref);
}

async function allValues(): Promise<string> {
  const found = await redis.keys(`${keys.prefix}*`);
  const values = await Promise.all(
    found.map(async (k) => ((await redis.type(k)) === 'string' ? ((await redis.get(k)) ?? '') : '')),
  );
  return found.join('\n') + '\n' + values.join('\n');
}

describe('RedisOAuthProvider on Redis', () => {
  it('records the flow under its state and keeps nothing in clear', async () => {
    const server = await fixture({ clients: [{ clientId: 'pre', clientSecret: 'pre-secret-value-42' }] });
    const dynamic = { id: `dyn-${randomUUID().slice(0, 6)}`, url: server.url };
    const confidential = {
      id: `pre-${randomUUID().slice(0, 6)}`,
      url: server.url,
      client: { clientId: 'pre', clientSecret: 'pre-secret-value-42' },
    };
    const a = await authorizeAndConnect(dynamic);
    const b = await authorizeAndConnect(confidential);
    expect((await a.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } })).content).toEqual([
      { type: 'text', text: '5' },
    ]);
    expect((await b.listTools()).tools.map((t) => t.name)).toContain('echo');
    expect(server.stats.registrations).toBe(1);
    expect(server.stats.lastAuthorizeParams?.clientId).toBe('pre');

    const everything = await allValues();
    const secrets = [
      ...server.stats.issuedAccessTokens,
      ...server.stats.issuedRefreshTokens,
      ...server.stats.issuedCodes,
      'pre-secret-value-42',
    ];
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    const dcrSecret = (await store.getClient(dynamic.id))?.client_secret;
    if (dcrSecret) expect(everything).not.toContain(dcrSecret);
    expect((await store.getTokens(dynamic.id))?.tokens.access_token).toBe(server.stats.issuedAccessTokens[0]);
  });

  it('refuses a state taken for another server id', async () => {
    const server = await fixture();
    const ref = { id: `one-${randomUUID().slice(0, 6)}`, url: server.url };
    const provider = new RedisOAuthProvider(ref, store, settings, quiet);
    expect(await auth(provider, { serverUrl: server.url })).toBe('REDIRECT');
    const state = provider.pendingAuthorization()?.state ?? '';
    expect(await store.takeFlow('another', state)).toBeUndefined();
    expect((await store.flowStatus(ref.id, state)).pendingMs).toBeGreaterThan(0);
    expect((await store.takeFlow(ref.id, state))?.serverId).toBe(ref.id);
    expect((await store.flowStatus(ref.id, state)).exchangingMs).toBeGreaterThan(0);
  });

  it('makes states a command line takes as they are: 192 random bits in hex, never a leading "-"', () => {
    const provider = new RedisOAuthProvider(
      { id: 'states', url: 'http://127.0.0.1:9/mcp' },
      store,
      settings,
      quiet,
    );
    const states = Array.from({ length: 2000 }, () => provider.state());
    for (const state of states) expect(state).toMatch(/^[0-9a-f]{48}$/);
    expect(new Set(states).size).toBe(states.length);
  });

  it('refreshes expired tokens once when two connections need it at the same time', async () => {
    const server = await fixture({ accessTokenTtlSeconds: 6 });
    const ref = { id: `refresh-${randomUUID().slice(0, 6)}`, url: server.url };
    await authorizeAndConnect(ref);
    server.configure({ accessTokenTtlSeconds: 3600 });
    // Past the expiry as this store reckons it (lifetime minus a 5 s margin) and as the server does.
    await sleep(6500);
    const [one, two] = await Promise.all([connect(ref), connect(ref)]);
    expect(server.stats.tokenRequests.refresh_token).toBe(1);
    for (const client of [one, two]) {
      expect((await client.callTool({ name: 'echo', arguments: { message: 'ok' } })).content).toEqual([
        { type: 'text', text: 'ok' },
      ]);
    }
  }, 20_000);

  it('forgets tokens, client and discovery', async () => {
    const server = await fixture();
    const ref = { id: `forget-${randomUUID().slice(0, 6)}`, url: server.url };
    await authorizeAndConnect(ref);
    expect(await store.getTokens(ref.id)).toBeDefined();
    await store.forget(ref.id);
    expect(await store.getTokens(ref.id)).toBeUndefined();
    expect(await store.getClient(ref.id)).toBeUndefined();
    expect(await store.getDiscovery(ref.id)).toBeUndefined();
  });
});
