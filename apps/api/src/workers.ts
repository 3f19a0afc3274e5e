import cluster, { type Worker } from 'node:cluster';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '@auxilia/core';
import { STOP_SIGNALS, type StopSignal } from './stop-signals';

/** Unexpected exits of serving workers tolerated within `RESTART_WINDOW_MS`; one more stops the service. */
export const MAX_RESTARTS = 5;
export const RESTART_WINDOW_MS = 60_000;

export interface WorkerPoolOptions {
  workers: number;
  logLevel: LogLevel;
}

/**
 * Serves the API from `workers` processes sharing one port: Node's cluster, whose primary accepts the
 * connections and hands them to the workers in turn. Every worker is a whole instance (runs, streams, OAuth
 * callbacks and caches already travel between instances over Redis), so this only puts more cores to work.
 *
 * The primary serves nothing. It starts the workers, replaces one that dies while serving, and passes a
 * SIGTERM, SIGINT or SIGHUP on to all of them: each stops as a single process does (new runs refused, open
 * streams given SHUTDOWN_GRACE_MS), and once they are gone the primary ends by the same signal. A second
 * signal during that stop kills the workers at once. A worker that exits before it listens means the start
 * itself fails (a bad agents file, a port in use): the others are stopped and the primary exits with 1,
 * instead of starting it again in a loop; so does a worker dying more than `MAX_RESTARTS` times a minute.
 */
export function runWorkers(options: WorkerPoolOptions): void {
  const log = primaryLogger(options.logLevel);
  const listening = new WeakSet<Worker>();
  const restarts: number[] = [];
  let stopping: StopSignal | undefined;
  let failed = false;

  const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
  const stopAll = (signal: NodeJS.Signals) => {
    for (const worker of alive()) worker.process.kill(signal);
  };
  const fail = (reason: string) => {
    log.error(`${reason}: stopping the other workers`);
    failed = true;
    stopAll('SIGTERM');
  };

  cluster.on('listening', (worker, address) => {
    listening.add(worker);
    log.info(`worker ${worker.process.pid} listening on port ${address.port}`);
  });

  cluster.on('exit', (worker, code, signal) => {
    const how = signal ? `by ${signal}` : `with code ${code}`;
    if (stopping || failed) {
      log.info(`worker ${worker.process.pid} exited ${how}`);
    } else if (!listening.has(worker)) {
      fail(`worker ${worker.process.pid} exited ${how} before it listened`);
    } else {
      const now = Date.now();
      while (restarts.length > 0 && restarts[0] <= now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length >= MAX_RESTARTS) {
        fail(`worker ${worker.process.pid} exited ${how}, the ${MAX_RESTARTS + 1}th time within a minute`);
      } else {
        restarts.push(now);
        log.error(`worker ${worker.process.pid} exited ${how}: starting another`);
        cluster.fork();
      }
    }
    if (alive().length > 0) return;
    for (const s of STOP_SIGNALS) process.removeAllListeners(s);
    if (stopping && !failed) process.kill(process.pid, stopping);
    else process.exit(1);
  });

  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (stopping) {
        log.warn(`${signal} received again: killing the workers`);
        stopAll('SIGKILL');
        return;
      }
      stopping = signal;
      log.info(`${signal} received: stopping ${alive().length} workers`);
      // A terminal's Ctrl-C reaches the workers too; a worker already stopping ignores the repeat.
      stopAll(signal);
    });
  }

  log.info(`starting ${options.workers} workers`);
  for (let i = 0; i < options.workers; i++) cluster.fork();
}

/** The primary's few lines, in the workers' JSON format, written at once (it may exit right after). */
function primaryLogger(level: LogLevel): Logger {
  return pino({ level }, pino.destination({ sync: true })).child({ context: 'Workers' });
}
