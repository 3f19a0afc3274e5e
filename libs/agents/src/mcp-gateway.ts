import { Injectable } from '@nestjs/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolRequest, CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ProblemException } from '@auxilia/core';
import { classifyMcpError, McpServersService, type McpToolDto } from '@auxilia/mcp-servers';

/**
 * What the agents need from the MCP servers: whether an id exists, a connected client (getting it
 * throws the 401 oauth_required / 502 / 504 problems, which stop a turn before it starts), and the
 * server's tools (same problems; cached with the session unless `refresh`).
 */
export abstract class McpGateway {
  abstract exists(id: string): Promise<boolean>;
  abstract getClient(id: string): Promise<Client>;
  abstract listTools(id: string, options?: { refresh?: boolean }): Promise<McpToolDto[]>;
}

/**
 * Tool calls of a turn go through the server's current pooled session rather than the client the tools
 * were listed with: a session replaced mid-run (expiry, reconnect) keeps working, an expired one is
 * retried once by `withClient`, and every failure reaches the model as a tool error with a short reason.
 */
@Injectable()
export class McpServersGateway extends McpGateway {
  private readonly proxies = new WeakMap<Client, Client>();

  constructor(private readonly servers: McpServersService) {
    super();
  }

  exists(id: string): Promise<boolean> {
    return this.servers.exists(id);
  }

  override listTools(id: string, options: { refresh?: boolean } = {}): Promise<McpToolDto[]> {
    return this.servers.listTools(id, options);
  }

  async getClient(id: string): Promise<Client> {
    const client = await this.servers.getClient(id);
    let proxy = this.proxies.get(client);
    if (!proxy) {
      proxy = this.proxy(id, client);
      this.proxies.set(client, proxy);
    }
    return proxy;
  }

  private proxy(id: string, client: Client): Client {
    const callTool = (params: CallToolRequest['params'], _schema?: unknown, options?: RequestOptions) =>
      this.callTool(id, params, options);
    return new Proxy(client, {
      get(target, property) {
        if (property === 'callTool') return callTool;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  private async callTool(
    id: string,
    params: CallToolRequest['params'],
    options?: RequestOptions,
  ): Promise<CallToolResult> {
    try {
      return await this.servers.withClient(id, async (client) => {
        try {
          const result = await client.callTool(params, undefined, {
            ...this.servers.requestOptions(),
            ...options,
          });
          return result as CallToolResult;
        } catch (error) {
          // A JSON-RPC error (unknown tool, invalid arguments) is the server's answer: the model should read it.
          if (classifyMcpError(error) !== 'rejected') throw error;
          return { isError: true, content: [{ type: 'text', text: (error as Error).message }] };
        }
      });
    } catch (error) {
      const detail = error instanceof ProblemException ? problemDetail(error) : undefined;
      throw new Error(detail ?? `MCP server "${id}" failed`, { cause: error });
    }
  }
}

function problemDetail(problem: ProblemException): string | undefined {
  const body = problem.getResponse() as { detail?: unknown; title?: unknown };
  const text = body.detail ?? body.title;
  return typeof text === 'string' ? text : undefined;
}
