import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { startScriptedModel, type ScriptedModel } from '@auxilia/testing';
import { scriptedModelEnv, startApp, type RunningApp } from './support/app';
import {
  chatBody,
  NodeChat,
  parseSse,
  readChunks,
  readEventsThenDrop,
  threadsTransport,
  userMessage,
  type SseEvent,
} from './threads-client';

// Real servers and processes: slower than jest's 5 s default on a loaded machine.
jest.setTimeout(60_000);

const JSON_HEADERS = { 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slowText = (words: number, delayMs: number) => ({ text: Array<string>(words).fill(' tok'), delayMs });

let model: ScriptedModel;
let running: RunningApp;

beforeAll(async () => {
  model = await startScriptedModel();
  running = await startApp({
    env: scriptedModelEnv(model.baseURL),
  });
});

afterAll(async () => {
  await running.close();
  await model.close();
});

async function newThread(agentId = 'assistant', title?: string): Promise<string> {
  const { data, response } = await running.api.POST('/threads', { body: { agentId, title } });
  expect(response.status).toBe(201);
  return data!.id;
}

function post(threadId: string, message: UIMessage): Promise<Response> {
  return fetch(`${running.baseUrl}/threads/${threadId}/stream`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: chatBody(threadId, message),
  });
}

/** Text of an SSE body, as the AI SDK's parser reads it, plus the raw events. */
async function readAll(res: Response): Promise<{ events: SseEvent[]; chunks: UIMessageChunk[] }> {
  const text = await res.text();
  const chunks = await readChunks(new Response(text).body!);
  return { events: parseSse(text), chunks };
}

async function waitUntilIdle(threadId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { data } = await running.api.GET('/threads/{id}', { params: { path: { id: threadId } } });
    if (data?.status === 'idle') return;
    await sleep(50);
  }
  throw new Error('the thread stayed running');
}

describe('threads CRUD', () => {
  it('creates, reads, renames and deletes a thread; unknown agents are a 400', async () => {
    const bad = await running.api.POST('/threads', { body: { agentId: 'no-such-agent' } });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ type: expect.stringContaining('unknown-agent') });

    const id = await newThread('assistant', 'First');
    const got = await running.api.GET('/threads/{id}', { params: { path: { id } } });
    expect(got.data).toMatchObject({
      id,
      agentId: 'assistant',
      title: 'First',
      status: 'idle',
      messages: [],
    });

    const renamed = await running.api.PATCH('/threads/{id}', {
      params: { path: { id } },
      body: { title: 'Renamed' },
    });
    expect(renamed.data?.title).toBe('Renamed');

    const removed = await running.api.DELETE('/threads/{id}', { params: { path: { id } } });
    expect(removed.response.status).toBe(204);
    expect((await running.api.GET('/threads/{id}', { params: { path: { id } } })).response.status).toBe(404);
    expect((await running.api.DELETE('/threads/{id}', { params: { path: { id } } })).response.status).toBe(
      404,
    );
    expect(
      (await running.api.GET('/threads/{id}', { params: { path: { id: 'not-a-uuid' } } })).response.status,
    ).toBe(404);
  });

  it('lists newest first, a page at a time, optionally for one agent', async () => {
    const agent = await running.api.POST('/agents', {
      body: { id: 'pager', name: 'Pager', instructions: 'Be brief.' },
    });
    expect(agent.response.status).toBe(201);
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push(await newThread('pager', `t${i}`));
      await sleep(3);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { data, response } = await running.api.GET('/threads', {
        params: { query: { agentId: 'pager', limit: 2, cursor } },
      });
      expect(response.status).toBe(200);
      expect(data!.items.length).toBeLessThanOrEqual(2);
      seen.push(...data!.items.map((t) => t.id));
      cursor = data!.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());

    const all = await running.api.GET('/threads', { params: { query: { limit: 100 } } });
    expect(all.data!.items.map((t) => t.id)).toEqual(expect.arrayContaining(created));
    const defaults = await running.api.GET('/threads', { params: { query: { agentId: 'pager' } } });
    expect(defaults.data).toMatchObject({ nextCursor: null });

    for (const limit of [0, 101]) {
      const res = await running.api.GET('/threads', { params: { query: { limit } } });
      expect(res.response.status).toBe(400);
    }
    const badCursor = await running.api.GET('/threads', { params: { query: { cursor: 'bm9wZQ' } } });
    expect(badCursor.response.status).toBe(400);
  });
});

