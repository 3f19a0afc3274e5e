import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  ERROR,
  emptyCheckpoint,
  uuid6,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointTuple,
} from '@langchain/langgraph-checkpoint';
import { Redis } from 'ioredis';
import { ReadHandover } from './read-handover';
import { RedisSaver } from './redis-saver';

const prefix = `checkpoint-redis-spec:${randomUUID()}:`;
let client: Redis;

async function keysUnder(keyPrefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found.sort();
}

function checkpointWith(values: Record<string, unknown>, versions: Record<string, number>): Checkpoint {
  return { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: versions };
}

/** The names of the commands the client sends from now on, in order. */
function sentCommands(own: Redis): string[] {
  const sent: string[] = [];
  const send = own.sendCommand.bind(own);
  own.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
    sent.push(command.name);
    return send(command as never, ...(rest as []));
  }) as typeof own.sendCommand;
  return sent;
}

const loop = (step: number) => ({ source: 'loop' as const, step, parents: {} });

beforeAll(() => {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run through the jest global setup');
  client = new Redis(url);
});

afterAll(async () => {
  for (const key of await keysUnder(prefix)) await client.del(key);
  await client.quit();
});

describe('RedisSaver', () => {
  it('round-trips checkpoints, metadata, parents and pending writes, newest first', async () => {
    const saver = new RedisSaver(client, { keyPrefix: `${prefix}roundtrip:` });
    const first = checkpointWith({ messages: ['hi'] }, { messages: 1 });
    const firstConfig = await saver.put({ configurable: { thread_id: 't1' } }, first, loop(0), {
      messages: 1,
    });
    await saver.putWrites(firstConfig, [['messages', ['hi', 'there']]], 'task-a', 'path-a');

    const second = checkpointWith({ messages: ['hi', 'there'] }, { messages: 2 });
    const secondConfig = await saver.put(firstConfig, second, loop(1), { messages: 2 });

    const latest = await saver.getTuple({ configurable: { thread_id: 't1' } });
    expect(latest?.checkpoint).toEqual(second);
    expect(latest?.metadata).toEqual(loop(1));
    expect(latest?.config).toEqual(secondConfig);
    expect(latest?.parentConfig).toEqual(firstConfig);

    const parent = await saver.getTuple(firstConfig);
    expect(parent?.checkpoint).toEqual(first);
    expect(parent?.parentConfig).toBeUndefined();
    expect(parent?.pendingWrites).toEqual([['task-a', 'messages', ['hi', 'there']]]);

    const listed = [];
    for await (const tuple of saver.list({ configurable: { thread_id: 't1' } }))
      listed.push(tuple.checkpoint.id);
    expect(listed).toEqual([second.id, first.id]);

    const limited = [];
    for await (const tuple of saver.list(
      { configurable: {} },
      { before: secondConfig, filter: { step: 0 } },
    )) {
      limited.push(tuple.checkpoint.id);
    }
    expect(limited).toEqual([first.id]);
  });

  it('stores only the channels named in newVersions and rebuilds the rest from earlier blobs', async () => {
    const keyPrefix = `${prefix}delta:`;
    const saver = new RedisSaver(client, { keyPrefix });
    const first = checkpointWith({ a: 'one', b: 'two' }, { a: 1, b: 1 });
    const firstConfig = await saver.put({ configurable: { thread_id: 't' } }, first, loop(0), { a: 1, b: 1 });
    const second = checkpointWith({ a: 'one', b: 'three' }, { a: 1, b: 2 });
    await saver.put(firstConfig, second, loop(1), { b: 2 });

    const blobsKey = `${keyPrefix}{thread:t}:ns::blobs`;
    expect((await client.hkeys(blobsKey)).sort()).toEqual(['["a","1"]', '["b","1"]', '["b","2"]']);
    const stored = await client.hgetallBuffer(`${keyPrefix}{thread:t}:ns::checkpoint:${second.id}`);
    expect(stored.checkpoint?.toString('utf8')).not.toContain('three');

    const loaded = await saver.getTuple({ configurable: { thread_id: 't' } });
    expect(loaded?.checkpoint.channel_values).toEqual({ a: 'one', b: 'three' });
  });

  it('keeps the first regular write of a task but replaces special writes', async () => {
    const saver = new RedisSaver(client, { keyPrefix: `${prefix}writes:` });
    const config = await saver.put({ configurable: { thread_id: 't' } }, emptyCheckpoint(), loop(0), {});
    await saver.putWrites(config, [['x', 1]], 'task');
    await saver.putWrites(config, [['x', 2]], 'task');
    await saver.putWrites(config, [[ERROR, 'first failure']], 'task');
    await saver.putWrites(config, [[ERROR, 'second failure']], 'task');
    const tuple = await saver.getTuple(config);
    expect(tuple?.pendingWrites).toEqual(
      expect.arrayContaining([
        ['task', 'x', 1],
        ['task', ERROR, 'second failure'],
      ]),
    );
    expect(tuple?.pendingWrites).toHaveLength(2);
  });

  it('stores a checkpoint in two commands and its writes in one, also after Redis forgot its scripts', async () => {
    // A client of its own: its commands are counted, and its scripts are flushed from the server below.
    const own = new Redis(process.env.TEST_REDIS_URL!);
    try {
      // Connected first: commands sent before that are queued, and sent again once it is ready.
      await own.ping();
      const saver = new RedisSaver(own, { keyPrefix: `${prefix}commands:` });
      const sent = sentCommands(own);

      const config = await saver.put({ configurable: { thread_id: 't' } }, emptyCheckpoint(), loop(0), {});
      expect(sent).toEqual(['sadd', 'evalsha']);
      sent.length = 0;
      await saver.putWrites(
        config,
        [
          ['x', 1],
          ['y', 2],
        ],
        'task',
      );
      expect(sent).toEqual(['evalsha']);

      await own.script('FLUSH');
      const next = await saver.put(config, checkpointWith({ a: 1 }, { a: 1 }), loop(1), { a: 1 });
      await saver.putWrites(next, [['x', 3]], 'task');
      const tuple = await saver.getTuple({ configurable: { thread_id: 't' } });
      expect(tuple?.checkpoint.channel_values).toEqual({ a: 1 });
      expect(tuple?.pendingWrites).toEqual([['task', 'x', 3]]);
    } finally {
      own.disconnect();
    }
  });

  it('rejects a put or writes that Redis refuses', async () => {
    const keyPrefix = `${prefix}refused:`;
    const saver = new RedisSaver(client, { keyPrefix });
    const config = await saver.put({ configurable: { thread_id: 't' } }, emptyCheckpoint(), loop(0), {});
    // Keys of the wrong type: every command on them fails.
    await client.set(`${keyPrefix}{thread:t}:ns::checkpoints`, 'not a sorted set');
    await client.set(`${keyPrefix}{thread:t}:ns::writes:${config.configurable!.checkpoint_id}`, 'not a hash');

    await expect(saver.put(config, emptyCheckpoint(), loop(1), {})).rejects.toThrow(/WRONGTYPE/);
    await expect(saver.putWrites(config, [['x', 1]], 'task')).rejects.toThrow(/WRONGTYPE/);
  });

  it('puts every key of a thread under the prefix and the thread hash tag', async () => {
    const keyPrefix = `${prefix}tags:`;
    const saver = new RedisSaver(client, { keyPrefix });
    const root = await saver.put(
      { configurable: { thread_id: 'tag-thread' } },
      emptyCheckpoint(),
      loop(0),
      {},
    );
    await saver.putWrites(root, [['x', 1]], 'task');
    const child = { configurable: { thread_id: 'tag-thread', checkpoint_ns: 'sub:1' } };
    await saver.put(child, checkpointWith({ y: 1 }, { y: 1 }), loop(0), { y: 1 });

    const keys = await keysUnder(keyPrefix);
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) {
      expect(key.startsWith(keyPrefix)).toBe(true);
      if (key !== `${keyPrefix}threads`) expect(key).toContain('{thread:tag-thread}');
    }
    expect(await client.ttl(keys[0])).toBe(-1);

    const other = new RedisSaver(client, { keyPrefix: `${prefix}tags-other:` });
    expect(await other.getTuple({ configurable: { thread_id: 'tag-thread' } })).toBeUndefined();
  });

  it('deleteThread removes every key of the thread and nothing of other threads', async () => {
    const keyPrefix = `${prefix}delete:`;
    const saver = new RedisSaver(client, { keyPrefix });
    for (const thread_id of ['doomed', 'kept']) {
      const config = await saver.put(
        { configurable: { thread_id } },
        checkpointWith({ a: 1 }, { a: 1 }),
        loop(0),
        {
          a: 1,
        },
      );
      await saver.putWrites(config, [['a', 2]], 'task');
      await saver.put(
        { configurable: { thread_id, checkpoint_ns: 'child' } },
        emptyCheckpoint(),
        loop(0),
        {},
      );
    }
    // Writes against a checkpoint that was never put must go too.
    await saver.putWrites(
      { configurable: { thread_id: 'doomed', checkpoint_id: uuid6(-1) } },
      [['a', 3]],
      'task',
    );
    const keptBefore = (await keysUnder(keyPrefix)).filter((key) => key.includes('{thread:kept}'));
    const doomedKeys = (await keysUnder(keyPrefix)).filter((key) => key.includes('{thread:doomed}'));
    // Every key the thread has, each once; the registry may also name a key never written (an empty hash).
    const listed = await saver.threadKeys('doomed');
    expect(listed).toEqual(expect.arrayContaining(doomedKeys));
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.every((key) => key.includes('{thread:doomed}'))).toBe(true);

    await saver.deleteThread('doomed');

    const remaining = await keysUnder(keyPrefix);
    expect(remaining.filter((key) => key.includes('doomed'))).toEqual([]);
    expect(remaining.filter((key) => key.includes('{thread:kept}'))).toEqual(keptBefore);
    expect(await client.smembers(`${keyPrefix}threads`)).toEqual(['kept']);
    expect(await saver.getTuple({ configurable: { thread_id: 'doomed' } })).toBeUndefined();
    expect(await saver.getTuple({ configurable: { thread_id: 'kept' } })).toBeDefined();
  });
});

