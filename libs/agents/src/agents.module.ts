import { Module } from '@nestjs/common';
import { McpServersModule } from '@auxilia/mcp-servers';
import { AgentToolsController } from './agent-tools.controller';
import { AgentToolsService } from './agent-tools.service';
import { AgentsController } from './agents.controller';
import { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';
import { CHECKPOINTER, checkpointerProvider } from './checkpointer';
import { McpGateway, McpServersGateway } from './mcp-gateway';
import { RedisAgentsRepository } from './redis-agents.repository';
import { AgentRuntime } from './runtime/agent-runtime';

@Module({
  imports: [McpServersModule],
  controllers: [AgentsController, AgentToolsController],
  providers: [
    AgentsService,
    AgentToolsService,
    AgentRuntime,
    checkpointerProvider,
    { provide: AgentsRepository, useClass: RedisAgentsRepository },
    { provide: McpGateway, useClass: McpServersGateway },
  ],
  exports: [AgentsService, AgentRuntime, CHECKPOINTER],
})
export class AgentsModule {}
