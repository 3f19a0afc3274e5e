import { Logger, type LoggerService } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/config';

export type RedisSettings = AppConfig['redis'];

/** Backoff between reconnect attempts: 100 ms doubling, capped at 5 s, for ever. */
export function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt, 6), 5000);
}

/** ioredis options shared by every connection: backoff for ever, commands fail fast while down. */
export function redisOptions(settings: RedisSettings, connectionName: string): RedisOptions {
  return {
    ...(settings.url ? {} : { host: settings.host, port: settings.port, password: settings.password }),
    connectionName,
    retryStrategy: reconnectDelay,
    // While Redis is down a request gets an error at once instead of waiting in a queue for minutes.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 5000,
  };
}

/**
 * Logs one line per state change (up → down → up), never one per failed retry: a Redis that is away
 * for an hour must not fill the logs.
 */
export function watchConnection(
  client: Redis,
  name: string,
  logger: LoggerService = new Logger('Redis'),
): void {
  let state: 'starting' | 'up' | 'down' = 'starting';
  client.on('ready', () => {
    if (state !== 'up') logger.log(`${name}: connected to Redis`);
    state = 'up';
  });
  client.on('error', (err: Error) => {
    if (state === 'down') return;
    state = 'down';
    logger.error(`${name}: Redis unavailable (${err.message}); reconnecting with backoff`);
  });
  // With a retry strategy that never gives up, 'end' only follows a deliberate quit: nothing to report.
  client.on('end', () => {
    state = 'down';
  });
}

export function createRedisClient(
  settings: RedisSettings,
  connectionName: string,
  logger?: LoggerService,
): Redis {
  const options = redisOptions(settings, connectionName);
  const client = settings.url ? new Redis(settings.url, options) : new Redis(options);
  watchConnection(client, connectionName, logger);
  return client;
}
