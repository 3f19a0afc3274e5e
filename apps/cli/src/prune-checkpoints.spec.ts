import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { Redis } from 'ioredis';
import { loadConfig, RedisKeys } from '@auxilia/core';
import { threadCheckpointer } from '@auxilia/agents';
import { freePort } from '@auxilia/testing';
import { pruneCheckpoints } from './prune-checkpoints';

const url = process.env.TEST_REDIS_URL!;
const prefix = `prune-cli-${randomUUID().slice(0, 8)}:`;
let redis: Redis;
const printed: string[] = [];

beforeAll(() => {
  redis = new Redis(url);
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
});

afterEach(() => {
  printed.length = 0;
});

afterAll(async () => {
  jest.restoreAllMocks();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function keysOf(threadId: string, part: string): Promise<string[]> {
  return (await redis.keys(`${prefix}*{thread:${threadId}}*`)).filter((key) => key.includes(part));
}

describe('prune-checkpoints', () => {
  it("leaves every thread with its latest checkpoint, under the service's keys", async () => {
    const saver = threadCheckpointer(redis, new RedisKeys(prefix), 'all');
    const latest = new Map<string, Checkpoint>();
    for (const threadId of ['first', 'second']) {
      let config: RunnableConfig = { configurable: { thread_id: threadId } };
      for (let step = 1; step <= 4; step++) {
        const checkpoint = {
          ...emptyCheckpoint(),
          id: uuid6(-1),
          channel_values: { n: step },
          channel_versions: { n: step },
        };
        config = await saver.put(config, checkpoint, { source: 'loop', step, parents: {} }, { n: step });
        await saver.putWrites(config, [['n', step + 1]], 'task');
        latest.set(threadId, checkpoint);
      }
    }

    const code = await pruneCheckpoints(loadConfig({ REDIS_URL: url, REDIS_KEY_PREFIX: prefix }));

    expect(code).toBe(0);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(
      /^Redis REDIS_URL: 2 threads, 6 earlier checkpoints removed; used_memory [\d.]+ → [\d.]+ MB$/,
    );
    for (const threadId of ['first', 'second']) {
      expect(await keysOf(threadId, ':checkpoint:')).toHaveLength(1);
      expect(await keysOf(threadId, ':writes:')).toHaveLength(1);
      const tuple = await saver.getTuple({ configurable: { thread_id: threadId } });
      expect(tuple?.checkpoint).toEqual(latest.get(threadId));
      expect(tuple?.pendingWrites).toEqual([['task', 'n', 5]]);
    }
  });

  it('says which Redis failed, and exits 1', async () => {
    const down = `redis://127.0.0.1:${await freePort()}`;

    const code = await pruneCheckpoints(loadConfig({ REDIS_URL: down, REDIS_KEY_PREFIX: prefix }));

    expect(code).toBe(1);
    expect(printed.join('\n')).toMatch(/^Redis REDIS_URL: FAILED: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });
});
