import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AgentRuntime } from '@auxilia/agents';
import { startScriptedModel, streamedText, type ScriptedModel } from '@auxilia/testing';
import { scriptedModelEnv, startApp, type RunningApp } from './support/app';
import {
  chatBody,
  NodeChat,
  parseSse,
  readChunks,
  readEventsThenDrop,
  threadsTransport,
  userMessage,
} from './threads-client';

// Real servers and two app instances: slower than jest's 5 s default on a loaded machine.
jest.setTimeout(60_000);

const JSON_HEADERS = { 'content-type': 'application/json' };
const slowText = (words: number, delayMs: number) => ({ text: Array<string>(words).fill(' tok'), delayMs });

let model: ScriptedModel;
let first: RunningApp;
let second: RunningApp;

beforeAll(async () => {
  model = await startScriptedModel();
  first = await startApp({
    env: scriptedModelEnv(model.baseURL),
  });
  // The same Redis and key prefix: another instance of the same deployment.
  second = await startApp({ config: first.config });
});

afterAll(async () => {
  await Promise.all([first.close(), second.close()]);
  await model.close();
});

async function newThread(): Promise<string> {
  const { data } = await first.api.POST('/threads', { body: { agentId: 'assistant' } });
  return data!.id;
}

describe('runs across instances', () => {
  it('resumes on another instance from Last-Event-ID with no gap and no duplicate', async () => {
    const id = await newThread();
    model.enqueue(slowText(40, 20));
    const post = { method: 'POST', headers: JSON_HEADERS, body: chatBody(id, userMessage('u1', 'Story')) };
    const head = await readEventsThenDrop(`${first.baseUrl}/threads/${id}/stream`, post, 4);

    const url = `${second.baseUrl}/threads/${id}/stream`;
    const [rest, whole] = await Promise.all([
      fetch(url, { headers: { 'last-event-id': head[3].id! } }).then((r) => r.text()),
      fetch(url).then((r) => r.text()),
    ]);
    const all = parseSse(whole);
    expect([...head, ...parseSse(rest)]).toEqual(all);
    expect(all.at(-1)?.data).toBe('[DONE]');
    expect(all.filter((e) => e.data.includes('"type":"finish"'))).toHaveLength(1);

    const invalid = await fetch(url, { headers: { 'last-event-id': 'not-an-id' } });
    expect(invalid.status).toBe(400);
  });

  it('stops a run from another instance; the run ends cleanly and the thread moves on', async () => {
    const id = await newThread();
    model.enqueue(slowText(1000, 20));
    const res = await fetch(`${first.baseUrl}/threads/${id}/stream`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: chatBody(id, userMessage('u1', 'Go')),
    });
    expect(res.status).toBe(200);
    const body = res.text();
    const running = await second.api.GET('/threads/{id}', { params: { path: { id } } });
    expect(running.data?.status).toBe('running');
    const refused = await second.api.DELETE('/threads/{id}', { params: { path: { id } } });
    expect(refused.response.status).toBe(409);

    const stop = await second.api.POST('/threads/{id}/stop', { params: { path: { id } } });
    expect(stop.response.status).toBe(204);
    const text = await body;
    const chunks = await readChunks(new Response(text).body!);
    expect(chunks.at(-1)).toEqual({ type: 'finish' });
    expect(parseSse(text).at(-1)?.data).toBe('[DONE]');

    model.enqueue('Next one');
    const next = await fetch(`${second.baseUrl}/threads/${id}/stream`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: chatBody(id, userMessage('u2', 'Again')),
    });
    expect(next.status).toBe(200);
    expect(streamedText(await readChunks(next.body!))).toBe('Next one');
  });

  it('regenerates the last answer: the client and the thread agree', async () => {
    const id = await newThread();
    const chat = new NodeChat({ id, transport: threadsTransport(second.baseUrl) });
    model.enqueue('First answer');
    await chat.sendMessage({ text: 'Question' });
    model.enqueue('Better answer');
    await chat.regenerate();
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(chat.messages[1].parts).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'text', text: 'Better answer' })]),
    );
    const detail = await first.api.GET('/threads/{id}', { params: { path: { id } } });
    expect(detail.data?.messages).toEqual(chat.messages);
  });

  it('deletes a thread with its checkpoints', async () => {
    const id = await newThread();
    model.enqueue('Remember me');
    const res = await fetch(`${first.baseUrl}/threads/${id}/stream`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: chatBody(id, userMessage('u1', 'Hello')),
    });
    await res.text();
    const runtime = second.app.get(AgentRuntime);
    expect(await runtime.loadMessages(id)).toHaveLength(2);
    const removed = await second.api.DELETE('/threads/{id}', { params: { path: { id } } });
    expect(removed.response.status).toBe(204);
    expect(await runtime.loadMessages(id)).toEqual([]);
    expect((await first.api.GET('/threads/{id}', { params: { path: { id } } })).response.status).toBe(404);
  });
});
