import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { ProblemDto } from '@auxilia/core';
import { McpToolDto } from '@auxilia/mcp-servers';
import { CreateAgentDto, TOOL_POLICIES, type ToolPolicy } from './agent.dto';
import { IsToolPolicies, IsToolPolicyMap, MAX_TOOL_ENTRIES, MAX_TOOL_NAME_LENGTH } from './tool-policies';

/**
 * The member as sent: class-transformer silently drops keys that name Object members ("toString",
 * "valueOf", ...), which are tool names like any other here; the validator checks the raw value.
 * ("__proto__" and "constructor" never get this far: Nest's pipe strips them from every body.)
 */
function AsSent(): PropertyDecorator {
  return Transform(({ obj, key }) => (obj as Record<string, unknown>)[key]);
}

export class SetToolPoliciesDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', enum: [...TOOL_POLICIES] },
    example: { echo: 'needs_approval', 'get-sum': 'disabled' },
    description:
      `Tool name (as the MCP server names it, 1 to ${MAX_TOOL_NAME_LENGTH} characters) → policy, at most ` +
      `${MAX_TOOL_ENTRIES} entries. Replaces the server's policies: a tool not named is \`always_allow\`.`,
  })
  @AsSent()
  @IsToolPolicyMap()
  tools: Record<string, ToolPolicy>;
}

/** A live tool of one of the agent's MCP servers, with what the agent may do with it. */
export class AgentToolDto extends McpToolDto {
  @ApiProperty({
    enum: TOOL_POLICIES,
    example: 'needs_approval',
    description: '`always_allow` unless the agent says otherwise',
  })
  policy: ToolPolicy;
}

/** 400 on PUT …/tools: an invalid body (`errors`) or tools the server does not offer (`unknownTools`). */
export class ToolPoliciesProblemDto extends ProblemDto {
  @ApiPropertyOptional({ example: 'everything', description: 'The MCP server concerned' }) serverId?: string;
  @ApiPropertyOptional({
    type: [String],
    example: ['no-such-tool'],
    description: 'Named tools the server does not offer (at the time of the request)',
  })
  unknownTools?: string[];
}

/** An agent of the agents file, which may also set tool policies (only the shape is checked at start). */
export class SeedAgentDto extends CreateAgentDto {
  @IsOptional()
  @AsSent()
  @IsToolPolicies()
  toolPolicies?: Record<string, Record<string, ToolPolicy>>;
}
