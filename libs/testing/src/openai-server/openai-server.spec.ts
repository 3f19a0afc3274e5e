import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AIMessageChunk, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { startScriptedModel, type ScriptedModel } from './index';

function functionTool(name: string, properties: Record<string, { type: string }>) {
  const parameters = { type: 'object', properties, required: Object.keys(properties).slice(0, 1) };
  return { type: 'function' as const, function: { name, description: `Test tool ${name}`, parameters } };
}
const weatherTool = functionTool('get_weather', { city: { type: 'string' }, unit: { type: 'string' } });
const timeTool = functionTool('get_time', { tz: { type: 'string' } });

let model: ScriptedModel;

function chat(): ChatOpenAI {
  return new ChatOpenAI({
    model: 'scripted-model',
    apiKey: 'test',
    configuration: { baseURL: model.baseURL },
    maxRetries: 0,
  });
}

async function collect(stream: AsyncIterable<AIMessageChunk>): Promise<AIMessageChunk[]> {
  const chunks: AIMessageChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function merge(chunks: AIMessageChunk[]): AIMessageChunk {
  expect(chunks.length).toBeGreaterThan(0);
  return chunks.slice(1).reduce((acc, c) => acc.concat(c), chunks[0]);
}

function contents(chunks: AIMessageChunk[]): string[] {
  return chunks.map((c) => c.content).filter((c): c is string => typeof c === 'string' && c.length > 0);
}

function lastRequest() {
  const req = model.requests.at(-1);
  if (!req) throw new Error('no request recorded');
  return req;
}

async function postRaw(body: string): Promise<Response> {
  return fetch(`${model.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
}

function sseFrames(text: string): string[] {
  const frames = text.split('\n\n').filter((f) => f.length > 0);
  expect(frames.every((f) => f.startsWith('data: '))).toBe(true);
  return frames.map((f) => f.slice('data: '.length));
}

beforeAll(async () => {
  model = await startScriptedModel();
});
afterAll(() => model.close());
beforeEach(() => model.reset());

describe('scripted OpenAI server, driven by ChatOpenAI', () => {
  it('streams a text answer word by word, with usage', async () => {
    model.enqueue({ text: 'The quick brown fox', usage: { promptTokens: 11, completionTokens: 4 } });

    const chunks = await collect(await chat().stream('hello'));

    expect(contents(chunks)).toEqual(['The', ' quick', ' brown', ' fox']);
    const merged = merge(chunks);
    expect(merged.content).toBe('The quick brown fox');
    expect(merged.usage_metadata).toMatchObject({ input_tokens: 11, output_tokens: 4, total_tokens: 15 });
    expect(merged.response_metadata.finish_reason).toBe('stop');
    expect(lastRequest()).toMatchObject({ model: 'scripted-model', stream: true });
    expect(lastRequest().stream_options).toEqual({ include_usage: true });
    expect(model.pending).toBe(0);
  });

  it('streams explicit deltas and reasoning_content', async () => {
    model.enqueue({ reasoning: ['Let me ', 'think.'], text: ['Hel', 'lo!'] });

    const chunks = await collect(await chat().stream('hi'));

    const reasoning = chunks.map((c) => c.additional_kwargs.reasoning_content).filter((r) => r !== undefined);
    expect(reasoning).toEqual(['Let me ', 'think.']);
    expect(contents(chunks)).toEqual(['Hel', 'lo!']);
  });

  it('streams a tool call whose arguments arrive in pieces', async () => {
    model.enqueue({
      toolCalls: [{ id: 'call_w1', name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } }],
    });

    const chunks = await collect(await chat().bindTools([weatherTool]).stream('Weather in Paris?'));

    const argPieces = chunks.flatMap((c) => c.tool_call_chunks ?? []).filter((t) => (t.args ?? '') !== '');
    expect(argPieces.length).toBe(3);
    const merged = merge(chunks);
    expect(merged.tool_calls).toEqual([
      { type: 'tool_call', id: 'call_w1', name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } },
    ]);
    expect(merged.response_metadata.finish_reason).toBe('tool_calls');
    expect(lastRequest().tools?.map((t) => t.function?.name)).toEqual(['get_weather']);
  });

  it('streams two parallel tool calls interleaved by index', async () => {
    model.enqueue({
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Oslo' }, argumentChunks: 4 },
        { name: 'get_time', arguments: '{"tz":"Europe/Oslo"}', argumentChunks: 2 },
      ],
    });

    const chunks = await collect(await chat().bindTools([weatherTool, timeTool]).stream('Oslo?'));

    const order = chunks.flatMap((c) => (c.tool_call_chunks ?? []).map((t) => t.index));
    expect(order).toEqual([0, 1, 0, 1, 0, 1, 0, 0]);
    const calls = merge(chunks).tool_calls ?? [];
    expect(calls.map((c) => [c.name, c.args])).toEqual([
      ['get_weather', { city: 'Oslo' }],
      ['get_time', { tz: 'Europe/Oslo' }],
    ]);
    expect(calls[0].id).toMatch(/^call_scripted_\d+$/);
    expect(calls[1].id).toMatch(/^call_scripted_\d+$/);
    expect(calls[0].id).not.toBe(calls[1].id);
  });

  it('answers invoke() without streaming, for text', async () => {
    model.enqueue({ text: 'Plain answer.', usage: { promptTokens: 7, completionTokens: 2 } });

    const msg = await chat().invoke('hi');

    expect(msg.content).toBe('Plain answer.');
    expect(msg.usage_metadata).toMatchObject({ input_tokens: 7, output_tokens: 2, total_tokens: 9 });
    expect(lastRequest().stream).toBe(false);
  });

  it('answers invoke() without streaming, for a tool call', async () => {
    model.enqueue({ toolCalls: [{ id: 'call_ns', name: 'get_weather', arguments: { city: 'Rome' } }] });

    const msg = await chat().bindTools([weatherTool]).invoke('Rome?');

    expect(msg.tool_calls).toEqual([
      { type: 'tool_call', id: 'call_ns', name: 'get_weather', args: { city: 'Rome' } },
    ]);
    expect(msg.response_metadata.finish_reason).toBe('tool_calls');
  });

  it('records what the client sent, including the tool result on the follow-up call', async () => {
    model.enqueue(
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Lima' } }] },
      'It is sunny in Lima.',
    );
    const llm = chat().bindTools([weatherTool]);
    const question = new HumanMessage('Weather in Lima?');

    const first = await llm.invoke([question]);
    const callId = first.tool_calls?.[0]?.id ?? '';
    const tool = new ToolMessage({ tool_call_id: callId, content: '24°C, sunny' });
    const second = await llm.invoke([question, first, tool]);

    expect(second.content).toBe('It is sunny in Lima.');
    expect(model.requests).toHaveLength(2);
    const sent = lastRequest().messages;
    expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(sent[2]).toMatchObject({ role: 'tool', tool_call_id: callId, content: '24°C, sunny' });
    const echoed = sent[1].tool_calls?.[0];
    expect(echoed?.id).toBe(callId);
    expect(echoed?.function.name).toBe('get_weather');
    expect(JSON.parse(echoed?.function.arguments ?? 'null')).toEqual({ city: 'Lima' });
  });

  it('surfaces a scripted 500 as an error, without retrying', async () => {
    model.enqueue({ error: { status: 500, message: 'upstream exploded' } }, 'never sent');

    await expect(chat().invoke('x')).rejects.toMatchObject({ status: 500, message: /upstream exploded/ });
    expect(model.requests).toHaveLength(1);
    expect(model.pending).toBe(1);
  });

  it('surfaces a scripted 429 on a streamed call', async () => {
    model.enqueue({ error: { status: 429, message: 'slow down' } });

    // stream() already awaits the response headers, so the error may surface there or while iterating.
    const consume = async () => collect(await chat().stream('x'));
    await expect(consume()).rejects.toMatchObject({ status: 429, message: /slow down/ });
    expect(model.requests).toHaveLength(1);
  });

  it('drops the connection mid-stream after n chunks', async () => {
    model.enqueue({ text: ['one', ' two', ' three', ' four'], dropAfterChunks: 3 });
    const received: string[] = [];

    const consume = async () => {
      for await (const chunk of await chat().stream('x')) received.push(String(chunk.content));
    };

    await expect(consume()).rejects.toThrow();
    expect(received.join('')).toBe('one two');
  });

  it('drops a non-streamed request without an answer', async () => {
    model.enqueue({ text: 'lost', dropAfterChunks: 0 });

    await expect(chat().invoke('x')).rejects.toThrow();
  });

  it('keeps chunk order with per-chunk delays, and serves concurrent streams their own turns', async () => {
    model.enqueue(
      { text: ['a', 'b', 'c', 'd', 'e'], delayMs: 3, firstChunkDelayMs: 15 },
      { text: ['v', 'w', 'x', 'y', 'z'], delayMs: 2 },
    );

    const results = await Promise.all([collect(await chat().stream('1')), collect(await chat().stream('2'))]);

    const texts = results.map((chunks) => contents(chunks).join('')).sort();
    expect(texts).toEqual(['abcde', 'vwxyz']);
  });

  it('falls back to the default turn, static or computed from the request', async () => {
    model.setDefault((req, index) => `#${index}: ${req.messages.length} message(s)`);
    const first = await chat().invoke([new HumanMessage('a'), new HumanMessage('b')]);
    model.setDefault('fixed');
    const second = await chat().invoke('c');

    expect(first.content).toMatch(/^#\d+: 2 message\(s\)$/);
    expect(second.content).toBe('fixed');
  });
});

