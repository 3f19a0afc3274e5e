import { randomUUID } from 'node:crypto';
import type { INestApplication, Type } from '@nestjs/common';
import createClient from 'openapi-fetch';
import { loadConfig, type AppConfig } from '@auxilia/core';
import { createApp } from '../../src/bootstrap';
import type { paths } from '../../../../openapi/schema';

export type ApiClient = ReturnType<typeof createClient<paths>>;

/** A config for one test file: the throwaway Redis of the run and a key prefix of its own. */
export function testConfig(env: Record<string, string> = {}): AppConfig {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run the tests through the jest config');
  return loadConfig({
    REDIS_URL: url,
    REDIS_KEY_PREFIX: `test-${randomUUID().slice(0, 8)}:`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    // A fixed test key: without one the service would write a generated key file into the work tree.
    ENCRYPTION_KEY: 'dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdDE=',
    // Every fixture server listens on loopback.
    MCP_ALLOW_PRIVATE_NETWORKS: 'true',
    // Suites send many callbacks and streams from one address; rate-limit.e2e-spec sets its own limits.
    RATE_LIMIT_CALLBACK_PER_MIN: '10000',
    RATE_LIMIT_STREAM_PER_MIN: '10000',
    ...env,
  });
}

export interface RunningApp {
  app: INestApplication;
  config: AppConfig;
  baseUrl: string;
  api: ApiClient;
  close(): Promise<void>;
}

/** Boots the real app (HTTP and the Redis microservice) on a free loopback port. */
export async function startApp(
  options: { env?: Record<string, string>; config?: AppConfig; imports?: Type[] } = {},
): Promise<RunningApp> {
  const config = options.config ?? testConfig(options.env);
  const app = await createApp(config, { imports: options.imports });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    app,
    config,
    baseUrl,
    api: createClient<paths>({ baseUrl }),
    close: () => app.close(),
  };
}

/** The model settings of a service whose model is the scripted server at `baseURL`, never retried. */
export function scriptedModelEnv(baseURL: string): Record<string, string> {
  return {
    OPENAI_BASE_URL: baseURL,
    OPENAI_API_KEY: 'test-key',
    OPENAI_MODEL: 'scripted-model',
    OPENAI_MAX_RETRIES: '0',
  };
}
