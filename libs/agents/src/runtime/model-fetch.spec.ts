import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import type { Dispatcher } from 'undici';
import { DEFAULT_SCRIPTED_MODEL_NAME, startScriptedModel } from '@auxilia/testing';
import { modelDispatcher, requestFetch } from './model-fetch';

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
  dispatcher = modelDispatcher();
});

afterAll(async () => {
  await dispatcher.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const send = () => requestFetch(dispatcher);

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

  it('asks for an answer that is not compressed', async () => {
    const res = await send()(`${base}/echo`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(201);
    expect(seen.at(-1)?.headers['accept-encoding']).toBeUndefined();
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

  it('leaves a Request object or a body it does not send itself to the fallback', async () => {
    const given: unknown[] = [];
    const fallback = (input: string | URL | Request, init?: RequestInit) => {
      given.push(input instanceof Request ? 'request' : init?.body);
      return Promise.resolve(new Response('from fallback'));
    };
    const through = requestFetch(dispatcher, fallback);
    const form = new FormData();
    expect(await (await through(new Request(`${base}/echo`))).text()).toBe('from fallback');
    expect(await (await through(`${base}/echo`, { method: 'POST', body: form })).text()).toBe(
      'from fallback',
    );
    expect(given).toEqual(['request', form]);
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
        fetch: requestFetch(recording),
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
