import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  startEverythingServer,
  startOAuthMcpServer,
  type EverythingServer,
  type OAuthMcpServer,
} from '@auxilia/testing';
import { startApp, type RunningApp } from './support/app';

type Policies = Record<string, 'always_allow' | 'needs_approval' | 'disabled'>;

describe('tool policies of an agent: /agents/{id}/mcp-servers/{serverId}/tools', () => {
  let running: RunningApp;
  let everything: EverythingServer;
  let guarded: OAuthMcpServer;
  let liveTools: string[];

  const path = (id: string, serverId: string) => ({ params: { path: { id, serverId } } });
  const listTools = (id = 'helper', serverId = 'everything') =>
    running.api.GET('/agents/{id}/mcp-servers/{serverId}/tools', path(id, serverId));
  const put = (tools: Policies, id = 'helper', serverId = 'everything') =>
    running.api.PUT('/agents/{id}/mcp-servers/{serverId}/tools', { ...path(id, serverId), body: { tools } });
  const getAgent = async (id = 'helper') =>
    (await running.api.GET('/agents/{id}', { params: { path: { id } } })).data;
  const policiesOf = async () =>
    Object.fromEntries((await listTools()).data?.map((t) => [t.name, t.policy]) ?? []);

  beforeAll(async () => {
    [everything, guarded] = await Promise.all([
      startEverythingServer({ transport: 'streamableHttp' }),
      startOAuthMcpServer(),
    ]);
    running = await startApp({ env: { MCP_SERVERS_FILE: '/nonexistent/mcp-servers.json' } });
    for (const body of [
      { id: 'everything', name: 'Everything', url: everything.url },
      { id: 'other', name: 'Other', url: everything.url },
      { id: 'guarded', name: 'Guarded', url: guarded.url, requiresOAuth: true },
    ]) {
      expect((await running.api.POST('/mcp-servers', { body })).response.status).toBe(201);
    }
    const created = await running.api.POST('/agents', {
      body: { id: 'helper', name: 'Helper', instructions: 'Help.', mcpServerIds: ['everything', 'guarded'] },
    });
    expect(created.response.status).toBe(201);
    const listed = await running.api.GET('/mcp-servers/{id}/list-tools', {
      params: { path: { id: 'everything' } },
    });
    liveTools = listed.data?.map((t) => t.name) ?? [];
    expect(liveTools).toEqual(expect.arrayContaining(['echo', 'get-sum']));
  }, 60_000);

  afterAll(async () => {
    await running?.close();
    await Promise.allSettled([everything?.stop(), guarded?.close()]);
  });

  it('lists the live tools of the server, each always_allow by default', async () => {
    const { data, response } = await listTools();
    expect(response.status).toBe(200);
    expect(data?.map((t) => t.name)).toEqual(liveTools);
    for (const tool of data ?? []) expect(tool.policy).toBe('always_allow');
    expect(data?.find((t) => t.name === 'echo')).toMatchObject({
      name: 'echo',
      description: expect.any(String),
      inputSchema: expect.objectContaining({ type: 'object' }),
    });
    expect(await getAgent()).not.toHaveProperty('toolPolicies');
  });

  it('stores the policies a PUT gives and shows them on the agent, the list and the tools', async () => {
    const { data, response } = await put({ echo: 'needs_approval', 'get-sum': 'disabled' });
    expect(response.status).toBe(200);
    const expected = { everything: { echo: 'needs_approval', 'get-sum': 'disabled' } };
    expect(data).toMatchObject({ id: 'helper', name: 'Helper', toolPolicies: expected });
    expect((await getAgent())?.toolPolicies).toEqual(expected);
    const all = await running.api.GET('/agents');
    expect(all.data?.find((a) => a.id === 'helper')?.toolPolicies).toEqual(expected);
    const policies = await policiesOf();
    expect(policies).toMatchObject({ echo: 'needs_approval', 'get-sum': 'disabled' });
    const others = Object.entries(policies).filter(([name]) => name !== 'echo' && name !== 'get-sum');
    expect(others.length).toBeGreaterThan(0);
    for (const [, policy] of others) expect(policy).toBe('always_allow');
  });

  it('replaces on PUT: a tool left out is always_allow again, and all defaults store nothing', async () => {
    await put({ echo: 'needs_approval', 'get-sum': 'disabled' });
    const replaced = await put({ echo: 'disabled' });
    expect(replaced.data?.toolPolicies).toEqual({ everything: { echo: 'disabled' } });
    expect(await policiesOf()).toMatchObject({ echo: 'disabled', 'get-sum': 'always_allow' });

    const allowed = await put({ echo: 'always_allow' });
    expect(allowed.response.status).toBe(200);
    expect(allowed.data).not.toHaveProperty('toolPolicies');
    expect(await getAgent()).not.toHaveProperty('toolPolicies');
  });

  it('answers 400 naming the tools the server does not offer, and changes nothing', async () => {
    await put({ echo: 'needs_approval' });
    const { error, response } = await put({ echo: 'disabled', 'no-such-tool': 'disabled', zap: 'disabled' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(error).toMatchObject({
      status: 400,
      serverId: 'everything',
      unknownTools: ['no-such-tool', 'zap'],
    });
    expect(error?.detail).toContain('"no-such-tool"');
    expect((await getAgent())?.toolPolicies).toEqual({ everything: { echo: 'needs_approval' } });
  });

  it('answers 400 naming the field for an invalid policy or body', async () => {
    const bad = await put({ echo: 'sometimes' } as unknown as Policies);
    expect(bad.response.status).toBe(400);
    expect(bad.error?.errors).toEqual([{ field: 'tools', messages: [expect.stringContaining('"echo"')] }]);
    const missing = await running.api.PUT('/agents/{id}/mcp-servers/{serverId}/tools', {
      ...path('helper', 'everything'),
      body: {} as { tools: Policies },
    });
    expect(missing.response.status).toBe(400);
    expect(missing.error?.errors?.map((e) => e.field)).toEqual(['tools']);
    const long = await put({ ['x'.repeat(201)]: 'disabled' });
    expect(long.response.status).toBe(400);
    expect(long.error?.errors?.[0]?.messages[0]).toContain('1 to 200 characters');
  });

  it('answers 404 for a server the agent does not use, registered or not', async () => {
    for (const serverId of ['other', 'no-such-server']) {
      const listed = await listTools('helper', serverId);
      expect(listed.response.status).toBe(404);
      expect(listed.error).toMatchObject({ status: 404, error: 'mcp_server_not_in_agent', serverId });
      const set = await put({ echo: 'disabled' }, 'helper', serverId);
      expect(set.response.status).toBe(404);
      expect(set.error).toMatchObject({ error: 'mcp_server_not_in_agent', serverId });
      expect(set.error?.type).toContain('mcp-server-not-in-agent');
    }
  });

  it('answers 404 for an unknown agent', async () => {
    const listed = await listTools('nobody');
    expect(listed.response.status).toBe(404);
    expect(listed.error?.detail).toBe('No agent "nobody"');
    const set = await put({ echo: 'disabled' }, 'nobody');
    expect(set.response.status).toBe(404);
    expect(set.error?.detail).toBe('No agent "nobody"');
  });

  it('passes on the MCP server’s 401 oauth_required', async () => {
    for (const response of [
      await listTools('helper', 'guarded'),
      await put({ echo: 'disabled' }, 'helper', 'guarded'),
    ]) {
      expect(response.response.status).toBe(401);
      expect(response.error).toMatchObject({
        status: 401,
        error: 'oauth_required',
        serverId: 'guarded',
        authorizationUrl: expect.any(String),
      });
    }
  });

  it('keeps a PATCH of other fields, and drops the policies of a server the PATCH removes', async () => {
    await put({ echo: 'needs_approval' });
    const renamed = await running.api.PATCH('/agents/{id}', {
      params: { path: { id: 'helper' } },
      body: { name: 'Renamed' },
    });
    expect(renamed.data?.toolPolicies).toEqual({ everything: { echo: 'needs_approval' } });

    const [patched, set] = await Promise.all([
      running.api.PATCH('/agents/{id}', {
        params: { path: { id: 'helper' } },
        body: { instructions: 'Help more.' },
      }),
      put({ echo: 'needs_approval', 'get-sum': 'disabled' }),
    ]);
    expect([patched.response.status, set.response.status]).toEqual([200, 200]);
    expect(await getAgent()).toMatchObject({
      name: 'Renamed',
      instructions: 'Help more.',
      toolPolicies: { everything: { echo: 'needs_approval', 'get-sum': 'disabled' } },
    });

    const dropped = await running.api.PATCH('/agents/{id}', {
      params: { path: { id: 'helper' } },
      body: { mcpServerIds: ['guarded'] },
    });
    expect(dropped.response.status).toBe(200);
    expect(dropped.data).not.toHaveProperty('toolPolicies');
    const back = await running.api.PATCH('/agents/{id}', {
      params: { path: { id: 'helper' } },
      body: { mcpServerIds: ['everything', 'guarded'] },
    });
    expect(back.data).not.toHaveProperty('toolPolicies');
    expect(Object.values(await policiesOf()).every((p) => p === 'always_allow')).toBe(true);
  });

  it('refuses tool policies on create and PATCH (only the PUT sets them)', async () => {
    const toolPolicies = { everything: { echo: 'disabled' } };
    const created = await running.api.POST('/agents', {
      body: {
        id: 'sneaky',
        name: 'S',
        instructions: 'x',
        mcpServerIds: ['everything'],
        toolPolicies,
      } as never,
    });
    expect(created.response.status).toBe(400);
    expect(created.error?.errors?.map((e) => e.field)).toEqual(['toolPolicies']);
    const patched = await running.api.PATCH('/agents/{id}', {
      params: { path: { id: 'helper' } },
      body: { toolPolicies } as never,
    });
    expect(patched.response.status).toBe(400);
  });
});
