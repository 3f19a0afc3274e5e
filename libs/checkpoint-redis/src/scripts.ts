import type { Cluster, Redis } from 'ioredis';

/**
 * A checkpoint's writes, as one script each rather than a MULTI of five to seven commands: the same
 * atomic write in one command for the client to build, send and parse. Every key is one of the thread's
 * (one Cluster slot); the registry of threads, shared, stays a command of its own.
 */

/**
 * KEYS: namespaces, index, checkpoint, blobs, registry.
 * ARGV: namespace, checkpoint id, N, N checkpoint field/value pairs, then blob field/value pairs.
 */
const PUT = `
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
redis.call('DEL', KEYS[3])
local fields = tonumber(ARGV[3])
for i = 4, 3 + fields * 2, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
for i = 4 + fields * 2, #ARGV, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
redis.call('SADD', KEYS[5], KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return 1
`;

/**
 * KEYS: writes, registry.
 * ARGV: triples of (1: replace, 0: keep the first stored), field, record.
 */
const PUT_WRITES = `
for i = 1, #ARGV, 3 do
  if ARGV[i] == '1' then
    redis.call('HSET', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  else
    redis.call('HSETNX', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  end
end
redis.call('SADD', KEYS[2], KEYS[1])
return 1
`;

const PUT_COMMAND = 'checkpointSaverPut';
const PUT_WRITES_COMMAND = 'checkpointSaverPutWrites';

type Arg = string | Buffer | number;
type Scripted = Record<string, (...args: Arg[]) => Promise<unknown>>;

/**
 * The scripts as commands of the client (ioredis sends each by its SHA1, and its text once per
 * connection that does not know it yet). Defining them again on the same client replaces them alike.
 */
export class CheckpointScripts {
  private readonly commands: Scripted;

  constructor(client: Redis | Cluster) {
    client.defineCommand(PUT_COMMAND, { lua: PUT, numberOfKeys: 5 });
    client.defineCommand(PUT_WRITES_COMMAND, { lua: PUT_WRITES, numberOfKeys: 2 });
    this.commands = client as unknown as Scripted;
  }

  put(
    keys: [namespaces: string, index: string, checkpoint: string, blobs: string, registry: string],
    ns: string,
    checkpointId: string,
    fields: Record<string, Arg>,
    blobs: Record<string, Arg>,
  ): Promise<unknown> {
    const pairs = (record: Record<string, Arg>) => Object.entries(record).flat();
    const count = Object.keys(fields).length;
    return this.commands[PUT_COMMAND](...keys, ns, checkpointId, count, ...pairs(fields), ...pairs(blobs));
  }

  putWrites(
    keys: [writes: string, registry: string],
    writes: Array<{ replace: boolean; field: string; record: Arg }>,
  ): Promise<unknown> {
    const args = writes.flatMap((w) => [w.replace ? '1' : '0', w.field, w.record]);
    return this.commands[PUT_WRITES_COMMAND](...keys, ...args);
  }
}
