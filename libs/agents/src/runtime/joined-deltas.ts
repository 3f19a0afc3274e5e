import { setImmediate, setTimeout } from 'node:timers/promises';
import { bytesAtHand, type Fetch } from '@auxilia/core';

/** Keys a text chunk's `delta` may have: its text, its role, and a refusal that is empty. */
const TEXT_KEYS = new Set(['content', 'role', 'refusal']);
/** Keys a reasoning chunk's `delta` may have: its reasoning, its role, and text and refusal that are empty. */
const REASONING_KEYS = new Set(['reasoning_content', 'content', 'role', 'refusal']);
/** Keys a tool call's first chunk may have besides its call: its role, and text and refusal that are empty. */
const CALL_KEYS = new Set(['tool_calls', 'role', 'content', 'refusal']);

type Json = Record<string, unknown>;

/**
 * A chat-completion chunk that adds text or reasoning to its only choice, or argument text to one tool
 * call, and says nothing else of its own.
 */
interface Piece {
  /** The event as it came, written again as is when nothing joins it. */
  event: string;
  chunk: Json;
  choice: Json;
  delta: Json;
  /** The object whose `key` holds the text this chunk adds: the delta, or the tool call's function. */
  holder: Json;
  key: 'content' | 'reasoning_content' | 'arguments';
  text: string;
  /** The tool call's index, and whether this chunk starts the call (an id, a name) or goes on with it. */
  call?: { index: unknown; starts: boolean };
}

/**
 * An answer that has gone on this long past its first text is read at a pace: the reads that wait for the
 * model are spaced at least this far apart, and what the model sends in between is read together and goes
 * on as one chunk. Before that, an answer is read as it comes, so one that comes in a burst is not held.
 */
export const READ_INTERVAL_MS = 20;
/**
 * What each answer read at a pace adds to the interval once a few are: however many answers the process
 * reads, it waits for its models about 1000 / READ_SHARE_MS times a second in all, until the interval
 * reaches `MAX_READ_INTERVAL_MS`. A chunk costs the service the same CPU whatever it holds (its message
 * chunk, callbacks, graph event, run log write and SSE event), so under load the text goes on in larger
 * steps rather than taking CPU from the answers that wait for their first token.
 */
export const READ_SHARE_MS = 2;
/** The longest interval: an answer's text goes on at least ten times a second, however busy the process. */
export const MAX_READ_INTERVAL_MS = 100;

/**
 * The pace of the answers one process reads: `READ_INTERVAL_MS` while it reads a few, growing by
 * `READ_SHARE_MS` per answer past that, up to `MAX_READ_INTERVAL_MS`. An answer counts from its first
 * text until it ends, fails or is cancelled, and only if it is read at a pace (`requestFetch`'s bodies).
 */
export class ReadPace {
  private reading = 0;

  constructor(
    /** How long after its first text an answer is read as it comes, and the shortest interval. */
    readonly firstMs = READ_INTERVAL_MS,
    private readonly shareMs = READ_SHARE_MS,
    private readonly maxMs = MAX_READ_INTERVAL_MS,
  ) {}

  /** How many answers are read at this pace now. */
  get answers(): number {
    return this.reading;
  }

  /** How far apart the reads that wait for the model are spaced now. */
  interval(): number {
    return Math.max(this.firstMs, Math.min(this.maxMs, this.reading * this.shareMs));
  }

  /** Counts one more answer; the function returned stops counting it, once however often it is called. */
  count(): () => void {
    this.reading++;
    let counted = true;
    return () => {
      if (counted) this.reading--;
      counted = false;
    };
  }
}

/** The pace of every answer this process reads through `joinedDeltas`. */
export const readPace = new ReadPace();

/**
 * `fetch` whose streamed chat completions (`text/event-stream` answers) go through `joinTextDeltas`.
 * Every other answer is handed on as it came.
 */
