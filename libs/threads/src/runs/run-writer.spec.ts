import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { UIMessageChunk } from 'ai';
import { RedisKeys } from '@auxilia/core';
import { eventually } from '@auxilia/testing';
import { RunFeed } from './run-feed';
import { RunKeys } from './run-keys';
import { RunStore } from './run-store';
import { RunWriter } from './run-writer';

const redis = new Redis(process.env.TEST_REDIS_URL ?? '', { maxRetriesPerRequest: 1 });
const store = new RunStore(redis, new RunKeys(new RedisKeys(`writer-${randomUUID().slice(0, 8)}:`)), 60_000);

interface Written {
  writer: RunWriter;
  /** The batches its feed was given, as chunk types. */
  batches: string[][];
  feed: RunFeed;
  /** The run's log as Redis holds it. */
  log(): Promise<UIMessageChunk[]>;
}

/** A writer on a run whose lock is held. */
async function writer(intervalMs?: number): Promise<Written> {
  const threadId = randomUUID();
  const runId = randomUUID();
  await store.acquire(threadId, runId);
  const feed = new RunFeed();
  const batches: string[][] = [];
  const publish = feed.publish.bind(feed);
  feed.publish = (ids, chunks) => {
    batches.push(chunks.map((c) => (JSON.parse(c) as { type: string }).type));
    publish(ids, chunks);
  };
  const log = async () =>
    (await redis.xrange(store.keys.log(threadId, runId), '-', '+')).map(
      ([, fields]) => JSON.parse(fields[1]) as UIMessageChunk,
    );
  return {
    writer: new RunWriter(store, threadId, runId, new Logger('test'), feed, intervalMs),
    batches,
    feed,
    log,
  };
}

const CHUNKS = {
  start: { type: 'start' },
  'start-step': { type: 'start-step' },
  'text-start': { type: 'text-start', id: 't' },
  'text-delta': { type: 'text-delta', id: 't', delta: 'w ' },
  'text-end': { type: 'text-end', id: 't' },
  'tool-input-start': { type: 'tool-input-start', toolCallId: 'c', toolName: 'echo' },
} satisfies Record<string, UIMessageChunk>;

/** Appends each chunk after a few promise turns, as a stream of async generators hands them on. */
async function appendApart(target: RunWriter, types: (keyof typeof CHUNKS)[]): Promise<void> {
  for (const type of types) {
    for (let i = 0; i < 3; i++) await undefined;
    target.append(CHUNKS[type]);
  }
}

beforeAll(() => Logger.overrideLogger(false));
afterAll(async () => {
  await redis.quit();
});

