import type { Logger } from '@nestjs/common';
import type { UIMessageChunk } from 'ai';
import type { RunSource } from './run-manager';
import type { RunWriter } from './run-writer';

/** How long an aborted source may take to end by itself before it is abandoned. */
export const ABORT_GRACE_MS = 5000;

const ABANDONED = Symbol('abandoned');

/**
 * An abort that is a failure, not a stop (the run lost its lock): the log must say `error`, where a
 * stop by the user says `abort`.
 */
export class RunFailure extends Error {}

/**
 * Pulls the source into the log and guarantees the log's shape whatever happens: nothing after the
 * first `finish`, and a `finish` at the end (after an `error` chunk when the source broke).
 */
export async function executeRun(
  source: RunSource,
  signal: AbortSignal,
  writer: Pick<RunWriter, 'append' | 'drain'>,
  logger: Pick<Logger, 'warn' | 'error'>,
  graceMs = ABORT_GRACE_MS,
): Promise<void> {
  let finished = false;
  let failed = false;
  let iterator: AsyncIterator<UIMessageChunk> | undefined;
  const abandon = new Abandon(signal, graceMs);
  try {
    iterator = source(signal)[Symbol.asyncIterator]();
    for (;;) {
      const next = await abandon.race(iterator.next());
      if (next === ABANDONED) {
        logger.warn('An aborted run did not end in time; abandoning its source');
        void iterator.return?.().catch(() => undefined);
        break;
      }
      if (next.done) break;
      if (finished) continue;
      if (next.value.type === 'abort' && signal.reason instanceof RunFailure) {
        writer.append({ type: 'error', errorText: signal.reason.message });
        failed = true;
        continue;
      }
      writer.append(next.value);
      if (next.value.type === 'finish') finished = true;
      if (next.value.type === 'error') failed = true;
    }
  } catch (err) {
    // A source that throws because it was stopped has not failed.
    if (!signal.aborted || signal.reason instanceof RunFailure) {
      logger.error(`A run failed: ${err instanceof Error ? err.message : String(err)}`);
      const errorText =
        signal.reason instanceof RunFailure ? signal.reason.message : 'The run failed unexpectedly.';
      if (!finished) writer.append({ type: 'error', errorText });
      failed = true;
    }
  }
  if (!finished && !failed && signal.reason instanceof RunFailure) {
    writer.append({ type: 'error', errorText: signal.reason.message });
    failed = true;
  }
  if (!finished) writer.append(failed ? { type: 'finish', finishReason: 'error' } : { type: 'finish' });
  abandon.dispose();
  await writer.drain();
}

/**
 * Once the run is aborted, gives the source a grace period to end; after it, the chunk still awaited is
 * given up on. One listener for the whole run, not one per chunk.
 */
class Abandon {
  private timer?: NodeJS.Timeout;
  private expired = false;
  private wake?: (value: typeof ABANDONED) => void;
  private readonly onAbort = () => {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.wake?.(ABANDONED);
    }, this.graceMs);
  };

  constructor(
    private readonly signal: AbortSignal,
    private readonly graceMs: number,
  ) {
    if (signal.aborted) this.onAbort();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The source's next step, or ABANDONED once the grace period after an abort is over. */
  race<T>(next: Promise<T>): Promise<T | typeof ABANDONED> {
    // If the source is abandoned, its pending step may still reject later: that must not go unhandled.
    next.catch(() => undefined);
    if (this.expired) return Promise.resolve(ABANDONED);
    return new Promise<T | typeof ABANDONED>((resolve, reject) => {
      this.wake = resolve;
      next.then(resolve, reject);
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.signal.removeEventListener('abort', this.onAbort);
  }
}
