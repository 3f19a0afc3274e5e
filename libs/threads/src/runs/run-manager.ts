import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import type { UIMessageChunk } from 'ai';
import { Observable } from 'rxjs';
import { REDIS, REDIS_SUBSCRIBER, RedisKeys, type AppConfig } from '@auxilia/core';
import { runActive, shuttingDown } from '../problems';
import { executeRun, RunFailure } from './run-execution';
import { RunFeed } from './run-feed';
import { RunKeys } from './run-keys';
import { RunStore, type RunLogEntry } from './run-store';
import { RunWriter } from './run-writer';

/** Whatever carries a run's entries to a client (an HTTP response): it emits 'close' once done. */
export interface ClosingClient {
  once(event: 'close', listener: () => void): unknown;
}

/** Produces a run's chunks; it must end soon after `signal` aborts. */
export type RunSource = (signal: AbortSignal) => AsyncIterable<UIMessageChunk>;

interface ActiveRun {
  runId: string;
  controller: AbortController;
  done: Promise<void>;
  feed: RunFeed;
}

interface Reader {
  runId: string;
  closed: Promise<void>;
  disconnect(): void;
}

const READ_BLOCK_MS = 2000;
const STOP_WAIT_MS = 10_000;
/** How long the start waits for Redis to take the stop events' subscription. */
const SUBSCRIBE_WAIT_MS = 2000;

/**
 * Durable runs: one per thread, held by a Redis lock renewed by a heartbeat, detached from any HTTP
 * connection. Chunks go to a Redis stream that any instance can replay and follow.
 */
