import { expect } from '@jest/globals';
import { parseSse, type SseEvent } from './threads-client';

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** One line the docs quote: figures from a real run, printed where the jest output keeps them. */
export function reliability(figures: Record<string, unknown>): void {
  process.stdout.write(`RELIABILITY ${JSON.stringify(figures)}\n`);
}

export { eventually } from '@auxilia/testing';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Pending {
  authorizationUrl: string;
  state: string;
}

/** The authorization an oauth_required problem points at. */
export function pendingOf(problem: unknown): Pending {
  const { authorizationUrl, state, error } = (problem ?? {}) as Record<string, unknown>;
  if (error !== 'oauth_required' || typeof authorizationUrl !== 'string' || typeof state !== 'string') {
    throw new Error(`not an oauth_required problem: ${JSON.stringify(problem)}`);
  }
  return { authorizationUrl, state };
}

/**
 * Plays the browser at the authorization server and returns the callback it was sent back to, re-based
 * onto `baseUrl`: a process listening on port 0 cannot know its port when OAUTH_REDIRECT_BASE_URL is fixed.
 */
export async function callbackUrl(authorizationUrl: string, baseUrl: string): Promise<URL> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location') ?? '');
  return new URL(back.pathname + back.search, baseUrl);
}

/**
 * Opens the waiter and gives it a moment to subscribe before the caller sends the callback. Its headers
 * come with the one event, so they cannot be awaited; an outcome that beats the subscription is still
 * sent from Redis, so the pause only makes the live path the usual one.
 */
export async function openWaiter(
  baseUrl: string,
  serverId: string,
  state: string,
): Promise<{ body: Promise<string> }> {
  const body = fetch(`${baseUrl}/mcp-servers/${serverId}/oauth/events?state=${encodeURIComponent(state)}`, {
    headers: { accept: 'text/event-stream' },
    signal: AbortSignal.timeout(30_000),
  }).then((res) => res.text());
  // A rejection before the caller awaits it must not count as unhandled.
  body.catch(() => undefined);
  await sleep(100);
  // Wrapped: an async function returning the bare promise would wait for it.
  return { body };
}

/** Runs `task` over `items` with at most `limit` at once. */
export async function pool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Reads a whole SSE response, giving up after `timeoutMs` so a hang fails the test instead of jest. */
export async function readAll(res: Response, timeoutMs = 20_000): Promise<SseEvent[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stream did not end within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return parseSse(await Promise.race([res.text(), timeout]));
  } finally {
    clearTimeout(timer);
  }
}

/** The UI message chunks of SSE events, without the final [DONE]. */
export function chunksOf(events: SseEvent[]): { type: string; [key: string]: unknown }[] {
  return events
    .filter((e) => e.data && e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data) as { type: string; [key: string]: unknown });
}
