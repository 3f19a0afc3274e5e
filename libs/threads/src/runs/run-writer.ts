import type { Logger } from '@nestjs/common';
import type { RunFeed } from './run-feed';
import type { RunStore } from './run-store';

const RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000];

/**
 * Appends a run's chunks to its log in order. A chunk leaves as soon as no batch is on its way (the
 * client's first token waits for no other); chunks that arrive while a batch is on its way wait and go
 * together in the next pipeline. A fast model costs few round trips and chunks never reorder.
 */
export class RunWriter {
  private queue: string[] = [];
  private flushing: Promise<void> | null = null;
  private expirySet = false;

  constructor(
    private readonly store: RunStore,
    private readonly threadId: string,
    private readonly runId: string,
    private readonly logger: Logger,
    private readonly feed?: RunFeed,
  ) {}

  append(chunk: unknown): void {
    this.queue.push(JSON.stringify(chunk));
    this.flushing ??= Promise.resolve()
      .then(() => this.flush())
      .finally(() => (this.flushing = null));
  }

  /** Resolves once every chunk appended so far is in Redis (or was given up on). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      await this.write(batch);
    }
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
