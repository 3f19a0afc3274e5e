import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { ArrayUnique, IsArray, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

/** What an agent may do with one tool: `always_allow` is the default and is not stored. */
export const TOOL_POLICIES = ['always_allow', 'needs_approval', 'disabled'] as const;
export type ToolPolicy = (typeof TOOL_POLICIES)[number];

/** Per MCP server id, per tool name (as the server names it): the policies that are not the default. */
export type ToolPolicies = Record<string, Record<string, Exclude<ToolPolicy, 'always_allow'>>>;

/** An agent: a system prompt, an optional model and the MCP servers whose tools it may call. */
export interface Agent {
  id: string;
  name: string;
  description?: string;
  instructions: string;
  model?: string;
  mcpServerIds: string[];
  /** Absent when every tool is `always_allow`. */
  toolPolicies?: ToolPolicies;
}

/** The policy of one tool of one of the agent's servers. */
export function toolPolicy(agent: Agent, serverId: string, toolName: string): ToolPolicy {
  // Own members only: a tool named e.g. "constructor" must not read Object.prototype.
  const policies = agent.toolPolicies;
  const tools = policies && Object.hasOwn(policies, serverId) ? policies[serverId] : undefined;
  return tools && Object.hasOwn(tools, toolName) ? tools[toolName] : 'always_allow';
}

// Ids appear in URLs and Redis keys: keep them to a safe slug.
const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export class AgentDto implements Agent {
  @ApiProperty({ example: 'assistant', description: 'Unique id (a lowercase slug)' })
  id: string;
  @ApiProperty({ example: 'Assistant' })
  name: string;
  @ApiPropertyOptional({ example: 'A general helper' })
  description?: string;
  @ApiProperty({ example: 'You are a helpful assistant.', description: 'The system prompt' })
  instructions: string;
  @ApiPropertyOptional({ example: 'gpt-4o-mini', description: 'Model name; OPENAI_MODEL when absent' })
  model?: string;
  @ApiProperty({ type: [String], example: ['deepwiki'], description: 'MCP servers whose tools it may call' })
  mcpServerIds: string[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: {
      type: 'object',
      additionalProperties: { type: 'string', enum: ['needs_approval', 'disabled'] },
    },
    example: { everything: { echo: 'needs_approval', 'get-sum': 'disabled' } },
    description:
      'Per MCP server id, per tool name: the tools that are not `always_allow`. Absent when every tool of ' +
      'every server is `always_allow` (never `{}`). Set with PUT /agents/{id}/mcp-servers/{serverId}/tools.',
  })
  toolPolicies?: ToolPolicies;
}

export class CreateAgentDto {
  @ApiProperty({ example: 'assistant', description: 'Unique id: lowercase letters, digits, - and _' })
  @IsString()
  @Matches(ID_PATTERN, { message: 'id must be a lowercase slug (a-z, 0-9, - and _, at most 64)' })
  id: string;

  @ApiProperty({ example: 'Assistant' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ example: 'A general helper' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ example: 'You are a helpful assistant.', description: 'The system prompt' })
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  instructions: string;

  @ApiPropertyOptional({ example: 'gpt-4o-mini', description: 'Model name; OPENAI_MODEL when absent' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({ type: [String], example: ['deepwiki'], description: 'Default: none' })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsString({ each: true })
  mcpServerIds?: string[];
}

// A null would otherwise pass as "absent" and be stored over a required field.
export class UpdateAgentDto extends PartialType(OmitType(CreateAgentDto, ['id'] as const), {
  skipNullProperties: false,
}) {}