describe('POST /threads/{id}/stream', () => {
  it('streams the UI message stream v1 with event ids and [DONE], read by the AI SDK', async () => {
    const id = await newThread();
    model.enqueue('Hello there friend');
    const res = await post(id, userMessage('u1', 'Hi'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('cache-control')).toContain('no-cache');

    const { events, chunks } = await readAll(res);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const ids = events.map((e) => e.id ?? '');
    for (const eventId of ids) expect(eventId).toMatch(/^\d+-\d+$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(chunks[0]).toMatchObject({ type: 'start' });
    expect(chunks.at(-1)).toMatchObject({ type: 'finish' });
    expect(chunks.filter((c) => c.type === 'finish')).toHaveLength(1);

    let message: UIMessage | undefined;
    const stream = new ReadableStream<UIMessageChunk>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    for await (const m of readUIMessageStream({ stream })) message = m;
    expect(message?.parts.filter((p) => p.type === 'text').map((p) => p.text)).toEqual([
      'Hello there friend',
    ]);

    const got = await running.api.GET('/threads/{id}', { params: { path: { id } } });
    expect(got.data?.messages).toEqual([userMessage('u1', 'Hi'), message]);
    expect(got.data?.title).toBe('Hi');
  });

  it('answers problems before any SSE byte: 400, 404, and 204 on resume when idle', async () => {
    const id = await newThread();
    const asAssistant = await post(id, { id: 'a1', role: 'assistant', parts: [{ type: 'text', text: 'x' }] });
    expect(asAssistant.status).toBe(400);
    expect(asAssistant.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const noText = await post(id, {
      id: 'u1',
      role: 'user',
      parts: [{ type: 'file', url: 'x', mediaType: 'a/b' }],
    });
    expect(noText.status).toBe(400);
    const badBody = await fetch(`${running.baseUrl}/threads/${id}/stream`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ id, messages: [{ id: 'u', role: 'user', parts: ['text'] }], trigger: 'x' }),
    });
    expect(badBody.status).toBe(400);
    const unknown = await post('00000000-0000-4000-8000-000000000000', userMessage('u1', 'Hi'));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ status: 404 });

    const resume = await fetch(`${running.baseUrl}/threads/${id}/stream`);
    expect(resume.status).toBe(204);
    const stop = await running.api.POST('/threads/{id}/stop', { params: { path: { id } } });
    expect(stop.response.status).toBe(409);
  });

  it('lets a client that dropped resume from Last-Event-ID with no gap and no duplicate', async () => {
    const id = await newThread();
    model.enqueue(slowText(40, 20));
    const url = `${running.baseUrl}/threads/${id}/stream`;
    const user = userMessage('u1', 'Tell me a long story');
    const head = await readEventsThenDrop(
      url,
      { method: 'POST', headers: JSON_HEADERS, body: chatBody(id, user) },
      5,
    );
    expect(head).toHaveLength(5);

    // The same run, followed from after the last event received, from the start, and by the AI SDK's own resume.
    const chat = new NodeChat({ id, transport: threadsTransport(running.baseUrl), messages: [user] });
    const [rest, whole] = await Promise.all([
      fetch(url, { headers: { 'last-event-id': head[4].id! } }).then((r) => r.text()),
      fetch(url).then((r) => r.text()),
      chat.resumeStream(),
    ]);
    expect([...head, ...parseSse(rest)]).toEqual(parseSse(whole));
    expect(parseSse(whole).at(-1)?.data).toBe('[DONE]');

    await waitUntilIdle(id);
    const got = await running.api.GET('/threads/{id}', { params: { path: { id } } });
    expect(chat.messages).toEqual(got.data?.messages);
    expect(chat.messages.at(-1)?.parts.some((p) => p.type === 'text' && p.text.includes('tok tok'))).toBe(
      true,
    );
  });

  it('stops a run: the stream ends with finish and [DONE], and the thread takes the next message', async () => {
    const id = await newThread();
    model.enqueue(slowText(400, 20));
    const res = await post(id, userMessage('u1', 'Go on and on'));
    const body = readAll(res);
    await sleep(300);
    const stop = await running.api.POST('/threads/{id}/stop', { params: { path: { id } } });
    expect(stop.response.status).toBe(204);
    const { events, chunks } = await body;
    expect(events.at(-1)?.data).toBe('[DONE]');
    expect(chunks.at(-1)).toMatchObject({ type: 'finish' });
    expect(chunks.filter((c) => c.type === 'finish')).toHaveLength(1);
    expect(chunks.some((c) => c.type === 'error')).toBe(false);

    const detail = await running.api.GET('/threads/{id}', { params: { path: { id } } });
    expect(detail.data?.status).toBe('idle');
    model.enqueue('Fresh answer');
    const next = await readAll(await post(id, userMessage('u2', 'Something else')));
    expect(next.chunks.some((c) => c.type === 'text-delta' && c.delta.includes('Fresh'))).toBe(true);
  });

  it('gives exactly one 200 and one 409 to concurrent requests', async () => {
    const id = await newThread();
    model.setDefault(slowText(100, 10));
    try {
      const responses = await Promise.all([
        post(id, userMessage('u1', 'A')),
        post(id, userMessage('u2', 'B')),
      ]);
      expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
      const conflict = responses.find((r) => r.status === 409)!;
      expect(conflict.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await conflict.json()).toMatchObject({ status: 409, error: 'run_active' });
      const ok = await readAll(responses.find((r) => r.status === 200)!);
      expect(ok.events.at(-1)?.data).toBe('[DONE]');
      const deleting = await running.api.DELETE('/threads/{id}', { params: { path: { id } } });
      // The end marker and the lock release are one script: once [DONE] arrived, the thread is idle.
      expect(deleting.response.status).toBe(204);
    } finally {
      model.setDefault(undefined);
    }
  });

  it('turns a model failing mid-stream into an error chunk, and the thread stays usable', async () => {
    const id = await newThread();
    model.enqueue({ text: Array<string>(20).fill(' x'), dropAfterChunks: 4 });
    const failed = await readAll(await post(id, userMessage('u1', 'Fail please')));
    const types = failed.chunks.map((c) => c.type);
    expect(types.slice(-2)).toEqual(['error', 'finish']);
    expect(failed.events.at(-1)?.data).toBe('[DONE]');

    model.enqueue('Recovered');
    const next = await readAll(await post(id, userMessage('u2', 'Again')));
    expect(next.chunks.map((c) => c.type)).not.toContain('error');
    const got = await running.api.GET('/threads/{id}', { params: { path: { id } } });
    const last = got.data?.messages.at(-1);
    expect(last?.role).toBe('assistant');
    expect(last?.parts).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'text', text: 'Recovered' })]),
    );
  });
});
