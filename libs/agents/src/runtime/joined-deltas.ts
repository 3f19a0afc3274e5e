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
  /** The shape the event was read through, or that was made of it, and its text as the event writes it. */
  shape?: Shape;
  raw?: string;
}

/**
 * An event cut around the text it adds: `head`, then the text's JSON string contents, then `tail`. Every
 * later event of the stream that is `head`, a JSON string's contents and `tail` is the same chunk but for
 * that text, and is read from the shape without being parsed: a model's chunks differ only in their text
 * as a rule. `piece` is what `piece()` made of the event with a placeholder for the text; its objects are
 * shared by every event read through the shape and never changed.
 */
interface Shape {
  head: string;
  tail: string;
  piece: Piece;
}

/** The shape of a stream's events at hand, and how many it has made. */
interface Shapes {
  current: Shape | null;
  made: number;
}

/**
 * How many shapes a stream makes at most. Making one costs a second parse of the event, and a model
 * sends a few shapes (the first text with its role, then text alone; a call's start, then its
 * arguments); a stream whose every chunk is different (a provider's per-chunk padding) stops after these.
 */
const MAX_SHAPES = 6;
/** The text put in the place of an event's text to find where its chunk holds it: a NUL, escaped. */
const PLACEHOLDER = '\\u0000';

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
 *
 * An event that is the one before it but for its text (a `Shape`) is not parsed, and a run is written as
 * its first event with the run's texts in its place: what joining costs is a few parses per answer, not
 * one per token.
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
  const shapes: Shapes = { current: null, made: 0 };
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
          const joined = joinEvents(decoder.decode(complete), !textSeen, shapes);
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
 * the events after the first text that is not empty go in `later`. A run whose first event has a shape
 * is written as that event with the run's texts in its place; any other as its first chunk serialized
 * again with the run's text.
 */
function joinEvents(
  text: string,
  cut: boolean,
  shapes: Shapes,
): { out: string; later: string; textSeen: boolean } {
  let out = '';
  let first: Piece | null = null;
  let run: Piece[] = [];
  let cutAt = -1;
  const close = () => {
    if (!first) return;
    if (run.length === 1) {
      out += first.event;
    } else if (first.shape) {
      out += first.shape.head + run.map(rawText).join('') + first.shape.tail;
    } else {
      first.holder[first.key] = run.map((p) => p.text).join('');
      out += `data: ${JSON.stringify(first.chunk)}\n\n`;
    }
    first = null;
    run = [];
  };
  let start = 0;
  for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n', start)) {
    const event = text.slice(start, end + 2);
    start = end + 2;
    const next = readPiece(event, shapes);
    if (next && first && joins(first, next)) {
      run.push(next);
    } else {
      close();
      if (!next) {
        out += event;
        continue;
      }
      first = next;
      run = [next];
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

/** A piece's text as JSON string contents: as its event wrote it when known. */
function rawText(p: Piece): string {
  return p.raw ?? JSON.stringify(p.text).slice(1, -1);
}

/**
 * `piece(event)`, read through the stream's current shape when the event has it. Otherwise the event is
 * parsed, and a piece of another shape becomes the stream's current shape while it has made fewer than
 * `MAX_SHAPES`.
 */
function readPiece(event: string, shapes: Shapes): Piece | null {
  const shape = shapes.current;
  if (shape) {
    const shaped = throughShape(event, shape);
    if (shaped) return shaped;
  }
  const parsed = piece(event);
  if (parsed && shapes.made < MAX_SHAPES) {
    shapes.made++;
    const made = shapeOf(parsed);
    if (made) {
      shapes.current = made;
      parsed.shape = made;
      parsed.raw = event.slice(made.head.length, event.length - made.tail.length);
    }
  }
  return parsed;
}

/** The piece `event` is when it is `shape` with a JSON string's contents for its text, else null. */
function throughShape(event: string, shape: Shape): Piece | null {
  const { head, tail } = shape;
  const end = event.length - tail.length;
  // Slices compared whole: far quicker than startsWith and endsWith on V8 11.
  if (end < head.length || event.slice(0, head.length) !== head || event.slice(end) !== tail) return null;
  const raw = event.slice(head.length, end);
  const text = stringContents(raw);
  if (text === undefined) return null;
  const { chunk, choice, delta, holder, key, call } = shape.piece;
  return { event, chunk, choice, delta, holder, key, text, call, shape, raw };
}

/** Anything but plain characters in a JSON string's contents: a quote, an escape, a control character. */
// eslint-disable-next-line no-control-regex
const NOT_PLAIN = /["\\\u0000-\u001f]/;

/** The string whose JSON contents (without its quotes) are `raw`, or undefined when `raw` is not such. */
function stringContents(raw: string): string | undefined {
  if (!NOT_PLAIN.test(raw)) return raw;
  try {
    // One JSON string and nothing else: `raw` then holds no quote that is not escaped.
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}

/**
 * The shape of the event `p` was parsed from: where the event writes `p`'s text, found by writing a
 * placeholder there and parsing that again. Null when no place in the event is it.
 */
function shapeOf(p: Piece): Shape | null {
  const { event } = p;
  const name = `"${p.key}"`;
  for (let at = event.indexOf(name); at >= 0; at = event.indexOf(name, at + 1)) {
    let i = skipSpace(event, at + name.length);
    if (event[i] !== ':') continue;
    i = skipSpace(event, i + 1);
    if (event[i] !== '"') continue;
    const end = stringEnd(event, i + 1);
    if (end < 0) continue;
    const head = event.slice(0, i + 1);
    const tail = event.slice(end);
    const probe = piece(head + PLACEHOLDER + tail);
    // The event's own text is never the placeholder's: only the place that holds its text can make it so.
    if (probe?.key === p.key && probe.text === '\u0000' && p.text !== '\u0000') {
      return { head, tail, piece: probe };
    }
  }
  return null;
}

function skipSpace(s: string, i: number): number {
  while (s[i] === ' ' || s[i] === '\t') i++;
  return i;
}

/** Where the JSON string whose contents start at `from` ends (its closing quote), or -1. */
function stringEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  return -1;
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
