import { type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type MicroserviceOptions } from '@nestjs/microservices';
import helmet from 'helmet';
import { Logger, PinoLogger } from 'nestjs-pino';
import {
  createValidationPipe,
  requestLogging,
  ResilientRedisServer,
  redisTransportOptions,
  type AppConfig,
} from '@auxilia/core';
import { AppModule } from './app.module';
import { setupOpenApi } from './openapi';
import { STOP_SIGNALS } from './stop-signals';

export interface CreateAppOptions {
  /** Keep Nest's own logger (tests pass false to stay quiet). */
  bufferLogs?: boolean;
  /** Start the Redis-transport microservice (the OpenAPI export does not need it). */
  microservice?: boolean;
  /** Extra modules composed into the app (the tests add probe controllers). */
  imports?: Type[];
}

/** Builds the fully configured app without listening: used by main, the CLI and the tests. */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, options.imports), {
    bufferLogs: options.bufferLogs ?? true,
    // Bodies are parsed by AppModule's middleware, after the request logger has given the request its id.
    bodyParser: false,
    // Idle keep-alive sockets would otherwise hold a shutdown open until they time out.
    forceCloseConnections: true,
  });
  app.useLogger(app.get(Logger));
  // First, so that whatever answers a request (helmet, CORS, a body error) answers it with its id.
  app.use(requestLogging(() => PinoLogger.root));
  // The Swagger UI needs inline scripts and styles; everything else gets helmet's defaults.
  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks([...STOP_SIGNALS]);
  app.enableCors({ exposedHeaders: ['x-request-id', 'x-vercel-ai-ui-message-stream'] });
  setupOpenApi(app);
  if (options.microservice !== false) {
    app.connectMicroservice<MicroserviceOptions>(
      { strategy: new ResilientRedisServer(redisTransportOptions(config.redis)) },
      { inheritAppConfig: true },
    );
  }
  return app;
}
