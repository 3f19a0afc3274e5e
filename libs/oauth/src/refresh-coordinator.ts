import { randomUUID } from 'node:crypto';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { OAuthStore } from './oauth.store';

export interface RefreshTimings {
  /** Lifetime of the lock: a refresh that crashes blocks the others no longer than this. */
  lockMs: number;
  pollMs: number;
  /** Tokens this close to their expiry count as expired. */
  skewMs: number;
}

const DEFAULTS: RefreshTimings = { lockMs: 15_000, pollMs: 100, skewMs: 5_000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes one instance refresh a server's expired tokens while the others wait and re-read. The SDK gives
 * no hook around its refresh, but it always reads `tokens()` just before: a reader that finds the
 * access token expired takes a Redis lock and keeps it until `saveTokens` (or an invalidation) follows;
 * a reader that cannot take it waits until the stored tokens change or the lock is free.
 * Rotating refresh tokens make this matter: two concurrent refreshes with one token fail one of them.
 */
export class RefreshCoordinator {
  private owner?: string;
  private ownedUntil = 0;
  private readVersion?: string;
  private readonly timings: RefreshTimings;

  constructor(
    private readonly serverId: string,
    private readonly store: OAuthStore,
    timings: Partial<RefreshTimings> = {},
  ) {
    this.timings = { ...DEFAULTS, ...timings };
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    const first = await this.store.getTokens(this.serverId);
    if (!first) return this.read(undefined);
    // The margin shrinks for short-lived tokens, or they would count as expired from the start.
    const expired = (s: typeof first) => {
      if (s.tokens.expires_in === undefined) return false;
      const lifetimeMs = s.tokens.expires_in * 1000;
      return s.savedAt + lifetimeMs - Math.min(this.timings.skewMs, lifetimeMs / 10) <= Date.now();
    };
    if (this.holdsLock() || !first.tokens.refresh_token || !expired(first)) return this.read(first);
    const deadline = Date.now() + this.timings.lockMs;
    let current = first;
    for (;;) {
      const owner = randomUUID();
      if (await this.store.tryLock(this.serverId, owner, this.timings.lockMs)) {
        this.owner = owner;
        this.ownedUntil = Date.now() + this.timings.lockMs;
        // Someone may have refreshed between the read and the lock.
        return this.read(await this.store.getTokens(this.serverId));
      }
      if (Date.now() >= deadline) return this.read(current);
      await sleep(this.timings.pollMs);
      const next = await this.store.getTokens(this.serverId);
      if (!next || next.version !== current.version) {
        if (!next || !expired(next)) return this.read(next);
        current = next;
      }
    }
  }

  /** New tokens are stored: let the waiting instances read them. */
  async saved(): Promise<void> {
    this.readVersion = undefined;
    await this.release();
  }

  /** The server refused the tokens: delete them unless another instance has replaced them meanwhile. */
  async invalidate(): Promise<void> {
    await this.store.deleteTokens(this.serverId, this.readVersion);
    this.readVersion = undefined;
    await this.release();
  }

  private read(stored: Awaited<ReturnType<OAuthStore['getTokens']>>): OAuthTokens | undefined {
    this.readVersion = stored?.version;
    return stored?.tokens;
  }

  private holdsLock(): boolean {
    return this.owner !== undefined && Date.now() < this.ownedUntil;
  }

  private async release(): Promise<void> {
    const owner = this.owner;
    this.owner = undefined;
    if (owner) await this.store.unlock(this.serverId, owner);
  }
}
