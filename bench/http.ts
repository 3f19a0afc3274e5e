import { Agent, request, type IncomingMessage } from 'node:http';

/**
 * One HTTP client for the floor, our service and the peer, so that client costs cancel out of the
 * comparison. Keep-alive with unbounded sockets: C users really are C concurrent connections.
 *
 * Node's servers close a keep-alive socket after 5 s idle (`Keep-Alive: timeout=5`), and a request sent
 * on a socket the server is closing fails with ECONNRESET. Given a `timeout`, the agent gives a free
 * socket the smaller of it and the server's hint minus 1 s, and destroys it when that runs out (Node 20's
 * `keepSocketAlive`; without a `timeout` the hint is ignored), so idle sockets go before the server drops
 * them. A socket in use has the request's own timeout instead (`req.setTimeout` in `send`) and the agent
 * only destroys free sockets on a timeout: a stream waiting seconds for its first token is not cut.
 */
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, timeout: 4_000 });

export function closeClient(): void {
  agent.destroy();
}

/** Closes the client's idle keep-alive sockets: the next requests open connections of their own. */
export function dropIdleConnections(): void {
  for (const sockets of Object.values(agent.freeSockets))
    for (const socket of sockets ?? []) socket.destroy();
}

export interface JsonResult {
  status: number;
  headers: IncomingMessage['headers'];
  json: unknown;
  text: string;
}

function send(
  method: string,
  url: string,
  body: unknown,
  timeoutMs: number,
  onResponse: (res: IncomingMessage) => void,
  onError: (err: Error) => void,
  signal?: AbortSignal,
): void {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const req = request(url, { method, headers, agent }, onResponse);
  req.setTimeout(timeoutMs, () =>
    req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)),
  );
  req.on('error', onError);
  if (signal) {
    if (signal.aborted) req.destroy(new Error('aborted'));
    else signal.addEventListener('abort', () => req.destroy(new Error('aborted')), { once: true });
  }
  req.end(payload);
}

/** A request whose whole answer is read; JSON bodies are parsed, others kept as text. */
export function httpJson(
  method: string,
  url: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<JsonResult> {
  return new Promise((resolve, reject) => {
    send(
      method,
      url,
      body,
      timeoutMs,
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('error', reject);
        res.on('end', () => {
          let json: unknown = undefined;
          if (/json/.test(res.headers['content-type'] ?? '') && text) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text });
        });
      },
      reject,
    );
  });
}

export interface StreamResult {
  status: number;
  /** performance.now() when the stream ended (or failed). */
  endAt: number;
  /** Set when the status was not 200, the socket failed or the stream was cut. */
  error?: string;
}

export interface StreamOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called once the status line and headers are in. */
  onHeaders?: (status: number) => void;
}

/**
 * POSTs (or GETs when `body` is undefined) and reads a text/event-stream, calling `onEvent` for each
 * event as soon as its blank line arrives; returning 'stop' closes the connection.
 */
export function streamSse(
  url: string,
  body: unknown,
  onEvent: (event: string, data: string) => 'stop' | void,
  options: StreamOptions,
): Promise<StreamResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: number, error?: string) => {
      if (settled) return;
      settled = true;
      resolve({ status, endAt: performance.now(), error });
    };
    send(
      body === undefined ? 'GET' : 'POST',
      url,
      body,
      options.timeoutMs,
      (res) => {
        const status = res.statusCode ?? 0;
        options.onHeaders?.(status);
        res.setEncoding('utf8');
        if (status !== 200) {
          let text = '';
          res.on('data', (c: string) => (text += c));
          res.on('end', () => finish(status, `HTTP ${status}: ${text.slice(0, 300)}`));
          res.on('error', (err) => finish(status, err.message));
          return;
        }
        let buffer = '';
        let event = '';
        let data: string[] = [];
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) !== -1) {
            const line = buffer.charCodeAt(nl - 1) === 13 ? buffer.slice(0, nl - 1) : buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (line === '') {
              if (data.length > 0 && onEvent(event || 'message', data.join('\n')) === 'stop') {
                finish(status);
                res.destroy();
                return;
              }
              event = '';
              data = [];
            } else if (line.startsWith('data:')) {
              data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
            } else if (line.startsWith('event:')) {
              event = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
            }
          }
        });
        res.on('end', () => finish(status));
        res.on('error', (err) => finish(status, err.message));
        res.on('close', () => finish(status, res.complete ? undefined : 'stream cut before its end'));
      },
      (err) => finish(0, err.message),
      options.signal,
    );
  });
}
