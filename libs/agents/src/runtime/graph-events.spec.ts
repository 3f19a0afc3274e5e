import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AIMessageChunk, HumanMessage } from '@langchain/core/messages';
import { RuntimeHarness } from './runtime.fixture';
import { graphEvents, TURN_DURABILITY, TURN_STREAM_MODE } from './turn-stream';

const h = new RuntimeHarness();
beforeAll(() => h.start());
afterAll(() => h.close());

function eventsOf(threadId: string, signal = new AbortController().signal) {
  return graphEvents(
    h.graph(),
    { messages: [new HumanMessage('Hi')] },
    {
      configurable: { thread_id: threadId },
      streamMode: TURN_STREAM_MODE,
      recursionLimit: 10,
      durability: TURN_DURABILITY,
      signal,
    },
  );
}

describe('graphEvents', () => {
  it("yields the graph's values and message events, reasoning as a content block before its chunk", async () => {
    h.model.enqueue({ reasoning: 'Hmm', text: ['Hel', 'lo'] });
    const threadId = randomUUID();
    const events: [string, unknown][] = [];
    for await (const event of eventsOf(threadId)) events.push(event as [string, unknown]);

    const texts = events.flatMap(([mode, payload]) => {
      if (mode !== 'messages') return [];
      const [chunk] = payload as [AIMessageChunk];
      return typeof chunk.content === 'string' ? [chunk.content] : [JSON.stringify(chunk.content)];
    });
    // The reasoning comes first and alone; the text that came in the same read follows it.
    const [reasoning, ...rest] = texts.filter((t) => t !== '');
    expect(reasoning).toBe(JSON.stringify([{ type: 'reasoning', reasoning: 'Hmm' }]));
    expect(rest.join('')).toBe('Hello');
    expect(events[0][0]).toBe('values');
    expect(events.at(-1)?.[0]).toBe('values');
    expect((await h.storedMessages(threadId)).map((m) => m.text)).toEqual(['Hi', 'Hello']);
  });

  it('stops the run when its reader stops early', async () => {
    // Long enough that the run would still be streaming long after the reader left.
    h.model.enqueue({ text: Array.from({ length: 40 }, (_, i) => ` w${i}`), delayMs: 250 });
    const threadId = randomUUID();
    for await (const event of eventsOf(threadId)) {
      if ((event as [string])[0] === 'messages') break;
    }
    // Left to run, the model's answer would have been stored as the agent's step.
    expect((await h.storedMessages(threadId)).map((m) => m.getType())).toEqual(['human']);
  });

  it("ends with an error when the caller's signal fires", async () => {
    h.model.enqueue({ text: Array.from({ length: 40 }, (_, i) => ` w${i}`), delayMs: 250 });
    const stop = new AbortController();
    const threadId = randomUUID();
    const read = (async () => {
      for await (const event of eventsOf(threadId, stop.signal)) {
        if ((event as [string])[0] === 'messages') stop.abort();
      }
    })();
    await expect(read).rejects.toThrow();
    expect((await h.storedMessages(threadId)).map((m) => m.getType())).toEqual(['human']);
  });
});
