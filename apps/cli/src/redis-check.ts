import { randomUUID } from 'node:crypto';
import type { AppConfig } from '@auxilia/core';
import { withRedis } from './cli-redis';

/** A publish/subscribe round trip through Redis, as the OAuth callback events travel. */
export function redisCheck(config: AppConfig, rounds = 5): Promise<number> {
  return withRedis(config, ['cli-pub', 'cli-sub'], async ([pub, sub], target) => {
    const channel = `${config.redis.keyPrefix}redis-check:${randomUUID()}`;
    await withTimeout(sub.subscribe(channel), `Redis at ${target} did not answer`);
    const latencies: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const payload = `${i}:${randomUUID()}`;
      const received = new Promise<void>((resolve) => {
        const onMessage = (ch: string, msg: string) => {
          if (ch !== channel || msg !== payload) return;
          sub.off('message', onMessage);
          resolve();
        };
        sub.on('message', onMessage);
      });
      const started = performance.now();
      await pub.publish(channel, payload);
      await withTimeout(received, 'The published message did not come back');
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)];
    console.log(
      `Redis ${target}: publish/subscribe round trip OK, ${rounds} rounds, median ${median.toFixed(2)} ms`,
    );
    return 0;
  });
}

function withTimeout<T>(promise: Promise<T>, message: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
