import type { Cluster, Redis } from 'ioredis';

/**
 * A checkpoint's writes and reads, as one script each rather than a MULTI of five to seven commands or
 * reads in a row: the same atomic work in one command for the client to build, send and parse. Every key
 * is one of the thread's (one Cluster slot, by its hash tag); the registry of threads, shared, stays a
 * command of its own. Keys a script finds as it runs (a checkpoint named by the index, the registry's
 * members) carry the same hash tag, so they are in the slot of the keys it was given.
 */

/**
 * `encodeURIComponent` of an id, byte by byte (a checkpoint id in a key is URI-component encoded).
 * Redis' Lua runs in the C locale, so `%w` is ASCII letters and digits only.
 */
const ENCODE = `
local function encode(id)
  return (string.gsub(id, "[^%w%-_%.!~%*'%(%)]", function(c) return string.format('%%%02X', string.byte(c)) end))
end
`;

/**
 * `pruneOthers(registry, blobs, checkpoint prefix, writes prefix, kept checkpoint, kept writes, blob list)`
 * removes a namespace's checkpoints and writes other than the kept ones (found in the thread's registry),
 * and the blob fields not in the kept checkpoint's list; it returns how many checkpoints it removed. One
 * command per batch of names: unpack takes a few thousand values at most.
 */
const PRUNE_OTHERS = `
local function removeAll(command, key, names)
  for i = 1, #names, 500 do
    local last = math.min(i + 499, #names)
    if key then redis.call(command, key, unpack(names, i, last))
    else redis.call(command, unpack(names, i, last)) end
  end
end
local function pruneOthers(registry, blobs, checkpoints, writes, keptCheckpoint, keptWrites, blobList)
  local older, removed = {}, 0
  for _, key in ipairs(redis.call('SMEMBERS', registry)) do
    local isCheckpoint = string.sub(key, 1, #checkpoints) == checkpoints
    local own = isCheckpoint or string.sub(key, 1, #writes) == writes
    if own and key ~= keptCheckpoint and key ~= keptWrites then
      older[#older + 1] = key
      if isCheckpoint then removed = removed + 1 end
    end
  end
  removeAll('DEL', nil, older)
  removeAll('SREM', registry, older)
  local keep, unused = {}, {}
  for _, field in ipairs(cjson.decode(blobList)) do keep[field] = true end
  for _, field in ipairs(redis.call('HKEYS', blobs)) do
    if not keep[field] then unused[#unused + 1] = field end
  end
  removeAll('HDEL', blobs, unused)
  return removed
end
`;

/**
 * KEYS: namespaces, index, checkpoint, blobs, registry, the checkpoint's writes.
 * ARGV: namespace, checkpoint id, keep ('all' or 'latest'), checkpoint key prefix, writes key prefix,
 * N, N checkpoint field/value pairs (one of them `blobs`: the JSON list of the blob fields the checkpoint
 * refers to), then blob field/value pairs.
 *
 * With 'latest', the namespace's other checkpoints go: their hashes, their writes (also writes that came
 * in after a later checkpoint was put), their index entries, and every blob field the new checkpoint
 * does not refer to.
 */
const PUT = `${PRUNE_OTHERS}
redis.call('SADD', KEYS[1], ARGV[1])
-- 'latest': the index names the new checkpoint alone.
if ARGV[3] == 'latest' then redis.call('DEL', KEYS[2]) end
redis.call('ZADD', KEYS[2], 0, ARGV[2])
redis.call('DEL', KEYS[3])
local fields = tonumber(ARGV[6])
local blobList
for i = 7, 6 + fields * 2, 2 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  if ARGV[i] == 'blobs' then blobList = ARGV[i + 1] end
end
for i = 7 + fields * 2, #ARGV, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
redis.call('SADD', KEYS[5], KEYS[1], KEYS[2], KEYS[3], KEYS[4])
if ARGV[3] == 'latest' then pruneOthers(KEYS[5], KEYS[4], ARGV[4], ARGV[5], KEYS[3], KEYS[6], blobList) end
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

/**
 * One checkpoint as one snapshot: a later put (which may delete what it replaces) cannot come between
 * reading the checkpoint, its channel values and its writes.
 *
 * KEYS: index, blobs. ARGV: checkpoint key prefix, writes key prefix, checkpoint id ('' for the latest).
 * Returns nil when there is no such checkpoint, else [id, the checkpoint hash as field/value pairs, the
 * values of the blob fields it lists (0 when it lists none: stored before the list was kept), the
 * writes hash as field/value pairs].
 */
const READ = `${ENCODE}
local id = ARGV[3]
if id == '' then
  id = redis.call('ZREVRANGEBYLEX', KEYS[1], '+', '-', 'LIMIT', 0, 1)[1]
  if not id then return nil end
end
local encoded = encode(id)
local stored = redis.call('HGETALL', ARGV[1] .. encoded)
if #stored == 0 then return nil end
local blobs = 0
for i = 1, #stored, 2 do
  if stored[i] == 'blobs' then
    local fields = cjson.decode(stored[i + 1])
    blobs = {}
    if #fields > 0 then blobs = redis.call('HMGET', KEYS[2], unpack(fields)) end
  end
