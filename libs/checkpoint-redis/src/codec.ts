import { compareWritesSortKeys, writesSortKey } from '@langchain/langgraph-checkpoint';

/**
 * A stored value is `<JSON header> NUL <serialized bytes>`: the serializer's type travels with its
 * bytes in one hash field. JSON.stringify escapes U+0000 and UTF-8 never produces a 0x00 byte for any
 * other character, so the first NUL always ends the header.
 */
const SEPARATOR = Buffer.from([0]);

export function frame(header: unknown, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(JSON.stringify(header), 'utf8'), SEPARATOR, body]);
}

export function unframe(stored: Buffer): { header: unknown; body: Buffer } {
  const end = stored.indexOf(0);
  if (end < 0) throw new Error('RedisSaver: stored value has no header');
  return { header: JSON.parse(stored.subarray(0, end).toString('utf8')), body: stored.subarray(end + 1) };
}

/** Header of a checkpoint, metadata or blob: the serializer's type name. */
export function typedBody(stored: Buffer): { type: string; body: Buffer } {
  const { header, body } = unframe(stored);
  if (typeof header !== 'string') throw new Error('RedisSaver: stored value has an invalid header');
  return { type: header, body };
}

/** Postgres' marker for a channel that got a new version but holds no value. */
export const EMPTY_TYPE = 'empty';

export interface StoredWrite {
  taskId: string;
  idx: number;
  channel: string;
  taskPath: string;
  type: string;
  body: Buffer;
}

export function writeRecord(channel: string, type: string, taskPath: string, body: Uint8Array): Buffer {
  return frame([channel, type, taskPath], body);
}

function parseWrite(field: string, stored: Buffer): StoredWrite {
  const key: unknown = JSON.parse(field);
  const { header, body } = unframe(stored);
  if (
    !Array.isArray(key) ||
    typeof key[0] !== 'string' ||
    typeof key[1] !== 'number' ||
    !Array.isArray(header) ||
    !header.every((part) => typeof part === 'string')
  ) {
    throw new Error('RedisSaver: stored write is malformed');
  }
  const [channel, type, taskPath] = header as string[];
  return { taskId: key[0], idx: key[1], channel, type, taskPath, body };
}

/** A checkpoint's writes in the order live execution applies them (task path, task id, index). */
export function orderedWrites(hash: Record<string, Buffer>): StoredWrite[] {
  return Object.entries(hash)
    .map(([field, stored]) => parseWrite(field, stored))
    .sort((a, b) =>
      compareWritesSortKeys(
        writesSortKey(a.taskPath, a.taskId, a.idx),
        writesSortKey(b.taskPath, b.taskId, b.idx),
      ),
    );
}
