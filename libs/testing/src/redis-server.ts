import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './free-port';

export interface ThrowawayRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
  /** Stops the server process but keeps the port, so `start()` brings the same address back. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

export const NO_REDIS_MESSAGE =
  'Tests need Redis: install redis-server (apt-get install redis-server, brew install redis) or set REDIS_URL to a Redis the tests may write to.';

export function hasRedisServerBinary(bin = process.env.REDIS_SERVER_BIN ?? 'redis-server'): boolean {
  const r = spawnSync(bin, ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.write('PING\r\n');
        sock.once('data', () => {
          sock.destroy();
          resolve();
        });
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port}`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/**
 * Starts a redis-server that keeps nothing on disk, on a free loopback port, owned by the caller.
 * Used by the test setups and the benchmark so that no test touches a developer's Redis.
 */
export async function startThrowawayRedis(port?: number): Promise<ThrowawayRedis> {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'auxilia-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(
      bin,
      ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore', detached: false },
    );
    child.unref();
    await waitForPort(chosen, 10_000);
  };
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => c.kill('SIGKILL'), 3000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.kill(signal);
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${chosen}`,
    port: chosen,
    start,
    kill: () => kill(),
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
