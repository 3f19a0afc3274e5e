import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from '@auxilia/core';
import { AgentDto, CreateAgentDto, UpdateAgentDto, type Agent } from './agent.dto';
import { AgentsService } from './agents.service';

@ApiTags('agents')
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Get()
  @ApiOperation({
    operationId: 'listAgents',
    summary: 'List agents',
    description:
      'Every agent, sorted by id: the seeded ones still present and those created through the API.',
  })
  @ApiOkResponse({ type: [AgentDto] })
  list(): Promise<Agent[]> {
    return this.agents.list();
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getAgent', summary: 'Get an agent', description: 'One agent by id.' })
  @ApiOkResponse({ type: AgentDto })
  @ApiProblems([404, 'No agent with this id'])
  get(@Param('id') id: string): Promise<Agent> {
    return this.agents.get(id);
  }

  @Post()
  @ApiOperation({
    operationId: 'createAgent',
    summary: 'Create an agent',
    description:
      'Creates an agent with a system prompt (`instructions`), an optional model (else OPENAI_MODEL) and the MCP servers whose tools it may call.',
  })
  @ApiCreatedResponse({ type: AgentDto })
  @ApiProblems([400, 'Invalid body or unknown MCP server id'], [409, 'The id is taken'])
  create(@Body() dto: CreateAgentDto): Promise<Agent> {
    return this.agents.create(dto);
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateAgent',
    summary: 'Update an agent',
    description:
      'Changes the fields given; `null` clears `description` or `model`. The next turn uses the change.',
  })
  @ApiOkResponse({ type: AgentDto })
  @ApiProblems([400, 'Invalid body or unknown MCP server id'], [404, 'No agent with this id'])
  update(@Param('id') id: string, @Body() dto: UpdateAgentDto): Promise<Agent> {
    return this.agents.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteAgent',
    summary: 'Delete an agent',
    description: 'Removes the agent. A deleted seed is not seeded again at the next start.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems([404, 'No agent with this id'])
  remove(@Param('id') id: string): Promise<void> {
    return this.agents.remove(id);
  }
}
