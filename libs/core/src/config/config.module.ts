import { ConfigModule, ConfigService } from '@nestjs/config';
import type { DynamicModule } from '@nestjs/common';
import type { AppConfig } from './config';

/**
 * The configuration is validated before the app is built (see loadConfig), so a bad variable stops
 * the process with one line instead of a stack trace from inside the module graph.
 */
export function configModule(config: AppConfig): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    skipProcessEnv: true,
    load: [() => ({ ...config })],
  });
}

export type TypedConfigService = ConfigService<AppConfig, true>;
