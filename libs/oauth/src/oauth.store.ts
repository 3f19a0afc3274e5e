import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FlowRecord, OAuthOutcome } from './oauth.types';

/** Tokens as stored, with when they were saved (the SDK's tokens carry a lifetime, not an expiry). */
export interface StoredTokens {
  tokens: OAuthTokens;
  savedAt: number;
  /** The stored value as read, to delete it only if nobody has replaced it since. */
  version: string;
}

/** Where a state stands, for a waiter that arrives before or while the callback runs. */
export interface FlowStatus {
  /** The flow record still waits for its callback; ms before it expires. */
  pendingMs?: number;
  /** The callback took the record and is exchanging the code; ms before the marker expires. */
  exchangingMs?: number;
}

/** Persistence of the OAuth client side: the repository behind OAuthService and its providers. */
export abstract class OAuthStore {
  abstract getTokens(serverId: string): Promise<StoredTokens | undefined>;
  abstract saveTokens(serverId: string, tokens: OAuthTokens): Promise<void>;
  /** Deletes the tokens; with `version`, only when they are still the ones read as that version. */
  abstract deleteTokens(serverId: string, version?: string): Promise<void>;

  abstract getClient(serverId: string): Promise<OAuthClientInformationMixed | undefined>;
  abstract saveClient(serverId: string, client: OAuthClientInformationMixed): Promise<void>;
  abstract deleteClient(serverId: string): Promise<void>;

  abstract getDiscovery(serverId: string): Promise<OAuthDiscoveryState | undefined>;
  abstract saveDiscovery(serverId: string, state: OAuthDiscoveryState): Promise<void>;
  abstract deleteDiscovery(serverId: string): Promise<void>;

  abstract saveFlow(flow: FlowRecord, ttlMs: number): Promise<void>;
  /** Returns the flow once and removes it atomically; undefined for an unknown, expired or used state. */
  abstract takeFlow(serverId: string, state: string): Promise<FlowRecord | undefined>;
  abstract flowStatus(serverId: string, state: string): Promise<FlowStatus>;

  abstract saveOutcome(outcome: OAuthOutcome, ttlMs: number): Promise<void>;
  abstract getOutcome(state: string): Promise<OAuthOutcome | undefined>;

  /** A lock with a lifetime; true when this caller holds it now. */
  abstract tryLock(serverId: string, owner: string, ttlMs: number): Promise<boolean>;
  abstract unlock(serverId: string, owner: string): Promise<void>;

  /** Tokens, client registration and discovery state of one server. */
  abstract forget(serverId: string): Promise<void>;
}
