import { Module } from '@nestjs/common';
import { OAuthModule } from '@auxilia/oauth';
import { McpServersController } from './mcp-servers.controller';
import { McpServersRepository } from './mcp-servers.repository';
import { McpServersService } from './mcp-servers.service';
import { RedisMcpServersRepository } from './redis-mcp-servers.repository';

/**
 * The MCP server registry, the pooled MCP sessions and list-tools. Client secrets of the registry are
 * encrypted with OAuthModule's SecretCipher, the key of everything the OAuth provider stores.
 */
@Module({
  imports: [OAuthModule],
  controllers: [McpServersController],
  providers: [McpServersService, { provide: McpServersRepository, useClass: RedisMcpServersRepository }],
  exports: [McpServersService],
})
export class McpServersModule {}
