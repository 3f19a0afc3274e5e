import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisScript } from './redis-script';

const INCR_BY = new RedisScript(`return redis.call('INCRBY', KEYS[1], ARGV[1])`);

describe('RedisScript', () => {
  let redis: Redis;
  const key = `test:redis-script:${randomUUID()}`;

  beforeAll(() => {
    redis = new Redis(process.env.TEST_REDIS_URL ?? '', { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await redis.del(key);
    redis.disconnect();
  });

  it('loads itself into a server that does not know it, then runs by its SHA1', async () => {
    await redis.script('FLUSH');
    expect(await redis.script('EXISTS', INCR_BY.sha)).toEqual([0]);
    expect(await INCR_BY.run(redis, [key], [2])).toBe(2);
    expect(await redis.script('EXISTS', INCR_BY.sha)).toEqual([1]);
    expect(await INCR_BY.run(redis, [key], [3])).toBe(5);
  });

  it('passes errors of the script itself through', async () => {
    await redis.set(key, 'not a number');
    await expect(INCR_BY.run(redis, [key], [1])).rejects.toThrow(/not an integer/);
  });
});
