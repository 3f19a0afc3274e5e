import Redis from 'ioredis';
import { httpJson, streamSse } from './http';
import { summarize, type Summary } from './stats';

/** A part whose route is not there yet (404) says so instead of failing the run. */
export interface Unavailable {
  available: false;
  reason: string;
}

export interface ListToolsFigures {
  available: true;
  tools: number;
  /** First call for a newly registered server: connect, initialize, tools/list. */
  coldMs: Summary | null;
  /** `?refresh=true` on a live session: one tools/list round trip, no cache. */
  refreshMs: Summary | null;
  /** Reused session, cached tools. */
  warmMs: Summary | null;
  errors: string[];
}

export interface CallbackFigures {
  available: true;
  iterations: number;
  /**
   * Outcome seen on Redis (a subscriber of the benchmark on `*auth:callback:*`) → outcome event read
   * from instance A's waiter: the delivery between instances, without the token exchange.
   */
  deliveryMs: Summary | null;
  /**
   * Flows whose outcome the benchmark read from A before its own subscriber's copy: both reach one
   * event loop, so below a millisecond the order is not telling; these are left out of deliveryMs.
   */
  heardBeforeSubscriber: number;
  /** Callback request sent to instance B → outcome event read from instance A's waiter. */
  endToEndMs: Summary | null;
  /** The callback request on B alone (state take, token exchange, storing, publishing, page). */
  callbackMs: Summary | null;
  errors: string[];
}

function unavailable(route: string, status: number, text: string): Unavailable {
  return { available: false, reason: `${route} answered ${status}: ${text.slice(0, 160)}` };
}

function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  return fn().then((value) => [value, performance.now() - t0]);
}

async function register(baseUrl: string, body: Record<string, unknown>): Promise<Unavailable | undefined> {
  const res = await httpJson('POST', `${baseUrl}/mcp-servers`, body);
  if (res.status === 201) return undefined;
  if (res.status === 404) return unavailable('POST /mcp-servers', res.status, res.text);
  throw new Error(`POST /mcp-servers: HTTP ${res.status} ${res.text.slice(0, 200)}`);
}

/** list-tools against server-everything: cold (new server), refresh (live session) and warm (cached). */
export async function benchListTools(
  baseUrl: string,
  everythingUrl: string,
  counts: { cold: number; warm: number; deadline: number },
): Promise<ListToolsFigures | Unavailable> {
  const errors = new Set<string>();
  const cold: number[] = [];
  let tools = 0;
  for (let i = 0; i < counts.cold && (i === 0 || performance.now() < counts.deadline); i++) {
    const id = `bench-everything-${i}`;
    const missing = await register(baseUrl, {
      id,
      name: id,
      url: everythingUrl,
      transport: 'streamable-http',
    });
    if (missing) return missing;
    const [res, ms] = await timed(() => httpJson('GET', `${baseUrl}/mcp-servers/${id}/list-tools`));
    if (res.status === 404) return unavailable('GET /mcp-servers/{id}/list-tools', res.status, res.text);
    if (res.status !== 200) {
      errors.add(`HTTP ${res.status} ${res.text.slice(0, 160)}`);
      continue;
    }
    tools = Array.isArray(res.json) ? res.json.length : 0;
    cold.push(ms);
  }
  const url = `${baseUrl}/mcp-servers/bench-everything-0/list-tools`;
  const series = async (query: string, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n && performance.now() < counts.deadline + 5000; i++) {
      const [res, ms] = await timed(() => httpJson('GET', url + query));
      if (res.status === 200) out.push(ms);
      else errors.add(`HTTP ${res.status} ${res.text.slice(0, 160)}`);
    }
    return out;
  };
  const refresh = await series('?refresh=true', Math.max(1, Math.floor(counts.warm / 4)));
  await series('', 5); // settles the cache and the JIT before the warm series
  const warm = await series('', counts.warm);
  return {
    available: true,
    tools,
    coldMs: summarize(cold),
    refreshMs: summarize(refresh),
    warmMs: summarize(warm),
    errors: [...errors].slice(0, 5),
  };
}

interface OAuthRequired {
  authorizationUrl?: unknown;
  state?: unknown;
}

