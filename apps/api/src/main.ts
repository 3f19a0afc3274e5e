import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig, type AppConfig } from '@auxilia/core';
import { AcceptHandles } from './accept-handles';
import { createApp } from './bootstrap';
import { runWorkers } from './workers';

function readConfig(): AppConfig {
  // A local .env is a convenience for development; real deployments set the environment.
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  if (config.http.workers > 1 && cluster.isPrimary) {
    runWorkers({ workers: config.http.workers, logLevel: config.log.level });
    return;
  }
  // A worker whose primary is gone can take no new connection: it stops as on SIGTERM.
  if (cluster.isWorker) process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  const app = await createApp(config);
  await app.startAllMicroservices();
  await app.listen(config.http.port, config.http.host);
  const server = app.getHttpServer();
  const logger = new Logger('Bootstrap');
  // A worker's connections are accepted by its primary: only a process serving alone listens itself.
  if (!cluster.isWorker && config.http.acceptHandles > 1) {
    await app
      .get(AcceptHandles)
      .open(server, config.http.acceptHandles - 1)
      .catch((err: unknown) =>
        logger.warn(
          `Accepting through the server's own handle only (HTTP_ACCEPT_HANDLES): ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
  }
  const { port } = server.address() as { port: number };
  logger.log(`Listening on http://${config.http.host}:${port} (docs at /docs)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`Failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
