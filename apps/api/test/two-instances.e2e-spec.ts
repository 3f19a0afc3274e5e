import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  DEFAULT_SCRIPTED_MODEL_NAME,
  startOAuthMcpServer,
  startScriptedModel,
  type OAuthMcpServer,
  type ScriptedModel,
} from '@auxilia/testing';
import { API_BUNDLE, requireBuild, spawnApi, type ApiProcess } from './support/process';
import { chatBody, readEventsThenDrop, userMessage } from './threads-client';
import {
  JSON_HEADERS,
  callbackUrl,
  openWaiter,
  pendingOf,
  pool,
  readAll,
  reliability,
  sleep,
} from './reliability-support';

// Two production processes, 100 OAuth round trips and token expiries: far beyond jest's 5 s default.
jest.setTimeout(120_000);

const FLOWS = 100;
const TOKEN_TTL_S = 2;

describe('two processes sharing one Redis', () => {
  let a: ApiProcess;
  let b: ApiProcess;
  let upstream: OAuthMcpServer;
  let expiring: OAuthMcpServer;
  let model: ScriptedModel;

  const post = (p: ApiProcess, path: string, body: unknown) =>
    fetch(`${p.baseUrl}${path}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  const register = async (id: string, url: string) => {
    const res = await post(a, '/mcp-servers', { id, name: id, url, requiresOAuth: true });
    expect(res.status).toBe(201);
  };
  const listTools = (p: ApiProcess, id: string) =>
    fetch(`${p.baseUrl}/mcp-servers/${id}/list-tools?refresh=true`);
  const connectedOn = async (p: ApiProcess, id: string) =>
    ((await (await fetch(`${p.baseUrl}/mcp-servers/${id}`)).json()) as { connected?: boolean }).connected;

  /** Starts a flow on A, lands its callback on B, and returns what A's waiter heard. */
  async function flowAcrossInstances(id: string): Promise<{ state: string; body: string; callback: number }> {
    const refused = await listTools(a, id);
    expect(refused.status).toBe(401);
    const { authorizationUrl, state } = pendingOf(await refused.json());
    const waiter = await openWaiter(a.baseUrl, id, state);
    const callback = await fetch(await callbackUrl(authorizationUrl, b.baseUrl), { redirect: 'manual' });
    await callback.arrayBuffer();
    return { state, body: await waiter.body, callback: callback.status };
  }

  beforeAll(async () => {
    requireBuild(API_BUNDLE);
    [upstream, expiring, model] = await Promise.all([
      startOAuthMcpServer(),
      startOAuthMcpServer({ accessTokenTtlSeconds: TOKEN_TTL_S }),
      startScriptedModel(),
    ]);
    const env = {
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      REDIS_KEY_PREFIX: `pair-${randomUUID().slice(0, 8)}:`,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      MCP_ALLOW_PRIVATE_NETWORKS: 'true',
      // Every callback comes from one address here; the production limit would refuse most of the 100.
      RATE_LIMIT_CALLBACK_PER_MIN: '10000',
      MCP_SERVERS_FILE: '/nonexistent/mcp-servers.json',
      OPENAI_BASE_URL: model.baseURL,
      OPENAI_API_KEY: 'test-key',
      OPENAI_MODEL: DEFAULT_SCRIPTED_MODEL_NAME,
      OPENAI_MAX_RETRIES: '0',
    };
    [a, b] = await Promise.all([spawnApi(env), spawnApi(env)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await Promise.allSettled([upstream?.close(), expiring?.close(), model?.close()]);
  });

  it(`delivers ${FLOWS} OAuth flows started on A, with their callbacks on B, to their waiters on A`, async () => {
    // One registered server per flow: each one discovers, registers a client and runs its own grant.
    const ids = Array.from({ length: FLOWS }, (_, i) => `flow-${String(i).padStart(3, '0')}`);
    await pool(ids, 10, (id) => register(id, upstream.url));
    const codesBefore = upstream.stats.tokenRequests.authorization_code;
    const started = Date.now();
    const results = await pool(ids, 8, flowAcrossInstances);
    const delivered = results.filter(
      (r) => r.body.includes('event: authorized') && r.body.includes(`"state":"${r.state}"`),
    ).length;
    const callbacks5xx = results.filter((r) => r.callback >= 500).length;
    reliability({
      test: 'two-instances/oauth-flows',
      flows: FLOWS,
      delivered,
      codeGrants: upstream.stats.tokenRequests.authorization_code - codesBefore,
      callbacks5xx,
      ms: Date.now() - started,
    });
    expect(results.map((r) => r.callback).filter((s) => s >= 400)).toEqual([]);
    expect(delivered).toBe(FLOWS);
    expect(upstream.stats.tokenRequests.authorization_code - codesBefore).toBe(FLOWS);
    expect(await connectedOn(a, ids[FLOWS - 1])).toBe(true);
    expect((await listTools(b, ids[0])).status).toBe(200);
  });

  it('resumes a chat started on A on B from Last-Event-ID, with nothing lost or repeated', async () => {
    const thread = (await (await post(a, '/threads', { agentId: 'assistant' })).json()) as { id: string };
    model.enqueue({ text: Array<string>(60).fill(' tok'), delayMs: 20 });
    const init = {
      method: 'POST',
      headers: JSON_HEADERS,
      body: chatBody(thread.id, userMessage('u1', 'Go')),
    };
    const head = await readEventsThenDrop(`${a.baseUrl}/threads/${thread.id}/stream`, init, 5);
    const url = `${b.baseUrl}/threads/${thread.id}/stream`;
    const [rest, whole] = await Promise.all([
      fetch(url, { headers: { 'last-event-id': head[4].id! } }).then((r) => readAll(r)),
      fetch(url).then((r) => readAll(r)),
    ]);
    const resumed = [...head, ...rest];
    const ids = resumed.map((e) => e.id).filter(Boolean);
    reliability({ test: 'two-instances/resume', eventsOnA: head.length, eventsOnB: rest.length });
    expect(resumed).toEqual(whole);
    expect(new Set(ids).size).toBe(ids.length);
    expect(whole.at(-1)?.data).toBe('[DONE]');
    expect(whole.filter((e) => e.data.includes('"type":"finish"'))).toHaveLength(1);
  });

  it('answers exactly one 200 and one 409 to simultaneous stream requests on A and B', async () => {
    const thread = (await (await post(a, '/threads', { agentId: 'assistant' })).json()) as { id: string };
    model.setDefault({ text: Array<string>(1000).fill(' tok'), delayMs: 20 });
    try {
      const send = (p: ApiProcess, id: string) =>
        fetch(`${p.baseUrl}/threads/${thread.id}/stream`, {
          method: 'POST',
          headers: JSON_HEADERS,
          body: chatBody(thread.id, userMessage(id, 'Race')),
        });
      const answers = await Promise.all([send(a, 'ua'), send(b, 'ub')]);
      const statuses = answers.map((r) => r.status).sort();
      reliability({ test: 'two-instances/race', statuses });
      expect(statuses).toEqual([200, 409]);
      const loser = answers.find((r) => r.status === 409)!;
      expect(loser.headers.get('content-type')).toContain('application/problem+json');
      await loser.text();
      const stop = await fetch(`${b.baseUrl}/threads/${thread.id}/stop`, { method: 'POST' });
      expect(stop.status).toBe(204);
      const winner = await readAll(answers.find((r) => r.status === 200)!);
      expect(winner.at(-1)?.data).toBe('[DONE]');
    } finally {
      model.setDefault(undefined);
    }
  });

  it('sends one refresh grant when A and B refresh the same expired tokens at once', async () => {
    await register('refresh-once', expiring.url);
    const { body } = await flowAcrossInstances('refresh-once');
    expect(body).toContain('event: authorized');
    expect((await listTools(a, 'refresh-once')).status).toBe(200);
    expect((await listTools(b, 'refresh-once')).status).toBe(200);

    await sleep(TOKEN_TTL_S * 1000 + 300);
    const before = expiring.stats.tokenRequests.refresh_token;
    const answers = await Promise.all([listTools(a, 'refresh-once'), listTools(b, 'refresh-once')]);
    const refreshes = expiring.stats.tokenRequests.refresh_token - before;
    reliability({ test: 'two-instances/refresh-once', concurrent: 2, refreshGrants: refreshes });
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(refreshes).toBe(1);
  });

  it('marks the server disconnected and asks for authorization when the refresh token is rejected', async () => {
    expiring.configure({ rejectRefresh: true });
    try {
      await sleep(TOKEN_TTL_S * 1000 + 300);
      const before = expiring.stats.tokenRequests.refresh_token;
      const refused = await listTools(a, 'refresh-once');
      expect(refused.status).toBe(401);
      expect(pendingOf(await refused.json()).state).toEqual(expect.any(String));
      expect(await connectedOn(a, 'refresh-once')).toBe(false);
      const again = await listTools(b, 'refresh-once');
      expect(again.status).toBe(401);
      await again.text();
      const attempts = expiring.stats.tokenRequests.refresh_token - before;
      reliability({ test: 'two-instances/refresh-rejected', refreshAttempts: attempts });
      // Not a loop: the one rejected grant, no retry after the tokens were dropped.
      expect(attempts).toBe(1);
    } finally {
      expiring.configure({ rejectRefresh: false });
    }
  });
});
