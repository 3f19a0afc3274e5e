import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed } from '@modelcontextprotocol/sdk/shared/auth.js';

/** What OAuth needs to know about one MCP server; the registry owns the rest. */
export interface OAuthServerRef {
  id: string;
  url: string;
  /** A client registered with the authorization server beforehand; without one the SDK registers dynamically. */
  client?: { clientId: string; clientSecret?: string };
}

/** An authorization the user still has to complete in a browser. */
export interface PendingAuthorization {
  serverId: string;
  authorizationUrl: string;
  state: string;
  /** ISO 8601: when the state stops being accepted by the callback. */
  expiresAt: string;
}

/**
 * The MCP SDK's OAuthClientProvider, backed by Redis. After a connection or request failed with the
 * SDK's UnauthorizedError, `pendingAuthorization()` holds the authorization the user has to complete;
 * it is undefined when the flow could not be recorded (Redis unavailable).
 */
export interface McpOAuthProvider extends OAuthClientProvider {
  pendingAuthorization(): PendingAuthorization | undefined;
}

export type OAuthOutcomeStatus = 'authorized' | 'error';

/** The result of one callback, published on `auth:callback:{state}`. Never carries the code or a token. */
export interface OAuthOutcome {
  serverId: string;
  state: string;
  status: OAuthOutcomeStatus;
  error?: string;
  errorDescription?: string;
}

/**
 * Everything the callback needs to finish one authorization on any instance, without the registry.
 * Stored encrypted (it holds the PKCE verifier and maybe a client secret) under its state.
 */
export interface FlowRecord {
  state: string;
  serverId: string;
  serverUrl: string;
  redirectUrl: string;
  authorizationUrl: string;
  verifier: string;
  client?: OAuthClientInformationMixed;
  discovery?: OAuthDiscoveryState;
  scope?: string;
  resource?: string;
  expiresAt: string;
}

/** The Redis pub/sub channel of one state's outcome (not under the key prefix: states are random). */
export const CALLBACK_CHANNEL_PREFIX = 'auth:callback:';
export function callbackChannel(state: string): string {
  return CALLBACK_CHANNEL_PREFIX + state;
}

/** Injection token of the Redis-transport ClientProxy that publishes outcomes. */
export const OAUTH_EVENTS = Symbol('OAUTH_EVENTS');
