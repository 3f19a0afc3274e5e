import { createRedisClient, RedisKeys, type AppConfig } from '@auxilia/core';
import { callbackChannel, isOAuthOutcome, outcomeKey, type OAuthOutcome } from '@auxilia/oauth';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

// The Redis transport publishes `{ pattern, data }`; a bare outcome is accepted too.
function parseMessage(message: string): OAuthOutcome | undefined {
  try {
    const parsed = JSON.parse(message) as unknown;
    const data = typeof parsed === 'object' && parsed !== null && 'data' in parsed ? parsed.data : parsed;
    return isOAuthOutcome(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits for the outcome of one authorization, whichever instance receives the callback: subscribes to
 * `auth:callback:{state}` first, then reads the stored outcome, so one published before is not missed.
 * Undefined after `timeoutS`.
 */
export async function waitForOutcome(
  config: AppConfig,
  state: string,
  timeoutS: number,
): Promise<OAuthOutcome | undefined> {
  const sub = createRedisClient(config.redis, 'cli-oauth-sub', quiet);
  const cmd = createRedisClient(config.redis, 'cli-oauth', quiet);
  const channel = callbackChannel(state);
  let timer: NodeJS.Timeout | undefined;
  try {
    const arrived = new Promise<OAuthOutcome>((resolve) => {
      sub.on('message', (ch: string, message: string) => {
        const outcome = ch === channel ? parseMessage(message) : undefined;
        if (outcome?.state === state) resolve(outcome);
      });
    });
    await sub.subscribe(channel);
    const stored = await cmd.get(outcomeKey(new RedisKeys(config.redis.keyPrefix), state));
    const already = stored ? parseMessage(stored) : undefined;
    if (already) return already;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutS * 1000);
    });
    return await Promise.race([arrived, timedOut]);
  } finally {
    clearTimeout(timer);
    sub.disconnect();
    cmd.disconnect();
  }
}

export function describeOutcome(outcome: OAuthOutcome): string {
  if (outcome.status === 'authorized') return `MCP server "${outcome.serverId}" is authorized.`;
  const description = outcome.errorDescription ? `: ${outcome.errorDescription}` : '';
  return `Authorization of MCP server "${outcome.serverId}" failed (${outcome.error ?? 'error'})${description}`;
}
