import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import type { Dispatcher } from 'undici';
import { DEFAULT_SCRIPTED_MODEL_NAME, eventually, startScriptedModel } from '@auxilia/testing';
import { bytesAtHand, requestDispatcher, requestFetch } from './request-fetch';

interface Seen {
  method?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const routes = new Map<string, Route>();
const seen: Seen[] = [];
let server: Server;
let base: string;
let dispatcher: Dispatcher;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, headers: req.headers, body });
      const route = routes.get(req.url ?? '');
      if (route) route(req, res, body);
      else res.writeHead(404).end('no route');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dispatcher = requestDispatcher('follow');
});

afterAll(async () => {
  await dispatcher.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const send = () => requestFetch(dispatcher, 'follow');

describe('requestFetch', () => {
  it('sends the method, headers and body it is given, and answers with status, headers and body', async () => {
    routes.set('/echo', (req, res, body) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(201, 'Made', {
        'content-type': 'application/json',
        'x-seen': req.headers['x-one'] ?? '',
      });
      res.end(JSON.stringify({ got: body }));
    });
    const res = await send()(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-one': 'first' },
      body: '{"q":1}',
    });
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Made');
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-seen')).toBe('first');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({ got: '{"q":1}' });
    const request = seen.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
  });

  it('hands each part of a streamed body on as it arrives, before the end', async () => {
    let finish = () => undefined as void;
    routes.set('/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      finish = () => res.end('data: two\n\n');
    });
    const res = await send()(`${base}/stream`, { method: 'POST', body: '{}' });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n');
    finish();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('data: two\n\n');
  });

  it('tells how much of a body has come and waits to be read, which the next read takes at once', async () => {
    let more = () => undefined as void;
    routes.set('/at-hand', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      more = () => {
        res.write('data: two\n\n');
        res.end('data: three\n\n');
      };
    });
    const res = await send()(`${base}/at-hand`, { method: 'POST', body: '{}' });
    const body = res.body!;
    const reader = body.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: one\n\n');
    expect(bytesAtHand(body)).toBe(0);
    more();
    await eventually(() => bytesAtHand(body) === 24, 5000, 5);
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: two\n\ndata: three\n\n');
    expect(bytesAtHand(body)).toBe(0);
    expect(bytesAtHand(new Response('x').body!)).toBeUndefined();
  });

  it('lets a body be cancelled before it is read, as an MCP client does with a 202', async () => {
    routes.set('/accepted', (_req, res) => res.writeHead(202).end('Accepted'));
    for (let i = 0; i < 5; i++) {
      const res = await send()(`${base}/accepted`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(202);
      await res.body!.cancel();
    }
    // The body's bytes arrive after the cancel: nothing may be handed to the cancelled stream then.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const res = await send()(`${base}/accepted`, { method: 'POST', body: '{}' });
    expect(await res.text()).toBe('Accepted');
  });

  it('ends the request when a stream waiting for more is cancelled', async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
    routes.set('/held', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      res.on('close', closed);
    });
    const res = await send()(`${base}/held`);
    const reader = res.body!.getReader();
    await reader.read();
    const next = reader.read();
    await reader.cancel();
    expect(await next).toEqual({ done: true, value: undefined });
    await serverSawClose;
  });

  it('gives a body-less status a null body, as a Response must', async () => {
    routes.set('/empty', (_req, res) => res.writeHead(204).end());
    const res = await send()(`${base}/empty`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
  });

  it('follows a redirect, as fetch does', async () => {
    routes.set('/moved', (_req, res) => res.writeHead(307, { location: '/echo' }).end());
    const res = await send()(`${base}/moved`, { method: 'POST', body: 'again' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ got: 'again' });
  });

  it('hands a redirect back unfollowed through a manual dispatcher', async () => {
    const manual = requestDispatcher('manual');
    try {
      const before = seen.length;
      const res = await requestFetch(manual, 'manual')(`${base}/moved`, {
        method: 'POST',
        body: 'once',
        redirect: 'manual',
      });
      expect(res.status).toBe(307);
      expect(res.headers.get('location')).toBe('/echo');
      expect(seen.slice(before).map((r) => r.body)).toEqual(['once']);
    } finally {
      await manual.close();
    }
  });

  it('sends form parameters as fetch does, with their content type unless one is given', async () => {
    const form = new URLSearchParams({ grant_type: 'authorization_code', code: 'a b&c' });
    await send()(`${base}/echo`, { method: 'POST', body: form });
    expect(seen.at(-1)).toMatchObject({
      body: 'grant_type=authorization_code&code=a+b%26c',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    });
    await send()(`${base}/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(seen.at(-1)?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it("asks for an answer that is not compressed, with fetch's accept and user agent unless given", async () => {
    const res = await send()(`${base}/echo`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(201);
    expect(seen.at(-1)?.headers['accept-encoding']).toBeUndefined();
    expect(seen.at(-1)?.headers).toMatchObject({ accept: '*/*', 'user-agent': 'node' });
    await send()(`${base}/echo`, { headers: { Accept: 'application/json', 'User-Agent': 'mine/1' } });
    expect(seen.at(-1)?.headers).toMatchObject({ accept: 'application/json', 'user-agent': 'mine/1' });
  });

  it('rejects with an AbortError when the signal aborts during the body, or before the request is sent', async () => {
    routes.set('/slow', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: start\n\n');
    });
    const controller = new AbortController();
    const res = await send()(`${base}/slow`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
    await expect(send()(`${base}/slow`, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('leaves a Request object, a body it does not send itself or another redirect mode to the fallback', async () => {
    const given: unknown[] = [];
    const fallback = (input: string | URL | Request, init?: RequestInit) => {
      given.push(input instanceof Request ? 'request' : (init?.body ?? init?.redirect));
      return Promise.resolve(new Response('from fallback'));
    };
    const through = requestFetch(dispatcher, 'follow', fallback);
    const form = new FormData();
    expect(await (await through(new Request(`${base}/echo`))).text()).toBe('from fallback');
    expect(await (await through(`${base}/echo`, { method: 'POST', body: form })).text()).toBe(
      'from fallback',
    );
    for (const redirect of ['manual', 'error'] as const) {
      expect(await (await through(`${base}/moved`, { redirect })).text()).toBe('from fallback');
    }
    expect(given).toEqual(['request', form, 'manual', 'error']);
  });

  it("carries the OpenAI client's streamed completions and its errors, status and body included", async () => {
    const model = await startScriptedModel();
    // Records the headers each request is sent with, and sends it as is.
    const sentHeaders: unknown[] = [];
    const recording = dispatcher.compose((dispatch) => (options, handler) => {
      sentHeaders.push(options.headers);
      return dispatch(options, handler);
    });
    try {
      const client = new OpenAI({
        apiKey: 'k',
        baseURL: model.baseURL,
        fetch: requestFetch(recording, 'follow'),
        maxRetries: 0,
      });
      model.enqueue('Hello', { error: { status: 429, message: 'slow down' } });
      const stream = await client.chat.completions.create({
        model: DEFAULT_SCRIPTED_MODEL_NAME,
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe('Hello');
      expect(sentHeaders[0]).toMatchObject({ authorization: 'Bearer k' });
      expect(model.requests.at(-1)).toMatchObject({ model: DEFAULT_SCRIPTED_MODEL_NAME, stream: true });

      await expect(
        client.chat.completions.create({
          model: DEFAULT_SCRIPTED_MODEL_NAME,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      ).rejects.toMatchObject({ status: 429, message: expect.stringContaining('slow down') });
    } finally {
      await model.close();
    }
  });
});
