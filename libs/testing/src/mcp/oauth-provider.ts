import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import {
  AccessDeniedError,
  InvalidGrantError,
  InvalidTargetError,
  InvalidTokenError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type {
  AuthorizationParams,
  OAuthServerProvider,
} from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type {
  OAuthClientInformationFull,
  OAuthTokenRevocationRequest,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { InMemoryClientsStore, type PreRegisteredClient } from './oauth-clients';

/** Knobs a test may flip while the server runs (see `configure`). */
export interface OAuthBehaviour {
  /** /authorize redirects back with error=access_denied instead of a code. */
  deny: boolean;
  /** Every refresh_token grant fails with invalid_grant. */
  rejectRefresh: boolean;
  /** Lifetime of access tokens issued from now on. */
  accessTokenTtlSeconds: number;
  /**
   * After the MCP endpoint answered insufficient_scope for a token, that grant's refresh token is
   * refused with invalid_grant. The SDK's auth() refreshes before it authorizes, and a refresh can
   * never widen the scope, so without this the client retries with the same scopes and gives up.
   */
  stepUpRevokesRefreshToken: boolean;
}

export interface AuthorizeParamsRecord {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state?: string;
  resource?: string;
  codeChallenge: string;
}

export interface OAuthFixtureStats {
  registrations: number;
  authorizationRequests: number;
  tokenRequests: { authorization_code: number; refresh_token: number };
  lastAuthorizeParams?: AuthorizeParamsRecord;
  issuedAccessTokens: string[];
  issuedRefreshTokens: string[];
  issuedCodes: string[];
  /** HTTP 403 insufficient_scope answers sent by the MCP endpoint. */
  stepUpChallenges: number;
}

interface Grant {
  id: string;
  clientId: string;
  scopes: string[];
  resource: string;
}

interface PendingCode {
  grant: Grant;
  codeChallenge: string;
  redirectUri: string;
  expiresAt: number;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
}

const CODE_TTL_MS = 60_000;

function secret(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

// RFC 8707 resources are compared without fragment and without one trailing slash.
function sameResource(a: string, b: string): boolean {
  const norm = (v: string) => v.split('#')[0].replace(/\/$/, '');
  return norm(a) === norm(b);
}

export interface InMemoryOAuthProviderOptions {
  clients?: PreRegisteredClient[];
  /** Granted when the client asks for none; the only scopes advertised in metadata. */
  defaultScopes: string[];
  /** Granted on request but not advertised, so that asking for them takes a step-up. */
  extraScopes: string[];
  /** RFC 8707 resource indicators this authorization server issues tokens for. */
  resources: string[];
  behaviour: OAuthBehaviour;
}

/** An authorization server that keeps everything in memory and approves every request itself. */
export class InMemoryOAuthProvider implements OAuthServerProvider {
  readonly stats: OAuthFixtureStats = {
    registrations: 0,
    authorizationRequests: 0,
    tokenRequests: { authorization_code: 0, refresh_token: 0 },
    lastAuthorizeParams: undefined,
    issuedAccessTokens: [],
    issuedRefreshTokens: [],
    issuedCodes: [],
    stepUpChallenges: 0,
  };
  readonly behaviour: OAuthBehaviour;
  readonly clientsStore: InMemoryClientsStore;
  private readonly codes = new Map<string, PendingCode>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, Grant>();
  private readonly steppedUpGrants = new Set<string>();

  constructor(private readonly options: InMemoryOAuthProviderOptions) {
    this.behaviour = { ...options.behaviour };
    this.clientsStore = new InMemoryClientsStore(options.clients ?? [], () => this.stats.registrations++);
  }

  async authorize(
    client: OAuthClientInformationFull,
    params: AuthorizationParams,
    res: Response,
  ): Promise<void> {
    this.stats.authorizationRequests++;
    const resource = params.resource?.href;
    this.stats.lastAuthorizeParams = {
      clientId: client.client_id,
      redirectUri: params.redirectUri,
      scopes: params.scopes ?? [],
      state: params.state,
      resource,
      codeChallenge: params.codeChallenge,
    };
    // Thrown OAuth errors are turned into an error redirect by the SDK's handler.
    if (this.behaviour.deny) throw new AccessDeniedError('The resource owner denied the request');
    if (!resource) throw new InvalidTargetError('The resource parameter (RFC 8707) is required');
    if (!this.options.resources.some((r) => sameResource(r, resource))) {
      throw new InvalidTargetError(`Unknown resource ${resource}`);
    }
    const known = new Set([...this.options.defaultScopes, ...this.options.extraScopes]);
    // Like many real servers, unknown scopes are dropped rather than refused.
    const granted = (params.scopes ?? []).filter((s) => known.has(s));
    const code = secret('code');
    this.codes.set(code, {
      grant: {
        id: secret('grant'),
        clientId: client.client_id,
        scopes: granted.length > 0 ? granted : [...this.options.defaultScopes],
        resource,
      },
      codeChallenge: params.codeChallenge,
      redirectUri: params.redirectUri,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    this.stats.issuedCodes.push(code);
    const target = new URL(params.redirectUri);
    target.searchParams.set('code', code);
    if (params.state !== undefined) target.searchParams.set('state', params.state);
    res.redirect(302, target.href);
  }

  async challengeForAuthorizationCode(
    client: OAuthClientInformationFull,
    authorizationCode: string,
  ): Promise<string> {
    return this.pendingCode(client, authorizationCode).codeChallenge;
  }

  async exchangeAuthorizationCode(
    client: OAuthClientInformationFull,
    authorizationCode: string,
    _codeVerifier?: string,
    redirectUri?: string,
    resource?: URL,
  ): Promise<OAuthTokens> {
    this.stats.tokenRequests.authorization_code++;
    const pending = this.pendingCode(client, authorizationCode);
    // Codes are single-use, whatever the outcome of this exchange.
    this.codes.delete(authorizationCode);
    if (redirectUri !== undefined && redirectUri !== pending.redirectUri) {
      throw new InvalidGrantError('redirect_uri differs from the one used to authorize');
    }
    if (resource && !sameResource(resource.href, pending.grant.resource)) {
      throw new InvalidTargetError('resource differs from the one used to authorize');
    }
    return this.issueTokens(pending.grant);
  }

  async exchangeRefreshToken(
    client: OAuthClientInformationFull,
    refreshToken: string,
    scopes?: string[],
    resource?: URL,
  ): Promise<OAuthTokens> {
    this.stats.tokenRequests.refresh_token++;
    if (this.behaviour.rejectRefresh)
      throw new InvalidGrantError('Refresh tokens are rejected by this server');
    const grant = this.refreshTokens.get(refreshToken);
    if (!grant || grant.clientId !== client.client_id) throw new InvalidGrantError('Unknown refresh token');
    // Rotation: a refresh token is good for one use.
    this.refreshTokens.delete(refreshToken);
    if (this.behaviour.stepUpRevokesRefreshToken && this.steppedUpGrants.has(grant.id)) {
      throw new InvalidGrantError('The grant lacks a scope the resource requires; authorize again');
    }
    if (resource && !sameResource(resource.href, grant.resource)) {
      throw new InvalidTargetError('resource differs from the one used to authorize');
    }
    if (scopes?.some((s) => !grant.scopes.includes(s))) {
      throw new InvalidGrantError('A refresh cannot widen the granted scope');
    }
    return this.issueTokens(scopes?.length ? { ...grant, scopes } : grant);
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const found = this.accessTokens.get(token);
    if (!found) throw new InvalidTokenError('Unknown or revoked access token');
    return {
      token,
      clientId: found.grant.clientId,
      scopes: [...found.grant.scopes],
      expiresAt: found.expiresAt,
      resource: new URL(found.grant.resource),
    };
  }

  async revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    const access = this.accessTokens.get(request.token);
    if (access?.grant.clientId === client.client_id) this.accessTokens.delete(request.token);
    if (this.refreshTokens.get(request.token)?.clientId === client.client_id)
      this.refreshTokens.delete(request.token);
  }

  /** Records that the resource asked this token's grant for more scope (see stepUpRevokesRefreshToken). */
  markStepUp(accessToken: string): void {
    this.stats.stepUpChallenges++;
    const found = this.accessTokens.get(accessToken);
    if (found) this.steppedUpGrants.add(found.grant.id);
  }

  revokeAll(): void {
    this.codes.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
  }

  private pendingCode(client: OAuthClientInformationFull, code: string): PendingCode {
    const pending = this.codes.get(code);
    if (!pending || pending.grant.clientId !== client.client_id || pending.expiresAt < Date.now()) {
      throw new InvalidGrantError('Unknown, expired or foreign authorization code');
    }
    return pending;
  }

  private issueTokens(grant: Grant): OAuthTokens {
    const ttl = this.behaviour.accessTokenTtlSeconds;
    const accessToken = secret('at');
    const refreshToken = secret('rt');
    // Fractional seconds: with a 1 s lifetime a whole-second expiry could lapse almost at once.
    this.accessTokens.set(accessToken, { grant, expiresAt: Date.now() / 1000 + ttl });
    this.refreshTokens.set(refreshToken, grant);
    this.stats.issuedAccessTokens.push(accessToken);
    this.stats.issuedRefreshTokens.push(refreshToken);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ttl,
      refresh_token: refreshToken,
      scope: grant.scopes.join(' '),
    };
  }
}
