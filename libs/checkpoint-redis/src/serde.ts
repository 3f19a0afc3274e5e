import * as messages from '@langchain/core/messages';
import { JsonPlusSerializer } from '@langchain/langgraph-checkpoint';

/**
 * The message classes read without `load()`: LangChain serializes each as
 * `{ lc: 1, type: 'constructor', id: ['langchain_core', 'messages', <name>], kwargs }`.
 */
const MESSAGE_CLASSES = [
  'AIMessage',
  'AIMessageChunk',
  'ChatMessage',
  'ChatMessageChunk',
  'FunctionMessage',
  'FunctionMessageChunk',
  'HumanMessage',
  'HumanMessageChunk',
  'RemoveMessage',
  'SystemMessage',
  'SystemMessageChunk',
  'ToolMessage',
  'ToolMessageChunk',
] as const;

type MessageClass = new (fields: Record<string, unknown>) => messages.BaseMessage;

interface MessageBuilder {
  build: MessageClass;
  /** Serialized kwarg name → constructor field name, from the class's `lc_aliases` (as `load()` inverts them). */
  fieldOf: Map<string, string>;
}

function builderOf(build: MessageClass): MessageBuilder {
  const aliases: Record<string, string> = {};
  for (let c: unknown = build; typeof c === 'function' && c.prototype; c = Object.getPrototypeOf(c)) {
    Object.assign(aliases, Reflect.get(c.prototype as object, 'lc_aliases'));
  }
  return { build, fieldOf: new Map(Object.entries(aliases).map(([field, kwarg]) => [kwarg, field])) };
}

const BUILDERS = new Map<string, MessageBuilder>(
  MESSAGE_CLASSES.map((name) => [name, builderOf(messages[name] as unknown as MessageClass)]),
);

/**
 * Values nested deeper than this inside a message go to the general reader, which enforces `load()`'s
 * own depth limit (50).
 */
const MAX_DEPTH = 40;

const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;

/** Thrown inside the fast reader when a document holds something only the general reader handles. */
class NotPlain extends Error {}
const NOT_PLAIN = new NotPlain();

/** What `JsonPlusSerializer` writes for `undefined`: `{ lc: 2, type: 'undefined' }`. */
function isUndefinedRecord(record: Record<string, unknown>): boolean {
  if (record.lc !== 2 || record.type !== 'undefined') return false;
  for (const key in record) if (key !== 'lc' && key !== 'type') return false;
  return true;
}

/** An `undefined` inside a message: the property is left out, an array item becomes `null`. */
const LEFT_OUT = Symbol('left out');

/**
 * A kwarg's value, checked to be plain data. `JsonPlusSerializer` reads a message by serializing its
 * kwargs to a string and handing that to `load()`, so what JSON cannot hold changes on the way: `-0`
 * comes back `0` and `undefined` is left out. Keys `load()` treats specially send the whole document to
 * the general reader.
 */
function plainValue(value: unknown, depth: number): unknown {
  if (typeof value === 'number') return value === 0 ? 0 : value;
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) throw NOT_PLAIN;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = plainValue(value[i], depth + 1);
      value[i] = item === LEFT_OUT ? null : item;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  if ('lc' in record) {
    if (isUndefinedRecord(record)) return LEFT_OUT;
    throw NOT_PLAIN;
  }
  for (const key in record) {
    if (key === '__lc_escaped__' || key === '__proto__') throw NOT_PLAIN;
    const item = plainValue(record[key], depth + 1);
    if (item === LEFT_OUT) delete record[key];
    else record[key] = item;
  }
  return record;
}

function message(record: Record<string, unknown>): messages.BaseMessage {
  const { id, kwargs } = record;
  if (record.lc !== 1 || record.type !== 'constructor' || !Array.isArray(id) || id.length !== 3)
    throw NOT_PLAIN;
  if (id[0] !== 'langchain_core' || id[1] !== 'messages' || typeof id[2] !== 'string') throw NOT_PLAIN;
  const builder = BUILDERS.get(id[2]);
  if (builder === undefined || typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw NOT_PLAIN;
  }
  const fields: Record<string, unknown> = {};
  for (const key in kwargs) {
    let field = builder.fieldOf.get(key);
    if (field === undefined) {
      // `load()` camel-cases a kwarg name that is not an alias; only names it leaves as they are go here.
      if (/[-_\s]/.test(key) || key === 'lc' || key === '__lc_escaped__' || key === '__proto__')
        throw NOT_PLAIN;
      field = key;
    }
    const item = plainValue((kwargs as Record<string, unknown>)[key], 2);
    if (item !== LEFT_OUT) fields[field] = item;
  }
  return new builder.build(fields);
}

/** Replaces, in place, each serialized message of a parsed document with the message. */
function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  if ('lc' in record) return isUndefinedRecord(record) ? undefined : message(record);
  for (const key in record) {
    if (key === '__lc_escaped__' || key === '__proto__') throw NOT_PLAIN;
    record[key] = revive(record[key]);
  }
  return record;
}

