import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { BaseMessage } from '@langchain/core/messages';
import type { BaseCheckpointSaver, CheckpointTuple } from '@langchain/langgraph';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { UIMessage, UIMessageChunk } from 'ai';
import { ReadHandover } from '@auxilia/checkpoint-redis';
import type { AppConfig } from '@auxilia/core';
import { AgentsService } from '../agents.service';
import { CHECKPOINTER } from '../checkpointer';
import { McpGateway } from '../mcp-gateway';
import { AgentGraphs } from './agent-graphs';
import { approvalLog, asksApproval, pendingApprovals, type PendingApproval } from './approvals';
import { toUIMessages } from './ui-messages';
import { modelSettings } from './model';
import { streamTurn, type TurnInput } from './turn-stream';

function messagesOf(tuple: CheckpointTuple | undefined): BaseMessage[] {
  const values = tuple?.checkpoint.channel_values as { messages?: BaseMessage[] } | undefined;
  return values?.messages ?? [];
}

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
      asksApproval: asksApproval(graph),
      thread: async (threadId: string) => {
        const tuple = await this.checkpoint(threadId);
        const handover = new ReadHandover(threadId, tuple).configurable();
        return { messages: messagesOf(tuple), pending: pendingApprovals(tuple), handover };
      },
    };
    return { agentId, stream: (input) => streamTurn(graph, input, options) };
  }

  /** The thread's conversation as the AI SDK client builds it from the streams; [] for an unknown thread. */
  async loadMessages(threadId: string): Promise<UIMessage[]> {
    return (await this.loadThread(threadId)).messages;
  }

  /** The conversation and the approvals it waits for, read from one checkpoint. */
  async loadThread(threadId: string): Promise<{ messages: UIMessage[]; pending: PendingApproval[] }> {
    const tuple = await this.checkpoint(threadId);
    const pending = pendingApprovals(tuple);
    return { messages: toUIMessages(messagesOf(tuple), { pending, answers: approvalLog(tuple) }), pending };
  }

  /** The tool calls the thread's run paused on, waiting for the user's answer; [] when it is not paused. */
  async pendingApprovals(threadId: string): Promise<PendingApproval[]> {
    return pendingApprovals(await this.checkpoint(threadId));
  }

  private checkpoint(threadId: string): Promise<CheckpointTuple | undefined> {
    return this.checkpointer.getTuple({ configurable: { thread_id: threadId } });
  }

  /** Removes every checkpoint of the thread. */
  deleteThread(threadId: string): Promise<void> {
    return this.checkpointer.deleteThread(threadId);
  }
}