@Injectable()
export class RunManager implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(RunManager.name);
  private readonly store: RunStore;
  private readonly runs = new Map<string, ActiveRun>();
  private readonly readers = new Set<Reader>();
  private accepting = true;
  private readonly onStop = (channel: string, message: string) => this.handleStop(channel, message);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
    keys: RedisKeys,
    private readonly config: ConfigService<AppConfig, true>,
  ) {
    this.store = new RunStore(redis, new RunKeys(keys), config.get('runs').livenessTimeoutMs);
  }

  /**
   * Subscribes to stop events each time the connection is ready. The start waits for the first subscription
   * up to `SUBSCRIBE_WAIT_MS`; with Redis away it goes on, and subscribes once Redis is back.
   */
  async onModuleInit(): Promise<void> {
    this.subscriber.on('message', this.onStop);
    this.subscriber.on('ready', this.subscribe);
    // Never before 'ready': ioredis writes a SUBSCRIBE at once while the connection is still being set up,
    // which puts it in subscriber mode and fails its ready check (INFO): an error logged and a reconnect.
    if (this.subscriber.status === 'ready') return this.subscribe();
    await once(this.subscriber, 'ready', { signal: AbortSignal.timeout(SUBSCRIBE_WAIT_MS) }).then(
      () => this.subscribed,
      () => this.logger.warn('Stop events unavailable until Redis is back'),
    );
  }

  private subscribed?: Promise<void>;

  private readonly subscribe = (): Promise<void> =>
    (this.subscribed = this.subscriber.subscribe(this.store.keys.stopChannel()).then(
      () => undefined,
      () => this.logger.warn('Stop events unavailable until Redis is back'),
    ));

  /** The id of the thread's active run (on any instance), or null. */
  activeRun(threadId: string): Promise<string | null> {
    return this.store.activeRun(threadId);
  }

  /**
   * Starts a run unless one is active (409). A previous run whose instance died is failed first; then
   * `precondition`, if given, may still refuse the run by throwing. Resolves once the lock is held; the
   * run then goes on without the caller.
   */
  async start(threadId: string, source: RunSource, precondition?: () => Promise<void>): Promise<string> {
    if (!this.accepting) throw shuttingDown();
    const runId = randomUUID();
    const previous = await this.store.acquire(threadId, runId);
    if (previous === null) throw runActive(threadId);
    // A failure here must not keep the thread locked: the dead run's readers seal it themselves.
    if (previous) await this.store.sealIfDead(threadId, previous).catch(() => undefined);
    if (precondition) {
      // Checked under the lock, so that two requests cannot both pass it. A refused run leaves an
      // empty, ended log and the thread unlocked.
      try {
        await precondition();
      } catch (err) {
        await this.store.finish(threadId, runId).catch(() => undefined);
        throw err;
      }
    }

    const controller = new AbortController();
    const ttl = this.config.get('runs').livenessTimeoutMs;
    const feed = new RunFeed();
    const heartbeat = setInterval(
      () => void this.renew(threadId, runId, controller, feed),
      Math.floor(ttl / 3),
    );
    const writer = new RunWriter(this.store, threadId, runId, this.logger, feed);
    const done = executeRun(source, controller.signal, writer, this.logger)
      .catch((err: unknown) => this.logger.error(`Run ${runId} failed: ${String(err)}`))
      .then(() => this.end(threadId, runId, feed))
      .finally(() => {
        clearInterval(heartbeat);
        // Not ended in memory: followers still waiting read the end from Redis.
        feed.fallBack();
        // The lock is already released: a newer run of the thread may have taken this slot.
        if (this.runs.get(threadId)?.runId === runId) this.runs.delete(threadId);
      });
    this.runs.set(threadId, { runId, controller, done, feed });
    return runId;
  }

  /** Ends the log and releases the lock; retried, as a run left unended would look dead to followers. */
  private async end(threadId: string, runId: string, feed: RunFeed): Promise<void> {
    for (const wait of [0, 250, 1000, 2000, 4000]) {
      await delay(wait);
      try {
        const { id, held } = await this.store.finish(threadId, runId);
        if (held) feed.end(id);
        else feed.fallBack();
        return;
      } catch (err) {
        // A failed attempt may have written an end marker all the same: Redis tells which comes first.
        feed.fallBack();
        this.logger.warn(`Run ${runId} could not be ended yet: ${String(err)}`);
      }
    }
    this.logger.error(`Run ${runId} could not be ended; its lock expires after the liveness timeout`);
  }

  private async renew(
    threadId: string,
    runId: string,
    controller: AbortController,
    feed: RunFeed,
  ): Promise<void> {
    try {
      if (await this.store.renew(threadId, runId)) return;
      // Another instance judged this run dead and may own the thread now: two writers must not coexist.
      this.logger.warn(`Run ${runId} lost its lock; aborting it`);
      feed.fallBack();
      controller.abort(
        new RunFailure(
          'The run lost its lock (Redis was unavailable or the run was taken for dead) and was ended.',
        ),
      );
    } catch {
      // Redis is away: the next beat tries again; the lock expires if it stays away.
    }
  }

  /** Drops a thread's run pointer and last log; only for a thread being deleted with no active run. */
  forget(threadId: string): Promise<void> {
    return this.store.forget(threadId);
  }

  /**
   * Aborts the thread's active run wherever it runs and waits (bounded) until it has ended.
   * False when no run is active.
   */
  async stop(threadId: string): Promise<boolean> {
    const runId = await this.store.activeRun(threadId);
    if (!runId) return false;
    const local = this.runs.get(threadId);
    if (local?.runId === runId) {
      local.controller.abort(new Error('stopped'));
      await Promise.race([local.done, delay(STOP_WAIT_MS)]);
      return true;
    }
    await this.redis.publish(this.store.keys.stopChannel(), JSON.stringify({ threadId, runId }));
    const until = Date.now() + STOP_WAIT_MS;
    while (Date.now() < until && (await this.store.activeRun(threadId)) === runId) await delay(100);
    return true;
  }

  private handleStop(channel: string, message: string): void {
    if (channel !== this.store.keys.stopChannel()) return;
    try {
      const { threadId, runId } = JSON.parse(message) as { threadId?: unknown; runId?: unknown };
      const run = typeof threadId === 'string' ? this.runs.get(threadId) : undefined;
      if (run && run.runId === runId) run.controller.abort(new Error('stopped'));
    } catch {
      this.logger.warn('Ignored a malformed stop event');
    }
  }

  /**
   * The run's log from after `fromId` ('0': from the start), following it live until its end marker.
   * On the instance that runs it, entries come from memory as they are written; elsewhere (or once the
   * memory can no longer be trusted, see `RunFeed`) each reader blocks on a Redis connection of its own so
   * that the shared command client never waits. Either way an event's id is its position in the log.
   * `client` is the HTTP response the entries go to: a shutdown waits for it to close, not just for the
   * last entry to be handed over, so the end of a run reaches its clients before the server closes.
   */
  follow(threadId: string, runId: string, fromId = '0', client?: ClosingClient): Observable<RunLogEntry> {
    return new Observable<RunLogEntry>((subscriber) => {
      let conn: Redis | undefined;
      let closed = false;
      let cursor = fromId;
      let markClosed = () => undefined as void;
      const reader: Reader = {
        runId,
        closed: new Promise<void>((resolve) => (markClosed = resolve)),
        disconnect: () => conn?.disconnect(),
      };
      this.readers.add(reader);
      client?.once('close', () => {
        this.readers.delete(reader);
        markClosed();
      });
      const deliver = (entry: RunLogEntry): boolean => {
        subscriber.next(entry);
        cursor = entry.id;
        if (!('done' in entry)) return false;
        subscriber.complete();
        return true;
      };
      const pump = async () => {
        conn = this.redis.duplicate({ connectionName: 'run-reader' });
        // The duplicate logs nothing by itself; a closed reader must not surface as an unhandled error.
        conn.on('error', () => undefined);
        let failures = 0;
        while (!closed) {
          let entries: RunLogEntry[];
          try {
            entries = await this.store.read(conn, threadId, runId, cursor, READ_BLOCK_MS);
            failures = 0;
          } catch (err) {
            if (closed) return;
            if (++failures > 15) throw err;
            await delay(500);
            continue;
          }
          if (entries.length === 0) {
            // Nothing new for a while: if the owner died, end its log so that this reader (and others) finish.
            await this.store.sealIfDead(threadId, runId).catch(() => undefined);
            continue;
          }
          for (const entry of entries) {
            if (closed || deliver(entry)) return;
          }
        }
      };
      const fromRedis = () =>
        void pump().catch((err: unknown) => {
          if (!closed) subscriber.error(err);
        });

      const local = this.runs.get(threadId);
      let unsubscribe: (() => void) | undefined;
      if (local?.runId === runId && !local.feed.fallenBack) {
        const feed = local.feed;
        let next = feed.indexAfter(fromId);
        const drain = () => {
          while (!closed && next < feed.entries.length) {
            if (deliver(feed.entries[next++])) return unsubscribe?.();
          }
          if (!closed && feed.fallenBack) {
            unsubscribe?.();
            fromRedis();
          }
        };
        unsubscribe = feed.subscribe(drain);
        drain();
      } else {
        fromRedis();
      }
      return () => {
        closed = true;
        unsubscribe?.();
        conn?.disconnect();
        // With a client, the reader counts as open until the response is flushed and closed.
        if (!client) {
          this.readers.delete(reader);
          markClosed();
        }
      };
    });
  }

  /** New runs are refused; running ones get the grace period to end, then are aborted cleanly. */
  async beforeApplicationShutdown(): Promise<void> {
    this.accepting = false;
    if (this.runs.size === 0) return;
    const local = new Set([...this.runs.values()].map((r) => r.runId));
    const all = () => Promise.all([...this.runs.values()].map((r) => r.done));
    await Promise.race([all(), delay(this.config.get('http').shutdownGraceMs)]);
    for (const run of this.runs.values()) run.controller.abort(new Error('shutting down'));
    await Promise.race([all(), delay(STOP_WAIT_MS)]);
    // The HTTP server closes next: let this instance's clients receive the end of the runs it ended.
    const followers = [...this.readers.values()].filter((r) => local.has(r.runId)).map((r) => r.closed);
    await Promise.race([Promise.all(followers), delay(READ_BLOCK_MS)]);
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber.off('message', this.onStop);
    this.subscriber.off('ready', this.subscribe);
    for (const reader of this.readers) reader.disconnect();
    this.readers.clear();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
