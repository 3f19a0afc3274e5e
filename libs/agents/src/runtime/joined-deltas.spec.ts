import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { ChatOpenAI } from '@langchain/openai';
import OpenAI from 'openai';
import { requestFetch, sharedDispatcher } from '@auxilia/core';
import { DEFAULT_SCRIPTED_MODEL_NAME, startScriptedModel, type ScriptedAnswer } from '@auxilia/testing';
import { createChatModel } from './chat-model';
import {
  joinedDeltas,
  joinTextDeltas,
  MAX_READ_INTERVAL_MS,
  READ_INTERVAL_MS,
  READ_SHARE_MS,
  ReadPace,
  readPace,
} from './joined-deltas';

const encoder = new TextEncoder();

/** A stream whose reads are exactly the pieces pushed, each when it is pushed. */
function source() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled: unknown = 'not cancelled';
  const stream = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: (reason) => void (cancelled = reason),
  });
  return {
    stream,
    push: (piece: string | Uint8Array) =>
      controller.enqueue(typeof piece === 'string' ? encoder.encode(piece) : piece),
    end: () => controller.close(),
    cancelled: () => cancelled,
  };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let out = '';
  for await (const piece of stream) out += decoder.decode(piece, { stream: true });
  return out + decoder.decode();
}

/** The stream as the pieces given, one read each, then joined and read to its end. */
function joined(pieces: (string | Uint8Array)[]): Promise<string> {
  const src = source();
  for (const piece of pieces) src.push(piece);
  src.end();
  return readAll(joinTextDeltas(src.stream));
}

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm' };

function text(content: string, extra: Record<string, unknown> = {}, delta: Record<string, unknown> = {}) {
  return event({
    ...base,
    ...extra,
    choices: [{ index: 0, delta: { ...delta, content }, finish_reason: null }],
  });
}

function event(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/** JSON as Python's `json.dumps` writes it: a space after each `:` and `,`, everything past ASCII escaped. */
function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).map(([key, v]) => `${pythonJson(key)}: ${pythonJson(v)}`);
    return `{${fields.join(', ')}}`;
  }
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A chunk of one tool call, with more fields for its delta if given. */
function call(toolCall: Record<string, unknown>, delta: Record<string, unknown> = {}) {
  return event({
    ...base,
    choices: [{ index: 0, delta: { ...delta, tool_calls: [toolCall] }, finish_reason: null }],
  });
}