export function joinedDeltas(fetch: Fetch, pace = readPace): Fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!res.body || !/^text\/event-stream\b/i.test(res.headers.get('content-type') ?? '')) return res;
    return new Response(joinTextDeltas(res.body, pace), {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
}

/**
 * A chat-completion event stream in which the chunks that came in one read and only add text to the same
 * choice are one chunk carrying their texts in order, the first one's role and everything else they
 * agree on; so are those that only add reasoning (`reasoning_content`, as OpenAI-compatible reasoning
 * models send it), and those that only add arguments to the same tool call, onto the one before them.
 * The model client then builds one message chunk, runs its callbacks once and the graph streams one
 * message where it did that for every token: a model that sends tokens faster than the service reads them
 * costs the service per read, not per token.
 *
 * Only the answer's first text (or reasoning) goes on alone: what came after it in its read is handed on
 * once the event loop has polled for I/O (`afterPoll`), so that the first token's way to the client (its
 * run log write, whose reply the loop must read) is not held behind the rest of the answer and the end
 * of its step. An answer fetched with `requestFetch` that goes on for `pace.firstMs` after its first
 * text is then read at `pace`: what has come is read at once, but a read that would wait for the model
 * less than `pace.interval()` after the last chunk went on first waits out the interval, then takes
 * everything that came meanwhile in one read. A model that sends a token every few milliseconds then
 * costs a chunk per interval, not one per token; one slower than the interval is read as before, and an
 * answer that comes in one burst is not held. Any other stream is read as it comes, and is not counted in
 * `pace`. An event a read leaves incomplete follows with the read that completes it.
 *
 * Every other event (a tool call's start after another's arguments, a finish reason, usage, errors,
 * comments, `[DONE]`) is written again as it came and ends the run of chunks before it. A stream whose
 * lines end in `\r` is handed on as it came.
 */
export function joinTextDeltas(
  body: ReadableStream<Uint8Array>,
  pace = readPace,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const paced = bytesAtHand(body) !== undefined;
  /** Stops counting this answer in `pace`; set once its first text has gone on. */
  let uncount: (() => void) | undefined;
  const ended = () => uncount?.();
  /** The start of an event that the reads so far have not completed. */
  let tail: Uint8Array | null = null;
  /** What follows the first text in the read that brought it, handed on once the loop has polled. */
  let later = '';
  let textSeen = false;
  let asItCame = false;
  /** When a chunk last went on, once the first text had. */
  let handedAt = -Infinity;
  /** When the first text went on. */
  let firstAt = Infinity;
  /**
   * The next read. Once the answer has gone on for `pace.firstMs` after its first text, a read that would
   * wait for the model (nothing of the answer at hand) within `pace.interval()` of the last chunk first
   * waits out the interval.
   */
  const next = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    const now = performance.now();
    if (paced && now - firstAt >= pace.firstMs) {
      const rest = handedAt + pace.interval() - now;
      if (rest > 0 && bytesAtHand(body) === 0) await setTimeout(rest);
    }
    try {
      return await reader.read();
    } catch (error) {
      ended();
      throw error;
    }
  };
  const handOn = (controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    if (textSeen) {
      handedAt = performance.now();
      if (firstAt === Infinity) {
        firstAt = handedAt;
        if (paced) uncount = pace.count();
      }
    }
    controller.enqueue(bytes);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (later) {
          const out = later;
          later = '';
          await afterPoll();
          return handOn(controller, encoder.encode(out));
        }
        for (;;) {
          const { done, value } = await next();
          if (done) {
            ended();
            if (tail) controller.enqueue(tail);
            tail = null;
            return controller.close();
          }
          const bytes = tail ? Buffer.concat([tail, value]) : value;
          tail = null;
          if (asItCame || bytes.includes(CR)) {
            asItCame = true;
            return controller.enqueue(bytes);
          }
          // Events end in a blank line, whose bytes no character of UTF-8 holds: complete events decode alone.
          const [end, events] = eventsEnd(bytes);
          if (end < bytes.length) tail = bytes.subarray(end);
          if (events === 0) continue;
          const complete = bytes.subarray(0, end);
          // One event after the first text: nothing to join it with.
          if (textSeen && events === 1) return handOn(controller, complete);
          const joined = joinEvents(decoder.decode(complete), !textSeen);
          textSeen ||= joined.textSeen;
          later = joined.later;
          return handOn(controller, encoder.encode(joined.out));
        }
      },
      cancel(reason) {
        ended();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Resolves after the event loop has polled for I/O once more. A 0 ms timer alone can fire before the next
 * poll (timers come first in a turn of the loop); the immediate that follows it runs right after a poll.
 * The timer also lets a loop with nothing else to do wait up to a millisecond in that poll, for a reply
 * such as the first token's run log write.
 */
async function afterPoll(): Promise<void> {
  await setTimeout(0);
  await setImmediate();
}

const LF = 10;
const CR = 13;
/** Stateless: only complete events are decoded, so no stream needs one of its own. */
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Where the last complete event of `bytes` ends, and how many complete events come before that. */
function eventsEnd(bytes: Uint8Array): [number, number] {
  let end = 0;
  let events = 0;
  for (let i = bytes.indexOf(LF); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(LF, i + 1)) {
    if (bytes[i + 1] !== LF) continue;
    end = i + 2;
    events++;
    i++;
  }
  return [end, events];
}

/**
 * Complete events (each ending in a blank line), with each run of joinable chunks made one. With `cut`,
 * the events after the first text that is not empty go in `later`.
 */
function joinEvents(text: string, cut: boolean): { out: string; later: string; textSeen: boolean } {
  let out = '';
  let first: Piece | null = null;
  let texts: string[] = [];
  let cutAt = -1;
  const close = () => {
    if (!first) return;
    if (texts.length === 1) {
      out += first.event;
    } else {
      first.holder[first.key] = texts.join('');
      out += `data: ${JSON.stringify(first.chunk)}\n\n`;
    }
    first = null;
    texts = [];
  };
  let start = 0;
  for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n', start)) {
    const event = text.slice(start, end + 2);
    start = end + 2;
    const next = piece(event);
    if (next && first && joins(first, next)) {
      texts.push(next.text);
    } else {
      close();
      if (!next) {
        out += event;
        continue;
      }
      first = next;
      texts = [next.text];
    }
    if (cut && cutAt < 0 && next.key !== 'arguments' && next.text !== '') {
      close();
      cutAt = out.length;
    }
  }
  close();
  if (cutAt < 0) return { out, later: '', textSeen: false };
  return { out: out.slice(0, cutAt), later: out.slice(cutAt), textSeen: true };
}

/** The event as a piece of text, reasoning or a tool call's arguments, or null when it is anything else. */
function piece(event: string): Piece | null {
  if (!event.startsWith('data:')) return null;
  const data = event.slice(event.charCodeAt(5) === 32 ? 6 : 5, -2);
  if (data.charCodeAt(0) !== 123 || data.includes('\n')) return null;
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    return null;
  }
  if (
    !isRecord(chunk) ||
    chunk.usage != null ||
    !Array.isArray(chunk.choices) ||
    chunk.choices.length !== 1
  ) {
    return null;
  }
  const choice: unknown = chunk.choices[0];
  if (!isRecord(choice) || choice.finish_reason != null || choice.logprobs != null) return null;
  const delta = choice.delta;
  if (!isRecord(delta) || delta.refusal != null) return null;
  if (typeof delta.reasoning_content === 'string' && !delta.content && delta.tool_calls === undefined) {
    for (const key in delta) if (!REASONING_KEYS.has(key)) return null;
    const text = delta.reasoning_content;
    return { event, chunk, choice, delta, holder: delta, key: 'reasoning_content', text };
  }
  if (typeof delta.content === 'string' && delta.tool_calls === undefined) {
    for (const key in delta) if (!TEXT_KEYS.has(key)) return null;
    return { event, chunk, choice, delta, holder: delta, key: 'content', text: delta.content };
  }
  if (!Array.isArray(delta.tool_calls) || delta.tool_calls.length !== 1 || delta.content) return null;
  for (const key in delta) if (!CALL_KEYS.has(key)) return null;
  const call: unknown = delta.tool_calls[0];
  if (!isRecord(call) || !isRecord(call.function) || typeof call.function.arguments !== 'string') return null;
  const starts = call.id !== undefined || call.type !== undefined || call.function.name !== undefined;
  // Only a call's own fields: anything else (a provider's extras) keeps the chunk as it came.
  for (const key in call)
    if (key !== 'index' && key !== 'id' && key !== 'type' && key !== 'function') return null;
  for (const key in call.function) if (key !== 'name' && key !== 'arguments') return null;
  const holder = call.function;
  return {
    event,
    chunk,
    choice,
    delta,
    holder,
    key: 'arguments',
    text: holder.arguments as string,
    call: { index: call.index, starts },
  };
}