/**
 * `JsonPlusSerializer` (same format, same values read back) with a synchronous reader for what checkpoints
 * mostly hold: plain JSON and LangChain messages whose kwargs are plain JSON.
 *
 * `JsonPlusSerializer` reads a document with an `await` per value, and each message by serializing it
 * again and handing it to LangChain's `load()`, which walks it once more with an `await` per value: about
 * ten times the cost of the parse. A thread's messages are read back at every turn, so that cost grew with
 * the conversation. Documents holding anything else (`Set`, `Map`, bytes, escaped user objects, other
 * LangChain classes, very deep values) are read by `JsonPlusSerializer` itself.
 *
 * It writes as `JsonPlusSerializer` does, and `dumpsChannelValue` writes a list of messages without
 * serializing again the messages it wrote before, or read with `loadsChannelValue`: those it writes as
 * the bytes they were read from, which read back to the same values (a message read back does not always
 * serialize to the very bytes it was read from: an `undefined` kwarg is left out when read, and a kwarg
 * set to `undefined` may move to the end).
 */
export class FastJsonPlusSerializer extends JsonPlusSerializer {
  /** What each message object was written as, within a list of messages that was a channel's value. */
  private readonly written = new WeakMap<messages.BaseMessage, Uint8Array>();
  /** The list of messages each message object was read in, as a channel's value, with its stored bytes. */
  private readonly readIn = new WeakMap<messages.BaseMessage, ReadList>();

  protected override async _loads(data: string): Promise<unknown> {
    try {
      return revive(JSON.parse(data));
    } catch (error) {
      if (error === NOT_PLAIN) return super._loads(data);
      throw error;
    }
  }

  /**
   * `loadsTyped` for the value of a channel in a checkpoint. A list of messages is remembered with the
   * bytes it was read from, so that `dumpsChannelValue` writes the same list, grown by a turn, without
   * serializing again the messages read.
   */
  async loadsChannelValue(type: string, data: Uint8Array): Promise<unknown> {
    const value: unknown = await this.loadsTyped(type, data);
    if (type !== 'json' || data[data.length - 1] !== CLOSE_BRACKET || !isMessageList(value)) return value;
    const read: ReadList = { messages: value, bytes: new Uint8Array(data) };
    for (const message of value) this.readIn.set(message, read);
    return value;
  }

  /**
   * `dumpsTyped` for the value of a channel in a checkpoint. A list of messages is written message by
   * message, and a message object written or read before is not serialized again: a thread's checkpoints
   * hold the same messages turn after turn, as LangGraph's messages reducer keeps the ones it does not
   * replace, and serializing them took most of a put's time once threads grew. When the list begins with a
   * whole list read by `loadsChannelValue`, those messages are written as the bytes they were read from;
   * the others as `JsonPlusSerializer` writes them.
   *
   * A channel's value is never changed in place (LangGraph changes a channel through its reducer, and saves
   * what a node changed in place only if the channel gets a new version anyway). Pending writes are not
   * read from or added to what was written: the reducer gives a message of a write its id in place, after
   * the write is stored.
   */
  async dumpsChannelValue(value: unknown): Promise<[string, Uint8Array]> {
    if (!isMessageList(value)) return this.dumpsTyped(value);
    const read = this.readIn.get(value[0]);
    const reused = read !== undefined && startsWith(value, read.messages);
    // The list read, without its closing bracket, stands for the messages it holds.
    const head = reused ? read.bytes.subarray(0, read.bytes.length - 1) : Uint8Array.of(OPEN_BRACKET);
    const parts = (reused ? value.slice(read.messages.length) : value).map((m) => this.writtenAs(m));
    // The head, each part with the comma before it (none before the first part of a new list), `]`.
    let length = head.length + parts.length + (reused ? 1 : 0);
    for (const part of parts) length += part.length;
    const bytes = new Uint8Array(length);
    bytes.set(head);
    let at = head.length;
    for (const part of parts) {
      if (at > 1) bytes[at++] = COMMA;
      bytes.set(part, at);
      at += part.length;
    }
    bytes[at] = CLOSE_BRACKET;
    return ['json', bytes];
  }

  private writtenAs(message: messages.BaseMessage): Uint8Array {
    let part = this.written.get(message);
    if (part === undefined) {
      part = this._dumps(message);
      this.written.set(message, part);
    }
    return part;
  }
}

interface ReadList {
  messages: messages.BaseMessage[];
  /** The bytes the list was read from: `[`, the messages, `]`. */
  bytes: Uint8Array;
}

function isMessageList(value: unknown): value is messages.BaseMessage[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => messages.isBaseMessage(item));
}

/** Whether `list` holds the very objects of `head`, in order, first. */
function startsWith(list: unknown[], head: unknown[]): boolean {
  if (head.length > list.length) return false;
  for (let i = 0; i < head.length; i++) if (list[i] !== head[i]) return false;
  return true;
}
