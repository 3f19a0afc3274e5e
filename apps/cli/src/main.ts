import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type AppConfig } from '@auxilia/core';
import { openapiExport } from './openapi-export';
import { redisCheck } from './redis-check';

const USAGE = `Usage: auxilia <command>

Commands:
  redis-check     publish/subscribe round trip through the configured Redis, with its latency
  openapi         regenerate openapi/openapi.yaml and openapi/schema.d.ts from the app
`;

function config(): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return loadConfig(process.env);
}

async function run(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'redis-check':
      return redisCheck(config());
    case 'openapi':
      // The export needs no live Redis or logs; keep its output to the files it writes.
      return openapiExport({ ...config(), log: { level: 'silent', pretty: false } });
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

run(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(
      err instanceof ConfigError ? err.message : `Failed: ${err instanceof Error ? err.message : err}`,
    );
    process.exit(1);
  });