const finish = event({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
const usage = event({
  ...base,
  choices: [],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
});
const done = 'data: [DONE]\n\n';

/** A stream's first text (its role chunk and one token) and what is made of it: one chunk. */
const opening = text('', {}, { role: 'assistant', refusal: null }) + text('Hi');
const openingJoined = event({
  ...base,
  choices: [{ index: 0, delta: { role: 'assistant', refusal: null, content: 'Hi' }, finish_reason: null }],
});

describe('joinTextDeltas', () => {
  it('makes the text chunks of one read one chunk, with the first one’s role and fields', async () => {
    const out = await joined([
      opening,
      text('', {}, { role: 'assistant' }) +
        text('Hel') +
        text('lo,') +
        text(' wörld') +
        finish +
        usage +
        done,
    ]);
    expect(out).toBe(openingJoined + text('Hello, wörld', {}, { role: 'assistant' }) + finish + usage + done);
  });

  it('hands on the first text alone, and what followed it in its read after the event loop has polled', async () => {
    const src = source();
    src.push(opening + text(' a') + text(' b') + done);
    src.end();
    const reader = joinTextDeltas(src.stream).getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe(openingJoined);
    const order: string[] = [];
    // The rest comes after the loop's next poll for I/O, and so after an immediate queued now.
    setImmediate(() => order.push('the loop turned'));
    const next = await reader.read();
    order.push('the rest');
    expect(decoder.decode(next.value)).toBe(text(' a b') + done);
    expect(order).toEqual(['the loop turned', 'the rest']);
    expect((await reader.read()).done).toBe(true);
  });

  it('writes a chunk that joins nothing again exactly as it came', async () => {
    const alone = 'data:{"choices":[{"delta":{"content":"a"},"index":0}],"id":"x"}\n\n';
    expect(await joined([alone + finish])).toBe(alone + finish);
  });

  it('hands on what a read completes without waiting for the next read', async () => {
    const src = source();
    const reader = joinTextDeltas(src.stream).getReader();
    const decoder = new TextDecoder();
    /** The next read, or '(still waiting)' if it has not come within 2 s. */
    const nextRead = async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          reader.read().then(({ value }) => decoder.decode(value)),
          new Promise<string>((resolve) => (timer = setTimeout(() => resolve('(still waiting)'), 2000))),
        ]);
      } finally {
        clearTimeout(timer);
      }
    };
    src.push(text('a'));
    expect(await nextRead()).toBe(text('a'));
    const fourth = text(' d');
    src.push(text(' b') + text(' c') + fourth.slice(0, 10));
    expect(await nextRead()).toBe(text(' b c'));
    // The rest of the fourth chunk completes it: it comes alone, as it came.
    src.push(fourth.slice(10));
    expect(await nextRead()).toBe(fourth);
    src.push(text('e'));
    src.end();
    expect(await nextRead()).toBe(text('e'));
    expect((await reader.read()).done).toBe(true);
  });

  it('keeps apart chunks that differ in anything but their text, and ends a run at any other event', async () => {
    const toolCall = event({
      ...base,
      choices: [
        {
          index: 0,
          delta: { tool_calls: [{ index: 0, function: { arguments: '{}' } }] },
          finish_reason: null,
        },
      ],
    });
    const reasoning = event({
      ...base,
      choices: [{ index: 0, delta: { reasoning_content: 'hm' }, finish_reason: null }],
    });
    const apart = [
      text('a'),
      text('b', { id: 'chatcmpl-2' }),
      text('c'),
      event({ ...base, choices: [{ index: 1, delta: { content: 'd' }, finish_reason: null }] }),
      text('e'),
      toolCall,
      text('f'),
      reasoning,
      text('g'),
      ': a comment\n\n',
      text('h'),
      'event: other\ndata: {"choices":[]}\n\n',
      text('i'),
      event({
        ...base,
        choices: [{ index: 0, delta: { content: 'j' }, logprobs: { content: [] }, finish_reason: null }],
      }),
      event({
        ...base,
        choices: [{ index: 0, delta: { content: 'k', refusal: 'no' }, finish_reason: null }],
      }),
      text('l', {}, { role: 'assistant' }),
      text('m', {}, { role: 'user' }),
      text('n', { usage: { completion_tokens: 1 } }),
      text('o'),
      event({ error: { message: 'overloaded' } }),
      text('p'),
      'data: {"choices":[{"index":0,"delta":{"content":"q"}}]}\ndata: {}\n\n',
      'data: not json\n\n',
      text('r', { meta: { a: 1 } }),
      text('s', { meta: { a: 2 } }),
      text('t'),
      text('u', { system_fingerprint: 'fp' }),
    ];
    const out = await joined([apart.join('')]);
    expect(out).toBe(apart.join(''));
  });

  it('joins the arguments of a tool call that come in one read onto the chunk before them', async () => {
    const role = text('', {}, { role: 'assistant', refusal: null });
    const out = await joined([
      role +
        call({ index: 0, id: 'call_1', type: 'function', function: { name: 'search', arguments: '' } }) +
        call({ index: 0, function: { arguments: '{"q":' } }) +
        call({ index: 0, function: { arguments: '"wörld"}' } }) +
        finish +
        done,
    ]);
    expect(out).toBe(
      role +
        call({
          index: 0,
          id: 'call_1',
          type: 'function',
          function: { name: 'search', arguments: '{"q":"wörld"}' },
        }) +
        finish +
        done,
    );
  });

  it('joins reasoning like text, sends the first reasoning alone, and keeps it apart from text', async () => {
    const role = text('', {}, { role: 'assistant', refusal: null });
    const think = (reasoning: string, delta: Record<string, unknown> = {}) =>
      event({
        ...base,
        choices: [{ index: 0, delta: { ...delta, reasoning_content: reasoning }, finish_reason: null }],
      });
    const out = await joined([
      role + think('Hm', { content: null }) + think('m,') + think(' so') + text('Hi') + text(' there') + done,
      think(' and') + think(' then') + think('', { content: 'no' }) + done,
    ]);
    expect(out).toBe(
      role +
        think('Hm', { content: null }) +
        think('m, so') +
        text('Hi there') +
        done +
        think(' and then') +
        think('', { content: 'no' }) +
        done,
    );
  });

  it('keeps apart the arguments of other calls, a call’s start, and a chunk that says more', async () => {
    const apart = [
      call({ index: 0, id: 'call_1', type: 'function', function: { name: 'a', arguments: '' } }),
      call({ index: 1, id: 'call_2', type: 'function', function: { name: 'b', arguments: '' } }),
      call({ index: 0, function: { arguments: '{}' } }),
      call({ index: 1, function: { arguments: '{' } }),
      call({ index: 1, type: 'function', function: { arguments: '}' } }),
      call({ index: 1, function: { arguments: ' ' } }, { role: 'assistant' }),
      call({ index: 1, function: { arguments: ' ', name: null } }),
      call({ index: 1, function: { arguments: ' ' }, extra: true }),
      call({ index: 1, function: { arguments: ' ' } }, { content: 'text' }),
      text(' '),
    ];
    expect(await joined([apart.join('')])).toBe(apart.join(''));
  });

  it('ignores the padding (`obfuscation`) chunks differ in, and keeps the first one’s', async () => {
    const out = await joined([
      opening,
      text('a', { obfuscation: 'xyz' }) + text('b', { obfuscation: 'q' }) + done,
    ]);
    expect(out).toBe(openingJoined + text('ab', { obfuscation: 'xyz' }) + done);
  });

  it('parses the first chunk of each shape only, and reads the chunks that differ from it in their text alone', async () => {
    const tokens = Array.from({ length: 40 }, (_, i) => ` t${i}`);
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const out = await joined([opening, tokens.map((t) => text(t)).join('') + finish + done]);
      expect(out).toBe(openingJoined + text(tokens.join('')) + finish + done);
      // The role chunk and the first text, each parsed again with a placeholder, and the finish chunk.
      expect(parse.mock.calls.length).toBeLessThanOrEqual(5);
    } finally {
      parse.mockRestore();
    }
  });

  it('joins chunks written with spaces and escapes into the first one as it was written', async () => {
    const texts = ['é', ' "quoted"', '\n', ' back\\slash', ' 🙂', '\u0000', ' \\u0000'];
    const spaced = (content: string) =>
      `data: ${pythonJson({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    const out = await joined([opening, texts.map(spaced).join('') + done]);
    expect(out).toBe(openingJoined + spaced(texts.join('')) + done);
    expect(out).toContain(
      String.raw`"content": "\u00e9 \"quoted\"\n back\\slash \ud83d\ude42\u0000 \\u0000"`,
    );
  });

  it('keeps apart a chunk whose text in the place of the one before is more than a JSON string', async () => {
    // `text('a')` with `b","role":"user` in the place of its text: a chunk with a role of its own.
    const a = text('a');
    const at = a.indexOf('"content":"a"') + '"content":"'.length;
    const forged = (t: string) => `${a.slice(0, at)}${t}","role":"user${a.slice(at + 1)}`;
    expect(JSON.parse(forged('b').slice(6))).toMatchObject({
      choices: [{ delta: { content: 'b', role: 'user' } }],
    });
    // Apart from the text before it; the text after it, without a role, goes onto it as onto any chunk.
    const rest = text('a') + text('a') + forged('b') + text('c') + done;
    expect(await joined([opening, rest])).toBe(openingJoined + text('aa') + forged('bc') + done);
  });

  it('finds the text of a chunk where the chunk holds it, not where another field is written alike', async () => {
    // `meta.content` comes first and holds the same text: reading the next chunk there would join it.
    const apart = ['x', 'y', 'z'].map((m) => text('x', { meta: { content: m } })).join('');
    expect(await joined([opening, apart + done])).toBe(openingJoined + apart + done);
  });

  it('joins a chunk read through its shape onto a chunk of another, once the stream has made all its shapes', async () => {
    // Padding that differs in every chunk gives each its own shape, until the stream makes no more: the
    // last chunks before the comment have none, and one of the escaped texts after it has the last shape.
    const padded = (t: string, i: number) => text(t, { obfuscation: `p${i}` });
    const many = Array.from({ length: 12 }, (_, i) => padded(String(i % 10), i));
    const escaped = ' "\n\\';
    const after = Array.from({ length: 12 }, (_, i) => padded(escaped, i));
    const out = await joined([opening, many.join('') + ': x\n\n' + padded('a', 11) + after.join('') + done]);
    expect(out).toBe(
      openingJoined + padded('012345678901', 0) + ': x\n\n' + padded('a' + escaped.repeat(12), 11) + done,
    );
  });

  it('reads events and characters cut across reads', async () => {
    const bytes = encoder.encode(text('é') + text('🙂') + text('ü') + done);
    // Cut inside the multi-byte characters and inside the events.
    const cuts = [15, 16, 60, 61, 62, 100, 150];
    const pieces = [0, ...cuts].map((from, i) => bytes.slice(from, cuts[i] ?? bytes.length));
    const out = await joined(pieces);
    const contents = out
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map(
        (e) =>
          (JSON.parse(e.slice(6)) as { choices: [{ delta: { content: string } }] }).choices[0].delta.content,
      );
    expect(contents.join('')).toBe('é🙂ü');
    expect(out.endsWith(done)).toBe(true);
  });

  it('hands on a stream whose lines end in \\r as it came', async () => {
    const crlf = (text('a') + text('b') + done).replaceAll('\n', '\r\n');
    expect(await joined([crlf.slice(0, 7), crlf.slice(7)])).toBe(crlf);
  });

  it('hands on an incomplete last event at the end of the stream', async () => {
    expect(await joined([opening, text('a') + text('b') + 'data: {"cut'])).toBe(
      openingJoined + text('ab') + 'data: {"cut',
    );
  });

  it('can be cancelled while it holds the rest of a read', async () => {
    const src = source();
    src.push(opening + text(' a') + done);
    const reader = joinTextDeltas(src.stream).getReader();
    await reader.read();
    // The rest waits for a timer: the stream is cancelled meanwhile, and the read ends without it.
    const rest = reader.read();
    await reader.cancel('gone');
    expect(await rest).toEqual({ done: true, value: undefined });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(src.cancelled()).toBe('gone');
  });

  it('reads a stream it cannot see the source of as it comes, whatever the interval', async () => {
    const src = source();
    const pace = new ReadPace(600_000);
    const reader = joinTextDeltas(src.stream, pace).getReader();
    const decoder = new TextDecoder();
    src.push(opening);
    await reader.read();
    expect(pace.answers).toBe(0);
    // Waiting out the interval would outlast the test's time limit.
    for (const token of [' a', ' b']) {
      setTimeout(() => src.push(text(token)), 5);
      expect(decoder.decode((await reader.read()).value)).toBe(text(token));
    }
  });

  it('cancels its source when cancelled', async () => {
    const src = source();
    const reader = joinTextDeltas(src.stream).getReader();
    src.push(text('a'));
    await reader.read();
    await reader.cancel('gone');
    expect(src.cancelled()).toBe('gone');
  });

  it('gives the OpenAI client the same completion as the stream it joined, however the stream is read', async () => {
    type Piece = { text: string } | { call: number; args: string } | { comment: true };
    // Any text, and what JSON escapes: quotes, backslashes, control characters, an escape's own letters.
    const textArb = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\\u0000', '\\"', '"}', 'é🙂'),
    );
    const pieceArb: fc.Arbitrary<Piece> = fc.oneof(
      { weight: 6, arbitrary: textArb.map((t) => ({ text: t })) },
      { weight: 1, arbitrary: fc.record({ call: fc.nat({ max: 1 }), args: textArb }) },
      { weight: 1, arbitrary: fc.constant({ comment: true as const }) },
    );
    /**
     * The events of the pieces: a tool call's first delta carries its id and name. `spaced`: written as
     * Python writes JSON.
     */
    const eventsOf = (pieces: Piece[], spaced: boolean) => {
      const started = new Set<number>();
      const event = (data: unknown) => `data: ${spaced ? pythonJson(data) : JSON.stringify(data)}\n\n`;
      return pieces.map((piece) => {
        if ('text' in piece) {
          return event({
            ...base,
            choices: [{ index: 0, delta: { content: piece.text }, finish_reason: null }],
          });
        }
        if ('comment' in piece) return ': keep-alive\n\n';
        // Calls are numbered from 0, as a model numbers them.
        const index = Math.min(piece.call, started.size);
        const call = started.has(index)
          ? { index, function: { arguments: piece.args } }
          : {
              index,
              id: `call_${index}`,
              type: 'function',
              function: { name: `f${index}`, arguments: piece.args },
            };
        started.add(index);
        return event({
          ...base,
          choices: [{ index: 0, delta: { tool_calls: [call] }, finish_reason: null }],
        });
      });
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(pieceArb, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        async (pieces, cutsSeed, spaced) => {
          const chunks = eventsOf(pieces, spaced);
          const whole = encoder.encode(
            text('', {}, { role: 'assistant' }) + chunks.join('') + finish + usage + done,
          );
          const cuts = [...new Set(cutsSeed.map((n) => n % whole.length))].sort((a, b) => a - b);
          const reads = [0, ...cuts].map((from, i) => whole.slice(from, cuts[i] ?? whole.length));
          const [plain, join] = await Promise.all([
            finalCompletion(reads, false),
            finalCompletion(reads, true),
          ]);
          expect(join.completion).toEqual(plain.completion);
          expect(join.chunks).toBeLessThanOrEqual(plain.chunks);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** What the OpenAI client makes of the stream given in `pieces`, joined or not, and how many chunks it read. */
async function finalCompletion(pieces: Uint8Array[], join: boolean) {
  const src = source();
  for (const piece of pieces) src.push(piece);
  src.end();
  const body = join ? joinTextDeltas(src.stream) : src.stream;
  const client = new OpenAI({
    apiKey: 'test',
    baseURL: 'http://127.0.0.1:1/v1',
    maxRetries: 0,
    fetch: async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
  });
  const stream = client.chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  let chunks = 0;
  stream.on('chunk', () => chunks++);
  return { completion: await stream.finalChatCompletion(), chunks };
}

describe('ReadPace', () => {
  it('spaces reads READ_INTERVAL_MS apart for a few answers, READ_SHARE_MS more per answer past that, up to the most', () => {
    const pace = new ReadPace();
    const few = Math.floor(READ_INTERVAL_MS / READ_SHARE_MS);
    const counted = Array.from({ length: few }, () => pace.count());
    expect(pace.interval()).toBe(READ_INTERVAL_MS);
    counted.push(pace.count(), pace.count());
    expect(pace.interval()).toBe(READ_INTERVAL_MS + 2 * READ_SHARE_MS);
    for (let i = 0; i < 200; i++) counted.push(pace.count());
    expect(pace.interval()).toBe(MAX_READ_INTERVAL_MS);
    for (const uncount of counted) uncount();
    expect(pace.answers).toBe(0);
    expect(pace.interval()).toBe(READ_INTERVAL_MS);
  });

  it('stops counting an answer once, however often it is told', () => {
    const pace = new ReadPace();
    const first = pace.count();
    pace.count();
    first();
    first();
    first();
    expect(pace.answers).toBe(1);
  });

  it('never spaces reads closer than its first interval', () => {
    const pace = new ReadPace(600_000);
    for (let i = 0; i < 500; i++) pace.count();
    expect(pace.interval()).toBe(600_000);
  });
});

describe('joinedDeltas', () => {
  it('joins streamed answers only, and hands every other answer on as it came', async () => {
    const json = new Response('{"a":1}', { headers: { 'content-type': 'application/json' } });
    const src = source();
    src.push(opening);
    src.push(text('a') + text('b'));
    src.end();
    const sse = new Response(src.stream, { headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    const answers = [json, sse];
    const fetch = joinedDeltas(async () => answers.shift()!);
    expect(await fetch('http://x')).toBe(json);
    const res = await fetch('http://x');
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await res.text()).toBe(openingJoined + text('ab'));
  });

  it('gives ChatOpenAI as the service builds it fewer chunks than the tokens of one read, the same message in the end', async () => {
    const tokens = Array.from({ length: 20 }, (_, i) => ` t${i}`);
    // Sent in one write (no delay): they reach the client in one read.
    await withModel({ text: tokens, usage: { promptTokens: 5, completionTokens: 20 } }, async ({ llm }) => {
      const { message, texts } = await streamed(llm);
      expect(message?.content).toBe(tokens.join(''));
      expect(message?.usage_metadata).toMatchObject({ input_tokens: 5, output_tokens: 20, total_tokens: 25 });
      expect(message?.response_metadata).toMatchObject({ finish_reason: 'stop' });
      expect(texts.length).toBeLessThan(tokens.length);
    });
  });

  it('gives ChatOpenAI as the service builds it a chunk per read interval from a model sending a token every 2 ms', async () => {
    const tokens = Array.from({ length: 100 }, (_, i) => ` t${i}`);
    await withModel({ text: tokens, delayMs: 2 }, async ({ llm }) => {
      const { message, texts } = await streamed(llm);
      expect(message?.content).toBe(tokens.join(''));
      // About 200 ms of tokens: as they come for the first READ_INTERVAL_MS, then a chunk per interval.
      expect(texts.length).toBeLessThanOrEqual(tokens.length / 4);
    });
  });

  it('gives ChatOpenAI each token of a model slower than the read interval as it comes', async () => {
    const tokens = [' a', ' b', ' c', ' d'];
    await withModel({ text: tokens, delayMs: 60 }, async ({ llm }) => {
      expect((await streamed(llm)).texts).toEqual(tokens);
    });
  });

  it('reads an answer as it comes until it has gone on for the interval after its first text', async () => {
    const tokens = [' a', ' b', ' c'];
    await withModel({ text: tokens, delayMs: 5, firstChunkDelayMs: 0 }, async ({ baseURL }) => {
      // Holding a read for the interval would outlast the test's time limit.
      const fetch = joinedDeltas(requestFetch(sharedDispatcher('follow'), 'follow'), new ReadPace(600_000));
      const client = new OpenAI({ apiKey: 'test', baseURL, maxRetries: 0, fetch });
      const stream = client.chat.completions.stream({
        model: DEFAULT_SCRIPTED_MODEL_NAME,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      const completion = await stream.finalChatCompletion();
      expect(completion.choices[0].message.content).toBe(tokens.join(''));
    });
  });

  it('stops a model call aborted while its next read waits out the interval', async () => {
    const tokens = Array.from({ length: 20 }, (_, i) => ` t${i}`);
    await withModel({ text: tokens, delayMs: 2 }, async ({ llm }) => {
      const abort = new AbortController();
      const read = async () => {
        for await (const chunk of await llm.stream('Hi', { signal: abort.signal })) {
          // Right after the first text: the next read waits out the interval.
          if (chunk.content !== '') abort.abort();
        }
      };
      await expect(read()).rejects.toThrow(/abort/i);
      expect(readPace.answers).toBe(0);
    });
  });

  it('counts an answer in its pace from its first text until it is read to its end, cancelled or fails', async () => {
    const tokens = [' a', ' b', ' c'];
    for (const ending of ['read to its end', 'cancelled', 'failed'] as const) {
      await withModel({ text: tokens, delayMs: 30 }, async ({ baseURL }) => {
        const pace = new ReadPace();
        const abort = new AbortController();
        const fetch = joinedDeltas(requestFetch(sharedDispatcher('follow'), 'follow'), pace);
        const res = await fetch(`${baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: DEFAULT_SCRIPTED_MODEL_NAME, messages: [], stream: true }),
          signal: abort.signal,
        });
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let read = '';
        while (!read.includes('"content":" a"')) {
          const { done, value } = await reader.read();
          if (done) throw new Error(`The answer ended before its first text: ${read}`);
          read += decoder.decode(value);
        }
        expect(pace.answers).toBe(1);
        if (ending === 'read to its end') {
          while (!(await reader.read()).done);
        } else if (ending === 'cancelled') {
          await reader.cancel();
        } else {
          abort.abort();
          await expect(reader.read()).rejects.toThrow();
        }
        expect({ ending, answers: pace.answers }).toEqual({ ending, answers: 0 });
      });
    }
  });

  it('gives ChatOpenAI as the service builds it larger chunks while the process reads many answers', async () => {
    const tokens = Array.from({ length: 300 }, (_, i) => ` t${i}`);
    // As if 49 other answers were streaming: reads about 100 ms apart instead of 20.
    const others = Array.from({ length: 49 }, () => readPace.count());
    try {
      await withModel({ text: tokens, delayMs: 2 }, async ({ llm }) => {
        const { message, texts } = await streamed(llm);
        expect(message?.content).toBe(tokens.join(''));
        // About 600 ms of tokens: as they come for the first READ_INTERVAL_MS, then a chunk per 100 ms
        // (a chunk per 20 ms would make 30 or more).
        expect(texts.length).toBeLessThanOrEqual(24);
      });
    } finally {
      for (const uncount of others) uncount();
    }
  });
});

/** ChatOpenAI as the service builds it, against a scripted model that gives `answer` once. */
async function withModel(
  answer: ScriptedAnswer,
  use: (model: { llm: ChatOpenAI; baseURL: string }) => Promise<void>,
): Promise<void> {
  const model = await startScriptedModel();
  try {
    model.enqueue(answer);
    const llm = createChatModel({
      model: DEFAULT_SCRIPTED_MODEL_NAME,
      apiKey: 'test',
      baseURL: model.baseURL,
      maxRetries: 0,
    });
    await use({ llm, baseURL: model.baseURL });
  } finally {
    await model.close();
  }
}

/** The message `llm.stream` adds up to, and the text of each chunk that has some. */
async function streamed(llm: ChatOpenAI) {
  let message: Awaited<ReturnType<ChatOpenAI['invoke']>> | undefined;
  const texts: unknown[] = [];
  for await (const chunk of await llm.stream('Hi')) {
    if (chunk.content !== '') texts.push(chunk.content);
    message = message ? message.concat(chunk) : chunk;
  }
  return { message, texts };
}
