import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import type { ToolPolicies } from '../agent.dto';
import { collect, expectValidChunks, json, RuntimeHarness, userMessage } from './runtime.fixture';
import type { ApprovalAnswer } from './approvals';

const h = new RuntimeHarness();
beforeAll(() => h.start());
afterAll(() => h.close());

function agent(toolPolicies: ToolPolicies[string]): string {
  const id = `gated-${randomUUID().slice(0, 8)}`;
  h.fx.agents.set(id, {
    id,
    name: 'Gated',
    instructions: 'Use tools.',
    mcpServerIds: ['everything'],
    toolPolicies: { everything: toolPolicies },
  });
  return id;
}

/** What the AI SDK client holds after the chunks, continuing `message` when given. */
async function build(chunks: UIMessageChunk[], message?: UIMessage): Promise<UIMessage> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last = message;
  for await (const m of readUIMessageStream({ stream, message: message && structuredClone(message) })) {
    last = m;
  }
  return json(last as UIMessage);
}

/** What `addToolApprovalResponse` does to the client's message. */
function answer(
  message: UIMessage,
  answers: Record<string, { approved: boolean; reason?: string }>,
): UIMessage {
  const copy = structuredClone(message);
  for (const part of copy.parts) {
    if (part.type !== 'dynamic-tool' || part.state !== 'approval-requested') continue;
    const given = answers[part.toolName];
    if (!given) continue;
    Object.assign(part, { state: 'approval-responded', approval: { ...part.approval, ...given } });
  }
  return copy;
}

async function turn(agentId: string, threadId: string, text: string) {
  const user = userMessage(text);
  const prepared = await h.fx.runtime.prepare(agentId);
  const chunks = await collect(
    prepared.stream({ threadId, userMessage: user, signal: new AbortController().signal }),
  );
  await expectValidChunks(chunks);
  return { user, chunks, message: await build(chunks) };
}

async function resume(agentId: string, threadId: string, approvals: ApprovalAnswer[]) {
  const prepared = await h.fx.runtime.prepare(agentId);
  const chunks = await collect(
    prepared.stream({ threadId, approvals, signal: new AbortController().signal }),
  );
  await expectValidChunks(chunks);
  return chunks;
}

const toolsOf = (message: UIMessage) => message.parts.filter((p) => p.type === 'dynamic-tool');