end
return { id, stored, blobs, redis.call('HGETALL', ARGV[2] .. encoded) }
`;

/**
 * Keeps only the namespace's latest checkpoint, if it is still the one the caller read: a put that came
 * in since may have written what the caller has not seen. Stores the checkpoint's list of blob fields,
 * which a checkpoint written before the list was kept lacks.
 *
 * KEYS: index, blobs, registry. ARGV: checkpoint id, checkpoint key prefix, writes key prefix, the JSON
 * list of the blob fields the checkpoint refers to. Returns nil when the latest checkpoint is another,
 * else the number of checkpoints removed.
 */
const PRUNE = `${ENCODE}${PRUNE_OTHERS}
local latest = redis.call('ZREVRANGEBYLEX', KEYS[1], '+', '-', 'LIMIT', 0, 1)[1]
if latest ~= ARGV[1] then return nil end
local encoded = encode(ARGV[1])
local checkpoint = ARGV[2] .. encoded
if redis.call('EXISTS', checkpoint) == 0 then return nil end
redis.call('HSET', checkpoint, 'blobs', ARGV[4])
redis.call('DEL', KEYS[1])
redis.call('ZADD', KEYS[1], 0, ARGV[1])
return pruneOthers(KEYS[3], KEYS[2], ARGV[2], ARGV[3], checkpoint, ARGV[3] .. encoded, ARGV[4])
`;

const PUT_COMMAND = 'checkpointSaverPut';
const PUT_WRITES_COMMAND = 'checkpointSaverPutWrites';
const READ_COMMAND = 'checkpointSaverRead';
const PRUNE_COMMAND = 'checkpointSaverPrune';

type Arg = string | Buffer | number;
type Scripted = Record<string, (...args: Arg[]) => Promise<unknown>>;

/** Which checkpoints a namespace keeps: every one, or only the latest. */
export type Keep = 'all' | 'latest';

/** A checkpoint as `READ` returns it, every string a Buffer. */
export interface StoredCheckpoint {
  id: string;
  hash: Record<string, Buffer>;
  /** Values of the blob fields the checkpoint lists (null: absent), or undefined when it lists none. */
  blobs: Map<string, Buffer | null> | undefined;
  writes: Record<string, Buffer>;
}

function record(pairs: Buffer[]): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (let i = 0; i < pairs.length; i += 2) out[pairs[i].toString('utf8')] = pairs[i + 1];
  return out;
}

/**
 * The scripts as commands of the client (ioredis sends each by its SHA1, and its text once per
 * connection that does not know it yet). Defining them again on the same client replaces them alike.
 */
export class CheckpointScripts {
  private readonly commands: Scripted;

  constructor(client: Redis | Cluster) {
    client.defineCommand(PUT_COMMAND, { lua: PUT, numberOfKeys: 6 });
    client.defineCommand(PUT_WRITES_COMMAND, { lua: PUT_WRITES, numberOfKeys: 2 });
    client.defineCommand(READ_COMMAND, { lua: READ, numberOfKeys: 2 });
    client.defineCommand(PRUNE_COMMAND, { lua: PRUNE, numberOfKeys: 3 });
    this.commands = client as unknown as Scripted;
  }

  put(
    keys: [
      namespaces: string,
      index: string,
      checkpoint: string,
      blobs: string,
      registry: string,
      writes: string,
    ],
    args: { ns: string; checkpointId: string; keep: Keep; checkpointPrefix: string; writesPrefix: string },
    fields: Record<string, Arg>,
    blobs: Record<string, Arg>,
  ): Promise<unknown> {
    const pairs = (values: Record<string, Arg>) => Object.entries(values).flat();
    const { ns, checkpointId, keep, checkpointPrefix, writesPrefix } = args;
    const count = Object.keys(fields).length;
    return this.commands[PUT_COMMAND](
      ...keys,
      ns,
      checkpointId,
      keep,
      checkpointPrefix,
      writesPrefix,
      count,
      ...pairs(fields),
      ...pairs(blobs),
    );
  }

  putWrites(
    keys: [writes: string, registry: string],
    writes: Array<{ replace: boolean; field: string; record: Arg }>,
  ): Promise<unknown> {
    const args = writes.flatMap((w) => [w.replace ? '1' : '0', w.field, w.record]);
    return this.commands[PUT_WRITES_COMMAND](...keys, ...args);
  }

  async read(
    keys: [index: string, blobs: string],
    args: { checkpointPrefix: string; writesPrefix: string; checkpointId: string | undefined },
  ): Promise<StoredCheckpoint | undefined> {
    const reply = (await this.commands[`${READ_COMMAND}Buffer`](
      ...keys,
      args.checkpointPrefix,
      args.writesPrefix,
      args.checkpointId ?? '',
    )) as [Buffer, Buffer[], Array<Buffer | null> | number, Buffer[]] | null;
    if (reply === null) return undefined;
    const [id, hash, values, writes] = reply;
    const stored = record(hash);
    let blobs: StoredCheckpoint['blobs'];
    if (Array.isArray(values) && stored.blobs) {
      const fields = JSON.parse(stored.blobs.toString('utf8')) as string[];
      blobs = new Map(fields.map((field, i) => [field, values[i] ?? null]));
    }
    return { id: id.toString('utf8'), hash: stored, blobs, writes: record(writes) };
  }

  /** The number of checkpoints removed, or undefined when the latest checkpoint is no longer `checkpointId`. */
  async prune(
    keys: [index: string, blobs: string, registry: string],
    args: { checkpointId: string; checkpointPrefix: string; writesPrefix: string; blobList: string },
  ): Promise<number | undefined> {
    const { checkpointId, checkpointPrefix, writesPrefix, blobList } = args;
    const removed = (await this.commands[PRUNE_COMMAND](
      ...keys,
      checkpointId,
      checkpointPrefix,
      writesPrefix,
      blobList,
    )) as number | null;
    return removed ?? undefined;
  }
}
