import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpToolDto } from './dto/mcp-server.dto';

// A server that keeps returning cursors must not keep a request open for ever.
const MAX_PAGES = 50;

export function toToolDto(tool: Tool): McpToolDto {
  const dto: McpToolDto = {
    name: tool.name,
    description: tool.description ?? '',
    inputSchema: tool.inputSchema as Record<string, unknown>,
  };
  const title = tool.title ?? tool.annotations?.title;
  if (title !== undefined) dto.title = title;
  return dto;
}

/** Every tool of the server, following `nextCursor` pages. */
export async function listAllTools(client: Client, options: RequestOptions): Promise<McpToolDto[]> {
  const tools: McpToolDto[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await client.listTools(cursor === undefined ? {} : { cursor }, options);
    tools.push(...result.tools.map(toToolDto));
    cursor = result.nextCursor;
    if (cursor === undefined) break;
  }
  return tools;
}