describe('RedisSaver reads', () => {
  it('reads a checkpoint with its channel values and writes in one command', async () => {
    const own = new Redis(process.env.TEST_REDIS_URL!);
    try {
      await own.ping();
      const saver = new RedisSaver(own, { keyPrefix: `${prefix}one-read:` });
      const first = checkpointWith({ a: 'one', b: 'two' }, { a: 1, b: 1 });
      const config = await saver.put({ configurable: { thread_id: 't' } }, first, loop(0), { a: 1, b: 1 });
      await saver.putWrites(config, [['a', 'next']], 'task');
      const sent = sentCommands(own);

      const latest = await saver.getTuple({ configurable: { thread_id: 't' } });

      expect(sent).toEqual(['evalsha']);
      expect(latest?.checkpoint).toEqual(first);
      expect(latest?.pendingWrites).toEqual([['task', 'a', 'next']]);
    } finally {
      own.disconnect();
    }
  });

  it('lists with a metadata filter without reading the values of the checkpoints it rejects', async () => {
    const own = new Redis(process.env.TEST_REDIS_URL!);
    try {
      await own.ping();
      const saver = new RedisSaver(own, { keyPrefix: `${prefix}filtered:` });
      let config: RunnableConfig = { configurable: { thread_id: 't' } };
      for (let step = 0; step < 5; step++) {
        config = await saver.put(config, checkpointWith({ a: step }, { a: step + 1 }), loop(step), {
          a: step + 1,
        });
      }
      const sent = sentCommands(own);

      const steps = [];
      for await (const tuple of saver.list({ configurable: { thread_id: 't' } }, { filter: { step: 3 } }))
        steps.push(tuple.checkpoint.channel_values);

      expect(steps).toEqual([{ a: 3 }]);
      expect(sent.filter((name) => name === 'evalsha')).toHaveLength(1);
    } finally {
      own.disconnect();
    }
  });

  it('reads checkpoints stored without the list of their blob fields', async () => {
    const keyPrefix = `${prefix}unlisted:`;
    const saver = new RedisSaver(client, { keyPrefix });
    const first = checkpointWith({ a: 'one', b: 'two' }, { a: 1, b: 1 });
    const config = await saver.put({ configurable: { thread_id: 't' } }, first, loop(0), { a: 1, b: 1 });
    await client.hdel(`${keyPrefix}{thread:t}:ns::checkpoint:${first.id}`, 'blobs');

    expect((await saver.getTuple(config))?.checkpoint).toEqual(first);
  });

  it('finds checkpoints whose ids are encoded in their keys', async () => {
    const saver = new RedisSaver(client, { keyPrefix: `${prefix}encoded:` });
    const odd = { ...checkpointWith({ a: 1 }, { a: 1 }), id: "1 a/b:c}{é%_-.!~*'()" };
    const config = await saver.put({ configurable: { thread_id: 't}:x' } }, odd, loop(0), { a: 1 });
    await saver.putWrites(config, [['a', 2]], 'task');

    const latest = await saver.getTuple({ configurable: { thread_id: 't}:x' } });
    expect(latest?.checkpoint).toEqual(odd);
    expect(latest?.pendingWrites).toEqual([['task', 'a', 2]]);
    expect((await saver.getTuple(config))?.checkpoint).toEqual(odd);
  });
});

