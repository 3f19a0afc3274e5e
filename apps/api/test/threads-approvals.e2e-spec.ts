import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  lastAssistantMessageIsCompleteWithApprovalResponses,
  type DynamicToolUIPart,
  type UIMessage,
} from 'ai';
import {
  startEverythingServer,
  startScriptedModel,
  type EverythingServer,
  type ScriptedModel,
} from '@auxilia/testing';
import { scriptedModelEnv, startApp, type RunningApp } from './support/app';
import { NodeChat, threadsTransport } from './threads-client';

jest.setTimeout(60_000);

let model: ScriptedModel;
let everything: EverythingServer;
let running: RunningApp;

beforeAll(async () => {
  [model, everything] = await Promise.all([
    startScriptedModel(),
    startEverythingServer({ transport: 'streamableHttp' }),
  ]);
  running = await startApp({ env: scriptedModelEnv(model.baseURL) });
  const server = await running.api.POST('/mcp-servers', {
    body: { id: 'everything', name: 'Everything', url: everything.url, requiresOAuth: false },
  });
  expect(server.response.status).toBe(201);
  const agent = await running.api.POST('/agents', {
    body: { id: 'gated', name: 'Gated', instructions: 'Ask before adding.', mcpServerIds: ['everything'] },
  });
  expect(agent.response.status).toBe(201);
  const policies = await running.api.PUT('/agents/{id}/mcp-servers/{serverId}/tools', {
    params: { path: { id: 'gated', serverId: 'everything' } },
    body: { tools: { 'get-sum': 'needs_approval', echo: 'needs_approval' } },
  });
  expect(policies.response.status).toBe(200);
}, 30_000);

afterAll(async () => {
  await running.close();
  await Promise.all([model.close(), everything.stop()]);
});

const tools = (message: UIMessage | undefined) =>
  (message?.parts ?? []).filter((p): p is DynamicToolUIPart => p.type === 'dynamic-tool');
const tool = (chat: NodeChat, name: string) => tools(chat.lastMessage).find((p) => p.toolName === name)!;

async function newThread(): Promise<string> {
  const created = await running.api.POST('/threads', { body: { agentId: 'gated' } });
  expect(created.response.status).toBe(201);
  return created.data!.id;
}

function chatFor(threadId: string, messages: UIMessage[] = []) {
  const errors: Error[] = [];
  const chat = new NodeChat({
    id: threadId,
    messages,
    transport: threadsTransport(running.baseUrl),
    sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
    onError: (e) => errors.push(e),
  });
  return { chat, errors };
}

