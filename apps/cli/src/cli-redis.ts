import type { Redis } from 'ioredis';
import { createRedisClient, type AppConfig } from '@auxilia/core';

/**
 * Runs a command on connections of its own to the configured Redis, one per name. A failure prints one
 * line naming the Redis and the reason, and gives exit code 1: the connection's own error when there was
 * one, which says more than a command's failure after it. The connections are closed either way.
 */
export async function withRedis(
  config: AppConfig,
  names: string[],
  run: (clients: Redis[], target: string) => Promise<number>,
): Promise<number> {
  const target = config.redis.url ? 'REDIS_URL' : `${config.redis.host}:${config.redis.port}`;
  // Connection state lines would only repeat what the result line says.
  const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
  const clients = names.map((name) => createRedisClient(config.redis, name, quiet));
  let lastError: string | undefined;
  for (const client of clients) client.on('error', (err: Error) => (lastError = err.message));
  try {
    return await run(clients, target);
  } catch (err) {
    const reason = lastError ?? (err instanceof Error ? err.message : String(err));
    console.error(`Redis ${target}: FAILED: ${reason}`);
    return 1;
  } finally {
    for (const client of clients) client.disconnect();
  }
}