/**
 * OAuth callback delivery between instances: list-tools on A answers 401 with an authorization URL,
 * a waiter listens on A, the authorization server's redirect is sent to B instead of A, and the
 * outcome published by B is timed until A's waiter reads it.
 */
export async function benchOAuthCallback(
  a: string,
  b: string,
  mcpUrl: string,
  counts: { iterations: number; deadline: number; redisUrl: string },
): Promise<CallbackFigures | Unavailable> {
  const published = new Map<string, number>();
  const subscriber = new Redis(counts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  subscriber.on('pmessage', (_pattern: string, channel: string) => {
    published.set(channel.slice(channel.lastIndexOf(':') + 1), performance.now());
  });
  await subscriber.connect();
  await subscriber.psubscribe('*auth:callback:*');
  try {
    return await flows(a, b, mcpUrl, counts, published);
  } finally {
    subscriber.disconnect();
  }
}

async function flows(
  a: string,
  b: string,
  mcpUrl: string,
  counts: { iterations: number; deadline: number },
  published: Map<string, number>,
): Promise<CallbackFigures | Unavailable> {
  const errors = new Set<string>();
  const delivery: number[] = [];
  const endToEnd: number[] = [];
  const callback: number[] = [];
  let iterations = 0;
  let early = 0;
  for (let i = 0; i < counts.iterations && (i === 0 || performance.now() < counts.deadline); i++) {
    iterations++;
    const id = `bench-oauth-${i}`;
    const missing = await register(a, {
      id,
      name: id,
      url: mcpUrl,
      transport: 'streamable-http',
      requiresOAuth: true,
    });
    if (missing) return missing;
    const start = await httpJson('GET', `${a}/mcp-servers/${id}/list-tools`);
    if (start.status === 404)
      return unavailable('GET /mcp-servers/{id}/list-tools', start.status, start.text);
    const body = (start.json ?? {}) as OAuthRequired;
    if (start.status !== 401 || typeof body.authorizationUrl !== 'string' || typeof body.state !== 'string') {
      errors.add(
        `list-tools: expected 401 oauth_required, got HTTP ${start.status} ${start.text.slice(0, 160)}`,
      );
      continue;
    }
    const state = body.state;
    let heardAt: number | undefined;
    let heard = '';
    let opened: (status: number) => void = () => undefined;
    const ready = new Promise<number>((resolve) => (opened = resolve));
    const waiter = streamSse(
      `${a}/mcp-servers/${id}/oauth/events?state=${encodeURIComponent(state)}`,
      undefined,
      (event) => {
        heardAt = performance.now();
        heard = event;
        return 'stop';
      },
      { timeoutMs: 20_000, onHeaders: (status) => opened(status) },
    );
    const waiting = await Promise.race([ready, waiter.then((r) => r.status)]);
    if (waiting === 404) return unavailable('GET /mcp-servers/{id}/oauth/events', waiting, '');
    if (waiting !== 200) {
      errors.add(`waiter: HTTP ${waiting} ${(await waiter).error ?? ''}`);
      continue;
    }
    const authorize = await httpJson('GET', body.authorizationUrl);
    const location = authorize.headers.location;
    if (authorize.status !== 302 || typeof location !== 'string') {
      errors.add(`authorize: HTTP ${authorize.status}`);
      continue;
    }
    // The browser comes back to B although the flow started on A.
    const target = new URL(location);
    const onB = `${b}${target.pathname}${target.search}`;
    const sent = performance.now();
    const res = await httpJson('GET', onB);
    const answered = performance.now();
    const ended = await waiter;
    if (res.status === 404) return unavailable('GET /mcp-servers/{id}/callback', res.status, res.text);
    if (res.status !== 200 || heardAt === undefined || heard !== 'authorized') {
      errors.add(`callback HTTP ${res.status}, waiter ${ended.error ?? (heard || 'nothing')}`);
      continue;
    }
    const seen = published.get(state);
    if (seen !== undefined && seen <= heardAt) delivery.push(heardAt - seen);
    else early++;
    endToEnd.push(heardAt - sent);
    callback.push(answered - sent);
  }
  return {
    available: true,
    iterations,
    deliveryMs: summarize(delivery),
    heardBeforeSubscriber: early,
    endToEndMs: summarize(endToEnd),
    callbackMs: summarize(callback),
    errors: [...errors].slice(0, 5),
  };
}