/** The request `sendAutomaticallyWhen` makes is not awaited by the Chat: wait for it to settle. */
async function settled(chat: NodeChat, done: () => boolean): Promise<void> {
  while (!(chat.status === 'ready' && done()) && chat.status !== 'error') {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function detail(threadId: string) {
  const res = await running.api.GET('/threads/{id}', { params: { path: { id: threadId } } });
  expect(res.response.status).toBe(200);
  return res.data!;
}

function post(threadId: string, messages: UIMessage[]): Promise<Response> {
  return fetch(`${running.baseUrl}/threads/${threadId}/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: threadId, messages, trigger: 'submit-message' }),
  });
}

describe('approving tool calls through the AI SDK Chat', () => {
  it('pauses on the call, shows it awaiting approval, and runs it once approved', async () => {
    const threadId = await newThread();
    const { chat, errors } = chatFor(threadId);
    model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 2, b: 3 } }] }, 'The sum is 5.');
    const before = model.requests.length;
    await chat.sendMessage({ text: 'What is 2 + 3?' });

    expect(chat.status).toBe('ready');
    expect(tool(chat, 'get-sum')).toMatchObject({
      state: 'approval-requested',
      input: { a: 2, b: 3 },
      approval: { id: expect.any(String) },
    });
    expect(model.requests.length - before).toBe(1);
    const paused = await detail(threadId);
    expect(paused.status).toBe('awaiting_approval');
    expect(paused.messages).toEqual(chat.messages);

    await chat.addToolApprovalResponse({ id: tool(chat, 'get-sum').approval!.id, approved: true });
    await settled(chat, () => tool(chat, 'get-sum').state === 'output-available');

    expect(errors).toEqual([]);
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(tool(chat, 'get-sum')).toMatchObject({
      state: 'output-available',
      output: expect.stringContaining('5'),
      approval: { approved: true },
    });
    expect(chat.lastMessage?.parts.at(-1)).toMatchObject({ type: 'text', text: 'The sum is 5.' });
    const toolResult = model.requests.at(-1)?.messages.find((m) => m.role === 'tool');
    expect(String(toolResult?.content)).toContain('5');
    const after = await detail(threadId);
    expect(after.status).toBe('idle');
    expect(after.messages).toEqual(chat.messages);
  });

  it('denies a call: it never runs, ends as denied, and the model is told why', async () => {
    const threadId = await newThread();
    const { chat, errors } = chatFor(threadId);
    model.enqueue({ toolCalls: [{ name: 'echo', arguments: { message: 'leak' } }] }, 'Fine, I did not.');
    await chat.sendMessage({ text: 'Echo leak' });
    await chat.addToolApprovalResponse({
      id: tool(chat, 'echo').approval!.id,
      approved: false,
      reason: 'not today',
    });
    await settled(chat, () => tool(chat, 'echo').state === 'output-denied');

    expect(errors).toEqual([]);
    expect(tool(chat, 'echo')).toMatchObject({
      state: 'output-denied',
      approval: { approved: false, reason: 'not today' },
    });
    const told = model.requests.at(-1)?.messages.find((m) => m.role === 'tool');
    expect(String(told?.content)).toMatch(/denied.*not today/);
    expect(JSON.stringify(model.requests.at(-1)?.messages)).not.toContain('Echo: leak');
    expect((await detail(threadId)).messages).toEqual(chat.messages);
  });

  it('asks for several calls of one step together and applies a mix of answers', async () => {
    const threadId = await newThread();
    const { chat, errors } = chatFor(threadId);
    model.enqueue(
      {
        toolCalls: [
          { name: 'get-sum', arguments: { a: 20, b: 22 } },
          { name: 'echo', arguments: { message: 'no' } },
          { name: 'get-env', arguments: {} },
        ],
      },
      'Did what you allowed.',
    );
    await chat.sendMessage({ text: 'Three things' });
    // The call that needs no approval ran; the step waits on the two others.
    expect(tools(chat.lastMessage).map((p) => [p.toolName, p.state])).toEqual([
      ['get-sum', 'approval-requested'],
      ['echo', 'approval-requested'],
      ['get-env', 'output-available'],
    ]);
    expect((await detail(threadId)).messages).toEqual(chat.messages);

    // One answer alone does not send: the Chat waits for both, as the API would insist.
    await chat.addToolApprovalResponse({ id: tool(chat, 'get-sum').approval!.id, approved: true });
    expect(chat.status).toBe('ready');
    expect((await detail(threadId)).status).toBe('awaiting_approval');
    await chat.addToolApprovalResponse({ id: tool(chat, 'echo').approval!.id, approved: false });
    await settled(chat, () => tool(chat, 'echo').state === 'output-denied');

    expect(errors).toEqual([]);
    expect(tools(chat.lastMessage).map((p) => [p.toolName, p.state])).toEqual([
      ['get-sum', 'output-available'],
      ['echo', 'output-denied'],
      ['get-env', 'output-available'],
    ]);
    expect(JSON.stringify(tool(chat, 'get-sum').output)).toContain('42');
    expect((await detail(threadId)).messages).toEqual(chat.messages);
  });

  it('lets a client that reloaded between the request and the answer still answer it', async () => {
    const threadId = await newThread();
    const first = chatFor(threadId);
    model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 1, b: 2 } }] }, 'Three.');
    await first.chat.sendMessage({ text: '1 + 2?' });
    expect(tool(first.chat, 'get-sum').state).toBe('approval-requested');

    // A new page: the client is built from GET /threads/{id}.
    const reloaded = await detail(threadId);
    expect(reloaded.status).toBe('awaiting_approval');
    const { chat, errors } = chatFor(threadId, reloaded.messages as UIMessage[]);
    expect(tool(chat, 'get-sum').state).toBe('approval-requested');
    await chat.addToolApprovalResponse({ id: tool(chat, 'get-sum').approval!.id, approved: true });
    await settled(chat, () => tool(chat, 'get-sum').state === 'output-available');

    expect(errors).toEqual([]);
    expect(chat.lastMessage?.parts.at(-1)).toMatchObject({ type: 'text', text: 'Three.' });
    expect((await detail(threadId)).messages).toEqual(chat.messages);
  });

  it('refuses an answer that is not pending with 409, and never runs a call twice', async () => {
    const threadId = await newThread();
    const { chat } = chatFor(threadId);
    model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 5, b: 5 } }] }, 'Ten.');
    await chat.sendMessage({ text: '5 + 5?' });
    const approvalId = tool(chat, 'get-sum').approval!.id;

    // What the Chat sends after addToolApprovalResponse, posted twice at once.
    const answered = structuredClone(chat.messages);
    const part = tools(answered.at(-1)).find((p) => p.toolName === 'get-sum')!;
    Object.assign(part, { state: 'approval-responded', approval: { id: approvalId, approved: true } });
    const requestsBefore = model.requests.length;
    const [a, b] = await Promise.all([post(threadId, answered), post(threadId, answered)]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const refused = a.status === 409 ? a : b;
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /^(run_active|approval_not_pending)$/,
    );
    await (a.status === 200 ? a : b).text();

    // Once the run has ended, the same answer again is stale.
    const again = await post(threadId, answered);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'approval_not_pending', approvalIds: [approvalId] });

    // The tool ran once and the model answered once.
    expect(model.requests.length - requestsBefore).toBe(1);
    const final = await detail(threadId);
    expect(final.status).toBe('idle');
    expect(tools(final.messages.at(-1) as UIMessage)).toEqual([
      expect.objectContaining({ state: 'output-available', approval: { id: approvalId, approved: true } }),
    ]);
    expect(final.messages.at(-1)?.parts.at(-1)).toMatchObject({ type: 'text', text: 'Ten.' });
  });

  it('requires every pending approval of the step, and rejects unknown ones', async () => {
    const threadId = await newThread();
    const { chat } = chatFor(threadId);
    model.enqueue({
      toolCalls: [
        { name: 'get-sum', arguments: { a: 1, b: 1 } },
        { name: 'echo', arguments: { message: 'x' } },
      ],
    });
    await chat.sendMessage({ text: 'Both' });
    const answered = structuredClone(chat.messages);
    const [sum, echo] = tools(answered.at(-1));
    Object.assign(sum, { state: 'approval-responded', approval: { ...sum.approval, approved: true } });

    const partial = await post(threadId, answered);
    expect(partial.status).toBe(400);
    expect(await partial.json()).toMatchObject({
      type: expect.stringContaining('approvals-incomplete'),
      approvalIds: [echo.approval!.id],
    });

    Object.assign(echo, { state: 'approval-responded', approval: { id: 'approval-forged', approved: true } });
    const forged = await post(threadId, answered);
    expect(forged.status).toBe(409);
    expect(await forged.json()).toMatchObject({
      error: 'approval_not_pending',
      approvalIds: ['approval-forged'],
    });

    const malformed = structuredClone(answered);
    Object.assign(tools(malformed.at(-1))[0], { approval: { id: sum.approval!.id, approved: 'yes' } });
    expect((await post(threadId, malformed)).status).toBe(400);

    // Still waiting, untouched.
    expect((await detail(threadId)).status).toBe('awaiting_approval');
  });
});
