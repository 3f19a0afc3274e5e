import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServersService } from '@auxilia/mcp-servers';
import { freePort, startEverythingServer, startSilentServer, type EverythingServer } from '@auxilia/testing';
import { startApp, type RunningApp } from './support/app';

/** Accepts connections and never answers. */
describe('GET /mcp-servers/{id}/list-tools', () => {
  let running: RunningApp;
  let service: McpServersService;
  let http: EverythingServer;
  let sse: EverythingServer;
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  let deadPort: number;

  const register = async (id: string, url: string, transport?: 'sse' | 'streamable-http') => {
    const { response } = await running.api.POST('/mcp-servers', {
      body: { id, name: `Server ${id}`, url, ...(transport ? { transport } : {}) },
    });
    expect(response.status).toBe(201);
  };
  const listTools = (id: string, refresh?: boolean) =>
    running.api.GET('/mcp-servers/{id}/list-tools', {
      params: { path: { id }, query: refresh ? { refresh: 'true' } : {} },
    });
  const sessionIdOf = async (id: string) =>
    ((await service.getClient(id)).transport as StreamableHTTPClientTransport | undefined)?.sessionId;

  beforeAll(async () => {
    [http, sse, silent, deadPort] = await Promise.all([
      startEverythingServer({ transport: 'streamableHttp' }),
      startEverythingServer({ transport: 'sse' }),
      startSilentServer(),
      freePort(),
    ]);
    running = await startApp({
      env: { MCP_SERVERS_FILE: '/nonexistent/mcp-servers.json', MCP_TIMEOUT_MS: '1500' },
    });
    service = running.app.get(McpServersService);
    await register('http', http.url);
    await register('sse', sse.url, 'sse');
    await register('fallback', sse.url);
    await register('dead', `http://127.0.0.1:${deadPort}/mcp`);
    await register('silent', silent.url, 'streamable-http');
  }, 60_000);
  afterAll(async () => {
    await running?.close();
    await Promise.allSettled([http?.stop(), sse?.stop(), silent?.close()]);
  });

  it.each(['http', 'sse', 'fallback'])('lists the tools of server-everything (%s)', async (id) => {
    const { data, response } = await listTools(id);
    expect(response.status).toBe(200);
    expect(data?.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    const echo = data?.find((t) => t.name === 'echo');
    expect(echo).toEqual({
      name: 'echo',
      description: expect.any(String),
      inputSchema: expect.objectContaining({ type: 'object' }),
      ...(echo?.title === undefined ? {} : { title: expect.any(String) }),
    });
  });

  it('reuses one session across calls', async () => {
    await listTools('http', true);
    const client = await service.getClient('http');
    const sessionId = await sessionIdOf('http');
    expect(sessionId).toEqual(expect.any(String));
    await listTools('http', true);
    await listTools('http');
    expect(await service.getClient('http')).toBe(client);
    expect(await sessionIdOf('http')).toBe(sessionId);
  });

  it('serves tools from the cache until refresh=true', async () => {
    await listTools('http');
    const client = await service.getClient('http');
    let calls = 0;
    const original = client.listTools.bind(client);
    client.listTools = (...args: Parameters<typeof original>) => {
      calls++;
      return original(...args);
    };
    try {
      await listTools('http');
      expect(calls).toBe(0);
      expect((await listTools('http', true)).response.status).toBe(200);
      expect(calls).toBe(1);
    } finally {
      client.listTools = original;
    }
  });

  it('starts a new session when the server forgot the old one (404 with a session id)', async () => {
    await listTools('http');
    const expired = await sessionIdOf('http');
    const ended = await fetch(http.url, { method: 'DELETE', headers: { 'mcp-session-id': expired ?? '' } });
    expect(ended.ok).toBe(true);
    const { response, data, error } = await listTools('http', true);
    expect({ status: response.status, error }).toEqual({ status: 200, error: undefined });
    expect(data?.length).toBeGreaterThan(0);
    expect(await sessionIdOf('http')).not.toBe(expired);
  });

  it('starts a new session after the server was killed and restarted on the same port', async () => {
    await listTools('http');
    const before = await service.getClient('http');
    const beforeId = await sessionIdOf('http');
    await http.kill();
    const down = await listTools('http', true);
    expect(down.response.status).toBe(502);
    http = await startEverythingServer({ transport: 'streamableHttp', port: http.port });
    const { response } = await listTools('http', true);
    expect(response.status).toBe(200);
    expect(await service.getClient('http')).not.toBe(before);
    expect(await sessionIdOf('http')).not.toBe(beforeId);
  }, 30_000);

  it('answers 502 naming the server when nothing listens', async () => {
    const { response, error } = await listTools('dead');
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(error).toMatchObject({
      status: 502,
      serverId: 'dead',
      detail: expect.stringContaining('Server dead'),
    });
  });

  it('answers 504 naming the server when it never answers', async () => {
    const { response, error } = await listTools('silent');
    expect(response.status).toBe(504);
    expect(error).toMatchObject({
      status: 504,
      serverId: 'silent',
      detail: expect.stringContaining('1500 ms'),
    });
  });

  it('refuses a bad refresh value', async () => {
    const res = await fetch(`${running.baseUrl}/mcp-servers/http/list-tools?refresh=yes`);
    expect(res.status).toBe(400);
  });
});
