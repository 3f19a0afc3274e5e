import type { Redis } from 'ioredis';
import { RedisKeys, type AppConfig } from '@auxilia/core';
import { threadCheckpointer } from '@auxilia/agents';
import { withRedis } from './cli-redis';

/**
 * Leaves every thread with its latest checkpoint only, as CHECKPOINTS_KEEP=latest does at a thread's
 * next turn: for threads stored while every checkpoint was kept, and never written since. Safe while the
 * service runs: a checkpoint a turn writes meanwhile is kept.
 */
export function pruneCheckpoints(config: AppConfig): Promise<number> {
  return withRedis(config, ['cli-prune'], async ([redis], target) => {
    const saver = threadCheckpointer(redis, new RedisKeys(config.redis.keyPrefix), 'latest');
    const before = await usedMemory(redis);
    let threads = 0;
    let removed = 0;
    for await (const threadId of saver.threadIds()) {
      threads++;
      removed += await saver.prune(threadId);
    }
    const after = await usedMemory(redis);
    console.log(
      `Redis ${target}: ${threads} threads, ${removed} earlier checkpoints removed; ` +
        `used_memory ${mb(before)} → ${mb(after)} MB`,
    );
    return 0;
  });
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
