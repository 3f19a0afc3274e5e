import { hasRedisServerBinary, NO_REDIS_MESSAGE, startThrowawayRedis } from './redis-server';

/**
 * One throwaway redis-server for the whole run (or the REDIS_URL the caller gave).
 * Workers read it from TEST_REDIS_URL; each test isolates itself with its own key prefix.
 */
export default async function setup(): Promise<void> {
  if (process.env.REDIS_URL) {
    process.env.TEST_REDIS_URL = process.env.REDIS_URL;
    return;
  }
  if (!hasRedisServerBinary()) {
    process.stderr.write(`\n${NO_REDIS_MESSAGE}\n`);
    process.exit(1);
  }
  const redis = await startThrowawayRedis();
  process.env.TEST_REDIS_URL = redis.url;
  (globalThis as { __auxiliaRedis?: typeof redis }).__auxiliaRedis = redis;
}