describe('scripted OpenAI server, on the wire', () => {
  it('ends a stream with [DONE] and sends a usage chunk only when asked', async () => {
    model.enqueue('Hi there', 'Hi there');
    const base = { model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true };

    const plain = await postRaw(JSON.stringify(base));
    const withUsage = await postRaw(JSON.stringify({ ...base, stream_options: { include_usage: true } }));

    expect(plain.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const framesPlain = sseFrames(await plain.text());
    const framesUsage = sseFrames(await withUsage.text());
    expect(framesPlain.at(-1)).toBe('[DONE]');
    const chunks = framesPlain.slice(0, -1).map((f) => JSON.parse(f) as Record<string, unknown>);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'm')).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    expect(framesUsage).toHaveLength(framesPlain.length + 1);
    expect(JSON.parse(framesUsage.at(-2) ?? '{}')).toMatchObject({
      choices: [],
      usage: { completion_tokens: 2 },
    });
  });

  it('answers OpenAI-shaped errors for bad JSON, unknown URLs and an empty script', async () => {
    const badJson = await postRaw('{"messages": [');
    const unknown = await fetch(`${model.baseURL}/embeddings`);
    const empty = await postRaw(JSON.stringify({ model: 'm', messages: [] }));

    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'unknown_url' } });
    expect(empty.status).toBe(400);
    expect(empty.headers.get('x-should-retry')).toBe('false');
    expect(await empty.json()).toMatchObject({ error: { code: 'scripted_queue_empty' } });
  });

  it('lists the default and the seen model names', async () => {
    model.enqueue('ok');
    await postRaw(JSON.stringify({ model: 'other-model', messages: [{ role: 'user', content: 'x' }] }));

    const res = await fetch(`${model.baseURL}/models`);
    const body = (await res.json()) as { object: string; data: Array<{ id: string }> };

    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(expect.arrayContaining(['scripted-model', 'other-model']));
  });
});
