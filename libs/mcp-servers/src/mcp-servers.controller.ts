import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from '@auxilia/core';
import {
  CreateMcpServerDto,
  ListToolsQueryDto,
  McpServerDto,
  McpToolDto,
  UpdateMcpServerDto,
} from './dto/mcp-server.dto';
import { ApiProblemsOf, McpServerProblemDto, OAuthRequiredProblemDto } from './dto/mcp-problems.dto';
import type { McpServer } from './mcp-server';
import { McpServersService } from './mcp-servers.service';

const NOT_FOUND: [number, string] = [404, 'No MCP server with this id'];
const ID_PARAM = { name: 'id', description: 'MCP server id', example: 'deepwiki' };

@ApiTags('mcp-servers')
@Controller('mcp-servers')
export class McpServersController {
  constructor(private readonly servers: McpServersService) {}

  @Get()
  @ApiOperation({
    operationId: 'listMcpServers',
    summary: 'List MCP servers',
    description:
      'Every registered MCP server, sorted by id, with whether it is connected. Secrets are never shown.',
  })
  @ApiOkResponse({ type: [McpServerDto] })
  async list(): Promise<McpServerDto[]> {
    const servers = await this.servers.list();
    return Promise.all(servers.map((s) => this.view(s)));
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getMcpServer',
    summary: 'Get an MCP server',
    description: 'One registered MCP server, with whether it is connected.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: McpServerDto })
  @ApiProblems(NOT_FOUND)
  async get(@Param('id') id: string): Promise<McpServerDto> {
    return this.view(await this.servers.get(id));
  }

  @Post()
  @ApiOperation({
    operationId: 'createMcpServer',
    summary: 'Register an MCP server',
    description:
      'Adds a server to the registry. Without `transport`, streamable HTTP is tried first and the legacy ' +
      'HTTP+SSE transport on a 4xx. An OAuth client secret is stored but never returned.',
  })
  @ApiCreatedResponse({ type: McpServerDto })
  @ApiProblems([400, 'Invalid body (each invalid field is listed)'], [409, 'The id is taken'])
  async create(@Body() body: CreateMcpServerDto): Promise<McpServerDto> {
    return this.view(await this.servers.create(body));
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateMcpServer',
    summary: 'Change an MCP server',
    description:
      'Changes the given fields; the server session is restarted so the change applies to the next call. ' +
      'Seeding at start never overwrites a change made here.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: McpServerDto })
  @ApiProblems([400, 'Invalid body (each invalid field is listed)'], NOT_FOUND)
  async update(@Param('id') id: string, @Body() body: UpdateMcpServerDto): Promise<McpServerDto> {
    return this.view(await this.servers.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteMcpServer',
    summary: 'Remove an MCP server',
    description:
      'Removes the server, ends its session and forgets its OAuth tokens and client. A seeded server ' +
      'that was removed is not seeded again.',
  })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems(NOT_FOUND)
  async remove(@Param('id') id: string): Promise<void> {
    await this.servers.remove(id);
  }

  @Delete(':id/oauth')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'disconnectMcpServer',
    summary: 'Disconnect an MCP server',
    description:
      'Forgets the OAuth tokens and client of the server and ends its session: the next use asks for ' +
      'authorization again.',
  })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({ description: 'Disconnected' })
  @ApiProblems(NOT_FOUND)
  async disconnect(@Param('id') id: string): Promise<void> {
    await this.servers.disconnect(id);
  }

  @Get(':id/list-tools')
  @ApiOperation({
    operationId: 'listMcpServerTools',
    summary: 'List the tools of an MCP server',
    description:
      'The tools the server offers, cached with its session until the session is replaced; ' +
      '`refresh=true` asks the server again. When the server needs authorization the answer is 401 ' +
      '`oauth_required` with `authorizationUrl`, `state` and `expiresAt`.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: [McpToolDto] })
  @ApiProblems([400, 'Invalid query'], NOT_FOUND)
  @ApiProblemsOf(OAuthRequiredProblemDto, [
    401,
    'The server needs an OAuth authorization (error "oauth_required", with authorizationUrl)',
  ])
  @ApiProblemsOf(
    McpServerProblemDto,
    [502, 'The MCP server could not be reached or failed (the problem names it)'],
    [504, 'The MCP server did not answer within MCP_TIMEOUT_MS (the problem names it)'],
  )
  listTools(@Param('id') id: string, @Query() query: ListToolsQueryDto): Promise<McpToolDto[]> {
    return this.servers.listTools(id, { refresh: query.refresh === 'true' });
  }

  private async view(server: McpServer): Promise<McpServerDto> {
    const { oauthClient, ...rest } = server;
    const dto: McpServerDto = { ...rest, connected: await this.servers.isConnected(server) };
    if (oauthClient) {
      dto.oauthClient = { clientId: oauthClient.clientId, hasClientSecret: !!oauthClient.clientSecret };
    }
    return dto;
  }
}
