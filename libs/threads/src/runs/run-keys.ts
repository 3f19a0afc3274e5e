import type { RedisKeys } from '@auxilia/core';

/**
 * Keys of a thread's runs. They share the `{thread:ID}` hash tag, so the scripts that touch the lock,
 * the pointer to the last run and a run's log together stay valid on Redis Cluster.
 */
export class RunKeys {
  constructor(private readonly keys: RedisKeys) {}

  private tag(threadId: string): string {
    return `{thread:${threadId}}`;
  }

  /** Holds the id of the active run; expires when its instance stops renewing it. */
  lock(threadId: string): string {
    return this.keys.key('run', this.tag(threadId), 'lock');
  }

  /** The id of the most recent run, so that a run whose instance died can be found and failed. */
  last(threadId: string): string {
    return this.keys.key('run', this.tag(threadId), 'last');
  }

  /** The run's event log: one stream entry per UI message chunk, then a `done` entry. */
  log(threadId: string, runId: string): string {
    return this.keys.key('run', this.tag(threadId), 'log', runId);
  }

  /** Pub/sub channel carrying stop requests to the instance that owns the run. */
  stopChannel(): string {
    return this.keys.key('runs', 'stop');
  }
}
