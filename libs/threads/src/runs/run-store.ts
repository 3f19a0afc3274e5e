import type { Redis } from 'ioredis';
import type { UIMessageChunk } from 'ai';
import { RedisScript } from '@auxilia/core';
import { RunKeys } from './run-keys';

/** An event log entry: a chunk as its JSON text, or the end marker. */
export type RunLogEntry = { id: string; chunk: string } | { id: string; done: true };

/** A run's event log outlives the run by an hour, for clients that come back late. */
export const RUN_LOG_TTL_S = 3600;

/*
 * Appends chunks, one entry each; the first batch also sets the log's expiry (later ones need not: the
 * heartbeat keeps it ahead). Then reads the lock: once lost it never comes back, so when it still names the
 * run no seal can have ended the log before these entries. Returns the entries' ids, then 1 when held.
 */
const APPEND = new RedisScript(`
local ids = {}
for i = 3, #ARGV do ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'c', ARGV[i]) end
if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
ids[#ids + 1] = redis.call('GET', KEYS[2]) == ARGV[1] and 1 or 0
return ids`);

// Takes the lock and moves the `last` pointer; returns the previous run id ('' if none), or nil when taken.
const ACQUIRE = new RedisScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local previous = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return previous or ''`);

// The heartbeat also keeps the running log's expiry ahead, so that appends need not carry a PEXPIRE.
const RENEW = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return 1`);

/*
 * Ends the run: the end marker, the log's expiry, and the lock released only by its holder. Returns the
 * marker's id and whether the lock was still held: only then can no seal have ended the log before it.
 */
const FINISH = new RedisScript(`
local id = redis.call('XADD', KEYS[3], '*', 'done', '1')
redis.call('EXPIRE', KEYS[3], ARGV[2])
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {id, 0} end
redis.call('DEL', KEYS[1])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {id, 1}`);

/*
 * Fails a run whose owner is gone: unless the lock still names it or its log already ended, the log
 * gets an error chunk (only when no finish chunk was written), a finish chunk and the end marker.
 * Atomic, so that several readers noticing the same dead run add the ending once.
 */
const SEAL = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local finished = false
if #last > 0 then
  local fields = last[1][2]
  if fields[1] == 'done' then return 0 end
  local ok, chunk = pcall(cjson.decode, fields[2])
  finished = ok and type(chunk) == 'table' and chunk['type'] == 'finish'
end
if not finished then
  redis.call('XADD', KEYS[2], '*', 'c', ARGV[2])
  redis.call('XADD', KEYS[2], '*', 'c', ARGV[3])
end
redis.call('XADD', KEYS[2], '*', 'done', '1')
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1`);

const DEAD_RUN_ERROR: UIMessageChunk = {
  type: 'error',
  errorText: 'The run was interrupted: the instance running it stopped responding.',
};
const DEAD_RUN_FINISH: UIMessageChunk = { type: 'finish', finishReason: 'error' };

/** The Redis side of runs: lock, heartbeat, event log. Every method is one round trip or script. */
export class RunStore {
  constructor(
    private readonly redis: Redis,
    readonly keys: RunKeys,
    private readonly lockTtlMs: number,
  ) {}

  private get pointerTtlMs(): number {
    return this.lockTtlMs + RUN_LOG_TTL_S * 1000;
  }

  /** `null` when another run holds the thread; otherwise the previous run's id ('' when none). */
  async acquire(threadId: string, runId: string): Promise<string | null> {
    const k = this.keys;
    const result = (await ACQUIRE.run(
      this.redis,
      [k.lock(threadId), k.last(threadId)],
      [runId, this.lockTtlMs, this.pointerTtlMs],
    )) as string | null;
    return result;
  }

  /** False when the lock is no longer this run's (it expired and someone else may own the thread). */
  async renew(threadId: string, runId: string): Promise<boolean> {
    const k = this.keys;
    const held = await RENEW.run(
      this.redis,
      [k.lock(threadId), k.last(threadId), k.log(threadId, runId)],
      [runId, this.lockTtlMs, this.pointerTtlMs],
    );
    return held === 1;
  }

  /** The id of the active run, or null. */
  async activeRun(threadId: string): Promise<string | null> {
    return this.redis.get(this.keys.lock(threadId));
  }

  async lastRun(threadId: string): Promise<string | null> {
    return this.redis.get(this.keys.last(threadId));
  }

  /**
   * Appends chunks in one round trip (one script) and returns their ids, and whether the lock was still
   * held after they were added. The log keeps a TTL while running in case the run is abandoned: set by the
   * first batch (`expire`), then kept ahead by the heartbeat.
   */
  async append(
    threadId: string,
    runId: string,
    chunks: readonly string[],
    expire = false,
  ): Promise<{ ids: string[]; held: boolean }> {
    const k = this.keys;
    const reply = (await APPEND.run(
      this.redis,
      [k.log(threadId, runId), k.lock(threadId)],
      [runId, expire ? this.pointerTtlMs : '', ...chunks],
    )) as [...string[], number];
    return { ids: reply.slice(0, chunks.length) as string[], held: reply[chunks.length] === 1 };
  }

  /**
   * Writes the end marker, starts the log's expiry and releases the lock if still held. Returns the
   * marker's id and whether the lock was held.
   */
  async finish(threadId: string, runId: string): Promise<{ id: string; held: boolean }> {
    const k = this.keys;
    const [id, held] = (await FINISH.run(
      this.redis,
      [k.lock(threadId), k.last(threadId), k.log(threadId, runId)],
      [runId, RUN_LOG_TTL_S, RUN_LOG_TTL_S * 1000],
    )) as [string, number];
    return { id, held: held === 1 };
  }

  /** Ends the log of a run whose owner died; a no-op while it lives or once its log has ended. */
  async sealIfDead(threadId: string, runId: string): Promise<boolean> {
    const k = this.keys;
    const sealed = await SEAL.run(
      this.redis,
      [k.lock(threadId), k.log(threadId, runId)],
      [runId, JSON.stringify(DEAD_RUN_ERROR), JSON.stringify(DEAD_RUN_FINISH), RUN_LOG_TTL_S],
    );
    return sealed === 1;
  }

  /** Reads entries after `fromId`, blocking up to `blockMs`, on the given (dedicated) connection. */
  async read(
    conn: Redis,
    threadId: string,
    runId: string,
    fromId: string,
    blockMs: number,
  ): Promise<RunLogEntry[]> {
    const key = this.keys.log(threadId, runId);
    const reply = (await conn.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', key, fromId)) as
      [string, [string, string[]][]][] | null;
    if (!reply) return [];
    return reply[0][1].map(([id, fields]) =>
      fields[0] === 'done' ? { id, done: true as const } : { id, chunk: fields[1] },
    );
  }

  /** Forgets a thread's run pointer and its last log (the thread is being deleted; no run is active). */
  async forget(threadId: string): Promise<void> {
    const last = await this.lastRun(threadId);
    const keys = [this.keys.last(threadId)];
    if (last) keys.push(this.keys.log(threadId, last));
    await this.redis.del(...keys);
  }
}
