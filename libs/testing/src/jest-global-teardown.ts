import type { ThrowawayRedis } from './redis-server';

export default async function teardown(): Promise<void> {
  await (globalThis as { __auxiliaRedis?: ThrowawayRedis }).__auxiliaRedis?.stop();
}
