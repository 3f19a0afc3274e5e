/**
 * Key layout. Every key of one thread carries the hash tag `{thread:<id>}`, so a script or a MULTI over
 * a thread's keys stays in one Redis Cluster slot. Only the thread registry (`threads`) is shared between
 * threads; it is written outside those scripts and transactions for that reason.
 *
 * Ids and namespaces are URI-component encoded: a `}` or `:` in a thread id would otherwise move the
 * hash tag or make two different (namespace, checkpoint) pairs spell the same key. Plain ids such as
 * uuids are left as they are.
 */
export class CheckpointKeys {
  constructor(readonly prefix: string) {}

  /** Set of thread ids: `list()` without a thread id has to find every thread. */
  threads(): string {
    return `${this.prefix}threads`;
  }

  /** Set of every other key of the thread, so `deleteThread` can remove writes of checkpoints never put. */
  registry(threadId: string): string {
    return `${this.thread(threadId)}:keys`;
  }

  /** Set of the checkpoint namespaces the thread has checkpoints in. */
  namespaces(threadId: string): string {
    return `${this.thread(threadId)}:namespaces`;
  }

  /** Sorted set (all scores 0) of checkpoint ids: uuid6 ids sort by time, so lex order is age order. */
  index(threadId: string, ns: string): string {
    return `${this.ns(threadId, ns)}:checkpoints`;
  }

  /** Hash: serialized checkpoint without its channel values, metadata and parent id. */
  checkpoint(threadId: string, ns: string, checkpointId: string): string {
    return `${this.ns(threadId, ns)}:checkpoint:${encodeURIComponent(checkpointId)}`;
  }

  /** Hash of channel values, one field per (channel, version), shared by the checkpoints of a namespace. */
  blobs(threadId: string, ns: string): string {
    return `${this.ns(threadId, ns)}:blobs`;
  }

  /** Hash of the pending writes stored against one checkpoint, one field per (task id, index). */
  writes(threadId: string, ns: string, checkpointId: string): string {
    return `${this.ns(threadId, ns)}:writes:${encodeURIComponent(checkpointId)}`;
  }

  private thread(threadId: string): string {
    return `${this.prefix}{thread:${encodeURIComponent(threadId)}}`;
  }

  private ns(threadId: string, ns: string): string {
    return `${this.thread(threadId)}:ns:${encodeURIComponent(ns)}`;
  }
}

export function blobField(channel: string, version: number | string): string {
  return JSON.stringify([channel, String(version)]);
}

export function writeField(taskId: string, idx: number): string {
  return JSON.stringify([taskId, idx]);
}
