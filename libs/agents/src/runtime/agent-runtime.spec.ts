import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { consumeCallback } from '@langchain/core/callbacks/promises';

import { collect, json, RuntimeHarness, userMessage } from './runtime.fixture';

const h = new RuntimeHarness();
beforeAll(() => h.start());
afterAll(() => h.close());

describe('AgentRuntime', () => {
  it('streams a text answer in order and reloads it with the announced ids', async () => {
    h.model.enqueue('Hello there, friend');
    const threadId = randomUUID();
    const { user, chunks, types } = await h.turn('plain', threadId, 'Hi');
    // The first token goes on alone; those that came in the same read as it follow as one delta.
    const deltas = chunks.flatMap((c) => (c.type === 'text-delta' ? [c.delta] : []));
    expect(deltas[0]).toBe('Hello');
    expect(deltas.join('')).toBe('Hello there, friend');
    expect(types.filter((t, i) => t !== 'text-delta' || types[i - 1] !== 'text-delta')).toEqual([
      'start',
      'start-step',
      'text-start',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
    ]);
    const built = await h.build(chunks);
    expect(built?.parts).toEqual([
      { type: 'step-start' },
      { type: 'text', text: 'Hello there, friend', state: 'done' },
    ]);
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), built]);
  });

  it("streams while LangChain's shared callback queue is held by something else", async () => {
    // A callback left to run in the background, anywhere in the process, that has not ended yet.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    void consumeCallback(() => held, false);
    try {
      h.model.enqueue('Not kept waiting');
      const agent = await h.fx.runtime.prepare('plain');
      const turn = agent.stream({
        threadId: randomUUID(),
        userMessage: userMessage('Hi'),
        signal: new AbortController().signal,
      });
      let text = '';
      const read = (async () => {
        for await (const chunk of turn) if (chunk.type === 'text-delta') text += chunk.delta;
      })();
      // The turn's tokens went through that queue when handlers were not awaited: it never ended.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((r) => (timer = setTimeout(r, 10_000, false)));
      const ended = await Promise.race([read.then(() => true), timeout]);
      clearTimeout(timer);
      expect(ended).toBe(true);
      expect(text).toBe('Not kept waiting');
    } finally {
      release();
    }
  });

  it('calls get-sum on the MCP server and answers with its result', async () => {
    h.model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 2, b: 3 } }] }, 'The sum is 5.');
    const threadId = randomUUID();
    const before = h.model.requests.length;
    const { user, chunks, types } = await h.turn('tools', threadId, 'What is 2 + 3?');
    expect(types).toContain('tool-input-available');
    expect(types).toContain('tool-output-available');
    const second = h.model.requests[before + 1];
    const toolResult = second.messages.find((m) => m.role === 'tool');
    expect(String(toolResult?.content)).toContain('5');
    const built = await h.build(chunks);
    expect(built?.parts).toEqual([
      { type: 'step-start' },
      expect.objectContaining({
        type: 'dynamic-tool',
        toolName: 'get-sum',
        state: 'output-available',
        input: { a: 2, b: 3 },
        output: expect.stringContaining('5'),
      }),
      { type: 'step-start' },
      { type: 'text', text: 'The sum is 5.', state: 'done' },
    ]);
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), built]);
  });

  it('keeps text and parallel tool calls of one step in the order the client shows them', async () => {
    h.model.enqueue(
      {
        text: 'Adding both.',
        toolCalls: [
          { name: 'get-sum', arguments: { a: 1, b: 2 } },
          { name: 'get-sum', arguments: { a: 3, b: 4 } },
        ],
      },
      'Three and seven.',
    );
    const threadId = randomUUID();
    const { user, chunks } = await h.turn('tools', threadId, 'Two sums');
    const built = await h.build(chunks);
    expect(built?.parts.map((p) => p.type)).toEqual([
      'step-start',
      'text',
      'dynamic-tool',
      'dynamic-tool',
      'step-start',
      'text',
    ]);
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), built]);
  });

  it('gives a failing tool call back to the model as a tool error and finishes the run', async () => {
    h.model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 'two', b: 3 } }] }, 'That failed.');
    const threadId = randomUUID();
    const before = h.model.requests.length;
    const { user, chunks, types } = await h.turn('tools', threadId, 'Add two and 3');
    expect(types).toContain('tool-output-error');
    expect(types).not.toContain('error');
    const toolResult = h.model.requests[before + 1].messages.find((m) => m.role === 'tool');
    expect(String(toolResult?.content)).toMatch(/error/i);
    const built = await h.build(chunks);
    expect(built?.parts[1]).toMatchObject({ type: 'dynamic-tool', state: 'output-error' });
    expect(built?.parts.at(-1)).toEqual({ type: 'text', text: 'That failed.', state: 'done' });
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), built]);
  });

  it('streams reasoning_content as reasoning parts', async () => {
    h.model.enqueue({ reasoning: 'Let me think', text: 'Done' });
    const threadId = randomUUID();
    const { user, chunks, types } = await h.turn('plain', threadId, 'Think');
    expect(types.slice(2, 4)).toEqual(['reasoning-start', 'reasoning-delta']);
    const built = await h.build(chunks);
    expect(built?.parts).toEqual([
      { type: 'step-start' },
      { type: 'reasoning', id: expect.any(String), text: 'Let me think', state: 'done' },
      { type: 'text', text: 'Done', state: 'done' },
    ]);
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), built]);
  });

  it('sees the earlier turns of the thread from the checkpoint', async () => {
    const threadId = randomUUID();
    h.model.enqueue('Nice to meet you, Ada.', 'Your name is Ada.');
    const first = await h.turn('plain', threadId, 'I am Ada');
    const before = h.model.requests.length;
    const second = await h.turn('plain', threadId, 'Who am I?');
    expect(h.model.requests[before].messages.map((m) => [m.role, m.content])).toEqual([
      ['system', 'Be brief.'],
      ['user', 'I am Ada'],
      ['assistant', 'Nice to meet you, Ada.'],
      ['user', 'Who am I?'],
    ]);
    const loaded = json(await h.fx.runtime.loadMessages(threadId));
    expect(loaded.map((m) => m.id)).toEqual([
      first.user.id,
      (first.chunks[0] as { messageId: string }).messageId,
      second.user.id,
      (second.chunks[0] as { messageId: string }).messageId,
    ]);
  });

  it('regenerates an answer in place when the same user message comes again', async () => {
    const threadId = randomUUID();
    h.model.enqueue('First answer', 'Second answer');
    const first = await h.turn('plain', threadId, 'Question');
    const replyId = (first.chunks[0] as { messageId: string }).messageId;
    const before = h.model.requests.length;
    const agent = await h.fx.runtime.prepare('plain');
    const again = await collect(
      agent.stream({
        threadId,
        userMessage: first.user,
        messageId: replyId,
        signal: new AbortController().signal,
      }),
    );
    expect(again[0]).toEqual({ type: 'start', messageId: replyId });
    expect(h.model.requests[before].messages.map((m) => m.role)).toEqual(['system', 'user']);
    const loaded = json(await h.fx.runtime.loadMessages(threadId));
    expect(loaded).toEqual([json(first.user), await h.build(again)]);
    expect(loaded[1].parts.at(-1)).toEqual({ type: 'text', text: 'Second answer', state: 'done' });
  });

  it('rejects an unknown agent with 404 and deletes a thread', async () => {
    await expect(h.fx.runtime.prepare('nope')).rejects.toMatchObject({ status: 404 });
    const threadId = randomUUID();
    h.model.enqueue('Hi');
    await h.turn('plain', threadId, 'Hello');
    expect(await h.fx.runtime.loadMessages(threadId)).toHaveLength(2);
    await h.fx.runtime.deleteThread(threadId);
    expect(await h.fx.runtime.loadMessages(threadId)).toEqual([]);
  });
});
