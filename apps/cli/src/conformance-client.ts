import { randomBytes, randomUUID } from 'node:crypto';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { configModule, RedisModule, type AppConfig } from '@auxilia/core';
import { OAuthCallbackService, OAuthModule, OAuthService, type OAuthServerRef } from '@auxilia/oauth';

// Step-up may ask for a second authorization; a server that keeps asking must not loop for ever.
const MAX_AUTHORIZATIONS = 3;

@Module({})
class ConformanceModule {
  static register(config: AppConfig): DynamicModule {
    return { module: ConformanceModule, imports: [configModule(config), RedisModule, OAuthModule] };
  }
}

function preRegisteredClient(): OAuthServerRef['client'] {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  if (!raw) return undefined;
  const context = JSON.parse(raw) as { client_id?: unknown; client_secret?: unknown };
  if (typeof context.client_id !== 'string') return undefined;
  return {
    clientId: context.client_id,
    clientSecret: typeof context.client_secret === 'string' ? context.client_secret : undefined,
  };
}

/**
 * `conformance-client <serverUrl>`: the MCP conformance suite's client under test. It connects with the
 * service's own provider and Redis store, plays the browser at the authorization endpoint, and hands
 * the redirect to the callback service, as `GET /mcp-servers/{id}/callback` does.
 */
export async function conformanceClient(config: AppConfig, argv: string[]): Promise<number> {
  const serverUrl = argv.at(-1);
  if (!serverUrl) throw new Error('usage: conformance-client <serverUrl>');
  // Each scenario runs in its own process, in parallel: keep their keys apart; the tokens are throwaway.
  const isolated: AppConfig = {
    ...config,
    redis: { ...config.redis, keyPrefix: `conformance-${randomUUID().slice(0, 8)}:` },
    encryptionKey: config.encryptionKey ?? randomBytes(32),
    log: { level: 'silent', pretty: false },
    // The conformance suite's servers listen on localhost.
    mcp: { ...config.mcp, allowPrivateNetworks: true },
  };
  const app = await NestFactory.createApplicationContext(ConformanceModule.register(isolated), {
    logger: false,
  });
  const oauth = app.get(OAuthService);
  const ref: OAuthServerRef = { id: 'conformance', url: serverUrl, client: preRegisteredClient() };
  try {
    for (let attempt = 1; ; attempt++) {
      const provider = oauth.providerFor(ref);
      const client = new Client({ name: 'auxilia-conformance', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider });
      try {
        await client.connect(transport);
        const { tools } = await client.listTools();
        if (tools.some((t) => t.name === 'test-tool'))
          await client.callTool({ name: 'test-tool', arguments: {} });
        return 0;
      } catch (err) {
        const pending = provider.pendingAuthorization();
        if (!(err instanceof UnauthorizedError) || !pending || attempt >= MAX_AUTHORIZATIONS) throw err;
        await authorize(app.get(OAuthCallbackService), pending.authorizationUrl, ref.id);
      } finally {
        await client.close().catch(() => undefined);
      }
    }
  } finally {
    await oauth.forget(ref.id).catch(() => undefined);
    await app.close();
  }
}

/** The conformance authorization server approves at once: its 302 carries the code. */
async function authorize(callbacks: OAuthCallbackService, authorizationUrl: string, serverId: string) {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (!location) throw new Error(`The authorization endpoint answered ${res.status} without a redirect`);
  const back = new URL(location);
  const param = (name: string) => back.searchParams.get(name) ?? undefined;
  const { outcome } = await callbacks.complete(serverId, {
    code: param('code'),
    state: param('state'),
    error: param('error'),
    errorDescription: param('error_description'),
  });
  if (outcome.status !== 'authorized') {
    throw new Error(`Authorization failed: ${outcome.error ?? 'error'} ${outcome.errorDescription ?? ''}`);
  }
}
