import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis, type Command } from 'ioredis';
import { RedisKeys } from '@auxilia/core';
import type { Thread } from './dto/thread.dto';
import { RedisThreadsRepository } from './redis-threads.repository';

const redis = new Redis(process.env.TEST_REDIS_URL ?? '', { maxRetriesPerRequest: 1 });
const keys = new RedisKeys(`threads-spec-${randomUUID().slice(0, 8)}:`);
const repository = new RedisThreadsRepository(redis, keys);

// Connected before any test counts what it sends.
beforeAll(async () => {
  await redis.ping();
});

afterAll(async () => {
  const stale = await redis.keys(`${keys.prefix}*`);
  if (stale.length > 0) await redis.del(...stale);
  redis.disconnect();
});

function thread(agentId: string, createdAt: string): Thread {
  return { id: randomUUID(), agentId, title: null, createdAt, updatedAt: createdAt };
}

describe('RedisThreadsRepository', () => {
  it('writes a new thread in one round trip, its record sent before its two index entries', async () => {
    const t = thread('writer', new Date().toISOString());
    const seen: string[] = [];
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = (command: Command, stream?: never) => {
      seen.push(`send ${command.name}`);
      void command.promise.then(
        () => seen.push(`reply ${command.name}`),
        () => seen.push(`error ${command.name}`),
      );
      return send(command, stream);
    };
    try {
      await repository.create(t);
    } finally {
      redis.sendCommand = send;
    }
    expect(seen).toEqual(['send set', 'send zadd', 'send zadd', 'reply set', 'reply zadd', 'reply zadd']);
    await expect(repository.get(t.id)).resolves.toEqual(t);
    await expect(repository.list({ agentId: 'writer', limit: 10 })).resolves.toEqual({
      items: [t],
      nextCursor: null,
    });
  });

  it('skips an index entry whose record is missing, and pages on past it', async () => {
    const agentId = `pager-${randomUUID().slice(0, 8)}`;
    const [older, lost, newer] = ['2026-01-01', '2026-01-02', '2026-01-03'].map((day) =>
      thread(agentId, `${day}T00:00:00.000Z`),
    );
    for (const t of [older, lost, newer]) await repository.create(t);
    await redis.del(keys.key('thread', lost.id));

    const first = await repository.list({ agentId, limit: 2 });
    expect(first.items).toEqual([newer]);
    expect(first.nextCursor).not.toBeNull();
    const second = await repository.list({ agentId, limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [older], nextCursor: null });
  });
});
