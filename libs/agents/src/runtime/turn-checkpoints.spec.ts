import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { RedisSaver } from '@auxilia/checkpoint-redis';
import { isBaseMessage } from '@langchain/core/messages';
import { RuntimeHarness } from './runtime.fixture';

const h = new RuntimeHarness();
beforeAll(() => h.start());
afterAll(() => h.close());
afterEach(() => {
  jest.restoreAllMocks();
});

type Reads = { loadTuple(...args: unknown[]): Promise<unknown> };

/** The thread's messages as the client loads them, each by its text. */
async function textsOf(threadId: string): Promise<string[]> {
  return (await h.fx.runtime.loadMessages(threadId)).map((m) =>
    m.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join(''),
  );
}

describe('a turn and its checkpoints', () => {
  it('reads the thread from Redis once: the graph starts from the read that built its input', async () => {
    const threadId = randomUUID();
    h.model.enqueue('First answer.', 'Second answer.');
    await h.turn('plain', threadId, 'One');
    const reads = jest.spyOn(h.fx.saver as unknown as Reads, 'loadTuple');
    const before = h.model.requests.length;

    await h.turn('plain', threadId, 'Two');

    expect(reads).toHaveBeenCalledTimes(1);
    // The graph went on from the handed-over state: the model saw the whole conversation.
    const sent = h.model.requests[before].messages.map((m) => m.content);
    expect(sent).toEqual(expect.arrayContaining(['One', 'First answer.', 'Two']));
    const texts = await textsOf(threadId);
    expect(texts).toEqual(['One', 'First answer.', 'Two', 'Second answer.']);
  });

  it('stores the input before the model is called, and every step before the turn ends', async () => {
    const threadId = randomUUID();
    h.model.enqueue('Stored in the end.');
    const saver = h.fx.saver as RedisSaver;
    const put = saver.put.bind(saver);
    // Slow checkpoint writes: the model's request waits for them all the same.
    let requestsWhenFirstStored: number | undefined;
    const before = h.model.requests.length;
    jest.spyOn(saver, 'put').mockImplementation(async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stored = await put(...args);
      requestsWhenFirstStored ??= h.model.requests.length - before;
      return stored;
    });

    const { chunks } = await h.turn('plain', threadId, 'Hello');

    expect(requestsWhenFirstStored).toBe(0);
    expect(chunks.map((c) => c.type)).not.toContain('error');
    // Read without the slow writes: the answer was stored before the turn's stream ended.
    jest.restoreAllMocks();
    const messages = await h.fx.runtime.loadMessages(threadId);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('keeps the latest checkpoint of a thread only, and the whole conversation in it', async () => {
    const threadId = randomUUID();
    const saver = h.fx.saver as RedisSaver;
    const questions = ['One', 'Two', 'Three'];
    h.model.enqueue('First answer.', 'Second answer.', 'Third answer.');
    const checkpointKeys = async () =>
      (await saver.threadKeys(threadId)).filter((key) => key.includes(':checkpoint:'));

    for (const question of questions) {
      await h.turn('plain', threadId, question);
      expect(await checkpointKeys()).toHaveLength(1);
    }

    const texts = await textsOf(threadId);
    expect(texts).toEqual(['One', 'First answer.', 'Two', 'Second answer.', 'Three', 'Third answer.']);
  });
});

describe('a turn on a thread that goes on', () => {
  it('serializes only the messages it adds, however long the thread', async () => {
    const threadId = randomUUID();
    h.model.enqueue('First answer.', 'Second answer.', 'Third answer.', 'Fourth answer.');
    await h.turn('plain', threadId, 'One');
    await h.turn('plain', threadId, 'Two');
    await h.turn('plain', threadId, 'Three');
    const saver = h.fx.saver as RedisSaver;
    // Each message the checkpoints' lists hold is serialized on its own; a pending write is serialized whole.
    const serialized = jest.spyOn(saver.serde as unknown as { _dumps(value: unknown): Uint8Array }, '_dumps');

    await h.turn('plain', threadId, 'Four');

    const messages = serialized.mock.calls.map(([value]) => value).filter((value) => isBaseMessage(value));
    expect(messages.map((m) => m.content)).toEqual(['Four', 'Fourth answer.']);
    serialized.mockRestore();
    const texts = await textsOf(threadId);
    expect(texts).toHaveLength(8);
    expect(texts.slice(-2)).toEqual(['Four', 'Fourth answer.']);
  });
});
