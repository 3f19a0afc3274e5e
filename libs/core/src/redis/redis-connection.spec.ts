import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoalescingRedis } from './redis-connection';

const url = process.env.TEST_REDIS_URL ?? '';
const prefix = `coalesce-${randomUUID().slice(0, 8)}:`;
const client = new CoalescingRedis(url, { maxRetriesPerRequest: 1 });

/**
 * How the client's current socket is written to while `run` runs: one entry per system call, the chunks
 * each carried. `run` is handed the list as it grows.
 */
async function writesDuring(run: (writes: number[]) => Promise<void>): Promise<number[]> {
  const socket = client.stream as Socket & {
    _write: (...a: unknown[]) => void;
    _writev: (chunks: unknown[], cb: unknown) => void;
  };
  const writes: number[] = [];
  const write = socket._write;
  const writev = socket._writev;
  socket._write = function (this: Socket, ...a: unknown[]) {
    writes.push(1);
    return write.apply(this, a);
  };
  socket._writev = function (this: Socket, chunks: unknown[], cb: unknown) {
    writes.push(chunks.length);
    return writev.call(this, chunks, cb);
  };
  try {
    await run(writes);
  } finally {
    socket._write = write;
    socket._writev = writev;
  }
  return writes;
}

beforeAll(async () => {
  await client.ping();
});

afterAll(async () => {
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys);
  client.disconnect();
});

describe('CoalescingRedis', () => {
  it('writes the commands of one turn in one system call, and answers each in order', async () => {
    const writes = await writesDuring(async () => {
      const replies = await Promise.all([
        client.set(`${prefix}a`, '1'),
        client.incr(`${prefix}a`),
        client.get(`${prefix}a`),
        client.rpush(`${prefix}list`, 'x', 'y'),
        client.lrange(`${prefix}list`, 0, -1),
      ]);
      expect(replies).toEqual(['OK', 2, '2', 2, ['x', 'y']]);
    });
    expect(writes).toEqual([5]);
  });

  it('joins commands sent from the promise jobs of the same turn', async () => {
    const writes = await writesDuring(async () => {
      const chain = async (n: number): Promise<unknown> => {
        await Promise.resolve();
        await Promise.resolve();
        return client.set(`${prefix}chain:${n}`, String(n));
      };
      const first = client.get(`${prefix}a`);
      await Promise.all([first, chain(1), chain(2), chain(3)]);
    });
    expect(writes).toEqual([4]);
  });

  it('sends a command of a later turn in a write of its own, without waiting for more', async () => {
    const writes = await writesDuring(async () => {
      await client.set(`${prefix}b`, 'one');
      await new Promise((resolve) => setImmediate(resolve));
      await expect(client.get(`${prefix}b`)).resolves.toBe('one');
    });
    expect(writes).toEqual([1, 1]);
  });

  it('writes before the event loop runs its next callback', async () => {
    let writtenBeforeNext: number[] = [];
    await writesDuring(async (writes) => {
      let sent: Promise<unknown> | undefined;
      await new Promise<void>((resolve) => {
        setTimeout(() => {
          sent = client.set(`${prefix}d`, 'x');
        }, 1);
        setTimeout(() => {
          writtenBeforeNext = [...writes];
          resolve();
        }, 1);
      });
      await sent;
    });
    expect(writtenBeforeNext).toEqual([1]);
  });

  it('coalesces on the socket of a new connection after a reconnect', async () => {
    const before = client.stream;
    const ready = new Promise((resolve) => client.once('ready', resolve));
    client.stream.destroy();
    await ready;
    expect(client.stream).not.toBe(before);
    const writes = await writesDuring(async () => {
      await expect(Promise.all([client.set(`${prefix}c`, '3'), client.get(`${prefix}c`)])).resolves.toEqual([
        'OK',
        '3',
      ]);
    });
    expect(writes).toEqual([2]);
  });
});
