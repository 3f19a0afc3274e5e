import { afterEach, describe, expect, it, jest } from '@jest/globals';
import {
  AIMessage,
  type BaseMessage,
  AIMessageChunk,
  ChatMessage,
  FunctionMessage,
  HumanMessage,
  HumanMessageChunk,
  RemoveMessage,
  SystemMessage,
  ToolMessage,
  ToolMessageChunk,
} from '@langchain/core/messages';
import { PromptTemplate } from '@langchain/core/prompts';
import { JsonPlusSerializer } from '@langchain/langgraph-checkpoint';
import { FastJsonPlusSerializer } from './serde';

const upstream = new JsonPlusSerializer();
const fast = new FastJsonPlusSerializer();

/** How many documents the fast reader handed to `JsonPlusSerializer`'s own reader. */
function generalReads(): jest.SpiedFunction<(data: string) => Promise<unknown>> {
  return jest.spyOn(
    JsonPlusSerializer.prototype as unknown as { _loads(data: string): Promise<unknown> },
    '_loads',
  );
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The messages a writer serializes itself. */
function dumpsOf(writer: FastJsonPlusSerializer): jest.SpiedFunction<(value: unknown) => Uint8Array> {
  return jest.spyOn(writer as unknown as { _dumps(value: unknown): Uint8Array }, '_dumps');
}

afterEach(() => {
  jest.restoreAllMocks();
});

/** Reads `bytes` with both serializers: the same values, and whether the fast reader needed the general one. */
async function readBoth(bytes: Uint8Array | string): Promise<{ value: unknown; general: number }> {
  const expected = await upstream.loadsTyped('json', bytes);
  const spy = generalReads();
  const value = await fast.loadsTyped('json', bytes);
  const general = spy.mock.calls.length;
  spy.mockRestore();
  expect(value).toStrictEqual(expected);
  return { value, general };
}

async function dumped(value: unknown): Promise<Uint8Array> {
  const [type, bytes] = await upstream.dumpsTyped(value);
  expect(type).toBe('json');
  return bytes;
}

function conversation(turns: number): unknown[] {
  const out: unknown[] = [new SystemMessage({ content: 'You answer briefly.', id: 'sys' })];
  for (let i = 0; i < turns; i++) {
    out.push(
      new HumanMessage({
        content: [
          { type: 'text', text: `Question ${i} — é ✓ "quoted" \\ back\nslash` },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
        id: `h${i}`,
        name: 'ada',
      }),
      new AIMessage({
        content: '',
        id: `t${i}`,
        tool_calls: [
          {
            id: `call${i}`,
            name: 'search',
            args: { q: `q${i}`, n: -0, deep: { a: [1, 2.5, null, true] } },
            type: 'tool_call',
          },
        ],
        invalid_tool_calls: [
          { id: `bad${i}`, name: 'x', args: '{', error: 'parse', type: 'invalid_tool_call' },
        ],
        additional_kwargs: { refusal: null },
        response_metadata: { model_name: 'm', finish_reason: 'tool_calls' },
        usage_metadata: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
      }),
      new ToolMessage({
        content: `result ${i}`,
        tool_call_id: `call${i}`,
        name: 'search',
        status: 'success',
        artifact: { rows: [i, i + 1] },
        id: `r${i}`,
      }),
      new AIMessageChunk({
        content: `Answer ${i}`,
        id: `a${i}`,
        tool_call_chunks: [{ id: `c${i}`, name: 'n', args: '{"a":', index: 0, type: 'tool_call_chunk' }],
        response_metadata: { finish_reason: 'stop' },
      }),
    );
  }
  return out;
}

describe('FastJsonPlusSerializer', () => {
  it('reads a conversation as JsonPlusSerializer does, without its general reader', async () => {
    const bytes = await dumped(conversation(25));
    const { value, general } = await readBoth(bytes);
    expect(general).toBe(0);
    const read = value as unknown[];
    expect(read).toHaveLength(101);
    expect(read[1]).toBeInstanceOf(HumanMessage);
    expect(read[2]).toBeInstanceOf(AIMessage);
    expect((read[2] as AIMessage).tool_calls?.[0]?.args).toEqual({
      q: 'q0',
      n: 0,
      deep: { a: [1, 2.5, null, true] },
    });
    expect(read[3]).toBeInstanceOf(ToolMessage);
    expect(read[4]).toBeInstanceOf(AIMessageChunk);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty string', ''],
    ['a string', 'plain text'],
    ['a number', 42.5],
    [
      'an answer with a tool call, an undefined kwarg and OpenAI-format calls',
      new AIMessage({
        content: '',
        id: 'chatcmpl-1',
        tool_calls: [{ name: 'weather', args: { city: 'Paris' }, type: 'tool_call', id: 'call_1' }],
        additional_kwargs: {
          function_call: undefined,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        response_metadata: {
          tokenUsage: { promptTokens: 9, completionTokens: 3 },
          finish_reason: 'tool_calls',
        },
      }),
    ],
    [
      'one object twice, side by side',
      (() => {
        const shared = { messages: [new HumanMessage('hello'), new AIMessage('hi')], n: null, s: '' };
        return { first: shared, second: shared };
      })(),
    ],
    [
      'errors, sets, maps and patterns among messages',
      { e: new Error('oops'), list: [new Set([3, 1]), new Map([['k', 'v']]), /x+y/g], m: new AIMessage('x') },
    ],
  ])('round-trips %s to an equal value', async (_name, input) => {
    const [type, bytes] = await fast.dumpsTyped(input);
    expect(await fast.loadsTyped(type, bytes)).toEqual(input);
    await readBoth(bytes);
  });

  it('reads every message class LangChain serializes under langchain_core.messages', async () => {
    const all = [
      new ChatMessage({ content: 'c', role: 'critic', id: '1' }),
      new FunctionMessage({ content: 'f', name: 'fn', id: '2' }),
      new RemoveMessage({ id: '3' }),
      new HumanMessageChunk({ content: 'h', id: '4' }),
      new HumanMessage('no id'),
    ];
    const { value, general } = await readBoth(await dumped(all));
    expect(general).toBe(0);
    expect((value as unknown[]).map((m) => (m as object).constructor.name)).toEqual([
      'ChatMessage',
      'FunctionMessage',
      'RemoveMessage',
      'HumanMessageChunk',
      'HumanMessage',
    ]);
  });

  it('reads a checkpoint and its pending writes as they are stored', async () => {
    const checkpoint = {
      v: 4,
      id: '1f0-abc',
      ts: '2026-11-27T00:00:00.000Z',
      channel_values: { messages: conversation(2), route: 'agent', count: 3, nested: { list: [{ x: 1 }] } },
      channel_versions: { messages: '00000000000000000000000000000002.0.1', __start__: 1 },
      versions_seen: { agent: { messages: 2 } },
    };
    const { general } = await readBoth(await dumped(checkpoint));
    expect(general).toBe(0);
  });

  it('reads -0 as JsonPlusSerializer does: kept outside a message, 0 inside one', async () => {
    const json =
      '{"n":-0,"m":{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"],' +
      '"kwargs":{"content":"x","additional_kwargs":{"n":-0,"list":[-0]}}}}';
    const { value, general } = await readBoth(json);
    expect(general).toBe(0);
    const read = value as { n: number; m: HumanMessage };
    expect(Object.is(read.n, -0)).toBe(true);
    expect(Object.is(read.m.additional_kwargs.n, 0)).toBe(true);
    expect(Object.is((read.m.additional_kwargs.list as number[])[0], 0)).toBe(true);
  });

  it('reads undefined values as JsonPlusSerializer does, inside messages and outside', async () => {
    const input = {
      outside: { a: undefined, list: [1, undefined] },
      // A streamed answer without usage is stored with `usage_metadata` undefined.
      chunk: new AIMessageChunk({ content: 'x', id: 'a' }),
      message: new HumanMessage({ content: 'x', additional_kwargs: { a: undefined, list: [1, undefined] } }),
    };
    const { value, general } = await readBoth(await dumped(input));
    expect(general).toBe(0);
    const read = value as { outside: { list: unknown[] }; message: HumanMessage; chunk: AIMessageChunk };
    expect(read.outside).toHaveProperty('a', undefined);
    expect(read.outside.list).toEqual([1, undefined]);
    expect(read.message.additional_kwargs).toStrictEqual({ list: [1, null] });
    expect(read.chunk.usage_metadata).toBeUndefined();
  });

  it.each([
    ['a Set and a Map', { s: new Set([1, 2]), m: new Map([['k', 1]]) }],
    ['bytes, a RegExp and an Error', { u: new Uint8Array([1, 2]), r: /a+/gi, e: new Error('boom') }],
    [
      'user data with an lc key in a message',
      new AIMessage({ content: 'x', tool_calls: [{ id: 'c', name: 'n', args: { lc: 1 } }] }),
    ],
    ['user data with an lc key outside one', { lc: 1, type: 'constructor', id: ['x'] }],
    ['a LangChain class that is not a message', [PromptTemplate.fromTemplate('Hello {name}')]],
    // `load()` camel-cases `tool_call_id`, which ToolMessageChunk does not list among its aliases.
    ['a ToolMessageChunk', new ToolMessageChunk({ content: 't', tool_call_id: 'c', id: '5' })],
    [
      'a message holding a message',
      new HumanMessage({ content: 'x', additional_kwargs: { inner: new HumanMessage('y') } }),
    ],
  ])('hands %s to the general reader, with the same result', async (_name, input) => {
    const { general } = await readBoth(await dumped(input));
    expect(general).toBe(1);
  });

  it.each([
    [
      'an older four-part message id',
      '{"lc":1,"type":"constructor","id":["langchain_core","messages","ai","AIMessage"],"kwargs":{"content":"x"}}',
    ],
    [
      'a kwarg load() camel-cases',
      '{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"],"kwargs":{"content":"x","example_flag":true}}',
    ],
    ['an escaped object at the top', '{"__lc_escaped__":{"lc":1}}'],
    ['a __proto__ key', '{"a":{"__proto__":{"polluted":true},"b":1}}'],
    [
      'a __proto__ key in a message',
      '{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"],"kwargs":{"content":"x","additional_kwargs":{"__proto__":{"p":1}}}}',
    ],
    [
      'a message without kwargs',
      '{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"]}',
    ],
    [
      'an unknown message name',
      '{"lc":1,"type":"constructor","id":["langchain_core","messages","BaseMessage"],"kwargs":{"content":"x"}}',
    ],
  ])('hands %s to the general reader, with the same result', async (_name, json) => {
    const { general } = await readBoth(json);
    expect(general).toBe(1);
  });

  it('leaves deep values to the general reader, which applies load()s depth limit', async () => {
    const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : { d: nest(depth - 1) });
    const shallow = new HumanMessage({ content: 'x', additional_kwargs: { v: nest(30) } });
    expect((await readBoth(await dumped(shallow))).general).toBe(0);
    const deep = new HumanMessage({ content: 'x', additional_kwargs: { v: nest(45) } });
    expect((await readBoth(await dumped(deep))).general).toBe(1);
    const tooDeep = await dumped(new HumanMessage({ content: 'x', additional_kwargs: { v: nest(60) } }));
    await expect(upstream.loadsTyped('json', tooDeep)).rejects.toThrow('Maximum recursion depth');
    await expect(fast.loadsTyped('json', tooDeep)).rejects.toThrow('Maximum recursion depth');
  });

  it('fails on a malformed document as JsonPlusSerializer does', async () => {
    await expect(upstream.loadsTyped('json', '{"a":')).rejects.toThrow(SyntaxError);
    await expect(fast.loadsTyped('json', '{"a":')).rejects.toThrow(SyntaxError);
  });

  it('reads random documents of messages and plain data as JsonPlusSerializer does', async () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const keys = ['a', 'b_c', 'content', 'id', 'lc', 'type', 'kwargs', 'x y', '0', 'é'] as const;
    const leaf = (): unknown => pick([0, -0, 1.5, -7, 1e21, 'text', '', 'ü\u0000', true, false, null]);
    const value = (depth: number): unknown => {
      const roll = random();
      if (depth > 4 || roll < 0.35) return leaf();
      if (roll < 0.55) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      if (roll < 0.75) {
        const kwargs = { content: pick(['c', [{ type: 'text', text: 't' }]]) as string, id: `m${depth}` };
        return pick([
          new HumanMessage({
            ...kwargs,
            additional_kwargs: { extra: value(depth + 1) } as Record<string, unknown>,
          }),
          new AIMessage({ ...kwargs, response_metadata: { meta: value(depth + 1) } }),
          new ToolMessage({ ...kwargs, tool_call_id: 'c', artifact: value(depth + 1) }),
        ]);
      }
      const record: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 4); i > 0; i--) record[pick(keys)] = value(depth + 1);
      return record;
    };
    let fastOnly = 0;
    for (let i = 0; i < 300; i++) {
      const { general } = await readBoth(await dumped(value(0)));
      if (general === 0) fastOnly++;
    }
    // Both paths are exercised: most documents are plain, some carry a key only the general reader handles.
    expect(fastOnly).toBeGreaterThan(100);
    expect(fastOnly).toBeLessThan(300);
  });
});

