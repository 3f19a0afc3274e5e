import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type Type,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { json, urlencoded } from 'express';
import {
  configModule,
  loggingModule,
  ProblemDetailsFilter,
  RedisModule,
  type AppConfig,
} from '@auxilia/core';
import { HealthModule } from './health/health.module';
import { ShutdownLogger } from './shutdown';

@Module({})
export class AppModule implements NestModule {
  private static bodyLimit = 1024 * 1024;

  static register(config: AppConfig, extra: Type[] = []): DynamicModule {
    AppModule.bodyLimit = config.http.bodyLimitBytes;
    return {
      module: AppModule,
      imports: [configModule(config), loggingModule, RedisModule, HealthModule, ...extra],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }, ShutdownLogger],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const limit = AppModule.bodyLimit;
    consumer.apply(json({ limit }), urlencoded({ limit, extended: false })).forRoutes('{*path}');
  }
}
