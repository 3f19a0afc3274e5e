import { Module, type LoggerService } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { resolveEncryptionKey, SecretCipher, type AppConfig } from '@auxilia/core';
import { OAuthModule } from '@auxilia/oauth';
import { McpServersController } from './mcp-servers.controller';
import { McpServersRepository } from './mcp-servers.repository';
import { McpServersService } from './mcp-servers.service';
import { RedisMcpServersRepository } from './redis-mcp-servers.repository';

const QUIET: LoggerService = { log: () => undefined, error: () => undefined, warn: () => undefined };

/** The MCP server registry, the pooled MCP sessions and list-tools. */
@Module({
  imports: [OAuthModule],
  controllers: [McpServersController],
  providers: [
    McpServersService,
    { provide: McpServersRepository, useClass: RedisMcpServersRepository },
    {
      // The same key as the OAuth store (ENCRYPTION_KEY, or the generated key file): client secrets
      // of the registry are encrypted at rest like everything the OAuth provider keeps. OAuthModule
      // already logs where the key comes from, so this lookup stays quiet.
      provide: SecretCipher,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        new SecretCipher(
          resolveEncryptionKey(
            {
              encryptionKey: config.get('encryptionKey', { infer: true }),
              encryptionKeyFile: config.get('encryptionKeyFile', { infer: true }),
            },
            QUIET,
          ),
        ),
    },
  ],
  exports: [McpServersService],
})
export class McpServersModule {}
