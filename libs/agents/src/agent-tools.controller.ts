import { applyDecorators, Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@auxilia/core';
import { ApiProblemsOf, McpServerProblemDto, OAuthRequiredProblemDto } from '@auxilia/mcp-servers';
import { AgentDto, type Agent } from './agent.dto';
import { AgentToolsService } from './agent-tools.service';
import { AgentToolDto, SetToolPoliciesDto, ToolPoliciesProblemDto } from './tool-policies.dto';

const NOT_FOUND: [number, string] = [
  404,
  'No agent with this id, or the agent does not use this MCP server (error "mcp_server_not_in_agent")',
];

/** The problems of asking the MCP server for its tools. */
function ApiMcpProblems() {
  return applyDecorators(
    ApiProblemsOf(OAuthRequiredProblemDto, [
      401,
      'The MCP server needs an OAuth authorization (error "oauth_required", with authorizationUrl)',
    ]),
    ApiProblemsOf(
      McpServerProblemDto,
      [502, 'The MCP server could not be reached or failed (the problem names it)'],
      [504, 'The MCP server did not answer within MCP_TIMEOUT_MS (the problem names it)'],
    ),
  );
}

@ApiTags('agents')
@Controller('agents/:id/mcp-servers/:serverId/tools')
@ApiParam({ name: 'id', description: 'Agent id', example: 'assistant' })
@ApiParam({ name: 'serverId', description: 'One of the agent’s mcpServerIds', example: 'everything' })
export class AgentToolsController {
  constructor(private readonly tools: AgentToolsService) {}

  @Get()
  @ApiOperation({
    operationId: 'listAgentTools',
    summary: 'List the tools of one of an agent’s MCP servers, with their policies',
    description:
      'The tools the MCP server offers (as GET /mcp-servers/{id}/list-tools, from its cache), each with ' +
      'the policy the agent applies: `always_allow` (the default), `needs_approval` or `disabled`.',
  })
  @ApiOkResponse({ type: [AgentToolDto] })
  @ApiProblems(NOT_FOUND)
  @ApiMcpProblems()
  list(@Param('id') id: string, @Param('serverId') serverId: string): Promise<AgentToolDto[]> {
    return this.tools.list(id, serverId);
  }

  @Put()
  @ApiOperation({
    operationId: 'setAgentToolPolicies',
    summary: 'Set the tool policies of one of an agent’s MCP servers',
    description:
      'Replaces the policies of this server: the tools named get the policy given, every other tool ' +
      '`always_allow`; `{"tools": {}}` allows them all. Each named tool must be one the server offers ' +
      'now (else 400 listing `unknownTools`), so the server is asked for its tools first. Other fields ' +
      'of the agent, and the policies of its other servers, are left as they are.',
  })
  @ApiOkResponse({ type: AgentDto })
  @ApiProblemsOf(ToolPoliciesProblemDto, [
    400,
    'Invalid body (each invalid field is listed), or tools the server does not offer (`unknownTools`)',
  ])
  @ApiProblems(NOT_FOUND)
  @ApiMcpProblems()
  set(
    @Param('id') id: string,
    @Param('serverId') serverId: string,
    @Body() body: SetToolPoliciesDto,
  ): Promise<Agent> {
    return this.tools.set(id, serverId, body.tools);
  }
}
