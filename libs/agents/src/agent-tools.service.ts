import { Injectable } from '@nestjs/common';
import { ProblemException } from '@auxilia/core';
import type { McpToolDto } from '@auxilia/mcp-servers';
import { toolPolicy, type Agent, type ToolPolicy } from './agent.dto';
import { AgentsService } from './agents.service';
import { McpGateway } from './mcp-gateway';
import type { AgentToolDto } from './tool-policies.dto';
import { unknownToolNames, withServerPolicies } from './tool-policies';

/** The tools of an agent's MCP servers, and what the agent may do with each. */
@Injectable()
export class AgentToolsService {
  constructor(
    private readonly agents: AgentsService,
    private readonly servers: McpGateway,
  ) {}

  /** The server's live tools with their policies. */
  async list(id: string, serverId: string): Promise<AgentToolDto[]> {
    const agent = await this.agents.get(id);
    assertUses(agent, serverId);
    const tools = await this.servers.listTools(serverId);
    return tools.map((tool) => ({ ...tool, policy: toolPolicy(agent, serverId, tool.name) }));
  }

  /**
   * Replaces the policies of one server of the agent. Every named tool must be one the server offers
   * now; the write itself only touches `toolPolicies`, atomically, so a concurrent PATCH is kept.
   */
  async set(id: string, serverId: string, tools: Record<string, ToolPolicy>): Promise<Agent> {
    assertUses(await this.agents.get(id), serverId);
    await this.assertOffered(serverId, Object.keys(tools));
    return this.agents.change(id, (current) => {
      // A PATCH may have dropped the server meanwhile.
      assertUses(current, serverId);
      return withServerPolicies(current, serverId, tools);
    });
  }

  private async assertOffered(serverId: string, names: string[]): Promise<void> {
    if (names.length === 0) return;
    let unknown = unknownToolNames(names, await this.servers.listTools(serverId));
    // The cached list may predate a tool the server has added since: ask again before refusing.
    if (unknown.length > 0) unknown = unknownToolNames(names, await this.listFresh(serverId));
    if (unknown.length === 0) return;
    const list = unknown.slice(0, 20).map((name) => JSON.stringify(name));
    const more = unknown.length > list.length ? ` and ${unknown.length - list.length} more` : '';
    throw new ProblemException(
      400,
      'unknown-tool',
      'Bad Request',
      `MCP server "${serverId}" offers no tool ${list.join(', ')}${more}`,
      { serverId, unknownTools: unknown },
    );
  }

  private listFresh(serverId: string): Promise<McpToolDto[]> {
    return this.servers.listTools(serverId, { refresh: true });
  }
}

function assertUses(agent: Agent, serverId: string): void {
  if (agent.mcpServerIds.includes(serverId)) return;
  throw new ProblemException(
    404,
    'mcp-server-not-in-agent',
    'Not Found',
    `Agent "${agent.id}" does not use MCP server "${serverId}"`,
    { error: 'mcp_server_not_in_agent', serverId },
  );
}
