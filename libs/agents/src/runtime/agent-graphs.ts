import type { StructuredToolInterface } from '@langchain/core/tools';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { loadMcpTools } from '@langchain/mcp-adapters';
import type { ChatOpenAI } from '@langchain/openai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { toolPolicy, type Agent } from '../agent.dto';
import { createAgentGraph } from './approvals';
import { createChatModel, type ModelSettings } from './chat-model';

export type AgentGraph = ReturnType<typeof createAgentGraph>;

/** Compiled graphs kept; the oldest is dropped beyond this. */
const MAX_GRAPHS = 200;

interface ServerTools {
  serial: number;
  tools: StructuredToolInterface[];
}

/**
 * Builds and reuses what one turn needs: the model client per model settings, the LangChain tools per
 * MCP client (a reconnect yields a new client, hence fresh tools) and the compiled graph per
 * (agent prompt, model, tool set). A request whose agent and servers did not change builds nothing.
 */
export class AgentGraphs {
  private readonly models = new Map<string, ChatOpenAI>();
  private readonly toolsByClient = new WeakMap<Client, Promise<ServerTools>>();
  private readonly graphs = new Map<string, AgentGraph>();
  private serial = 0;

  constructor(private readonly checkpointer: BaseCheckpointSaver) {}

  async graphFor(
    agent: Agent,
    settings: ModelSettings,
    clients: [serverId: string, client: Client][],
  ): Promise<AgentGraph> {
    const serverTools = await Promise.all(clients.map(([id, client]) => this.toolsOf(id, client)));
    const policies = clients.map(([id]) => agent.toolPolicies?.[id] ?? {});
    const key = JSON.stringify([
      settings,
      agent.instructions,
      clients.map(([id], i) => `${id}#${serverTools[i].serial}`),
      policies,
    ]);
    const cached = this.graphs.get(key);
    if (cached) {
      // Refresh the entry's position so the map's insertion order approximates least-recently used.
      this.graphs.delete(key);
      this.graphs.set(key, cached);
      return cached;
    }
    // A disabled tool is never given to the model; the names are made unique among the tools left.
    const allowed = clients.map(([id], i) =>
      serverTools[i].tools.filter((tool) => toolPolicy(agent, id, tool.name) !== 'disabled'),
    );
    const tools = uniqueNames(
      clients.map(([id]) => id),
      allowed,
    );
    const needsApproval = new Set<string>();
    let at = 0;
    clients.forEach(([id], i) => {
      for (const tool of allowed[i]) {
        if (toolPolicy(agent, id, tool.name) === 'needs_approval') needsApproval.add(tools[at].name);
        at++;
      }
    });
    // One graph shape for every agent, whatever its policies: a thread paused under one policy still
    // resumes (or takes a new message) after the policy changed.
    const graph = createAgentGraph({
      llm: this.modelFor(settings),
      tools,
      prompt: agent.instructions,
      checkpointer: this.checkpointer,
      needsApproval,
    });
    this.graphs.set(key, graph);
    if (this.graphs.size > MAX_GRAPHS) this.graphs.delete(this.graphs.keys().next().value as string);
    return graph;
  }

  private modelFor(settings: ModelSettings): ChatOpenAI {
    const key = JSON.stringify(settings);
    let model = this.models.get(key);
    if (!model) {
      model = createChatModel(settings);
      this.models.set(key, model);
    }
    return model;
  }

  private toolsOf(serverId: string, client: Client): Promise<ServerTools> {
    let entry = this.toolsByClient.get(client);
    if (!entry) {
      const serial = ++this.serial;
      entry = loadMcpTools(serverId, client, { throwOnLoadError: false }).then((tools) => ({
        serial,
        tools,
      }));
      // A failed listing is not cached: the next request tries again.
      entry.catch(() => this.toolsByClient.delete(client));
      this.toolsByClient.set(client, entry);
    }
    return entry;
  }
}

/**
 * Tools keep the names their server gives them, so prompts and scripts can name them. Model APIs only
 * take `[A-Za-z0-9_-]{1,64}`, so other characters become `_`; when two servers of one agent offer the
 * same name, the later server's tool is renamed `<serverId>__<name>`. The MCP call keeps the server's name.
 */
export function uniqueNames(
  serverIds: string[],
  toolSets: StructuredToolInterface[][],
): StructuredToolInterface[] {
  const seen = new Set<string>();
  const out: StructuredToolInterface[] = [];
  toolSets.forEach((tools, i) => {
    for (const tool of tools) {
      let name = modelSafe(tool.name);
      if (seen.has(name)) name = modelSafe(`${serverIds[i]}__${tool.name}`);
      // A shallow copy: the cached tool is shared with other agents and keeps its own name.
      const named = name === tool.name ? tool : renamed(tool, name);
      seen.add(name);
      out.push(named);
    }
  });
  return out;
}

function modelSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'tool';
}

function renamed(tool: StructuredToolInterface, name: string): StructuredToolInterface {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(tool) as object) as object, tool, { name });
  return copy as StructuredToolInterface;
}