describe('FastJsonPlusSerializer.dumpsChannelValue', () => {
  async function sameAsUpstream(value: unknown, writer = new FastJsonPlusSerializer()): Promise<void> {
    const [type, bytes] = await writer.dumpsChannelValue(value);
    const [upstreamType, upstreamBytes] = await upstream.dumpsTyped(value);
    expect(type).toBe(upstreamType);
    expect(text(bytes)).toBe(text(upstreamBytes));
  }

  it.each([
    ['a conversation', conversation(3)],
    ['one message', [new HumanMessage({ content: 'x', id: '1' })]],
    ['an empty list', []],
    ['a list that is not only messages', [new HumanMessage('x'), { role: 'user' }]],
    ['a value that is not a list', { messages: conversation(1) }],
    ['text', 'agent'],
    ['undefined', undefined],
  ])('writes %s as JsonPlusSerializer does', async (_name, value) => {
    await sameAsUpstream(value);
  });

  it('writes a grown list as JsonPlusSerializer does, serializing only the messages it has not written', async () => {
    const writer = new FastJsonPlusSerializer();
    const history = conversation(5);
    await sameAsUpstream(history, writer);
    const dumps = dumpsOf(writer);
    const next = [
      ...history,
      new HumanMessage({ content: 'next', id: 'n' }),
      new AIMessage({ content: 'ok', id: 'o' }),
    ];
    await sameAsUpstream(next, writer);
    expect(dumps).toHaveBeenCalledTimes(2);
  });

  it('takes nothing from pending writes: a message the reducer gives its id after the write is written with it', async () => {
    const writer = new FastJsonPlusSerializer();
    const result = new ToolMessage({ content: 'r', tool_call_id: 'c' });
    // Stored as a pending write first, without an id…
    await writer.dumpsTyped([result]);
    // …then given one in place, as LangGraph's messages reducer does, before the checkpoint is written.
    result.id = 'assigned';
    result.lc_kwargs.id = 'assigned';
    await sameAsUpstream([new HumanMessage({ content: 'q', id: 'h' }), result], writer);
    expect(text((await writer.dumpsChannelValue([result]))[1])).toContain('"id":"assigned"');
  });

  it('writes a message changed in place after its channel value was written as it was first written', async () => {
    const writer = new FastJsonPlusSerializer();
    const answer = new AIMessage({ content: 'first', id: 'a' });
    await writer.dumpsChannelValue([answer]);
    answer.content = 'changed';
    answer.lc_kwargs.content = 'changed';
    expect(text((await writer.dumpsChannelValue([answer]))[1])).toContain('"content":"first"');
  });
});

