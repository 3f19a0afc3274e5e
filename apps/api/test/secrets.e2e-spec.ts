import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  DEFAULT_SCRIPTED_MODEL_NAME,
  startOAuthMcpServer,
  startScriptedModel,
  type OAuthMcpServer,
  type ScriptedModel,
} from '@auxilia/testing';
import { API_BUNDLE, requireBuild, spawnApi, type ApiProcess } from './support/process';
import { chatBody, userMessage } from './threads-client';
import { JSON_HEADERS, callbackUrl, chunksOf, pendingOf, readAll, reliability } from './reliability-support';

// A production process, a full authorization and a chat with a tool call.
jest.setTimeout(60_000);

/** Every key under `prefix` and every value in it, whatever the type, as text. */
async function redisContents(redis: Redis, prefix: string): Promise<{ keys: number; text: string[] }> {
  const text: string[] = [];
  let keys = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    for (const key of batch) {
      keys++;
      text.push(key);
      const type = await redis.type(key);
      if (type === 'string') text.push((await redis.get(key)) ?? '');
      else if (type === 'hash') text.push(...Object.entries(await redis.hgetall(key)).flat());
      else if (type === 'set') text.push(...(await redis.smembers(key)));
      else if (type === 'zset') text.push(...(await redis.zrange(key, 0, -1)));
      else if (type === 'list') text.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'stream') {
        for (const [, fields] of await redis.xrange(key, '-', '+')) text.push(...fields);
      } else text.push(`unreadable ${type}`);
    }
  } while (cursor !== '0');
  return { keys, text };
}

describe('secrets of a full OAuth and chat run', () => {
  const clientId = 'auxilia-confidential';
  const clientSecret = `cs_${randomBytes(24).toString('base64url')}`;
  const prefix = `secrets-${randomUUID().slice(0, 8)}:`;
  let upstream: OAuthMcpServer;
  let model: ScriptedModel;
  let api: ApiProcess;
  let redis: Redis;
  const bodies: string[] = [];

  /** Every answer of the service goes through here, so its body is scanned later. */
  async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
    const res = await fetch(new URL(path, api.baseUrl), { redirect: 'manual', ...init });
    const body = await res.text();
    bodies.push(body, JSON.stringify([...res.headers]));
    return { status: res.status, body };
  }
  const postJson = (path: string, body: unknown) =>
    call(path, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });

  beforeAll(async () => {
    requireBuild(API_BUNDLE);
    [upstream, model] = await Promise.all([
      startOAuthMcpServer({ clients: [{ clientId, clientSecret }], accessTokenTtlSeconds: 2 }),
      startScriptedModel(),
    ]);
    redis = new Redis(process.env.TEST_REDIS_URL ?? '');
    api = await spawnApi({
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      REDIS_KEY_PREFIX: prefix,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'debug',
      MCP_ALLOW_PRIVATE_NETWORKS: 'true',
      MCP_SERVERS_FILE: '/nonexistent/mcp-servers.json',
      AGENTS_FILE: '/nonexistent/agents.json',
      OPENAI_BASE_URL: model.baseURL,
      OPENAI_API_KEY: 'test-key',
      OPENAI_MODEL: DEFAULT_SCRIPTED_MODEL_NAME,
      OPENAI_MAX_RETRIES: '0',
    });
  }, 30_000);

  afterAll(async () => {
    await api?.stop('SIGKILL');
    redis?.disconnect();
    await Promise.allSettled([upstream?.close(), model?.close()]);
  });

  it('finds no token, code or client secret in responses, log lines or Redis', async () => {
    const created = await postJson('/mcp-servers', {
      id: 'vault',
      name: 'Vault',
      url: upstream.url,
      requiresOAuth: true,
      oauthClient: { clientId, clientSecret },
    });
    expect(created.status).toBe(201);

    const refused = await call('/mcp-servers/vault/list-tools');
    expect(refused.status).toBe(401);
    const { authorizationUrl, state } = pendingOf(JSON.parse(refused.body));
    const waiter = call(`/mcp-servers/vault/oauth/events?state=${encodeURIComponent(state)}`);
    await new Promise((r) => setTimeout(r, 200));
    const back = await callbackUrl(authorizationUrl, api.baseUrl);
    expect((await call(back.pathname + back.search)).status).toBeLessThan(400);
    expect((await waiter).body).toContain('authorized');
    expect((await call('/mcp-servers/vault/list-tools')).status).toBe(200);

    expect(
      (
        await postJson('/agents', {
          id: 'summer',
          name: 'Summer',
          instructions: 'Add.',
          mcpServerIds: ['vault'],
        })
      ).status,
    ).toBe(201);
    const thread = JSON.parse((await postJson('/threads', { agentId: 'summer' })).body) as { id: string };
    model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 20, b: 22 } }] }, 'It is 42.');
    const res = await fetch(`${api.baseUrl}/threads/${thread.id}/stream`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: chatBody(thread.id, userMessage('u1', 'What is 20 + 22?')),
    });
    const events = await readAll(res);
    bodies.push(events.map((e) => e.data).join('\n'));
    const chunks = chunksOf(events);
    expect(chunks.some((c) => c.type === 'tool-output-available')).toBe(true);

    // Let the access token expire so the refresh grant runs too.
    await new Promise((r) => setTimeout(r, 2300));
    expect((await call('/mcp-servers/vault/list-tools?refresh=true')).status).toBe(200);
    for (const path of ['/mcp-servers', '/mcp-servers/vault', `/threads/${thread.id}`, '/agents/summer']) {
      expect((await call(path)).status).toBe(200);
    }

    const { issuedAccessTokens, issuedRefreshTokens, issuedCodes } = upstream.stats;
    expect(issuedAccessTokens.length).toBeGreaterThanOrEqual(2);
    expect(issuedRefreshTokens.length).toBeGreaterThanOrEqual(1);
    expect(issuedCodes.length).toBe(1);
    expect(upstream.stats.tokenRequests.refresh_token).toBeGreaterThanOrEqual(1);
    const secrets = [...issuedAccessTokens, ...issuedRefreshTokens, ...issuedCodes, clientSecret];

    const stored = await redisContents(redis, prefix);
    const places = { responses: bodies, logLines: api.lines, redis: stored.text };
    const found = Object.entries(places).flatMap(([where, texts]) =>
      texts.flatMap((text, i) => secrets.filter((s) => text.includes(s)).map(() => `${where}[${i}]`)),
    );
    reliability({
      test: 'secrets/scan',
      secrets: secrets.length,
      responses: bodies.length,
      logLines: api.lines.length,
      redisKeys: stored.keys,
      found: found.length,
    });
    // The request log of the callback is there, with its query (code redacted): the scan saw it.
    expect(api.lines.some((l) => l.includes('/mcp-servers/vault/callback'))).toBe(true);
    expect(stored.keys).toBeGreaterThan(0);
    expect(found).toEqual([]);
  });
});
