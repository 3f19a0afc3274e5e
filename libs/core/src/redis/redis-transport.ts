import { Logger } from '@nestjs/common';
import { ClientRedis, ServerRedis, type RedisOptions } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { reconnectDelay, watchConnection, type RedisSettings } from './redis-connection';

type TransportOptions = NonNullable<RedisOptions['options']>;

/** The Redis transport's connection options, from the same settings as the command connection. */
export function redisTransportOptions(settings: RedisSettings): TransportOptions {
  const base: TransportOptions = { host: settings.host, port: settings.port, password: settings.password };
  if (settings.url) {
    const u = new URL(settings.url);
    Object.assign(base, {
      host: u.hostname,
      port: u.port ? Number(u.port) : 6379,
      username: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
      tls: u.protocol === 'rediss:' ? {} : undefined,
    });
  }
  return { ...base, wildcards: true, maxRetriesPerRequest: 1 } as TransportOptions;
}

const serverLogger = new Logger('RedisEvents');

/**
 * The Redis-transport server, kept alive across Redis outages. The stock server logs every failed retry,
 * gives up after `retryAttempts`, and never subscribes if Redis is down when it starts; this one starts
 * at once, subscribes on the first `ready` (ioredis re-subscribes after each reconnect) and logs state
 * changes only.
 */
export class ResilientRedisServer extends ServerRedis {
  override registerErrorListener(client: Redis): void {
    watchConnection(client, client === this.subClient ? 'events-sub' : 'events-pub', serverLogger);
  }
  override registerReconnectListener(): void {}
  override registerReadyListener(): void {}
  override registerEndListener(): void {}

  override createRetryStrategy(times: number): number | undefined {
    return this.isManuallyClosed ? undefined : reconnectDelay(times);
  }

  override start(callback?: () => void): void {
    const sub = this.subClient as Redis;
    let bound = false;
    sub.on('ready', () => {
      if (bound) return;
      bound = true;
      this.bindEvents(this.subClient, this.pubClient);
    });
    // The first attempt may fail while Redis is down; ioredis keeps retrying with the strategy above.
    void sub.connect().catch(() => undefined);
    void (this.pubClient as Redis).connect().catch(() => undefined);
    callback?.();
  }
}

const clientLogger = new Logger('RedisEventsClient');

/** The matching ClientProxy: backoff for ever, one log line per state change. */
export class ResilientRedisClient extends ClientRedis {
  override registerErrorListener(client: Redis): void {
    watchConnection(client, 'events-client', clientLogger);
  }
  override createRetryStrategy(times: number): number | undefined {
    return this.isManuallyClosed ? undefined : reconnectDelay(times);
  }
}
