import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  UnauthorizedError,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import {
  startEverythingServer,
  startOAuthMcpServer,
  type EverythingServer,
  type OAuthMcpServer,
  type OAuthMcpServerOptions,
} from './index';

// Nothing listens here: the spec reads the code from the Location header instead of following it.
const REDIRECT_URL = 'http://127.0.0.1:9/oauth/callback';

class MemoryOAuthClient implements OAuthClientProvider {
  readonly redirectUrl = REDIRECT_URL;
  readonly clientMetadata: OAuthClientMetadata = {
    client_name: 'mcp fixtures spec',
    redirect_uris: [REDIRECT_URL],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
  readonly redirects: URL[] = [];
  lastState?: string;
  private saved?: OAuthTokens;
  private verifier?: string;
  private discovery?: OAuthDiscoveryState;

  constructor(private info?: OAuthClientInformationMixed) {}

  state(): string {
    this.lastState = randomUUID();
    return this.lastState;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL): void {
    this.redirects.push(url);
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'client') this.info = undefined;
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }
  lastRedirect(): URL {
    const url = this.redirects.at(-1);
    if (!url) throw new Error('no authorization redirect yet');
    return url;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  const content = Array.isArray(result.content) ? (result.content as { type: string; text?: string }[]) : [];
  return content.map((c) => (c.type === 'text' ? (c.text ?? '') : '')).join('');
}

function newClient(): Client {
  return new Client({ name: 'mcp-fixtures-spec', version: '1.0.0' });
}

/** Plays the user agent: opens the authorization URL and returns where the server sent it back to. */
async function visit(url: URL): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = res.headers.get('location');
  if (!location) throw new Error('authorization answer without Location');
  return new URL(location);
}

async function approve(provider: MemoryOAuthClient): Promise<string> {
  const back = await visit(provider.lastRedirect());
  expect(back.searchParams.get('state')).toBe(provider.lastState);
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code in ${back.href}`);
  return code;
}

const clients: Client[] = [];
const oauthServers: OAuthMcpServer[] = [];

async function oauthServer(options?: OAuthMcpServerOptions): Promise<OAuthMcpServer> {
  const server = await startOAuthMcpServer(options);
  oauthServers.push(server);
  return server;
}

/** The documented dance: 401, redirect, code, finishAuth, then a fresh connection that succeeds. */
async function connectWithOAuth(url: string, provider: MemoryOAuthClient) {
  const first = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  const refused = newClient();
  await expect(refused.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
  await first.finishAuth(await approve(provider));
  await refused.close();
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  const client = newClient();
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(oauthServers.map((s) => s.close()));
});

describe.each(['streamableHttp', 'sse'] as const)('server-everything over %s', (transport) => {
  let server: EverythingServer;
  beforeAll(async () => {
    server = await startEverythingServer({ transport });
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('lists its tools and answers get-sum', async () => {
    const client = newClient();
    clients.push(client);
    const url = new URL(server.url);
    await client.connect(
      transport === 'sse' ? new SSEClientTransport(url) : new StreamableHTTPClientTransport(url),
    );
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } }))).toContain('is 5');
  });

  it('listens on 127.0.0.1 only', async () => {
    await expect(fetch(`http://[::1]:${server.port}/`)).rejects.toThrow();
  });
});

describe('server-everything kill()', () => {
  it('takes the server down in the middle of a tool call', async () => {
    const server = await startEverythingServer({ transport: 'streamableHttp' });
    const client = newClient();
    clients.push(client);
    // Resumption attempts against the dead server would outlive the test.
    const reconnectionOptions = {
      maxRetries: 0,
      initialReconnectionDelay: 1,
      maxReconnectionDelay: 1,
      reconnectionDelayGrowFactor: 1,
    };
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { reconnectionOptions }));
    let progressed!: () => void;
    const firstProgress = new Promise<void>((resolve) => (progressed = resolve));
    const pending = client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 } },
      undefined,
      { onprogress: () => progressed(), timeout: 120_000 },
    );
    const outcome = pending.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await firstProgress;
    await server.kill();
    expect(() => process.kill(server.pid, 0)).toThrow();
    await expect(fetch(server.url, { method: 'POST' })).rejects.toThrow();
    await client.close();
    expect(await outcome).toBeInstanceOf(Error);
  }, 30_000);
});

