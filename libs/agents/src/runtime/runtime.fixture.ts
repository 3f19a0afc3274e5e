import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect } from '@jest/globals';
import { readUIMessageStream, uiMessageChunkSchema, type UIMessage, type UIMessageChunk } from 'ai';
import {
  DEFAULT_SCRIPTED_MODEL_NAME,
  startEverythingServer,
  startScriptedModel,
  type EverythingServer,
  type ScriptedModel,
} from '@auxilia/testing';
import type { RedisSaver } from '@auxilia/checkpoint-redis';
import { loadConfig, ProblemException, RedisKeys, type AppConfig } from '@auxilia/core';
import { listAllTools } from '@auxilia/mcp-servers';
import type { BaseMessage } from '@langchain/core/messages';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { Agent } from '../agent.dto';
import type { AgentsService } from '../agents.service';
import { threadCheckpointer } from '../checkpointer';
import { McpGateway } from '../mcp-gateway';
import { AgentRuntime } from './agent-runtime';
import { createAgentGraph, type AgentGraphParams } from './approvals';
import { createChatModel } from './chat-model';

/** An AgentRuntime on real Redis and real upstreams, with an in-memory agent list and MCP clients. */
export class RuntimeFixture {
  readonly agents = new Map<string, Agent>();
  readonly clients = new Map<string, Client>();
  readonly redis: Redis;
  readonly runtime: AgentRuntime;
  readonly saver: RedisSaver;

  constructor(env: Record<string, string>) {
    // Failed turns log a warning by design; the specs assert on the chunks instead.
    Logger.overrideLogger(false);
    const url = process.env.TEST_REDIS_URL;
    if (!url) throw new Error('TEST_REDIS_URL is not set: run the tests through the jest config');
    const config: AppConfig = loadConfig({ REDIS_URL: url, ...env });
    this.redis = new Redis(url);
    // The service's checkpointer, under keys of its own.
    const keys = new RedisKeys(`test-${randomUUID().slice(0, 8)}:`);
    this.saver = threadCheckpointer(this.redis, keys, config.agents.checkpointsKeep);
    const agents = {
      get: (id: string) => {
        const agent = this.agents.get(id);
        if (!agent)
          return Promise.reject(new ProblemException(404, 'not-found', 'Not Found', `No agent "${id}"`));
        return Promise.resolve(agent);
      },
    } as unknown as AgentsService;
    const clients = this.clients;
    const gateway = new (class extends McpGateway {
      exists = (id: string) => Promise.resolve(clients.has(id));
      getClient = (id: string) =>
        Promise.resolve(clients.get(id) ?? Promise.reject(new Error(`no client ${id}`)));
      listTools = async (id: string) => listAllTools(await this.getClient(id), {});
    })();
    const configService = {
      get: (key: keyof AppConfig) => config[key],
    } as unknown as ConfigService<AppConfig, true>;
    this.runtime = new AgentRuntime(agents, gateway, configService, this.saver);
  }

  async connect(serverId: string, url: string): Promise<Client> {
    const client = new Client({ name: 'agents-spec', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    this.clients.set(serverId, client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    await this.redis.quit();
  }
}

export function userMessage(text: string): UIMessage {
  return { id: `user-${randomUUID()}`, role: 'user', parts: [{ type: 'text', text }] };
}

export async function collect(stream: AsyncIterable<UIMessageChunk>): Promise<UIMessageChunk[]> {
  const chunks: UIMessageChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Checks each chunk against the AI SDK's own schema of the UI message stream. */
export async function expectValidChunks(chunks: UIMessageChunk[]): Promise<void> {
  const validate = uiMessageChunkSchema().validate;
  for (const chunk of chunks) expect(await validate?.(chunk)).toMatchObject({ success: true });
}

export const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** What the AI SDK's own client builds from the chunks, as it would reach a client in JSON. */
export async function buildMessage(chunks: UIMessageChunk[]): Promise<UIMessage | undefined> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream })) last = message;
  return json(last);
}

/** A scripted model, server-everything and a runtime with agents `plain` (no tools) and `tools`. */
export class RuntimeHarness {
  model: ScriptedModel;
  everything: EverythingServer;
  fx: RuntimeFixture;

  async start(): Promise<void> {
    [this.model, this.everything] = await Promise.all([
      startScriptedModel(),
      startEverythingServer({ transport: 'streamableHttp' }),
    ]);
    this.fx = new RuntimeFixture({
      OPENAI_BASE_URL: this.model.baseURL,
      OPENAI_MODEL: DEFAULT_SCRIPTED_MODEL_NAME,
      OPENAI_MAX_RETRIES: '0',
    });
    await this.fx.connect('everything', this.everything.url);
    this.fx.agents.set('plain', { id: 'plain', name: 'Plain', instructions: 'Be brief.', mcpServerIds: [] });
    this.fx.agents.set('tools', {
      id: 'tools',
      name: 'Tools',
      instructions: 'Use tools.',
      mcpServerIds: ['everything'],
    });
  }

  async close(): Promise<void> {
    await this.fx?.close();
    await Promise.all([this.model?.close(), this.everything?.stop()]);
  }

  /** Runs a turn; checks every chunk against the AI SDK schema and the stream's framing. */
  async turn(agentId: string, threadId: string, text: string, signal = new AbortController().signal) {
    const user = userMessage(text);
    const agent = await this.fx.runtime.prepare(agentId);
    const chunks = await collect(agent.stream({ threadId, userMessage: user, signal }));
    await expectValidChunks(chunks);
    expect(chunks[0].type).toBe('start');
    expect(chunks.at(-1)?.type).toBe('finish');
    expect(chunks.filter((c) => c.type === 'finish')).toHaveLength(1);
    return { user, chunks, types: chunks.map((c) => c.type) };
  }

  build(chunks: UIMessageChunk[]): Promise<UIMessage | undefined> {
    return buildMessage(chunks);
  }

  /** The model client as the service builds it, on the scripted model. */
  chatModel() {
    return createChatModel({
      model: DEFAULT_SCRIPTED_MODEL_NAME,
      apiKey: 'test',
      baseURL: this.model.baseURL,
      maxRetries: 0,
    });
  }

  /** The agent graph on the scripted model and the fixture's checkpointer, without tools unless given. */
  graph(options: Partial<Pick<AgentGraphParams, 'tools' | 'prompt' | 'needsApproval'>> = {}) {
    return createAgentGraph({
      llm: this.chatModel(),
      tools: [] as StructuredToolInterface[],
      prompt: 'Be brief.',
      checkpointer: this.fx.saver,
      needsApproval: new Set<string>(),
      ...options,
    });
  }

  /** The messages a thread's latest checkpoint holds. */
  async storedMessages(threadId: string): Promise<BaseMessage[]> {
    const state = await this.graph().getState({ configurable: { thread_id: threadId } });
    return (state.values as { messages?: BaseMessage[] }).messages ?? [];
  }
}
