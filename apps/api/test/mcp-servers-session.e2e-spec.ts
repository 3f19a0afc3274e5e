import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { startApp, type RunningApp } from './support/app';

/**
 * A spec-following streamable HTTP server that counts initialize requests and can forget its
 * sessions without closing their streams, as a restarted or load-balanced server would.
 */
async function startCountingServer() {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const stats = { initializes: 0, notFound: 0 };
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  app.all('/mcp', async (req, res) => {
    const sessionId = req.header('mcp-session-id');
    let transport = sessionId ? sessions.get(sessionId) : undefined;
    if (!transport) {
      if (sessionId) {
        stats.notFound++;
        res
          .status(404)
          .json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
        return;
      }
      if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
        res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request' }, id: null });
        return;
      }
      stats.initializes++;
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, created),
      });
      const server = new McpServer({ name: 'counting', version: '1.0.0' });
      server.registerTool(
        'echo',
        { description: 'Echoes', inputSchema: { message: z.string() } },
        ({ message }) => ({
          content: [{ type: 'text', text: message }],
        }),
      );
      await server.connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, req.body);
  });
  const http: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = http.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stats,
    forgetSessions: () => sessions.clear(),
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

describe('pooled MCP sessions', () => {
  let running: RunningApp;
  let upstream: Awaited<ReturnType<typeof startCountingServer>>;
  const listTools = (refresh = false) =>
    running.api.GET('/mcp-servers/{id}/list-tools', {
      params: { path: { id: 'counting' }, query: refresh ? { refresh: 'true' } : {} },
    });

  beforeAll(async () => {
    upstream = await startCountingServer();
    running = await startApp({ env: { MCP_SERVERS_FILE: '/nonexistent/mcp-servers.json' } });
    await running.api.POST('/mcp-servers', { body: { id: 'counting', name: 'Counting', url: upstream.url } });
  });
  afterAll(async () => {
    await running?.close();
    await upstream?.close();
  });

  it('initializes once for many concurrent and later calls', async () => {
    const first = await Promise.all([listTools(), listTools(true), listTools()]);
    expect(first.map((r) => r.response.status)).toEqual([200, 200, 200]);
    await listTools(true);
    await listTools(true);
    expect(upstream.stats.initializes).toBe(1);
  });

  it('re-initializes once when the server answers 404 to the session id, and the call succeeds', async () => {
    const before = upstream.stats.initializes;
    upstream.forgetSessions();
    const { response, data } = await listTools(true);
    expect(response.status).toBe(200);
    expect(data?.map((t) => t.name)).toEqual(['echo']);
    expect(upstream.stats.notFound).toBeGreaterThanOrEqual(1);
    expect(upstream.stats.initializes).toBe(before + 1);
    await listTools(true);
    expect(upstream.stats.initializes).toBe(before + 1);
  });

  it('re-initializes after PATCH and after DELETE …/oauth', async () => {
    const before = upstream.stats.initializes;
    await running.api.PATCH('/mcp-servers/{id}', {
      params: { path: { id: 'counting' } },
      body: { name: 'Renamed' },
    });
    expect((await listTools()).response.status).toBe(200);
    expect(upstream.stats.initializes).toBe(before + 1);
    const disconnected = await running.api.DELETE('/mcp-servers/{id}/oauth', {
      params: { path: { id: 'counting' } },
    });
    expect(disconnected.response.status).toBe(204);
    expect((await listTools()).response.status).toBe(200);
    expect(upstream.stats.initializes).toBe(before + 2);
  });
});