describe('OAuth MCP server', () => {
  it('advertises itself per RFC 9728 and answers 401 with resource_metadata', async () => {
    const server = await oauthServer();
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain(
      `resource_metadata="${server.resourceMetadataUrl}"`,
    );
    expect(server.resourceMetadataUrl).toBe(
      new URL('/.well-known/oauth-protected-resource/mcp', server.url).href,
    );
    const prm = (await (await fetch(server.resourceMetadataUrl)).json()) as Record<string, unknown>;
    expect(prm).toMatchObject({ resource: server.url, authorization_servers: [server.issuer] });
    expect(server.authorizationServerPort).not.toBe(server.port);
    const asMetadata = await fetch(new URL('/.well-known/oauth-authorization-server', server.issuer));
    expect(await asMetadata.json()).toMatchObject({
      issuer: server.issuer,
      code_challenge_methods_supported: ['S256'],
    });
  });

  it('registers dynamically, authorizes with PKCE and resource, then serves tools', async () => {
    const server = await oauthServer();
    const provider = new MemoryOAuthClient();
    const { client } = await connectWithOAuth(server.url, provider);

    expect(server.stats.registrations).toBe(1);
    expect(server.stats.authorizationRequests).toBe(1);
    expect(server.stats.tokenRequests).toEqual({ authorization_code: 1, refresh_token: 0 });
    expect(server.stats.lastAuthorizeParams).toMatchObject({ resource: server.url, scopes: ['mcp'] });
    expect(provider.tokens()?.access_token).toBe(server.stats.issuedAccessTokens[0]);
    expect(server.stats.issuedCodes).toHaveLength(1);

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['admin-echo', 'echo', 'get-sum']);
    expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } }))).toBe('42');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hi' } }))).toBe('hi');
  });

  it('checks the resource, the PKCE verifier and single use of codes', async () => {
    const server = await oauthServer({ clients: [{ clientId: 'manual' }] });
    const verifier = randomBytes(32).toString('base64url');
    const authorizeUrl = new URL('/authorize', server.issuer);
    authorizeUrl.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'manual',
      redirect_uri: REDIRECT_URL,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      resource: server.url,
    }).toString();
    const code = (await visit(authorizeUrl)).searchParams.get('code') ?? '';

    const elsewhere = new URL(authorizeUrl);
    elsewhere.searchParams.set('resource', 'http://127.0.0.1:1/mcp');
    expect((await visit(elsewhere)).searchParams.get('error')).toBe('invalid_target');

    const exchange = (codeVerifier: string) =>
      fetch(new URL('/token', server.issuer), {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: 'manual',
          code,
          code_verifier: codeVerifier,
          redirect_uri: REDIRECT_URL,
          resource: server.url,
        }),
      });
    const wrong = await exchange(randomBytes(32).toString('base64url'));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
    const right = await exchange(verifier);
    expect(right.status).toBe(200);
    expect(await right.json()).toMatchObject({ token_type: 'Bearer', scope: 'mcp' });
    expect((await exchange(verifier)).status).toBe(400);
  });

  it('refreshes an expired access token with a rotating refresh token', async () => {
    const server = await oauthServer({ accessTokenTtlSeconds: 2 });
    const provider = new MemoryOAuthClient();
    const { client } = await connectWithOAuth(server.url, provider);
    expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 1 } }))).toBe('2');
    const firstRefreshToken = provider.tokens()?.refresh_token ?? '';

    await sleep(2500);
    expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 2 } }))).toBe('4');
    expect(server.stats.tokenRequests.refresh_token).toBe(1);
    expect(server.stats.issuedRefreshTokens).toHaveLength(2);
    expect(provider.tokens()?.refresh_token).toBe(server.stats.issuedRefreshTokens[1]);

    const info = provider.clientInformation();
    const replay = await fetch(new URL('/token', server.issuer), {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: firstRefreshToken,
        client_id: info?.client_id ?? '',
        client_secret: info?.client_secret ?? '',
      }),
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
  }, 20_000);

  it('sends the client back to /authorize when the refresh is rejected', async () => {
    const server = await oauthServer({ accessTokenTtlSeconds: 2, rejectRefresh: true });
    const provider = new MemoryOAuthClient();
    const { client, transport } = await connectWithOAuth(server.url, provider);

    await sleep(2500);
    await expect(client.callTool({ name: 'echo', arguments: { message: 'x' } })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    expect(server.stats.tokenRequests.refresh_token).toBe(1);
    expect(provider.redirects).toHaveLength(2);

    server.configure({ accessTokenTtlSeconds: 3600 });
    await transport.finishAuth(await approve(provider));
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'back' } }))).toBe('back');
  }, 20_000);

  it('redirects with error=access_denied when told to deny', async () => {
    const server = await oauthServer({ deny: true });
    const provider = new MemoryOAuthClient();
    const refused = newClient();
    clients.push(refused);
    await expect(
      refused.connect(new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider })),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    const back = await visit(provider.lastRedirect());
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe(provider.lastState);
    expect(back.searchParams.has('code')).toBe(false);
    expect(server.stats.issuedCodes).toHaveLength(0);
  });

  it('steps up to the admin scope when admin-echo answers 403 insufficient_scope', async () => {
    const server = await oauthServer();
    const provider = new MemoryOAuthClient();
    const { client, transport } = await connectWithOAuth(server.url, provider);

    await expect(
      client.callTool({ name: 'admin-echo', arguments: { message: 'hi' } }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    expect(server.stats.stepUpChallenges).toBe(1);
    // auth() tried the refresh token first; the fixture refused it because of the pending step-up.
    expect(server.stats.tokenRequests.refresh_token).toBe(1);
    expect(provider.lastRedirect().searchParams.get('scope')).toBe('mcp admin');
    await transport.finishAuth(await approve(provider));
    expect(server.stats.lastAuthorizeParams?.scopes).toEqual(['mcp', 'admin']);
    expect(textOf(await client.callTool({ name: 'admin-echo', arguments: { message: 'hi' } }))).toBe(
      'admin: hi',
    );
    expect(server.stats.stepUpChallenges).toBe(1);
  });

  it('without revoking the refresh token, the SDK client refreshes and gives up on the step-up', async () => {
    const server = await oauthServer({ stepUpRevokesRefreshToken: false });
    const provider = new MemoryOAuthClient();
    const { client } = await connectWithOAuth(server.url, provider);

    await expect(client.callTool({ name: 'admin-echo', arguments: { message: 'hi' } })).rejects.toThrow(
      /403 after trying upscoping/,
    );
    expect(server.stats.tokenRequests.refresh_token).toBe(1);
    expect(provider.redirects).toHaveLength(1);
  });

  it('forces a new authorization after revokeAll()', async () => {
    const server = await oauthServer();
    const provider = new MemoryOAuthClient();
    const { client } = await connectWithOAuth(server.url, provider);
    const issued = server.stats.issuedAccessTokens.length;
    server.revokeAll();
    await expect(client.callTool({ name: 'echo', arguments: { message: 'x' } })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    // The client's background GET stream may hit the 401 too and start an authorization of its own.
    expect(provider.redirects.length).toBeGreaterThanOrEqual(2);
    expect(provider.tokens()).toBeUndefined();
    expect(server.stats.issuedAccessTokens).toHaveLength(issued);
  });

  it('accepts a pre-registered confidential client on a single-port server', async () => {
    const server = await oauthServer({
      authorizationServer: 'same',
      clients: [{ clientId: 'auxilia', clientSecret: 's3cret' }],
    });
    expect(server.issuer).toBe(new URL('/', server.url).href);
    const provider = new MemoryOAuthClient({ client_id: 'auxilia', client_secret: 's3cret' });
    const { client } = await connectWithOAuth(server.url, provider);
    expect(server.stats.registrations).toBe(0);
    expect(server.stats.lastAuthorizeParams?.clientId).toBe('auxilia');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'pre' } }))).toBe('pre');
  });

  it('serves the legacy SSE transport as a resource of its own', async () => {
    const server = await oauthServer();
    const provider = new MemoryOAuthClient();
    const first = new SSEClientTransport(new URL(server.sseUrl), { authProvider: provider });
    const refused = newClient();
    clients.push(refused);
    await expect(refused.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    await first.finishAuth(await approve(provider));
    expect(server.stats.lastAuthorizeParams?.resource).toBe(server.sseUrl);

    const client = newClient();
    clients.push(client);
    await client.connect(new SSEClientTransport(new URL(server.sseUrl), { authProvider: provider }));
    expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 20, b: 22 } }))).toBe('42');
  });
});
