import { AsyncResource } from 'node:async_hooks';
import { Readable } from 'node:stream';
import { Agent, interceptors, request, type Dispatcher } from 'undici';

/** Statuses whose response has no body: a `Response` refuses one. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** As many redirects as `fetch` follows. */
const MAX_REDIRECTIONS = 20;

/** What a dispatcher does with a redirect: follows it as `fetch` does, or hands it back unfollowed. */
export type RedirectMode = 'follow' | 'manual';

/**
 * A connection pool (kept alive, per origin) for `requestFetch`. `'follow'` follows redirects as
 * `fetch` does; `'manual'` answers with the redirect itself.
 */
export function requestDispatcher(redirects: RedirectMode): Dispatcher {
  const agent = new Agent();
  return redirects === 'follow'
    ? agent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }))
    : agent;
}

const sharedPools = new Map<RedirectMode, Dispatcher>();

/** The process's own pool for `redirects`, made on first use and kept for the life of the process. */
export function sharedDispatcher(redirects: RedirectMode): Dispatcher {
  let pool = sharedPools.get(redirects);
  if (!pool) sharedPools.set(redirects, (pool = requestDispatcher(redirects)));
  return pool;
}

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Made when the module loads, so it carries no caller's stores. */
const outside = new AsyncResource('OutboundRequest');

/**
 * `send`, called outside the async context of its caller. A connection keeps the context it was opened
 * in (the AsyncLocalStorage stores: a run's LangChain run tree, hence its config and graph state, or a
 * request's context) for as long as it lives: in the pool after the request, or for a whole MCP session
 * when it carries the session's event stream. Each pooled connection would otherwise keep a finished run,
 * its whole thread included, in memory.
 */
export function outsideCallers<A extends unknown[], R>(send: (...args: A) => R): (...args: A) => R {
  return (...args) => outside.runInAsyncScope(() => send(...args));
}

/**
 * A `fetch` that sends the request through undici's `request` and answers with a standard `Response`.
 * Node's own `fetch` (undici's too) builds a `Request`, its headers, signals and streams for every call:
 * for a streamed answer held open that is twice the memory (about 40 KB of heap against 20 on Node 20),
 * and more CPU per request. A URL, a method, headers, a body that is a string, bytes or form parameters,
 * and a signal take this path; a `Request` object, any other body, or a `redirect` other than what
 * `dispatcher` does (`redirects`) go to `fallback`. It sends `accept` and `user-agent` as `fetch` does
 * when they are not given, and no `accept-encoding`: answers come uncompressed.
 */
export function requestFetch(
  dispatcher: Dispatcher,
  redirects: RedirectMode,
  fallback: Fetch = fetch,
): Fetch {
  return async (input, init = {}) => {
    const body = init.body;
    if (
      input instanceof Request ||
      (init.redirect ?? 'follow') !== redirects ||
      (body != null &&
        typeof body !== 'string' &&
        !(body instanceof Uint8Array) &&
        !(body instanceof URLSearchParams))
    ) {
      return fallback(input, init);
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    // What fetch sends when they are not given: some servers refuse a request without a user agent.
    headers.accept ??= '*/*';
    headers['user-agent'] ??= 'node';
    if (body instanceof URLSearchParams) {
      // As fetch does for form parameters.
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    }
    const res = await request(input, {
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body: body instanceof URLSearchParams ? body.toString() : (body ?? undefined),
      signal: init.signal ?? undefined,
      dispatcher,
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
      else if (value !== undefined) responseHeaders.append(name, value);
    }
    const nullBody = NULL_BODY_STATUSES.has(res.statusCode) || init.method?.toUpperCase() === 'HEAD';
    if (nullBody) res.body.resume();
    return new Response(nullBody ? null : webStream(res.body), {
      status: res.statusCode,
      statusText: res.statusText,
      headers: responseHeaders,
    });
  };
}

/** The bodies of the web streams `requestFetch` made. */
const bodies = new WeakMap<ReadableStream<Uint8Array>, Readable>();

/**
 * How many bytes of a `requestFetch` answer have come and wait to be read from `stream`, its body: the
 * next read takes them all at once. Undefined for any other stream.
 */
export function bytesAtHand(stream: ReadableStream<Uint8Array>): number | undefined {
  return bodies.get(stream)?.readableLength;
}

/**
 * The body as a web stream: each read takes what the body holds, or waits for more; cancelling destroys
 * the body (and so ends the request). Node 20's `Readable.toWeb` hands the stream a chunk that was on its
 * way when the stream was cancelled, and that throws where nothing can catch it.
 */
function webStream(body: Readable): ReadableStream<Uint8Array> {
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const woken = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  body
    .on('readable', woken)
    .on('end', () => {
      ended = true;
      woken();
    })
    .on('error', (err) => {
      failure = err;
      woken();
    });
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const chunk = body.read() as Uint8Array | null;
          if (chunk !== null) return controller.enqueue(chunk);
          if (failure !== undefined) throw failure;
          if (ended) return controller.close();
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      cancel() {
        body.destroy();
      },
    },
    { highWaterMark: 0 },
  );
  bodies.set(stream, body);
  return stream;
}
