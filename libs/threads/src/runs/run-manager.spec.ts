import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import type { UIMessageChunk } from 'ai';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ProblemException, RedisKeys, type AppConfig } from '@auxilia/core';
import { eventually, startThrowawayRedis, streamedText } from '@auxilia/testing';
import { RunKeys } from './run-keys';
import { RunManager, type RunSource } from './run-manager';
import { RunStore, type RunLogEntry } from './run-store';

// A real Redis and liveness timeouts of seconds: slower than jest's 5 s default on a loaded machine.
jest.setTimeout(60_000);

const url = process.env.TEST_REDIS_URL ?? '';
const connections: Redis[] = [];
const managers: RunManager[] = [];
const prefix = `runs-${randomUUID().slice(0, 8)}:`;
const keys = new RunKeys(new RedisKeys(prefix));

function connect(redisUrl = url): Redis {
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  conn.on('error', () => undefined);
  connections.push(conn);
  return conn;
}

async function manager(livenessTimeoutMs = 1500, shutdownGraceMs = 200, redisUrl = url): Promise<RunManager> {
  const values = { runs: { livenessTimeoutMs }, http: { shutdownGraceMs } };
  const config = { get: (k: keyof typeof values) => values[k] } as unknown as ConfigService<AppConfig, true>;
  const m = new RunManager(connect(redisUrl), connect(redisUrl), new RedisKeys(prefix), config);
  await m.onModuleInit();
  managers.push(m);
  return m;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A source of `count` text deltas, `delayMs` apart, that stops when aborted. */
function textSource(count: number, delayMs = 0, options: { failAt?: number } = {}): RunSource {
  return async function* (signal) {
    yield { type: 'start' };
    yield { type: 'text-start', id: 't' };
    for (let i = 0; i < count; i++) {
      if (signal.aborted) return;
      if (options.failAt === i) throw new Error('model connection reset');
      if (delayMs) await sleep(delayMs);
      yield { type: 'text-delta', id: 't', delta: `w${i} ` };
    }
    yield { type: 'text-end', id: 't' };
    yield { type: 'finish', finishReason: 'stop' };
  };
}

const chunksOf = (entries: RunLogEntry[]) =>
  entries.flatMap((e) => ('chunk' in e ? [JSON.parse(e.chunk) as UIMessageChunk] : []));

let redis: Redis;
beforeAll(() => {
  // The failures these tests provoke are logged by design; the assertions say what matters.
  Logger.overrideLogger(false);
  redis = connect();
});

afterAll(async () => {
  for (const m of managers) {
    await m.beforeApplicationShutdown();
    await m.onApplicationShutdown();
  }
  await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
});

describe('RunManager', () => {
  it('logs every chunk, ends the log with a marker, releases the lock and expires the log', async () => {
    const runs = await manager();
    const thread = randomUUID();
    const runId = await runs.start(thread, textSource(5));
    const entries = await lastValueFrom(runs.follow(thread, runId).pipe(toArray()));
    const chunks = chunksOf(entries);
    // Deltas written together are joined: their number is the writer's choice, their text is not.
    const types = chunks.map((c) => c.type).filter((t, i, all) => t !== 'text-delta' || all[i - 1] !== t);
    expect(types).toEqual(['start', 'text-start', 'text-delta', 'text-end', 'finish']);
    expect(streamedText(chunks)).toBe('w0 w1 w2 w3 w4 ');
    expect(entries.at(-1)).toEqual({ id: expect.any(String), done: true });
    await eventually(async () => (await runs.activeRun(thread)) === null, 10_000, 25);
    const ttl = await redis.ttl(keys.log(thread, runId));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('gives the log an expiry while the run is going, in case its instance dies', async () => {
    const runs = await manager();
    const thread = randomUUID();
    const runId = await runs.start(thread, textSource(30, 10));
    await firstValueFrom(runs.follow(thread, runId));
    expect(await redis.pttl(keys.log(thread, runId))).toBeGreaterThan(3600_000);
    await lastValueFrom(runs.follow(thread, runId));
  });

  it('refuses a second run on the same thread with 409', async () => {
    const runs = await manager();
    const thread = randomUUID();
    const runId = await runs.start(thread, textSource(20, 20));
    const second = runs.start(thread, textSource(1));
    await expect(second).rejects.toBeInstanceOf(ProblemException);
    await expect(second).rejects.toMatchObject({ status: 409 });
    await lastValueFrom(runs.follow(thread, runId));
  });

  it('checks a precondition under the lock: one of two racing starts runs, a refused one frees the thread', async () => {
    const runs = await manager();
    const thread = randomUUID();
    let allowed = 1;
    let sourceRuns = 0;
    const check = () => {
      if (allowed-- > 0) return Promise.resolve();
      return Promise.reject(new ProblemException(409, 'stale', 'Stale', 'already answered'));
    };
    const source: RunSource = (signal) => {
      sourceRuns++;
      return textSource(2)(signal);
    };
    const outcomes = await Promise.allSettled([
      runs.start(thread, source, check),
      runs.start(thread, source, check),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    await eventually(async () => (await runs.activeRun(thread)) === null, 10_000, 25);
    // Later: the lock is taken, the precondition refuses, and the lock is released again.
    await expect(runs.start(thread, source, check)).rejects.toMatchObject({ status: 409 });
    expect(await runs.activeRun(thread)).toBeNull();
    expect(sourceRuns).toBe(1);
    const runId = await runs.start(thread, textSource(1));
    const entries = await lastValueFrom(runs.follow(thread, runId).pipe(toArray()));
    expect(chunksOf(entries).at(-1)?.type).toBe('finish');
  });

  it('resumes after any entry with neither gap nor duplicate', async () => {
    const runs = await manager();
    const thread = randomUUID();
    const runId = await runs.start(thread, textSource(30, 10));
    const full = await lastValueFrom(runs.follow(thread, runId).pipe(toArray()));
    const firstFew = full.slice(0, 7);
    const other = await manager();
    const rest = await lastValueFrom(other.follow(thread, runId, firstFew.at(-1)!.id).pipe(toArray()));
    expect([...firstFew, ...rest]).toEqual(full);
  });

  it('follows a live run from the middle on another manager', async () => {
    const runs = await manager();
    const thread = randomUUID();
    const runId = await runs.start(thread, textSource(30, 15));
    const head = await firstValueFrom(runs.follow(thread, runId));
    const other = await manager();
    const rest = await lastValueFrom(other.follow(thread, runId, head.id).pipe(toArray()));
    const full = await lastValueFrom(runs.follow(thread, runId).pipe(toArray()));
    expect([head, ...rest]).toEqual(full);
  });

  it("serves the owner's followers the log as Redis holds it, from the start or after any entry", async () => {
    const runs = await manager();
    const other = await manager();
    const thread = randomUUID();
    const runId = await runs.start(thread, textSource(30, 10));
    const local = lastValueFrom(runs.follow(thread, runId).pipe(toArray()));
    const remote = lastValueFrom(other.follow(thread, runId).pipe(toArray()));
    const head = await firstValueFrom(runs.follow(thread, runId));
    const rest = await lastValueFrom(runs.follow(thread, runId, head.id).pipe(toArray()));
    const full = await remote;
    expect(await local).toEqual(full);
    expect([head, ...rest]).toEqual(full);
    const stored = await redis.xrange(keys.log(thread, runId), '-', '+');
    expect(full.map((e) => e.id)).toEqual(stored.map(([id]) => id));
  });

  it("moves the owner's followers to Redis when the run's log was sealed behind its back", async () => {
    const runs = await manager(1500);
    const thread = randomUUID();
    const runId = await runs.start(thread, textSource(1000, 20));
    const local = lastValueFrom(runs.follow(thread, runId).pipe(toArray()));
    await firstValueFrom(runs.follow(thread, runId, (await firstValueFrom(runs.follow(thread, runId))).id));
    // What another instance does once the lock has expired: it judges the run dead and ends its log.
    await redis.del(keys.lock(thread));
    expect(await new RunStore(redis, keys, 1500).sealIfDead(thread, runId)).toBe(true);
    const entries = await local;
    const other = await manager();
    expect(entries).toEqual(await lastValueFrom(other.follow(thread, runId).pipe(toArray())));
    expect(chunksOf(entries).slice(-2)).toEqual([
      { type: 'error', errorText: expect.stringContaining('interrupted') },
      { type: 'finish', finishReason: 'error' },
    ]);
    await eventually(async () => (await runs.activeRun(thread)) === null, 10_000, 25);
  });

  it('turns a source that throws into an error chunk then finish', async () => {
    const runs = await manager();
    const thread = randomUUID();
    const runId = await runs.start(thread, textSource(10, 0, { failAt: 3 }));
    const chunks = chunksOf(await lastValueFrom(runs.follow(thread, runId).pipe(toArray())));
    expect(chunks.slice(-2)).toEqual([
      { type: 'error', errorText: 'The run failed unexpectedly.' },
      { type: 'finish', finishReason: 'error' },
    ]);
    await eventually(async () => (await runs.activeRun(thread)) === null, 10_000, 25);
    await expect(runs.start(thread, textSource(1))).resolves.toEqual(expect.any(String));
  });

  it('stops a run owned by another manager through pub/sub, ending it with finish', async () => {
    const owner = await manager();
    const other = await manager();
    const thread = randomUUID();
    const runId = await owner.start(thread, textSource(1000, 20));
    await firstValueFrom(other.follow(thread, runId));
    await expect(other.stop(thread)).resolves.toBe(true);
    expect(await other.activeRun(thread)).toBeNull();
    const chunks = chunksOf(await lastValueFrom(other.follow(thread, runId).pipe(toArray())));
    expect(chunks.at(-1)).toEqual({ type: 'finish' });
    expect(chunks.filter((c) => c.type === 'finish')).toHaveLength(1);
    expect(chunks.some((c) => c.type === 'error')).toBe(false);
    await expect(other.stop(thread)).resolves.toBe(false);
    const next = await other.start(thread, textSource(1));
    await lastValueFrom(other.follow(thread, next));
  });

  it('fails a run whose owner died once its lock expires, and lets the thread run again', async () => {
    const runs = await manager(1000);
    const thread = randomUUID();
    const deadRun = randomUUID();
    // What a killed instance leaves behind: a lock nobody renews, a pointer and a log without an end.
    await redis.set(keys.lock(thread), deadRun, 'PX', 1000);
    await redis.set(keys.last(thread), deadRun);
    await redis.xadd(keys.log(thread, deadRun), '*', 'c', JSON.stringify({ type: 'start' }));
    await expect(runs.start(thread, textSource(1))).rejects.toMatchObject({ status: 409 });
    const followed = await lastValueFrom(runs.follow(thread, deadRun).pipe(toArray()));
    expect(chunksOf(followed)).toEqual([
      { type: 'start' },
      { type: 'error', errorText: expect.stringContaining('interrupted') },
      { type: 'finish', finishReason: 'error' },
    ]);
    const runId = await runs.start(thread, textSource(2));
    const chunks = chunksOf(await lastValueFrom(runs.follow(thread, runId).pipe(toArray())));
    expect(chunks.at(-1)).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('seals a dead run found by the next start, once', async () => {
    const runs = await manager(1000);
    const thread = randomUUID();
    const deadRun = randomUUID();
    await redis.set(keys.last(thread), deadRun);
    await redis.xadd(keys.log(thread, deadRun), '*', 'c', JSON.stringify({ type: 'start' }));
    const runId = await runs.start(thread, textSource(1));
    await lastValueFrom(runs.follow(thread, runId));
    const entries = await lastValueFrom(runs.follow(thread, deadRun).pipe(toArray()));
    expect(chunksOf(entries).map((c) => c.type)).toEqual(['start', 'error', 'finish']);
    expect(await redis.ttl(keys.log(thread, deadRun))).toBeGreaterThan(3500);
  });

  it('on shutdown refuses new runs, gives running ones the grace period, then aborts them cleanly', async () => {
    const runs = await manager(1500, 100);
    const thread = randomUUID();
    const runId = await runs.start(thread, textSource(1000, 20));
    await runs.beforeApplicationShutdown();
    await expect(runs.start(randomUUID(), textSource(1))).rejects.toMatchObject({ status: 503 });
    expect(await runs.activeRun(thread)).toBeNull();
    const chunks = chunksOf(await lastValueFrom((await manager()).follow(thread, runId).pipe(toArray())));
    expect(chunks.at(-1)).toEqual({ type: 'finish' });
  });

  it('subscribes to stop events without breaking a connection still being set up', async () => {
    const subscriber = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: 'sub' });
    connections.push(subscriber);
    const errors: string[] = [];
    subscriber.on('error', (err: Error) => errors.push(err.message));
    const connected = new Promise((resolve) => subscriber.once('connect', resolve));
    void subscriber.connect().catch(() => undefined);
    // Connected, its ready check not answered yet: where a SUBSCRIBE written at once broke that check.
    await connected;
    expect(subscriber.status).toBe('connect');
    const values = { runs: { livenessTimeoutMs: 1500 }, http: { shutdownGraceMs: 200 } };
    const config = { get: (k: keyof typeof values) => values[k] } as unknown as ConfigService<
      AppConfig,
      true
    >;
    const m = new RunManager(connect(), subscriber, new RedisKeys(prefix), config);
    managers.push(m);
    await m.onModuleInit();
    expect(subscriber.status).toBe('ready');
    expect(errors).toEqual([]);
    const owner = await manager();
    const thread = randomUUID();
    await owner.start(thread, textSource(1000, 20));
    await expect(m.stop(thread)).resolves.toBe(true);
    expect(errors).toEqual([]);
  });

  it('receives stop events once a Redis that was down at start comes back', async () => {
    const redisServer = await startThrowawayRedis();
    const [firstConnection, firstManager] = [connections.length, managers.length];
    try {
      await redisServer.kill();
      const owner = await manager(1500, 200, redisServer.url);
      await redisServer.start();
      const other = await manager(1500, 200, redisServer.url);
      const probe = connect(redisServer.url);
      const channel = keys.stopChannel();
      await eventually(
        async () => {
          const reply = (await probe.pubsub('NUMSUB', channel).catch(() => [channel, 0])) as [string, number];
          return Number(reply[1]) >= 2;
        },
        10_000,
        25,
      );
      const thread = randomUUID();
      await owner.start(thread, textSource(1000, 20));
      await expect(other.stop(thread)).resolves.toBe(true);
      expect(await other.activeRun(thread)).toBeNull();
    } finally {
      for (const m of managers.splice(firstManager)) {
        await m.beforeApplicationShutdown();
        await m.onApplicationShutdown();
      }
      for (const conn of connections.splice(firstConnection)) conn.disconnect();
      await redisServer.stop();
    }
  });
});
