import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { UIMessageChunk } from 'ai';
import { DEFAULT_SCRIPTED_MODEL_NAME } from '@auxilia/testing';
import {
  collect,
  expectValidChunks,
  json,
  RuntimeHarness,
  RuntimeFixture,
  userMessage,
} from './runtime.fixture';

const h = new RuntimeHarness();
beforeAll(() => h.start());
afterAll(() => h.close());

describe('AgentRuntime when a turn is cut short', () => {
  it('turns a model failure into an error chunk then finish, and the thread stays usable', async () => {
    const threadId = randomUUID();
    h.model.enqueue({ error: { status: 500, message: 'boom sk-secret' } });
    const failed = await h.turn('plain', threadId, 'First');
    expect(failed.types.slice(-2)).toEqual(['error', 'finish']);
    const error = failed.chunks.at(-2) as { errorText: string };
    expect(error.errorText).toContain('500');
    expect(error.errorText).not.toContain('secret');

    h.model.enqueue({ text: 'partial answer', dropAfterChunks: 2 });
    const dropped = await h.turn('plain', threadId, 'Second');
    expect(dropped.types.slice(-2)).toEqual(['error', 'finish']);
    expect(dropped.chunks.at(-2)).toMatchObject({
      errorText: expect.stringMatching(/model server .*(reached|dropped)/),
    });
    // The client was shown "partial": the open text is closed and kept, so a reload shows the same.
    expect(dropped.types.slice(-3)).toEqual(['text-end', 'error', 'finish']);
    const loaded = json(await h.fx.runtime.loadMessages(threadId));
    expect(loaded.slice(-2)).toEqual([json(dropped.user), await h.build(dropped.chunks)]);

    h.model.enqueue('Recovered');
    const before = h.model.requests.length;
    const ok = await h.turn('plain', threadId, 'Third');
    expect(ok.types).not.toContain('error');
    const sent = h.model.requests[before].messages.filter((m) => m.role === 'user').map((m) => m.content);
    expect(sent).toEqual(['First', 'Second', 'Third']);
  });

  it('stops on abort: closes the open text, ends with abort then finish, and keeps what was shown', async () => {
    const threadId = randomUUID();
    h.model.enqueue({ text: Array(200).fill(' tok'), delayMs: 20 });
    const controller = new AbortController();
    const agent = await h.fx.runtime.prepare('plain');
    const user = userMessage('Go');
    const chunks: UIMessageChunk[] = [];
    for await (const chunk of agent.stream({ threadId, userMessage: user, signal: controller.signal })) {
      chunks.push(chunk);
      if (chunks.filter((c) => c.type === 'text-delta').length === 3) controller.abort();
    }
    expect(chunks.map((c) => c.type).slice(-3)).toEqual(['text-end', 'abort', 'finish']);
    await expectValidChunks(chunks);
    const built = await h.build(chunks);
    expect(built?.parts).toEqual([
      { type: 'step-start' },
      { type: 'text', text: ' tok tok tok', state: 'done' },
    ]);
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), built]);
    h.model.enqueue('Back');
    const before = h.model.requests.length;
    const next = await h.turn('plain', threadId, 'Again');
    expect(next.types).not.toContain('error');
    expect(h.model.requests[before].messages.map((m) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
    ]);
  });

  it('answers a stop during a tool call as a cancelled tool result, and the next turn is valid', async () => {
    const threadId = randomUUID();
    h.model.enqueue({
      toolCalls: [{ name: 'trigger-long-running-operation', arguments: { duration: 5, steps: 5 } }],
    });
    const controller = new AbortController();
    const agent = await h.fx.runtime.prepare('tools');
    const types: string[] = [];
    for await (const chunk of agent.stream({
      threadId,
      userMessage: userMessage('Wait'),
      signal: controller.signal,
    })) {
      types.push(chunk.type);
      if (chunk.type === 'tool-input-available') controller.abort();
    }
    expect(types.slice(-2)).toEqual(['abort', 'finish']);
    const loaded = await h.fx.runtime.loadMessages(threadId);
    expect(loaded[1].parts).toContainEqual(
      expect.objectContaining({
        type: 'dynamic-tool',
        toolName: 'trigger-long-running-operation',
        state: 'output-error',
      }),
    );
    h.model.enqueue('Ok');
    const before = h.model.requests.length;
    const next = await h.turn('tools', threadId, 'Never mind');
    expect(next.types).not.toContain('error');
    const roles = h.model.requests[before].messages.map((m) => m.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'tool', 'user']);
  });

  it('ends a turn that exceeds AGENT_RECURSION_LIMIT with an error naming it', async () => {
    const limited = new RuntimeFixture({
      OPENAI_BASE_URL: h.model.baseURL,
      OPENAI_MODEL: DEFAULT_SCRIPTED_MODEL_NAME,
      OPENAI_MAX_RETRIES: '0',
      AGENT_RECURSION_LIMIT: '3',
    });
    try {
      await limited.connect('everything', h.everything.url);
      limited.agents.set('loop', {
        id: 'loop',
        name: 'Loop',
        instructions: 'x',
        mcpServerIds: ['everything'],
      });
      const call = { toolCalls: [{ name: 'get-sum', arguments: { a: 1, b: 1 } }] };
      h.model.enqueue(call, call, call);
      const agent = await limited.runtime.prepare('loop');
      const signal = new AbortController().signal;
      const chunks = await collect(
        agent.stream({ threadId: randomUUID(), userMessage: userMessage('Loop'), signal }),
      );
      expect(chunks.map((c) => c.type).slice(-2)).toEqual(['error', 'finish']);
      expect(chunks.at(-2)).toMatchObject({ errorText: expect.stringContaining('AGENT_RECURSION_LIMIT') });
    } finally {
      await limited.close();
    }
  });

  it('rejects a turn with 503 naming the variables when no model is configured', async () => {
    const bare = new RuntimeFixture({});
    bare.agents.set('plain', { id: 'plain', name: 'Plain', instructions: 'x', mcpServerIds: [] });
    try {
      await expect(bare.runtime.prepare('plain')).rejects.toMatchObject({
        status: 503,
        response: { detail: expect.stringMatching(/OPENAI_BASE_URL.*OPENAI_API_KEY.*OPENAI_MODEL/) },
      });
    } finally {
      await bare.close();
    }
  });
});
