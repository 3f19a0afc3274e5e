import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import {
  createOAuthMetadata,
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthMetadataRouter,
  mcpAuthRouter,
} from '@modelcontextprotocol/sdk/server/auth/router.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import type { PreRegisteredClient } from './oauth-clients';
import { InMemoryOAuthProvider, type OAuthBehaviour, type OAuthFixtureStats } from './oauth-provider';

export const ADMIN_SCOPE = 'admin';

export interface OAuthMcpServerOptions {
  /** Clients known without dynamic registration. */
  clients?: PreRegisteredClient[];
  deny?: boolean;
  rejectRefresh?: boolean;
  /** Defaults to 3600. */
  accessTokenTtlSeconds?: number;
  /** Defaults to true; see OAuthBehaviour. */
  stepUpRevokesRefreshToken?: boolean;
  /** Advertised and granted by default. Defaults to ['mcp']. */
  scopes?: string[];
  /**
   * 'separate' (default) runs the authorization server on a second port, so a client has to find it
   * through the protected-resource metadata; 'same' serves it next to the MCP endpoint.
   */
  authorizationServer?: 'separate' | 'same';
}

export interface OAuthMcpServer {
  /** Streamable HTTP endpoint, http://127.0.0.1:<port>/mcp. */
  url: string;
  /** Legacy HTTP+SSE endpoint (messages go to /messages); a resource of its own. */
  sseUrl: string;
  /** Authorization server issuer, with a trailing slash as the SDK's metadata spells it. */
  issuer: string;
  port: number;
  authorizationServerPort: number;
  /** RFC 9728 metadata of the MCP endpoint. */
  resourceMetadataUrl: string;
  /** Live counters and every secret handed out; read them after the fact, they are never reset. */
  stats: OAuthFixtureStats;
  configure(changes: Partial<OAuthBehaviour>): void;
  /** Invalidates every code, access and refresh token; clients must authorize again. */
  revokeAll(): void;
  close(): Promise<void>;
}

async function listenOnLoopback(app: Express): Promise<{ server: Server; port: number }> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