describe('FastJsonPlusSerializer: a list of messages read back, then grown', () => {
  it('is written as the bytes read, then the new messages, and reads back as the grown list', async () => {
    const stored = await dumped(conversation(3));
    const writer = new FastJsonPlusSerializer();
    const read = (await writer.loadsChannelValue('json', stored)) as BaseMessage[];
    const question = new HumanMessage({ content: 'next', id: 'n' });
    const answer = new AIMessageChunk({ content: 'ok', id: 'o' });
    const grown = [...read, question, answer];
    const dumps = dumpsOf(writer);
    const [, bytes] = await writer.dumpsChannelValue(grown);
    expect(dumps).toHaveBeenCalledTimes(2);
    const expected = `${text(stored).slice(0, -1)},${text(await dumped(question))},${text(await dumped(answer))}]`;
    expect(text(bytes)).toBe(expected);
    // What JsonPlusSerializer reads from it is what it reads from what it writes for the grown list.
    expect(await upstream.loadsTyped('json', bytes)).toStrictEqual(
      await upstream.loadsTyped('json', await dumped(grown)),
    );
  });

  it('is written as read when unchanged', async () => {
    const stored = await dumped(conversation(2));
    const writer = new FastJsonPlusSerializer();
    const read = await writer.loadsChannelValue('json', stored);
    expect(text((await writer.dumpsChannelValue(read))[1])).toBe(text(stored));
  });

  it('is serialized whole when a message read was replaced', async () => {
    const writer = new FastJsonPlusSerializer();
    const read = (await writer.loadsChannelValue('json', await dumped(conversation(2)))) as BaseMessage[];
    const replaced = [read[0], new HumanMessage({ content: 'edited', id: read[1].id }), ...read.slice(2)];
    const dumps = dumpsOf(writer);
    const [, bytes] = await writer.dumpsChannelValue(replaced);
    expect(dumps).toHaveBeenCalledTimes(replaced.length);
    expect(text(bytes)).toBe(text(await dumped(replaced)));
  });

  it('is not taken from lists read by loadsTyped (pending writes)', async () => {
    const writer = new FastJsonPlusSerializer();
    const read = (await writer.loadsTyped('json', await dumped(conversation(1)))) as BaseMessage[];
    const dumps = dumpsOf(writer);
    await writer.dumpsChannelValue([...read, new HumanMessage({ content: 'x', id: 'x' })]);
    expect(dumps).toHaveBeenCalledTimes(read.length + 1);
  });
});
