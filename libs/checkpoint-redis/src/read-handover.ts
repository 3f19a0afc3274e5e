import type { RunnableConfig } from '@langchain/core/runnables';
import type { CheckpointTuple } from '@langchain/langgraph-checkpoint';

/** The `configurable` key under which a run carries a `ReadHandover`. */
export const READ_HANDOVER_KEY = 'redis_saver_read_handover';

/**
 * The latest checkpoint of a thread, as a caller has just read it, handed to the run it starts: the run's
 * own first read of that checkpoint takes it instead of reading and decoding the whole thread again.
 *
 * Taken once, and only by a read of the latest checkpoint of the same thread's root namespace: any later
 * read goes to Redis. The caller must make sure nothing writes to the thread between its read and the run's
 * (e.g. it holds the thread's run lock); otherwise the run would start from a state that is no longer the
 * latest.
 */
export class ReadHandover {
  private taken = false;

  constructor(
    readonly threadId: string,
    private tuple: CheckpointTuple | undefined,
  ) {}

  /** `configurable` members that hand this read to a run. */
  configurable(): Record<string, ReadHandover> {
    return { [READ_HANDOVER_KEY]: this };
  }

  /** The handed-over read for this read of a checkpoint, or null when it is not one this may answer. */
  take(
    threadId: string,
    ns: string,
    checkpointId: string | undefined,
  ): { tuple: CheckpointTuple | undefined } | null {
    if (this.taken || threadId !== this.threadId || ns !== '' || checkpointId) return null;
    this.taken = true;
    const tuple = this.tuple;
    // The run keeps its config (and this) to its end: the thread it decoded need not stay with it.
    this.tuple = undefined;
    return { tuple };
  }
}

/** The handover a run's config carries, if any. */
export function handoverOf(config: RunnableConfig): ReadHandover | undefined {
  const handover: unknown = config.configurable?.[READ_HANDOVER_KEY];
  return handover instanceof ReadHandover ? handover : undefined;
}