describe("RedisSaver with keep: 'latest'", () => {
  /** Three steps of one thread, each with a write; `b` changes at every step, `a` only at the first. */
  async function threeSteps(saver: RedisSaver, threadId: string, ns = '') {
    let config: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
    const checkpoints: Checkpoint[] = [];
    for (let step = 1; step <= 3; step++) {
      const checkpoint = checkpointWith({ a: 'fixed', b: `step ${step}` }, { a: 1, b: step });
      const versions: ChannelVersions = step === 1 ? { a: 1, b: 1 } : { b: step };
      config = await saver.put(config, checkpoint, loop(step), versions);
      await saver.putWrites(config, [['b', `after ${step}`]], `task-${step}`);
      checkpoints.push(checkpoint);
    }
    return { config, checkpoints };
  }

  it('keeps only the latest checkpoint, its writes and the values it refers to', async () => {
    const keyPrefix = `${prefix}latest:`;
    const saver = new RedisSaver(client, { keyPrefix, keep: 'latest' });
    const { config, checkpoints } = await threeSteps(saver, 't');
    const [first, , third] = checkpoints;

    const latest = await saver.getTuple({ configurable: { thread_id: 't' } });
    expect(latest?.checkpoint).toEqual(third);
    expect(latest?.config).toEqual(config);
    expect(latest?.pendingWrites).toEqual([['task-3', 'b', 'after 3']]);
    // The parent is named, though no longer stored.
    expect(latest?.parentConfig?.configurable?.checkpoint_id).toBe(checkpoints[1].id);
    expect(await saver.getTuple(latest!.parentConfig!)).toBeUndefined();
    expect(
      await saver.getTuple({ configurable: { thread_id: 't', checkpoint_id: first.id } }),
    ).toBeUndefined();
    const listed = [];
    for await (const tuple of saver.list({ configurable: { thread_id: 't' } }))
      listed.push(tuple.checkpoint.id);
    expect(listed).toEqual([third.id]);

    const thread = `${keyPrefix}{thread:t}`;
    expect(await keysUnder(keyPrefix)).toEqual(
      [
        `${keyPrefix}threads`,
        `${thread}:keys`,
        `${thread}:namespaces`,
        `${thread}:ns::blobs`,
        `${thread}:ns::checkpoint:${third.id}`,
        `${thread}:ns::checkpoints`,
        `${thread}:ns::writes:${third.id}`,
      ].sort(),
    );
    expect((await client.hkeys(`${thread}:ns::blobs`)).sort()).toEqual(['["a","1"]', '["b","3"]']);
    expect((await saver.threadKeys('t')).sort()).toEqual(
      (await keysUnder(thread)).filter((key) => key.includes('{thread:t}')),
    );
  });

  it('removes writes that came in for an earlier checkpoint after a later one was put', async () => {
    const keyPrefix = `${prefix}late-writes:`;
    const saver = new RedisSaver(client, { keyPrefix, keep: 'latest' });
    const { config, checkpoints } = await threeSteps(saver, 't');
    const earlier = { configurable: { ...config.configurable, checkpoint_id: checkpoints[1].id } };
    await saver.putWrites(earlier, [['b', 'late']], 'late-task');
    expect(await client.exists(`${keyPrefix}{thread:t}:ns::writes:${checkpoints[1].id}`)).toBe(1);

    const fourth = checkpointWith({ a: 'fixed', b: 'step 4' }, { a: 1, b: 4 });
    await saver.put(config, fourth, loop(4), { b: 4 });

    const writes = (await keysUnder(keyPrefix)).filter((key) => key.includes(':writes:'));
    expect(writes).toEqual([]);
    expect((await saver.getTuple({ configurable: { thread_id: 't' } }))?.checkpoint).toEqual(fourth);
  });

  it('keeps the latest checkpoint of each namespace, and of each thread', async () => {
    const saver = new RedisSaver(client, { keyPrefix: `${prefix}latest-ns:`, keep: 'latest' });
    const root = await threeSteps(saver, 'one');
    const child = await threeSteps(saver, 'one', 'child:1');
    const other = await threeSteps(saver, 'two');

    for (const [threadId, ns, expected] of [
      ['one', '', root],
      ['one', 'child:1', child],
      ['two', '', other],
    ] as const) {
      const ids = [];
      for await (const tuple of saver.list({ configurable: { thread_id: threadId, checkpoint_ns: ns } }))
        ids.push(tuple.checkpoint.id);
      expect(ids).toEqual([expected.checkpoints[2].id]);
      const tuple = await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: ns } });
      expect(tuple?.checkpoint.channel_values).toEqual({ a: 'fixed', b: 'step 3' });
    }
  });

  it("prunes a thread stored with keep: 'all' at its next put", async () => {
    const keyPrefix = `${prefix}latest-after-all:`;
    const { config } = await threeSteps(new RedisSaver(client, { keyPrefix }), 't');
    expect((await keysUnder(keyPrefix)).filter((key) => key.includes(':checkpoint:'))).toHaveLength(3);

    const saver = new RedisSaver(client, { keyPrefix, keep: 'latest' });
    const fourth = checkpointWith({ a: 'fixed', b: 'step 4' }, { a: 1, b: 4 });
    await saver.put(config, fourth, loop(4), { b: 4 });

    const keys = await keysUnder(keyPrefix);
    expect(keys.filter((key) => key.includes(':checkpoint:'))).toEqual([
      `${keyPrefix}{thread:t}:ns::checkpoint:${fourth.id}`,
    ]);
    expect(keys.filter((key) => key.includes(':writes:'))).toEqual([]);
    expect((await client.hkeys(`${keyPrefix}{thread:t}:ns::blobs`)).sort()).toEqual([
      '["a","1"]',
      '["b","4"]',
    ]);
    expect((await saver.getTuple({ configurable: { thread_id: 't' } }))?.checkpoint).toEqual(fourth);
  });

  it('prunes a long history in one put, many keys and fields at a time', async () => {
    const keyPrefix = `${prefix}latest-long:`;
    const all = new RedisSaver(client, { keyPrefix });
    let config: RunnableConfig = { configurable: { thread_id: 't' } };
    for (let step = 1; step <= 600; step++) {
      config = await all.put(config, checkpointWith({ b: step }, { b: step }), loop(step), { b: step });
      await all.putWrites(config, [['b', step + 1]], 'task');
    }
    const before = await keysUnder(keyPrefix);
    expect(before.filter((key) => key.includes(':checkpoint:'))).toHaveLength(600);

    const last = checkpointWith({ b: 601 }, { b: 601 });
    await new RedisSaver(client, { keyPrefix, keep: 'latest' }).put(config, last, loop(601), { b: 601 });

    const keys = await keysUnder(keyPrefix);
    expect(keys.filter((key) => key.includes(':checkpoint:') || key.includes(':writes:'))).toEqual([
      `${keyPrefix}{thread:t}:ns::checkpoint:${last.id}`,
    ]);
    expect(await client.hkeys(`${keyPrefix}{thread:t}:ns::blobs`)).toEqual(['["b","601"]']);
    expect(await client.zrange(`${keyPrefix}{thread:t}:ns::checkpoints`, 0, -1)).toEqual([last.id]);
    expect(await client.scard(`${keyPrefix}{thread:t}:keys`)).toBe(4);
  });

  it('prune leaves a thread stored with every checkpoint as a put with latest would, and lists threads', async () => {
    const keyPrefix = `${prefix}prune:`;
    const saver = new RedisSaver(client, { keyPrefix });
    await threeSteps(saver, 'one');
    await threeSteps(saver, 'one', 'child:1');
    await threeSteps(saver, 'two');
    const before = await saver.getTuple({ configurable: { thread_id: 'one' } });
    const childBefore = await saver.getTuple({
      configurable: { thread_id: 'one', checkpoint_ns: 'child:1' },
    });
    const ids = [];
    for await (const id of saver.threadIds()) ids.push(id);
    expect(ids.sort()).toEqual(['one', 'two']);

    expect(await saver.prune('one')).toBe(4);
    expect(await saver.prune('one')).toBe(0);

    const one = (await keysUnder(keyPrefix)).filter((key) => key.includes('{thread:one}'));
    expect(one.filter((key) => key.includes(':checkpoint:'))).toHaveLength(2);
    expect(one.filter((key) => key.includes(':writes:'))).toHaveLength(2);
    expect((await client.hkeys(`${keyPrefix}{thread:one}:ns::blobs`)).sort()).toEqual([
      '["a","1"]',
      '["b","3"]',
    ]);
    expect(await saver.getTuple({ configurable: { thread_id: 'one' } })).toEqual(before);
    expect(await saver.getTuple({ configurable: { thread_id: 'one', checkpoint_ns: 'child:1' } })).toEqual(
      childBefore,
    );
    // The pruned checkpoint now lists its values: read in one command.
    expect(
      await client.hexists(`${keyPrefix}{thread:one}:ns::checkpoint:${before!.checkpoint.id}`, 'blobs'),
    ).toBe(1);
    expect(
      (await keysUnder(keyPrefix)).filter((key) => key.includes('{thread:two}:ns::checkpoint:')),
    ).toHaveLength(3);
  });

  it('prune never removes a checkpoint put while it reads the latest', async () => {
    const keyPrefix = `${prefix}prune-race:`;
    const saver = new RedisSaver(client, { keyPrefix });
    const { config } = await threeSteps(saver, 't');
    const newer = checkpointWith({ a: 'fixed', b: 'step 4' }, { a: 1, b: 4 });
    const read = client.hgetBuffer.bind(client);
    // A turn stores a checkpoint just after prune found the latest one, before its script runs.
    const spy = jest.spyOn(client, 'hgetBuffer').mockImplementationOnce(async (...args) => {
      const stored = await read(...(args as [string, string]));
      await saver.put(config, newer, loop(4), { b: 4 });
      return stored;
    });
    try {
      expect(await saver.prune('t')).toBe(3);
    } finally {
      spy.mockRestore();
    }

    expect((await saver.getTuple({ configurable: { thread_id: 't' } }))?.checkpoint).toEqual(newer);
    const checkpoints = (await keysUnder(keyPrefix)).filter((key) => key.includes(':checkpoint:'));
    expect(checkpoints).toEqual([`${keyPrefix}{thread:t}:ns::checkpoint:${newer.id}`]);
  });

  it('never lets a read see a checkpoint half removed', async () => {
    const keyPrefix = `${prefix}latest-reads:`;
    const writer = new RedisSaver(client, { keyPrefix, keep: 'latest' });
    const reading = new Redis(process.env.TEST_REDIS_URL!);
    try {
      const reader = new RedisSaver(reading, { keyPrefix, keep: 'latest' });
      let config: RunnableConfig = { configurable: { thread_id: 't' } };
      config = await writer.put(config, checkpointWith({ b: 'step 0' }, { b: 0 }), loop(0), { b: 0 });
      let done = false;
      const reads: Array<CheckpointTuple | undefined> = [];
      const readAll = async () => {
        while (!done) reads.push(await reader.getTuple({ configurable: { thread_id: 't' } }));
      };
      const writeAll = async () => {
        for (let step = 1; step <= 200; step++) {
          const checkpoint = checkpointWith({ b: `step ${step}` }, { b: step });
          config = await writer.put(config, checkpoint, loop(step), { b: step });
        }
        done = true;
      };
      await Promise.all([readAll(), readAll(), writeAll()]);

      expect(reads.length).toBeGreaterThan(0);
      for (const tuple of reads) {
        expect(tuple).toBeDefined();
        expect(tuple!.checkpoint.channel_values).toEqual({ b: `step ${tuple!.metadata!.step}` });
      }
    } finally {
      reading.disconnect();
    }
  });
});

