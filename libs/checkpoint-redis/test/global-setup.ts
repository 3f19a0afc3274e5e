import type { TestProject } from 'vitest/node';
import { hasRedisServerBinary, NO_REDIS_MESSAGE, startThrowawayRedis } from '../../testing/src/redis-server';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** One Redis for the run: a throwaway server, or the REDIS_URL the caller gave. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL);
    return undefined;
  }
  if (!hasRedisServerBinary()) throw new Error(NO_REDIS_MESSAGE);
  const redis = await startThrowawayRedis();
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
