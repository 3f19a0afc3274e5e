import type { Logger } from '@nestjs/common';
import type { UIMessageChunk } from 'ai';
import type { RunFeed } from './run-feed';
import type { RunStore } from './run-store';

const RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000];

/**
 * Deltas written less than this long after the previous batch wait for the rest of it and go together:
 * a model streaming a token every few ms then costs one round trip (and one SSE write) per interval
 * instead of one per token. A delta that comes with its part's start does not wait.
 */
export const WRITE_INTERVAL_MS = 20;

/**
 * Chunks that open a step or a part. What they open comes with them: the AI SDK's mapping produces a
 * step's start, a part's start and the part's first delta from one model chunk, in one turn of the event
 * loop.
 */
const OPENERS = new Set<UIMessageChunk['type']>([
  'start-step',
  'text-start',
  'reasoning-start',
  'tool-input-start',
]);

const DELTAS = new Set<UIMessageChunk['type']>(['text-delta', 'reasoning-delta', 'tool-input-delta']);

type Delta = Extract<UIMessageChunk, { type: 'text-delta' | 'reasoning-delta' | 'tool-input-delta' }>;

function isDelta(chunk: UIMessageChunk): chunk is Delta {
  return DELTAS.has(chunk.type);
}

function partOf(chunk: Delta): string {
  return chunk.type === 'tool-input-delta' ? chunk.toolCallId : chunk.id;
}

function textOf(chunk: Delta): string {
  return chunk.type === 'tool-input-delta' ? chunk.inputTextDelta : chunk.delta;
}

/** Whether a delta has nothing (provider metadata, say) but its type, its part and its text. */
function plain(chunk: Delta): boolean {
  return Object.keys(chunk).length === 3 && typeof textOf(chunk) === 'string';
}

/** Whether `next` adds to the same part as `last`, both plain. */
function joins(last: Delta, next: Delta): boolean {
  return last.type === next.type && partOf(last) === partOf(next) && plain(last) && plain(next);
}

/**
 * Appends a run's chunks to its log in order. Deltas of one part that wait together in a batch are
 * written as one delta carrying their texts in order: the same message for any reader, one log entry,
 * Redis command and SSE event instead of one per token. A chunk leaves as soon as no batch is on its way (the
 * client's first token waits for no other); chunks that arrive while a batch is on its way wait and go
 * together in the next pipeline. A chunk that opens a step or a part waits until the end of the loop
 * turn for what follows it, so that a step's first token is not one round trip behind its opening; a
 * batch of deltas alone waits until `intervalMs` after the previous batch, and any other chunk takes
 * the waiting deltas with it at once. A fast model costs few round trips and chunks never reorder.
 */
export class RunWriter {
  private queue: string[] = [];
  /**
   * The last chunk queued, when it is a delta that later deltas of its part may join: the writer's own
   * copy once joined (`joined`), written over its entry in the queue when the batch leaves.
   */
  private open: { chunk: Delta; at: number; joined: boolean } | null = null;
  private flushing: Promise<void> | null = null;
  private held: NodeJS.Immediate | null = null;
  private expirySet = false;
  /** Whether every chunk queued is a delta: only such a batch waits for the interval. */
  private onlyDeltas = true;
  private nextWriteAt = 0;
  private wake: (() => void) | null = null;
  /** Once the run has ended, nothing waits. */
  private draining = false;

  constructor(
    private readonly store: RunStore,
    private readonly threadId: string,
    private readonly runId: string,
    private readonly logger: Logger,
    private readonly feed?: RunFeed,
    private readonly intervalMs = WRITE_INTERVAL_MS,
  ) {}

  append(chunk: UIMessageChunk): void {
    if (isDelta(chunk)) {
      // A delta joined to a queued one is on its way with it: the flush or the held send is pending.
      if (this.open && joins(this.open.chunk, chunk)) return this.join(this.open, chunk);
      this.closeOpen();
      this.open = { chunk, at: this.queue.length, joined: false };
    } else {
      this.closeOpen();
    }
    this.queue.push(JSON.stringify(chunk));
    if (!isDelta(chunk)) {
      this.onlyDeltas = false;
      this.wake?.();
    }
    if (this.flushing) return;
    if (OPENERS.has(chunk.type)) {
      this.held ??= setImmediate(() => this.send());
      return;
    }
    this.send();
  }

  /** Resolves once every chunk appended so far is in Redis (or was given up on). */
  async drain(): Promise<void> {
    this.draining = true;
    if (this.held) this.send();
    this.wake?.();
    while (this.flushing) await this.flushing;
  }

  /** Adds `next`'s text to the open delta: to a copy of it the first time, which the writer owns. */
  private join(open: { chunk: Delta; at: number; joined: boolean }, next: Delta): void {
    if (!open.joined) open.chunk = { ...open.chunk };
    const chunk = open.chunk;
    if (chunk.type === 'tool-input-delta') chunk.inputTextDelta += textOf(next);
    else chunk.delta += textOf(next);
    open.joined = true;
  }

  /** Later deltas no longer join the open one, whose entry in the queue becomes what it was joined into. */
  private closeOpen(): void {
    if (this.open?.joined) this.queue[this.open.at] = JSON.stringify(this.open.chunk);
    this.open = null;
  }

  /** The chunks queued so far, as the log's entries. */
  private takeBatch(): string[] {
    this.closeOpen();
    const batch = this.queue;
    this.queue = [];
    return batch;
  }

  private send(): void {
    if (this.held) clearImmediate(this.held);
    this.held = null;
    this.flushing ??= this.flush();
  }

  private async flush(): Promise<void> {
    // Chunks appended by the same task go in the first batch.
    await undefined;
    try {
      while (this.queue.length > 0) {
        const wait = this.nextWriteAt - performance.now();
        if (wait > 0 && this.onlyDeltas && !this.draining) await this.pause(wait);
        this.nextWriteAt = performance.now() + this.intervalMs;
        this.onlyDeltas = true;
        await this.write(this.takeBatch());
      }
    } finally {
      // Right after the last look at the queue: a chunk appended from now on starts a new flush.
      this.flushing = null;
    }
  }

  /** Waits `ms`, or less when a chunk that is not a delta (or a drain) comes first. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private async write(batch: string[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { ids, held } = await this.store.append(this.threadId, this.runId, batch, !this.expirySet);
        this.expirySet = true;
        if (held) this.feed?.publish(ids, batch);
        else this.feed?.fallBack();
        return;
      } catch (err) {
        // Some entries may be in the log anyway: only Redis knows what its readers will see.
        this.feed?.fallBack();
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) {
          this.logger.error(
            `Run ${this.runId}: ${batch.length} chunk(s) could not be written (${String(err)}); giving up`,
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
