import { randomUUID } from 'node:crypto';
import { validate } from '@langchain/langgraph-checkpoint-validation';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { RedisSaver } from '../src';

// Each checkpointer gets its own key prefix: the suite lists "all threads" and expects to see only its own.
const run = `checkpoint-redis-validation:${randomUUID()}`;
const prefixes = new WeakMap<RedisSaver, string>();
let client: Redis;
let created = 0;

async function deleteByPrefix(prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

validate({
  checkpointerName: 'RedisSaver',
  beforeAll() {
    client = new Redis(inject('redisUrl'), { lazyConnect: false });
  },
  async afterAll() {
    await deleteByPrefix(`${run}:`);
    await client.quit();
  },
  createCheckpointer() {
    const keyPrefix = `${run}:${++created}:`;
    const saver = new RedisSaver(client, { keyPrefix });
    prefixes.set(saver, keyPrefix);
    return saver;
  },
  async destroyCheckpointer(saver) {
    const prefix = prefixes.get(saver);
    if (prefix) await deleteByPrefix(prefix);
  },
});