describe('tool calls that need approval', () => {
  it('pause before the tool runs, ask in the stream, and run once approved', async () => {
    const id = agent({ 'get-sum': 'needs_approval' });
    const threadId = randomUUID();
    h.model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 2, b: 3 } }] }, 'The sum is 5.');
    const before = h.model.requests.length;
    const { user, chunks, message } = await turn(id, threadId, 'What is 2 + 3?');

    const types = chunks.map((c) => c.type);
    expect(types.slice(-4)).toEqual([
      'tool-input-available',
      'tool-approval-request',
      'finish-step',
      'finish',
    ]);
    expect(types).not.toContain('tool-output-available');
    // Only the step that asked reached the model: nothing ran.
    expect(h.model.requests.length - before).toBe(1);
    const pending = await h.fx.runtime.pendingApprovals(threadId);
    expect(pending).toEqual([
      {
        approvalId: expect.stringMatching(/^approval-/),
        toolCallId: expect.any(String),
        toolName: 'get-sum',
        input: { a: 2, b: 3 },
      },
    ]);
    const request = chunks.find((c) => c.type === 'tool-approval-request');
    expect(request).toEqual({
      type: 'tool-approval-request',
      approvalId: pending[0].approvalId,
      toolCallId: pending[0].toolCallId,
    });
    expect(toolsOf(message)).toEqual([
      expect.objectContaining({ state: 'approval-requested', approval: { id: pending[0].approvalId } }),
    ]);
    // A reload shows what the client holds.
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), message]);

    const answered = answer(message, { 'get-sum': { approved: true } });
    const resumed = await resume(id, threadId, [{ approvalId: pending[0].approvalId, approved: true }]);
    expect(resumed[0]).toEqual({ type: 'start', messageId: message.id });
    expect(resumed.map((c) => c.type)).not.toContain('tool-input-start');
    const final = await build(resumed, answered);
    expect(toolsOf(final)).toEqual([
      expect.objectContaining({
        state: 'output-available',
        output: expect.stringContaining('5'),
        approval: { id: pending[0].approvalId, approved: true },
      }),
    ]);
    expect(final.parts.at(-1)).toEqual({ type: 'text', text: 'The sum is 5.', state: 'done' });
    expect(await h.fx.runtime.pendingApprovals(threadId)).toEqual([]);
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), final]);
    const toolResult = h.model.requests.at(-1)?.messages.find((m) => m.role === 'tool');
    expect(String(toolResult?.content)).toContain('5');
  });

  it('tell the model the user refused, and end the call as denied', async () => {
    const id = agent({ 'get-sum': 'needs_approval' });
    const threadId = randomUUID();
    h.model.enqueue(
      { toolCalls: [{ name: 'get-sum', arguments: { a: 1, b: 1 } }] },
      'Understood, I will not.',
    );
    const { user, message } = await turn(id, threadId, 'Add 1 and 1');
    const [pending] = await h.fx.runtime.pendingApprovals(threadId);

    const resumed = await resume(id, threadId, [
      { approvalId: pending.approvalId, approved: false, reason: 'not now' },
    ]);
    expect(resumed).toContainEqual({ type: 'tool-output-denied', toolCallId: pending.toolCallId });
    expect(resumed.map((c) => c.type)).not.toContain('tool-output-available');
    const final = await build(
      resumed,
      answer(message, { 'get-sum': { approved: false, reason: 'not now' } }),
    );
    expect(toolsOf(final)).toEqual([
      expect.objectContaining({
        state: 'output-denied',
        approval: { id: pending.approvalId, approved: false, reason: 'not now' },
      }),
    ]);
    const told = h.model.requests.at(-1)?.messages.find((m) => m.role === 'tool');
    expect(String(told?.content)).toMatch(/denied.*not run.*not now/);
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), final]);
  });

  it('ask for every call of a step together, after running the calls that need none', async () => {
    const id = agent({ 'get-sum': 'needs_approval', echo: 'needs_approval' });
    const threadId = randomUUID();
    h.model.enqueue(
      {
        text: 'Doing three things.',
        toolCalls: [
          { name: 'get-sum', arguments: { a: 4, b: 5 } },
          { name: 'echo', arguments: { message: 'secret' } },
          { name: 'get-env', arguments: {} },
        ],
      },
      'Done.',
    );
    const { user, chunks, message } = await turn(id, threadId, 'Go');
    // One step, as the AI SDK frames it: the free call's result, then the requests, then its end.
    expect(chunks.filter((c) => c.type === 'start-step')).toHaveLength(1);
    expect(chunks.map((c) => c.type).slice(-5)).toEqual([
      'tool-output-available',
      'tool-approval-request',
      'tool-approval-request',
      'finish-step',
      'finish',
    ]);
    expect(toolsOf(message).map((p) => [p.toolName, p.state])).toEqual([
      ['get-sum', 'approval-requested'],
      ['echo', 'approval-requested'],
      ['get-env', 'output-available'],
    ]);
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), message]);

    const pending = await h.fx.runtime.pendingApprovals(threadId);
    const byName = Object.fromEntries(pending.map((p) => [p.toolName, p.approvalId]));
    const resumed = await resume(id, threadId, [
      { approvalId: byName['get-sum'], approved: true },
      { approvalId: byName.echo, approved: false },
    ]);
    const final = await build(
      resumed,
      answer(message, { 'get-sum': { approved: true }, echo: { approved: false } }),
    );
    expect(toolsOf(final).map((p) => [p.toolName, p.state])).toEqual([
      ['get-sum', 'output-available'],
      ['echo', 'output-denied'],
      ['get-env', 'output-available'],
    ]);
    // Each call has exactly one result in what the model read.
    const results = h.model.requests.at(-1)?.messages.filter((m) => m.role === 'tool') ?? [];
    expect(results).toHaveLength(3);
    expect(JSON.stringify(results)).not.toContain('Echo: secret');
    expect(json(await h.fx.runtime.loadMessages(threadId))).toEqual([json(user), final]);
  });

  it('close unanswered calls when the user sends a new message instead', async () => {
    const id = agent({ 'get-sum': 'needs_approval' });
    const threadId = randomUUID();
    h.model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 7, b: 8 } }] });
    await turn(id, threadId, 'Add 7 and 8');
    expect(await h.fx.runtime.pendingApprovals(threadId)).toHaveLength(1);

    h.model.enqueue('Sure, something else.');
    const second = await turn(id, threadId, 'Never mind');
    expect(second.message.parts.at(-1)).toMatchObject({ type: 'text', text: 'Sure, something else.' });
    expect(await h.fx.runtime.pendingApprovals(threadId)).toEqual([]);
    const result = h.model.requests.at(-1)?.messages.find((m) => m.role === 'tool');
    expect(String(result?.content)).toMatch(/instead of answering the approval/);
    const [, first] = await h.fx.runtime.loadMessages(threadId);
    expect(toolsOf(first)).toEqual([expect.objectContaining({ state: 'output-error' })]);
  });

  it('resume a paused thread, or take a new message on it, after the policy changed', async () => {
    for (const next of ['answer', 'message'] as const) {
      const id = agent({ 'get-sum': 'needs_approval' });
      const threadId = randomUUID();
      h.model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 3, b: 3 } }] }, 'Six.');
      await turn(id, threadId, '3 + 3?');
      const [pending] = await h.fx.runtime.pendingApprovals(threadId);
      // The user lifts the approval requirement while the thread waits.
      h.fx.agents.set(id, { ...h.fx.agents.get(id)!, toolPolicies: {} });
      if (next === 'answer') {
        const chunks = await resume(id, threadId, [{ approvalId: pending.approvalId, approved: true }]);
        expect(chunks.map((c) => c.type)).not.toContain('error');
        expect(chunks).toContainEqual(expect.objectContaining({ type: 'tool-output-available' }));
        expect(chunks.at(-2)).toEqual({ type: 'finish-step' });
      } else {
        const { chunks } = await turn(id, threadId, 'Forget it');
        expect(chunks.map((c) => c.type)).not.toContain('error');
      }
      expect(await h.fx.runtime.pendingApprovals(threadId)).toEqual([]);
    }
  });

  it('honour a denial given after the policy was lifted', async () => {
    const id = agent({ 'get-sum': 'needs_approval' });
    const threadId = randomUUID();
    h.model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 9, b: 9 } }] }, 'Not done.');
    await turn(id, threadId, '9 + 9?');
    const [pending] = await h.fx.runtime.pendingApprovals(threadId);
    h.fx.agents.set(id, { ...h.fx.agents.get(id)!, toolPolicies: {} });
    const chunks = await resume(id, threadId, [{ approvalId: pending.approvalId, approved: false }]);
    expect(chunks).toContainEqual({ type: 'tool-output-denied', toolCallId: pending.toolCallId });
    expect(JSON.stringify(h.model.requests.at(-1)?.messages)).not.toContain('The sum of 9 and 9');
  });

  it('never give a disabled tool to the model', async () => {
    const id = agent({ echo: 'disabled' });
    h.model.enqueue('No tools needed.');
    await turn(id, randomUUID(), 'Hello');
    const offered = (h.model.requests.at(-1)?.tools ?? []).map((t) => t.function?.name);
    expect(offered).toContain('get-sum');
    expect(offered).not.toContain('echo');

    // A policy change applies to the next turn.
    h.fx.agents.set(id, { ...h.fx.agents.get(id)!, toolPolicies: {} });
    h.model.enqueue('Now with echo.');
    await turn(id, randomUUID(), 'Hello again');
    expect((h.model.requests.at(-1)?.tools ?? []).map((t) => t.function?.name)).toContain('echo');
  });
});
