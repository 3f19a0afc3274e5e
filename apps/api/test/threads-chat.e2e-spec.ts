import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { UIMessage } from 'ai';
import {
  freePort,
  startEverythingServer,
  startOAuthMcpServer,
  startScriptedModel,
  type EverythingServer,
  type ScriptedModel,
} from '@auxilia/testing';
import { scriptedModelEnv, startApp, type RunningApp } from './support/app';
import { NodeChat, threadsTransport } from './threads-client';

// Real servers and processes: slower than jest's 5 s default on a loaded machine.
jest.setTimeout(60_000);

let model: ScriptedModel;
let everything: EverythingServer;
let running: RunningApp;

beforeAll(async () => {
  [model, everything] = await Promise.all([
    startScriptedModel(),
    startEverythingServer({ transport: 'streamableHttp' }),
  ]);
  running = await startApp({
    env: scriptedModelEnv(model.baseURL),
  });
}, 30_000);

afterAll(async () => {
  await running.close();
  await Promise.all([model.close(), everything.stop()]);
});

const toolParts = (message: UIMessage | undefined) =>
  (message?.parts ?? []).filter((p) => p.type === 'dynamic-tool' || p.type.startsWith('tool-'));
const texts = (message: UIMessage | undefined) =>
  (message?.parts ?? []).flatMap((p) => (p.type === 'text' ? [p.text] : []));

describe('a conversation through the AI SDK Chat client', () => {
  it('calls the real MCP tool get-sum over two turns, and survives a restart', async () => {
    const server = await running.api.POST('/mcp-servers', {
      body: { id: 'everything', name: 'Everything', url: everything.url, requiresOAuth: false },
    });
    expect(server.response.status).toBe(201);
    const agent = await running.api.POST('/agents', {
      body: {
        id: 'calculator',
        name: 'Calculator',
        instructions: 'Add with get-sum.',
        mcpServerIds: ['everything'],
      },
    });
    expect(agent.response.status).toBe(201);
    const created = await running.api.POST('/threads', { body: { agentId: 'calculator' } });
    const threadId = created.data!.id;

    const errors: Error[] = [];
    const chat = new NodeChat({
      id: threadId,
      transport: threadsTransport(running.baseUrl),
      onError: (e) => errors.push(e),
    });

    model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 2, b: 3 } }] }, 'The sum is 5.');
    await chat.sendMessage({ text: 'What is 2 + 3?' });
    model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 10, b: 7 } }] }, 'That makes 17.');
    await chat.sendMessage({ text: 'And 10 + 7?' });

    expect(errors).toEqual([]);
    expect(chat.status).toBe('ready');
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    const [first, second] = [chat.messages[1], chat.messages[3]];
    for (const [message, input, sum, answer] of [
      [first, { a: 2, b: 3 }, '5', 'The sum is 5.'],
      [second, { a: 10, b: 7 }, '17', 'That makes 17.'],
    ] as const) {
      const tools = toolParts(message);
      expect(tools).toHaveLength(1);
      expect(tools[0]).toMatchObject({ state: 'output-available', input });
      expect(JSON.stringify((tools[0] as { output?: unknown }).output)).toContain(sum);
      expect(texts(message)).toEqual([answer]);
      expect(message.parts.at(-1)).toMatchObject({ type: 'text', text: answer });
    }
    // The model saw the tool's real result before answering.
    const toolResult = model.requests[1].messages.find((m) => m.role === 'tool');
    expect(JSON.stringify(toolResult?.content)).toContain('5');

    const detail = await running.api.GET('/threads/{id}', { params: { path: { id: threadId } } });
    expect(detail.data?.status).toBe('idle');
    expect(detail.data?.messages).toEqual(chat.messages);

    await running.close();
    running = await startApp({ config: running.config });
    const again = await running.api.GET('/threads/{id}', { params: { path: { id: threadId } } });
    expect(again.data).toMatchObject({ id: threadId, agentId: 'calculator', status: 'idle' });
    expect(again.data?.messages).toEqual(chat.messages);
    const listed = await running.api.GET('/threads', { params: { query: { agentId: 'calculator' } } });
    expect(listed.data?.items.map((t) => t.id)).toEqual([threadId]);
  }, 30_000);

  it('answers what fails before a run as problem JSON, and starts no run', async () => {
    const url = `http://127.0.0.1:${await freePort()}/mcp`;
    await running.api.POST('/mcp-servers', { body: { id: 'down', name: 'Down', url, requiresOAuth: false } });
    await running.api.POST('/agents', {
      body: { id: 'broken', name: 'Broken', instructions: 'x', mcpServerIds: ['down'] },
    });
    const created = await running.api.POST('/threads', { body: { agentId: 'broken' } });
    const threadId = created.data!.id;
    const chat = new NodeChat({ id: threadId, transport: threadsTransport(running.baseUrl) });
    await chat.sendMessage({ text: 'Hi' });
    expect(chat.status).toBe('error');

    const res = await fetch(`${running.baseUrl}/threads/${threadId}/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: threadId, messages: [chat.messages[0]], trigger: 'submit-message' }),
    });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 502, detail: expect.stringContaining('down') });
    expect((await fetch(`${running.baseUrl}/threads/${threadId}/stream`)).status).toBe(204);

    const guarded = await startOAuthMcpServer();
    try {
      await running.api.POST('/mcp-servers', {
        body: { id: 'guarded', name: 'Guarded', url: guarded.url, requiresOAuth: true },
      });
      await running.api.POST('/agents', {
        body: { id: 'guarded-agent', name: 'Guarded', instructions: 'x', mcpServerIds: ['guarded'] },
      });
      const thread = await running.api.POST('/threads', { body: { agentId: 'guarded-agent' } });
      const needsAuth = await fetch(`${running.baseUrl}/threads/${thread.data!.id}/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'x', messages: [chat.messages[0]], trigger: 'submit-message' }),
      });
      expect(needsAuth.status).toBe(401);
      expect(needsAuth.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await needsAuth.json()).toMatchObject({
        error: 'oauth_required',
        authorizationUrl: expect.any(String),
      });
    } finally {
      await guarded.close();
    }

    const unconfigured = await startApp({ env: { ENCRYPTION_KEY: 'c'.repeat(64) } });
    try {
      const thread = await unconfigured.api.POST('/threads', { body: { agentId: 'assistant' } });
      const noModel = await fetch(`${unconfigured.baseUrl}/threads/${thread.data!.id}/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'x', messages: [chat.messages[0]], trigger: 'submit-message' }),
      });
      expect(noModel.status).toBe(503);
      expect(await noModel.json()).toMatchObject({ error: 'model_not_configured' });
    } finally {
      await unconfigured.close();
    }
  });
});
