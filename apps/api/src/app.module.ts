import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type Type,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { json, urlencoded } from 'express';
import {
  ApiKeyGuard,
  configModule,
  jsonBodiesOnly,
  loggingModule,
  ProblemDetailsFilter,
  RateLimitGuard,
  RedisModule,
  type AppConfig,
} from '@auxilia/core';
import { AgentsModule } from '@auxilia/agents';
import { McpServersModule } from '@auxilia/mcp-servers';
import { OAuthModule } from '@auxilia/oauth';
import { ThreadsModule } from '@auxilia/threads';
import { AcceptHandles } from './accept-handles';
import { HealthModule } from './health/health.module';
import { PlaygroundModule } from './playground/playground.module';
import { ShutdownLogger } from './shutdown';

@Module({})
export class AppModule implements NestModule {
  private static bodyLimit = 1024 * 1024;

  static register(config: AppConfig, extra: Type[] = []): DynamicModule {
    AppModule.bodyLimit = config.http.bodyLimitBytes;
    return {
      module: AppModule,
      imports: [
        configModule(config),
        loggingModule,
        RedisModule,
        HealthModule,
        OAuthModule,
        McpServersModule,
        AgentsModule,
        ThreadsModule,
        PlaygroundModule,
        ...extra,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        ShutdownLogger,
        AcceptHandles,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const limit = AppModule.bodyLimit;
    consumer
      .apply(jsonBodiesOnly, json({ limit }), urlencoded({ limit, extended: false }))
      .forRoutes('{*path}');
  }
}
