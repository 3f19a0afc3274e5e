import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { filter, lastValueFrom, Subject, timeout, type Observable } from 'rxjs';
import { OAuthStore } from './oauth.store';
import { callbackChannel, OAUTH_EVENTS, type OAuthOutcome } from './oauth.types';

/** How long an outcome stays readable for a waiter that subscribes after it was published. */
export const OUTCOME_TTL_MS = 120_000;
const PUBLISH_TIMEOUT_MS = 5_000;
const REMEMBERED_STATES = 1_000;

export function isOAuthOutcome(value: unknown): value is OAuthOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.serverId === 'string' &&
    typeof v.state === 'string' &&
    (v.status === 'authorized' || v.status === 'error')
  );
}

/**
 * Outcomes of callbacks, on this instance. Outcomes arrive from the callback controller of this instance
 * and, over the Redis transport, from every instance (this one included): each is delivered to local
 * waiters, and `authorized$` reports each authorized state once.
 */
@Injectable()
export class OAuthEvents {
  private readonly logger = new Logger('OAuthEvents');
  private readonly outcomes = new Subject<OAuthOutcome>();
  private readonly authorized = new Subject<{ serverId: string; state: string }>();
  private readonly seen = new Set<string>();
  readonly authorized$: Observable<{ serverId: string; state: string }> = this.authorized.asObservable();

  constructor(
    @Inject(OAUTH_EVENTS) private readonly client: ClientProxy,
    private readonly store: OAuthStore,
  ) {}

  /** Keeps the outcome for late waiters, delivers it here at once, then tells the other instances. */
  async publish(outcome: OAuthOutcome): Promise<void> {
    try {
      await this.store.saveOutcome(outcome, OUTCOME_TTL_MS);
    } catch (err) {
      this.logger.error(`Could not store the outcome of an authorization: ${describe(err)}`);
    }
    this.deliver(outcome);
    try {
      await lastValueFrom(
        this.client.emit(callbackChannel(outcome.state), outcome).pipe(timeout(PUBLISH_TIMEOUT_MS)),
        { defaultValue: undefined },
      );
    } catch (err) {
      this.logger.error(`Could not publish the outcome of an authorization: ${describe(err)}`);
    }
  }

  deliver(outcome: OAuthOutcome): void {
    const first = !this.seen.has(outcome.state);
    if (first) {
      this.seen.add(outcome.state);
      // Insertion order makes the first entry the oldest.
      if (this.seen.size > REMEMBERED_STATES) this.seen.delete(this.seen.values().next().value as string);
    }
    this.outcomes.next(outcome);
    if (first && outcome.status === 'authorized') {
      this.authorized.next({ serverId: outcome.serverId, state: outcome.state });
    }
  }

  outcomesOf(state: string): Observable<OAuthOutcome> {
    return this.outcomes.pipe(filter((o) => o.state === state));
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