/**
 * Whether `next` only adds to what `first` adds to: more text (or reasoning) with the same role or none,
 * or more arguments to the same tool call, which `next` does not start; and the same fields but for
 * those, the padding and an empty refusal.
 */
function joins(first: Piece, next: Piece): boolean {
  if (next.key !== first.key) return false;
  if (next.call) {
    if (next.call.starts || next.call.index !== first.call?.index) return false;
    // A call goes on with nothing but its index and its arguments.
    for (const key in next.delta) if (key !== 'tool_calls') return false;
  } else if (next.delta.role !== undefined && next.delta.role !== first.delta.role) {
    return false;
  }
  return (
    sameBut(first.chunk, next.chunk, 'choices', 'obfuscation') && sameBut(first.choice, next.choice, 'delta')
  );
}

/** Whether two parsed JSON objects hold the same fields, leaving out `skip` and `skip2`. */
function sameBut(a: Json, b: Json, skip: string, skip2 = skip): boolean {
  let fields = 0;
  for (const key in a) {
    if (key === skip || key === skip2) continue;
    const x = a[key];
    const y = b[key];
    if (
      x !== y &&
      (typeof x !== 'object' || typeof y !== 'object' || JSON.stringify(x) !== JSON.stringify(y))
    ) {
      return false;
    }
    fields++;
  }
  for (const key in b) if (key !== skip && key !== skip2) fields--;
  return fields === 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
