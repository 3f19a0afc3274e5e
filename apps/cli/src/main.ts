import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type AppConfig } from '@auxilia/core';
import { conformanceClient } from './conformance-client';
import { oauthFlow, oauthListen } from './oauth-commands';
import { openapiExport } from './openapi-export';
import { pruneCheckpoints } from './prune-checkpoints';
import { redisCheck } from './redis-check';

const USAGE = `Usage: auxilia <command>

Commands:
  redis-check     publish/subscribe round trip through the configured Redis, with its latency
  openapi         regenerate openapi/openapi.yaml and openapi/schema.d.ts from the app
  oauth-flow <serverId> [--api URL] [--timeout S] [--api-key KEY]
                  list a server's tools through a running service, authorizing it first when needed
  listen <state> [--timeout S] [--json]
                  print the outcome of an authorization when its callback arrives (any instance)
  conformance-client <serverUrl>
                  the client under test of the MCP conformance suite (npm run conformance)
  prune-checkpoints
                  keep each thread's latest checkpoint only, now, as CHECKPOINTS_KEEP=latest does at
                  a thread's next turn (for threads stored while every checkpoint was kept)
`;

function config(): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return loadConfig(process.env);
}

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'redis-check':
      return redisCheck(config());
    case 'oauth-flow':
      return oauthFlow(config(), rest);
    case 'listen':
      return oauthListen(config(), rest);
    case 'conformance-client':
      return conformanceClient(config(), rest);
    case 'prune-checkpoints':
      return pruneCheckpoints(config());
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