describe('ReadHandover', () => {
  it('answers the first read of the latest checkpoint of its thread, once; every other read goes to Redis', async () => {
    const saver = new RedisSaver(client, { keyPrefix: `${prefix}handover:` });
    const stored = checkpointWith({ messages: ['stored'] }, { messages: 1 });
    const config = await saver.put({ configurable: { thread_id: 'h1' } }, stored, loop(0), { messages: 1 });
    const fromRedis = await saver.getTuple({ configurable: { thread_id: 'h1' } });
    // A stand-in that Redis does not hold shows which reads the handover answered.
    const handedOver = {
      ...fromRedis!,
      checkpoint: checkpointWith({ messages: ['handed'] }, { messages: 1 }),
    };
    const handover = new ReadHandover('h1', handedOver);
    const read = (configurable: Record<string, unknown>) =>
      saver.getTuple({ configurable: { ...configurable, ...handover.configurable() } });

    expect((await read({ thread_id: 'h2' }))?.checkpoint).toBeUndefined();
    expect((await read({ thread_id: 'h1', checkpoint_ns: 'sub' }))?.checkpoint).toBeUndefined();
    expect((await read(config.configurable!))?.checkpoint).toEqual(stored);
    expect((await read({ thread_id: 'h1' }))?.checkpoint).toEqual(handedOver.checkpoint);
    expect((await read({ thread_id: 'h1' }))?.checkpoint).toEqual(stored);
  });

  it('hands over a thread without checkpoints as such', async () => {
    const saver = new RedisSaver(client, { keyPrefix: `${prefix}handover-empty:` });
    const handover = new ReadHandover('new', undefined);
    const configurable = { thread_id: 'new', ...handover.configurable() };
    await saver.put({ configurable: { thread_id: 'new' } }, checkpointWith({}, {}), loop(0), {});

    expect(await saver.getTuple({ configurable })).toBeUndefined();
    expect(await saver.getTuple({ configurable })).toBeDefined();
  });
});
