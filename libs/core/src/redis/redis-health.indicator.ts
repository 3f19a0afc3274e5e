import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { REDIS } from './redis.tokens';

const PING_TIMEOUT_MS = 1000;
const LOST = new Set(['reconnecting', 'end', 'close']);

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'redis') {
    const indicator = this.health.check(key);
    // A client that lost Redis would queue the PING: report it down at once. One still making its first
    // connection (just after start) gets the PING's time to finish it.
    if (LOST.has(this.redis.status)) return indicator.down({ message: `connection ${this.redis.status}` });
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('PING timed out')), PING_TIMEOUT_MS);
        }),
      ]);
      return indicator.up({ latencyMs: Math.round((performance.now() - started) * 100) / 100 });
    } catch (err) {
      return indicator.down({ message: err instanceof Error ? err.message : String(err) });
    } finally {
      clearTimeout(timer);
    }
  }
}
