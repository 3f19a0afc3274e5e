import { randomBytes } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { OAuthStore } from './oauth.store';
import type { FlowRecord, McpOAuthProvider, OAuthServerRef, PendingAuthorization } from './oauth.types';
import { RefreshCoordinator } from './refresh-coordinator';

export interface ProviderSettings {
  redirectBaseUrl: string;
  callbackTimeoutS: number;
}

type CredentialScope = 'all' | 'client' | 'tokens' | 'verifier' | 'discovery';

export function redirectUrlFor(redirectBaseUrl: string, serverId: string): string {
  return `${redirectBaseUrl}/mcp-servers/${encodeURIComponent(serverId)}/callback`;
}

/**
 * One connection's OAuthClientProvider. Tokens, client registration and discovery live in Redis under
 * the server id, so every instance shares them; a flow in progress lives in one record under its state
 * (see redirectToAuthorization), so the callback can finish it anywhere. Built from a flow record
 * (`flow`), it serves the callback's code exchange from that record alone.
 */
export class RedisOAuthProvider implements McpOAuthProvider {
  readonly redirectUrl: string;
  private currentState?: string;
  private verifier?: string;
  private pending?: PendingAuthorization;
  private readonly refresh: RefreshCoordinator;

  constructor(
    private readonly server: OAuthServerRef,
    private readonly store: OAuthStore,
    private readonly settings: ProviderSettings,
    private readonly logger: LoggerService,
    private readonly flow?: FlowRecord,
  ) {
    this.redirectUrl = flow?.redirectUrl ?? redirectUrlFor(settings.redirectBaseUrl, server.id);
    this.refresh = new RefreshCoordinator(server.id, store);
  }

  get clientMetadata(): OAuthClientMetadata {
    const confidential = Boolean(this.server.client?.clientSecret);
    return {
      client_name: 'auxilia',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: confidential ? 'client_secret_post' : 'none',
    };
  }

  pendingAuthorization(): PendingAuthorization | undefined {
    return this.pending;
  }

  state(): string {
    // Hex, not base64url: users copy the state into commands (`oauth listen <state>`), where a value that
    // starts with '-' (one in 64 base64url states) reads as an option.
    this.currentState = randomBytes(24).toString('hex');
    return this.currentState;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    if (this.flow) return this.flow.client;
    const stored = await this.store.getClient(this.server.id);
    const preRegistered = this.server.client;
    if (!preRegistered) return stored;
    // A stored copy of the pre-registered client carries the issuer it was bound to; a registry edit wins.
    if (stored?.client_id === preRegistered.clientId && stored.client_secret === preRegistered.clientSecret) {
      return stored;
    }
    return { client_id: preRegistered.clientId, client_secret: preRegistered.clientSecret };
  }

  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    if (this.flow) this.flow.client = info;
    await this.store.saveClient(this.server.id, info);
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    if (this.flow) return undefined;
    return this.refresh.tokens();
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    await this.store.saveTokens(this.server.id, tokens);
    await this.refresh.saved();
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }

  codeVerifier(): string {
    const verifier = this.flow?.verifier ?? this.verifier;
    if (!verifier) throw new Error(`No PKCE verifier for MCP server "${this.server.id}"`);
    return verifier;
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    if (this.flow) this.flow.discovery = state;
    await this.store.saveDiscovery(this.server.id, state);
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    if (this.flow) return this.flow.discovery;
    return this.store.getDiscovery(this.server.id);
  }

  async invalidateCredentials(scope: CredentialScope): Promise<void> {
    const all = scope === 'all';
    if (all || scope === 'verifier') this.verifier = undefined;
    if (this.flow) {
      if (all || scope === 'client') this.flow.client = undefined;
      if (all || scope === 'discovery') this.flow.discovery = undefined;
    }
    const id = this.server.id;
    await Promise.all([
      all || scope === 'tokens' ? this.refresh.invalidate() : undefined,
      all || scope === 'client' ? this.store.deleteClient(id) : undefined,
      all || scope === 'discovery' ? this.store.deleteDiscovery(id) : undefined,
    ]);
  }

  /**
   * Records the flow instead of redirecting: the API answers 401 with the URL and the user's browser
   * goes there. It must not throw (the SDK would report that error instead of UnauthorizedError), so a
   * failed write leaves `pendingAuthorization()` undefined and is logged.
   */
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.pending = undefined;
    try {
      const state = authorizationUrl.searchParams.get('state') ?? this.currentState;
      if (!state || !this.verifier)
        throw new Error('the SDK started an authorization without state or verifier');
      const ttlMs = this.settings.callbackTimeoutS * 1000;
      const expiresAt = new Date(Date.now() + ttlMs).toISOString();
      const flow: FlowRecord = {
        state,
        serverId: this.server.id,
        serverUrl: this.server.url,
        redirectUrl: this.redirectUrl,
        authorizationUrl: authorizationUrl.href,
        verifier: this.verifier,
        client: await this.clientInformation(),
        discovery: await this.discoveryState(),
        scope: authorizationUrl.searchParams.get('scope') ?? undefined,
        resource: authorizationUrl.searchParams.get('resource') ?? undefined,
        expiresAt,
      };
      await this.store.saveFlow(flow, ttlMs);
      this.pending = { serverId: this.server.id, authorizationUrl: authorizationUrl.href, state, expiresAt };
    } catch (err) {
      this.logger.error(
        `Could not record the authorization flow of MCP server "${this.server.id}": ${err instanceof Error ? err.message : String(err)}`,
        undefined,
        'OAuth',
      );
    }
  }
}