describe('RunWriter', () => {
  it("sends a step's and a part's opening with the part's first delta, in one round trip", async () => {
    const { writer: w, batches } = await writer();
    w.append(CHUNKS.start);
    await w.drain();
    await appendApart(w, ['start-step', 'text-start', 'text-delta']);
    await w.drain();
    expect(batches).toEqual([['start'], ['start-step', 'text-start', 'text-delta']]);
  });

  it('sends an opening that nothing follows in the same loop turn by itself, without waiting for more', async () => {
    const { writer: w, batches } = await writer();
    await appendApart(w, ['tool-input-start']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(batches).toEqual([['tool-input-start']]);
  });

  it('sends other chunks at once, and what arrives meanwhile together in the next batch', async () => {
    const { writer: w, batches, log } = await writer();
    await appendApart(w, ['start', 'text-delta', 'text-delta', 'text-delta']);
    await w.drain();
    expect(batches[0]).toEqual(['start']);
    expect(batches.length).toBeLessThan(4);
    expect(await log()).toEqual([CHUNKS.start, { type: 'text-delta', id: 't', delta: 'w w w ' }]);
  });

  it('holds deltas written within the interval, and sends them with the next chunk that is not a delta', async () => {
    const { writer: w, batches } = await writer(60_000);
    await appendApart(w, ['start-step', 'text-start', 'text-delta']);
    await eventually(() => batches.length === 1, 10_000, 5);
    await appendApart(w, ['text-delta', 'text-delta']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(batches).toHaveLength(1);
    w.append(CHUNKS['text-end']);
    await eventually(() => batches.length === 2, 10_000, 5);
    expect(batches[1]).toEqual(['text-delta', 'text-end']);
  });

  it('drain sends the deltas it holds at once', async () => {
    const { writer: w, batches, log } = await writer(60_000);
    await appendApart(w, ['start', 'text-delta', 'text-delta']);
    await w.drain();
    expect(batches.flat()).toEqual(['start', 'text-delta']);
    expect((await log())[1]).toEqual({ type: 'text-delta', id: 't', delta: 'w w ' });
  });

  it('drain sends an opening still held', async () => {
    const { writer: w, batches } = await writer();
    w.append(CHUNKS['start-step']);
    await w.drain();
    expect(batches).toEqual([['start-step']]);
  });

  it('writes the deltas of one part that wait together as one, with their texts in order', async () => {
    const { writer: w, feed, log } = await writer(60_000);
    w.append(CHUNKS['start-step']);
    w.append(CHUNKS['text-start']);
    for (let i = 0; i < 5; i++) w.append({ type: 'text-delta', id: 't', delta: `a${i} ` });
    await eventually(() => feed.entries.length > 0, 10_000, 5);
    for (let i = 0; i < 5; i++) w.append({ type: 'text-delta', id: 't', delta: `b${i} ` });
    w.append({ type: 'reasoning-delta', id: 't', delta: 'r' });
    w.append({ type: 'text-delta', id: 'u', delta: 'c ' });
    w.append({ type: 'text-delta', id: 'u', delta: 'd ', providerMetadata: { p: { x: 1 } } });
    w.append({ type: 'text-delta', id: 'u', delta: 'e ' });
    w.append({ type: 'tool-input-delta', toolCallId: 'c', inputTextDelta: '{"q":' });
    w.append({ type: 'tool-input-delta', toolCallId: 'c', inputTextDelta: '1}' });
    w.append(CHUNKS['text-end']);
    await w.drain();
    expect(await log()).toEqual([
      CHUNKS['start-step'],
      CHUNKS['text-start'],
      { type: 'text-delta', id: 't', delta: 'a0 a1 a2 a3 a4 ' },
      { type: 'text-delta', id: 't', delta: 'b0 b1 b2 b3 b4 ' },
      { type: 'reasoning-delta', id: 't', delta: 'r' },
      { type: 'text-delta', id: 'u', delta: 'c ' },
      { type: 'text-delta', id: 'u', delta: 'd ', providerMetadata: { p: { x: 1 } } },
      { type: 'text-delta', id: 'u', delta: 'e ' },
      { type: 'tool-input-delta', toolCallId: 'c', inputTextDelta: '{"q":1}' },
      CHUNKS['text-end'],
    ]);
    expect(feed.entries.map((e) => ('chunk' in e ? JSON.parse(e.chunk) : e))).toEqual(await log());
  });

  it('leaves the chunks it was given as they were', async () => {
    const { writer: w, log } = await writer(60_000);
    const given: UIMessageChunk[] = [
      { type: 'text-delta', id: 't', delta: 'a ' },
      { type: 'text-delta', id: 't', delta: 'b ' },
    ];
    for (const chunk of given) w.append(chunk);
    await w.drain();
    expect(given).toEqual([
      { type: 'text-delta', id: 't', delta: 'a ' },
      { type: 'text-delta', id: 't', delta: 'b ' },
    ]);
    expect(await log()).toEqual([{ type: 'text-delta', id: 't', delta: 'a b ' }]);
  });

  it('does not add to a delta already on its way', async () => {
    const { writer: w, log, batches } = await writer();
    w.append({ type: 'text-delta', id: 't', delta: 'a ' });
    for (let i = 0; i < 3; i++) await undefined;
    w.append({ type: 'text-delta', id: 't', delta: 'b ' });
    w.append({ type: 'text-delta', id: 't', delta: 'c ' });
    await w.drain();
    expect(batches).toEqual([['text-delta'], ['text-delta']]);
    expect(await log()).toEqual([
      { type: 'text-delta', id: 't', delta: 'a ' },
      { type: 'text-delta', id: 't', delta: 'b c ' },
    ]);
  });
});
