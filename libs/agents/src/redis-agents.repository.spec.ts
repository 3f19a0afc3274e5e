import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisKeys } from '@auxilia/core';
import type { Agent } from './agent.dto';
import { RedisAgentsRepository } from './redis-agents.repository';
import { withServerPolicies } from './tool-policies';

const agent: Agent = { id: 'a1', name: 'A', instructions: 'x', mcpServerIds: ['s1'] };

describe('RedisAgentsRepository.update', () => {
  let redis: Redis;
  let keys: RedisKeys;
  let repository: RedisAgentsRepository;

  beforeAll(() => {
    const url = process.env.TEST_REDIS_URL;
    if (!url) throw new Error('TEST_REDIS_URL is not set');
    redis = new Redis(url);
    keys = new RedisKeys(`agents-spec-${randomUUID().slice(0, 8)}:`);
    repository = new RedisAgentsRepository(redis, keys);
  });
  afterAll(() => redis.quit());

  it('keeps a write that lands between its read and its write, and applies its change on top', async () => {
    await repository.create(agent);
    const seen: string[] = [];
    const updated = await repository.update(agent.id, (current) => {
      seen.push(current.name);
      // Another instance's PATCH, sent before this change is written (one connection keeps the order).
      if (seen.length === 1) {
        void redis.hset(keys.key('{agents}'), agent.id, JSON.stringify({ ...current, name: 'Renamed' }));
      }
      return withServerPolicies(current, 's1', { echo: 'needs_approval' });
    });
    expect(seen).toEqual(['A', 'Renamed']);
    const expected = { ...agent, name: 'Renamed', toolPolicies: { s1: { echo: 'needs_approval' } } };
    expect(updated).toEqual(expected);
    expect(await repository.get(agent.id)).toEqual(expected);
  });

  it('answers undefined for an agent that does not exist, and writes nothing', async () => {
    expect(await repository.update('missing', (current) => current)).toBeUndefined();
    expect(await repository.get('missing')).toBeUndefined();
  });

  it('writes nothing when the change throws', async () => {
    const before = await repository.get(agent.id);
    await expect(
      repository.update(agent.id, () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await repository.get(agent.id)).toEqual(before);
  });
});