function createToolServer(): McpServer {
  const server = new McpServer({ name: 'auxilia-oauth-fixture', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns the message unchanged', inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
  );
  server.registerTool(
    'get-sum',
    { description: 'Returns the sum of a and b', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  );
  server.registerTool(
    'admin-echo',
    {
      description: `Returns the message; needs the "${ADMIN_SCOPE}" scope`,
      inputSchema: { message: z.string() },
    },
    async ({ message }, extra) => {
      // The HTTP layer refuses such calls with 403 first; this only guards against that check being bypassed.
      if (!extra.authInfo?.scopes.includes(ADMIN_SCOPE)) {
        return { isError: true, content: [{ type: 'text', text: `the "${ADMIN_SCOPE}" scope is required` }] };
      }
      return { content: [{ type: 'text', text: `admin: ${message}` }] };
    },
  );
  return server;
}

function callsAdminTool(body: unknown): boolean {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  return messages.some(
    (m) =>
      isJSONRPCRequest(m) &&
      m.method === 'tools/call' &&
      (m.params as { name?: unknown } | undefined)?.name === 'admin-echo',
  );
}

function jsonRpcError(res: Response, status: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

/**
 * An MCP server behind OAuth 2.1, built from the SDK's own server pieces with an in-memory
 * authorization server, listening on loopback. Tools: echo, get-sum and admin-echo (step-up).
 */
export async function startOAuthMcpServer(options: OAuthMcpServerOptions = {}): Promise<OAuthMcpServer> {
  const separate = (options.authorizationServer ?? 'separate') === 'separate';
  const scopes = options.scopes ?? ['mcp'];

  const rsApp = createMcpExpressApp({ host: '127.0.0.1' });
  const rs = await listenOnLoopback(rsApp);
  const asApp = separate ? createMcpExpressApp({ host: '127.0.0.1' }) : rsApp;
  const as = separate ? await listenOnLoopback(asApp) : rs;

  const origin = `http://127.0.0.1:${rs.port}`;
  const mcpUrl = new URL('/mcp', origin);
  const sseUrl = new URL('/sse', origin);
  // The SDK accepts a plain-http issuer only on localhost/127.0.0.1, which is all this ever uses.
  const issuerUrl = new URL(`http://127.0.0.1:${as.port}/`);

  const provider = new InMemoryOAuthProvider({
    clients: options.clients,
    defaultScopes: scopes,
    extraScopes: [ADMIN_SCOPE],
    resources: [mcpUrl.href, sseUrl.href],
    behaviour: {
      deny: options.deny ?? false,
      rejectRefresh: options.rejectRefresh ?? false,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
      stepUpRevokesRefreshToken: options.stepUpRevokesRefreshToken ?? true,
    },
  });

  asApp.use('/authorize', express.urlencoded({ extended: false }), (req: Request, _res, next) => {
    const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown> | undefined;
    if (typeof params?.client_id === 'string' && typeof params.redirect_uri === 'string') {
      provider.clientsStore.admitRedirect(params.client_id, params.redirect_uri);
    }
    next();
  });
  // Tests run many flows from one address; the SDK's default rate limits would start refusing them.
  asApp.use(
    mcpAuthRouter({
      provider,
      issuerUrl,
      // Only the default scopes are advertised: the SDK client asks for everything in
      // scopes_supported up front, and then admin-echo could never exercise a step-up.
      scopesSupported: scopes,
      resourceServerUrl: mcpUrl,
      resourceName: 'auxilia OAuth MCP fixture',
      authorizationOptions: { rateLimit: false },
      tokenOptions: { rateLimit: false },
      clientRegistrationOptions: { rateLimit: false },
      revocationOptions: { rateLimit: false },
    }),
  );
  const oauthMetadata = createOAuthMetadata({ provider, issuerUrl, scopesSupported: scopes });
  const protectResource = (resource: URL): RequestHandler[] => {
    const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(resource);
    const bearer = requireBearerAuth({
      verifier: provider,
      requiredScopes: scopes,
      resourceMetadataUrl,
      expectedResource: resource,
    });
    const stepUp: RequestHandler = (req, res, next) => {
      const auth = req.auth;
      if (!auth || auth.scopes.includes(ADMIN_SCOPE) || !callsAdminTool(req.body)) return next();
      provider.markStepUp(auth.token);
      // The SDK client re-authorizes with exactly this scope string, so it must keep what the token already has.
      const wanted = [...new Set([...auth.scopes, ADMIN_SCOPE])].join(' ');
      const description = `admin-echo requires the ${ADMIN_SCOPE} scope`;
      res.set(
        'WWW-Authenticate',
        `Bearer error="insufficient_scope", scope="${wanted}", resource_metadata="${resourceMetadataUrl}", error_description="${description}"`,
      );
      res.status(403).json({ error: 'insufficient_scope', error_description: description });
    };
    return [bearer, stepUp];
  };
  for (const resource of separate ? [mcpUrl, sseUrl] : [sseUrl]) {
    rsApp.use(mcpAuthMetadataRouter({ oauthMetadata, resourceServerUrl: resource, scopesSupported: scopes }));
  }

  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const mcpGuard = protectResource(mcpUrl);
  const handleMcp: RequestHandler = async (req, res) => {
    const sessionId = req.header('mcp-session-id');
    let transport = sessionId ? sessions.get(sessionId) : undefined;
    if (!transport) {
      if (sessionId) return jsonRpcError(res, 404, 'Session not found');
      if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
        return jsonRpcError(res, 400, 'Bad Request: no session id and not an initialize request');
      }
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, created),
      });
      created.onclose = () => {
        if (created.sessionId) sessions.delete(created.sessionId);
      };
      await createToolServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, req.body);
  };
  rsApp.post('/mcp', ...mcpGuard, handleMcp);
  rsApp.get('/mcp', ...mcpGuard, handleMcp);
  rsApp.delete('/mcp', ...mcpGuard, handleMcp);

  const sseSessions = new Map<string, SSEServerTransport>();
  const sseGuard = protectResource(sseUrl);
  rsApp.get('/sse', ...sseGuard, async (_req, res) => {
    const transport = new SSEServerTransport('/messages', res);
    sseSessions.set(transport.sessionId, transport);
    res.on('close', () => sseSessions.delete(transport.sessionId));
    await createToolServer().connect(transport);
  });
  rsApp.post('/messages', ...sseGuard, async (req, res) => {
    const transport = sseSessions.get(String(req.query.sessionId));
    if (!transport) return jsonRpcError(res, 404, 'Session not found');
    await transport.handlePostMessage(req, res, req.body);
  });

  return {
    url: mcpUrl.href,
    sseUrl: sseUrl.href,
    issuer: issuerUrl.href,
    port: rs.port,
    authorizationServerPort: as.port,
    resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl),
    stats: provider.stats,
    configure: (changes) => {
      Object.assign(provider.behaviour, changes);
    },
    revokeAll: () => provider.revokeAll(),
    close: async () => {
      const transports = [...sessions.values(), ...sseSessions.values()];
      await Promise.allSettled(transports.map((t) => t.close()));
      for (const { server } of separate ? [rs, as] : [rs]) {
        // Open SSE streams would keep close() waiting forever.
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
