import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { DecryptionError, REDIS, RedisKeys, RedisScript, SecretCipher } from '@auxilia/core';
import { OAuthStore, type FlowStatus, type StoredTokens } from './oauth.store';
import type { FlowRecord, OAuthOutcome } from './oauth.types';

/** How long the "exchange in progress" marker lives after the callback took a flow. */
export const EXCHANGE_MARKER_MS = 120_000;

// Take the flow and leave a marker in one step, so a waiter never sees the state vanish mid-exchange.
const TAKE_FLOW = new RedisScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return v`);

const DELETE_IF_EQUAL = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** Where the outcome of a state is kept for late waiters (the CLI reads it too). */
export function outcomeKey(keys: RedisKeys, state: string): string {
  return keys.key('oauth', 'outcome', state);
}

interface SealedTokens {
  tokens: OAuthTokens;
  savedAt: number;
}

/**
 * Keys of one server share the hash tag `{oauth:ID}`, so the take script stays on one Cluster slot.
 * Secrets are sealed with the cipher; the associated data names what a value is for, so a value moved
 * under another server's key does not decrypt.
 */
@Injectable()
export class RedisOAuthStore extends OAuthStore {
  private readonly logger = new Logger('OAuthStore');

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly cipher: SecretCipher,
  ) {
    super();
  }

  private key(serverId: string, ...parts: string[]): string {
    return this.keys.key(`{oauth:${serverId}}`, ...parts);
  }

  private open<T>(sealed: string | null, context: string): T | undefined {
    if (sealed === null) return undefined;
    try {
      return this.cipher.decryptJson<T>(sealed, context);
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      // A changed ENCRYPTION_KEY makes old values unreadable: treat them as absent and authorize again.
      this.logger.warn(`Ignoring an OAuth value that does not decrypt with the current key (${context})`);
      return undefined;
    }
  }

  async getTokens(serverId: string): Promise<StoredTokens | undefined> {
    const sealed = await this.redis.get(this.key(serverId, 'tokens'));
    const value = this.open<SealedTokens>(sealed, `tokens:${serverId}`);
    return value && sealed ? { ...value, version: sealed } : undefined;
  }

  async saveTokens(serverId: string, tokens: OAuthTokens): Promise<void> {
    const value: SealedTokens = { tokens, savedAt: Date.now() };
    await this.redis.set(this.key(serverId, 'tokens'), this.cipher.encryptJson(value, `tokens:${serverId}`));
  }

  async deleteTokens(serverId: string, version?: string): Promise<void> {
    const key = this.key(serverId, 'tokens');
    if (version === undefined) await this.redis.del(key);
    else await DELETE_IF_EQUAL.run(this.redis, [key], [version]);
  }

  async getClient(serverId: string): Promise<OAuthClientInformationMixed | undefined> {
    const sealed = await this.redis.get(this.key(serverId, 'client'));
    return this.open<OAuthClientInformationMixed>(sealed, `client:${serverId}`);
  }

  async saveClient(serverId: string, client: OAuthClientInformationMixed): Promise<void> {
    await this.redis.set(this.key(serverId, 'client'), this.cipher.encryptJson(client, `client:${serverId}`));
  }

  async deleteClient(serverId: string): Promise<void> {
    await this.redis.del(this.key(serverId, 'client'));
  }

  async getDiscovery(serverId: string): Promise<OAuthDiscoveryState | undefined> {
    const raw = await this.redis.get(this.key(serverId, 'discovery'));
    return raw === null ? undefined : (JSON.parse(raw) as OAuthDiscoveryState);
  }

  // Public metadata only (endpoints, scopes): kept readable for troubleshooting.
  async saveDiscovery(serverId: string, state: OAuthDiscoveryState): Promise<void> {
    await this.redis.set(this.key(serverId, 'discovery'), JSON.stringify(state));
  }

  async deleteDiscovery(serverId: string): Promise<void> {
    await this.redis.del(this.key(serverId, 'discovery'));
  }

  async saveFlow(flow: FlowRecord, ttlMs: number): Promise<void> {
    const context = `flow:${flow.serverId}:${flow.state}`;
    await this.redis.set(
      this.key(flow.serverId, 'flow', flow.state),
      this.cipher.encryptJson(flow, context),
      'PX',
      Math.max(1, Math.round(ttlMs)),
    );
  }

  async takeFlow(serverId: string, state: string): Promise<FlowRecord | undefined> {
    const sealed = (await TAKE_FLOW.run(
      this.redis,
      [this.key(serverId, 'flow', state), this.key(serverId, 'exchanging', state)],
      [EXCHANGE_MARKER_MS],
    )) as string | null;
    const flow = this.open<FlowRecord>(sealed, `flow:${serverId}:${state}`);
    return flow?.serverId === serverId && flow.state === state ? flow : undefined;
  }

  async flowStatus(serverId: string, state: string): Promise<FlowStatus> {
    const [pending, exchanging] = await Promise.all([
      this.redis.pttl(this.key(serverId, 'flow', state)),
      this.redis.pttl(this.key(serverId, 'exchanging', state)),
    ]);
    return {
      pendingMs: pending > 0 ? pending : undefined,
      exchangingMs: exchanging > 0 ? exchanging : undefined,
    };
  }

  async saveOutcome(outcome: OAuthOutcome, ttlMs: number): Promise<void> {
    await this.redis.set(outcomeKey(this.keys, outcome.state), JSON.stringify(outcome), 'PX', ttlMs);
  }

  async getOutcome(state: string): Promise<OAuthOutcome | undefined> {
    const raw = await this.redis.get(outcomeKey(this.keys, state));
    return raw === null ? undefined : (JSON.parse(raw) as OAuthOutcome);
  }

  async tryLock(serverId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.key(serverId, 'refresh-lock'), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlock(serverId: string, owner: string): Promise<void> {
    await DELETE_IF_EQUAL.run(this.redis, [this.key(serverId, 'refresh-lock')], [owner]);
  }

  async forget(serverId: string): Promise<void> {
    await this.redis.del(
      this.key(serverId, 'tokens'),
      this.key(serverId, 'client'),
      this.key(serverId, 'discovery'),
    );
  }
}
