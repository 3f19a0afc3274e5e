import { Logger, type LoggerService } from '@nestjs/common';
import type { Socket } from 'node:net';
import { Redis, type Command, type RedisOptions } from 'ioredis';
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

type WriteTarget = Parameters<Redis['sendCommand']>[1];

/**
 * A client whose commands of one turn of the event loop leave in one socket write. The socket is corked
 * at the turn's first command and uncorked once the turn's code and promise jobs have run
 * (`process.nextTick`), so nothing waits for a later turn. Under load the replies to many runs' commands
 * come in one read, and each run sends its next command in that same turn: one system call for all of
 * them, where each was one, and Redis reads them together too. Replies and their order are unchanged.
 */
export class CoalescingRedis extends Redis {
  private corked: Socket | undefined;

  override sendCommand(command: Command, stream?: WriteTarget): unknown {
    const socket = this.stream as Socket | undefined;
    if (socket && socket !== this.corked && socket.writable) {
      this.corked = socket;
      socket.cork();
      process.nextTick(() => {
        this.corked = undefined;
        socket.uncork();
      });
    }
    return super.sendCommand(command, stream);
  }
}

export function createRedisClient(
  settings: RedisSettings,
  connectionName: string,
  logger?: LoggerService,
): Redis {
  const options = redisOptions(settings, connectionName);
  const client = settings.url ? new CoalescingRedis(settings.url, options) : new CoalescingRedis(options);
  watchConnection(client, connectionName, logger);
  return client;
}
