import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { BaseMessage } from '@langchain/core/messages';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { UIMessage, UIMessageChunk } from 'ai';
import type { AppConfig } from '@auxilia/core';
import { AgentsService } from '../agents.service';
import { CHECKPOINTER } from '../checkpointer';
import { McpGateway } from '../mcp-gateway';
import { AgentGraphs } from './agent-graphs';
import { toUIMessages } from './ui-messages';
import { modelSettings } from './model';
import { streamTurn, type TurnInput } from './turn-stream';

/** A turn that passed every check that must fail before a run starts. */
export interface PreparedAgent {
  readonly agentId: string;
  /** Streams one turn; never throws once iterated (failures become an `error` chunk). */
  stream(input: TurnInput): AsyncIterable<UIMessageChunk>;
}

@Injectable()
export class AgentRuntime {
  private readonly graphs: AgentGraphs;

  constructor(
    private readonly agents: AgentsService,
    private readonly servers: McpGateway,
    private readonly config: ConfigService<AppConfig, true>,
    @Inject(CHECKPOINTER) private readonly checkpointer: BaseCheckpointSaver,
  ) {
    this.graphs = new AgentGraphs(checkpointer);
  }

  /**
   * 404 unknown agent, 503 no model configured, then each MCP server's client (opened concurrently):
   * its own 401 oauth_required / 502 / 504 problem stops the request before any run starts.
   */
  async prepare(agentId: string): Promise<PreparedAgent> {
    const agent = await this.agents.get(agentId);
    const openai = this.config.get('openai', { infer: true });
    const settings = modelSettings(openai, agent.model);
    const clients = await Promise.all(
      agent.mcpServerIds.map(async (id): Promise<[string, Client]> => [id, await this.servers.getClient(id)]),
    );
    const graph = await this.graphs.graphFor(agent, settings, clients);
    const options = {
      recursionLimit: this.config.get('agents', { infer: true }).recursionLimit,
      upstream: openai.baseURL ? new URL(openai.baseURL).host : 'api.openai.com',
      history: (threadId: string) => this.history(threadId),
    };
    return { agentId, stream: (input) => streamTurn(graph, input, options) };
  }

  /** The thread's conversation as the AI SDK client builds it from the streams; [] for an unknown thread. */
  async loadMessages(threadId: string): Promise<UIMessage[]> {
    return toUIMessages(await this.history(threadId));
  }

  private async history(threadId: string): Promise<BaseMessage[]> {
    const tuple = await this.checkpointer.getTuple({ configurable: { thread_id: threadId } });
    const values = tuple?.checkpoint.channel_values as { messages?: BaseMessage[] } | undefined;
    return values?.messages ?? [];
  }

  /** Removes every checkpoint of the thread. */
  deleteThread(threadId: string): Promise<void> {
    return this.checkpointer.deleteThread(threadId);
  }
}
