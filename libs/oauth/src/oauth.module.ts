import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ClientsModule } from '@nestjs/microservices';
import {
  OutboundGuardModule,
  redisTransportOptions,
  resolveEncryptionKey,
  ResilientRedisClient,
  SecretCipher,
  type AppConfig,
} from '@auxilia/core';
import { OAuthCallbackController } from './oauth-callback.controller';
import { OAuthCallbackService } from './oauth-callback.service';
import { OAuthEvents } from './oauth-events';
import { OAuthEventsController } from './oauth-events.controller';
import { OAuthWaitController } from './oauth-wait.controller';
import { OAuthService } from './oauth.service';
import { OAuthStore } from './oauth.store';
import { OAUTH_EVENTS } from './oauth.types';
import { RedisOAuthStore } from './redis-oauth.store';

@Module({
  imports: [
    OutboundGuardModule,
    ClientsModule.registerAsync([
      {
        name: OAUTH_EVENTS,
        inject: [ConfigService],
        useFactory: (config: ConfigService<AppConfig, true>) => ({
          customClass: ResilientRedisClient,
          options: redisTransportOptions(config.get('redis', { infer: true })),
        }),
      },
    ]),
  ],
  controllers: [OAuthCallbackController, OAuthWaitController, OAuthEventsController],
  providers: [
    {
      provide: SecretCipher,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        new SecretCipher(
          resolveEncryptionKey(
            {
              encryptionKey: config.get('encryptionKey', { infer: true }),
              encryptionKeyFile: config.get('encryptionKeyFile', { infer: true }),
            },
            new Logger('Encryption'),
          ),
        ),
    },
    { provide: OAuthStore, useClass: RedisOAuthStore },
    OAuthEvents,
    OAuthCallbackService,
    OAuthService,
  ],
  // SecretCipher is shared so the registry encrypts client secrets with the same key.
  exports: [OAuthService, OAuthCallbackService, SecretCipher, OutboundGuardModule],
})
export class OAuthModule {}
