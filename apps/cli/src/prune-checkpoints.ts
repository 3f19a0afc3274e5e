import { createRedisClient, RedisKeys, type AppConfig } from '@auxilia/core';
import { threadCheckpointer } from '@auxilia/agents';

/**
 * Leaves every thread with its latest checkpoint only, as CHECKPOINTS_KEEP=latest does at a thread's
 * next turn: for threads stored while every checkpoint was kept, and never written since. Safe while the
 * service runs: a checkpoint a turn writes meanwhile is kept.
 */
export async function pruneCheckpoints(config: AppConfig): Promise<number> {
  const target = config.redis.url ? 'REDIS_URL' : `${config.redis.host}:${config.redis.port}`;
  const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
  const redis = createRedisClient(config.redis, 'cli-prune', quiet);
  // The connection's own error says more than a command's failure after it (a retry limit).
  let lastError: string | undefined;
  redis.on('error', (err: Error) => (lastError = err.message));
  try {
    const saver = threadCheckpointer(redis, new RedisKeys(config.redis.keyPrefix), 'latest');
    const before = await usedMemory(redis);
    const seen = new Set<string>();
    let removed = 0;
    for await (const threadId of saver.threadIds()) {
      if (seen.has(threadId)) continue;
      seen.add(threadId);
      removed += await saver.prune(threadId);
    }
    const after = await usedMemory(redis);
    console.log(
      `Redis ${target}: ${seen.size} threads, ${removed} earlier checkpoints removed; ` +
        `used_memory ${mb(before)} → ${mb(after)} MB`,
    );
    return 0;
  } catch (err) {
    const reason = lastError ?? (err instanceof Error ? err.message : String(err));
    console.error(`Redis ${target}: FAILED: ${reason}`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

async function usedMemory(redis: ReturnType<typeof createRedisClient>): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
