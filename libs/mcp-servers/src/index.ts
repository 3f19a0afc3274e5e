export * from './mcp-server';
export { McpServerDto, McpToolDto, OAuthClientViewDto } from './dto/mcp-server.dto';
export { ApiProblemsOf, McpServerProblemDto, OAuthRequiredProblemDto } from './dto/mcp-problems.dto';
export { classifyMcpError, isFatalToSession, rootMcpError, type McpFailureKind } from './mcp-errors';
export { listAllTools } from './tools';
export { McpServersService } from './mcp-servers.service';
export { McpServersModule } from './mcp-servers.module';
