import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { freePort, startEverythingServer, startSilentServer, type EverythingServer } from '@auxilia/testing';
import { McpConnectionPool } from './mcp-connection-pool';
import { classifyMcpError, type McpFailureKind } from './mcp-errors';
import type { McpServer } from './mcp-server';

class ConnectFailure extends Error {
  constructor(readonly kind: McpFailureKind) {
    super(kind);
  }
}

function newPool(timeoutMs = 5000): McpConnectionPool {
  return new McpConnectionPool({
    timeoutMs,
    providerFor: () => undefined,
    connectFailure: (_server, error) => new ConnectFailure(classifyMcpError(error)),
  });
}

function entry(id: string, url: string, transport?: McpServer['transport']): McpServer {
  return { id, name: id, url, requiresOAuth: false, ...(transport ? { transport } : {}) };
}

/** Accepts connections and never answers: a server that hung. */
describe('McpConnectionPool', () => {
  let http: EverythingServer;
  let sse: EverythingServer;
  const pools: McpConnectionPool[] = [];
  const pool = (timeoutMs?: number) => {
    const created = newPool(timeoutMs);
    pools.push(created);
    return created;
  };

  beforeAll(async () => {
    [http, sse] = await Promise.all([
      startEverythingServer({ transport: 'streamableHttp' }),
      startEverythingServer({ transport: 'sse' }),
    ]);
  }, 30_000);
  afterAll(async () => {
    await Promise.allSettled(pools.map((p) => p.closeAll()));
    await Promise.allSettled([http?.stop(), sse?.stop()]);
  });

  it('shares one in-flight connect between concurrent callers and keeps the session', async () => {
    const p = pool();
    const server = entry('everything', http.url);
    const [a, b, c] = await Promise.all([p.acquire(server), p.acquire(server), p.acquire(server)]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(a.kind).toBe('streamable-http');
    const sessionId = (a.transport as StreamableHTTPClientTransport).sessionId;
    expect(sessionId).toEqual(expect.any(String));
    await a.client.listTools();
    const again = await p.acquire(server);
    expect(again).toBe(a);
    expect((again.transport as StreamableHTTPClientTransport).sessionId).toBe(sessionId);
  });

  it('uses the SSE transport when asked and falls back to it when streamable HTTP gets a 4xx', async () => {
    const p = pool();
    const explicit = await p.acquire(entry('sse', sse.url, 'sse'));
    expect(explicit.kind).toBe('sse');
    const fallback = await p.acquire(entry('fallback', sse.url));
    expect(fallback.kind).toBe('sse');
    const { tools } = await fallback.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
  });

  it('does not fall back when the transport is pinned to streamable HTTP', async () => {
    await expect(pool().acquire(entry('pinned', sse.url, 'streamable-http'))).rejects.toMatchObject({
      kind: 'session-expired',
    });
  });

  it('starts a new session after drop()', async () => {
    const p = pool();
    const server = entry('everything', http.url);
    const first = await p.acquire(server);
    p.drop(server.id);
    const second = await p.acquire(server);
    expect(second).not.toBe(first);
    expect((second.transport as StreamableHTTPClientTransport).sessionId).not.toBe(
      (first.transport as StreamableHTTPClientTransport).sessionId,
    );
    expect(p.current(server.id)).toBe(second);
  });

  it('hands the waiters of a connect dropped in flight a fresh, usable session', async () => {
    const p = pool();
    const server = entry('everything', http.url);
    const pending = p.acquire(server);
    p.drop(server.id);
    const session = await pending;
    expect(p.current(server.id)).toBe(session);
    const { tools } = await session.client.listTools();
    expect(tools.length).toBeGreaterThan(0);
  });

  it('reports a dead port as unreachable and tries again on the next call', async () => {
    const p = pool();
    const server = entry('dead', `http://127.0.0.1:${await freePort()}/mcp`);
    await expect(p.acquire(server)).rejects.toMatchObject({ kind: 'unreachable' });
    await expect(p.acquire(server)).rejects.toMatchObject({ kind: 'unreachable' });
    expect(p.current(server.id)).toBeUndefined();
  });

  it.each(['streamable-http', 'sse'] as const)(
    'times out on a server that never answers (%s)',
    async (kind) => {
      const silent = await startSilentServer();
      try {
        await expect(pool(300).acquire(entry('silent', silent.url, kind))).rejects.toMatchObject({
          kind: 'timeout',
        });
      } finally {
        await silent.close();
      }
    },
  );
});
