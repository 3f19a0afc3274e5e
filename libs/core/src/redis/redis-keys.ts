/**
 * Builds every key the service writes, under the configured prefix. The prefix is applied here, not by
 * ioredis' keyPrefix, because that option silently skips SCAN patterns, pub/sub channels and the keys
 * those return.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }
}
