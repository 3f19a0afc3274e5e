import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readUIMessageStream, uiMessageChunkSchema, type UIMessage, type UIMessageChunk } from 'ai';
import { AgentRuntime } from '@auxilia/agents';
import {
  DEFAULT_SCRIPTED_MODEL_NAME,
  startEverythingServer,
  startOAuthMcpServer,
  startScriptedModel,
  type EverythingServer,
  type OAuthMcpServer,
  type ScriptedModel,
} from '@auxilia/testing';
import { startApp, type RunningApp } from './support/app';

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const user = (text: string): UIMessage => ({
  id: `u-${randomUUID()}`,
  role: 'user',
  parts: [{ type: 'text', text }],
});

describe('agent turns through the app, with MCP servers from the registry', () => {
  let running: RunningApp;
  let runtime: AgentRuntime;
  let model: ScriptedModel;
  let everything: EverythingServer;
  let doomed: EverythingServer;
  let locked: OAuthMcpServer;

  const registerServer = async (id: string, url: string) => {
    const { response } = await running.api.POST('/mcp-servers', {
      body: { id, name: id, url, requiresOAuth: false },
    });
    expect(response.status).toBe(201);
  };
  const createAgent = async (id: string, mcpServerIds: string[]) => {
    const { response } = await running.api.POST('/agents', {
      body: { id, name: id, instructions: 'Use your tools.', mcpServerIds },
    });
    expect(response.status).toBe(201);
  };
  const run = async (agentId: string, threadId: string, message: UIMessage) => {
    const agent = await runtime.prepare(agentId);
    const chunks: UIMessageChunk[] = [];
    for await (const chunk of agent.stream({
      threadId,
      userMessage: message,
      signal: new AbortController().signal,
    })) {
      expect(await uiMessageChunkSchema().validate?.(chunk)).toMatchObject({ success: true });
      chunks.push(chunk);
    }
    return chunks;
  };
  const build = async (chunks: UIMessageChunk[]) => {
    const stream = new ReadableStream<UIMessageChunk>({
      start(controller) {
        chunks.forEach((chunk) => controller.enqueue(chunk));
        controller.close();
      },
    });
    let last: UIMessage | undefined;
    for await (const message of readUIMessageStream({ stream })) last = message;
    return json(last);
  };

  beforeAll(async () => {
    [model, everything, doomed, locked] = await Promise.all([
      startScriptedModel(),
      startEverythingServer({ transport: 'streamableHttp' }),
      startEverythingServer({ transport: 'streamableHttp' }),
      startOAuthMcpServer(),
    ]);
    running = await startApp({
      env: {
        OPENAI_BASE_URL: model.baseURL,
        OPENAI_MODEL: DEFAULT_SCRIPTED_MODEL_NAME,
        OPENAI_MAX_RETRIES: '0',
        AGENTS_FILE: '/nonexistent/agents.json',
        MCP_SERVERS_FILE: '/nonexistent/mcp-servers.json',
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        MCP_TIMEOUT_MS: '1500',
      },
    });
    runtime = running.app.get(AgentRuntime);
    await registerServer('everything', everything.url);
    await registerServer('doomed', doomed.url);
    await registerServer('locked', locked.url);
    await createAgent('calc', ['everything']);
    await createAgent('fragile', ['doomed']);
    await createAgent('guarded', ['everything', 'locked']);
  }, 60_000);

  afterAll(async () => {
    await running?.close();
    await Promise.allSettled([model?.close(), everything?.stop(), doomed?.stop(), locked?.close()]);
  });

  it('answers with the result of get-sum, and reloads what the AI SDK client built', async () => {
    model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 2, b: 3 } }] }, 'It is 5.');
    const threadId = randomUUID();
    const message = user('What is 2 + 3?');
    const before = model.requests.length;
    const chunks = await run('calc', threadId, message);
    expect(chunks.map((c) => c.type)).not.toContain('error');
    const toolResult = model.requests[before + 1].messages.find((m) => m.role === 'tool');
    expect(String(toolResult?.content)).toContain('5');
    const built = await build(chunks);
    expect(built?.parts).toContainEqual(
      expect.objectContaining({ type: 'dynamic-tool', toolName: 'get-sum', state: 'output-available' }),
    );
    expect(json(await runtime.loadMessages(threadId))).toEqual([json(message), built]);
  });

  it('gives an MCP server that went away to the model as a tool error and finishes', async () => {
    const agent = await runtime.prepare('fragile');
    await doomed.kill();
    model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 1, b: 1 } }] }, 'The tool is down.');
    const before = model.requests.length;
    const chunks: UIMessageChunk[] = [];
    const threadId = randomUUID();
    for await (const chunk of agent.stream({
      threadId,
      userMessage: user('1+1'),
      signal: new AbortController().signal,
    })) {
      chunks.push(chunk);
    }
    const types = chunks.map((c) => c.type);
    expect(types).toContain('tool-output-error');
    expect(types.slice(-2)).toEqual(['finish-step', 'finish']);
    const toolResult = model.requests[before + 1].messages.find((m) => m.role === 'tool');
    expect(String(toolResult?.content)).toContain('doomed');
    expect(json(await runtime.loadMessages(threadId))[1]).toEqual(await build(chunks));
  });

  it('gives a tool call that outlasts MCP_TIMEOUT_MS to the model as a tool error', async () => {
    model.enqueue(
      { toolCalls: [{ name: 'trigger-long-running-operation', arguments: { duration: 4, steps: 1 } }] },
      'It timed out.',
    );
    const before = model.requests.length;
    const threadId = randomUUID();
    const chunks = await run('calc', threadId, user('Run it'));
    expect(chunks.map((c) => c.type)).toContain('tool-output-error');
    expect(chunks.map((c) => c.type)).not.toContain('error');
    const toolResult = model.requests[before + 1].messages.find((m) => m.role === 'tool');
    expect(String(toolResult?.content)).toContain('did not answer within 1500 ms');
  });

  it('stops before any run with the 401 oauth_required problem of a server that needs authorization', async () => {
    const before = model.requests.length;
    await expect(runtime.prepare('guarded')).rejects.toMatchObject({
      status: 401,
      response: expect.objectContaining({ error: 'oauth_required', authorizationUrl: expect.any(String) }),
    });
    expect(model.requests.length).toBe(before);
  });
});
