import type { Thread } from './dto/thread.dto';

export interface ThreadPage {
  items: Thread[];
  nextCursor: string | null;
}

export interface ThreadQuery {
  agentId?: string;
  limit: number;
  /** An opaque position returned by the previous page. */
  cursor?: string;
}

/** Where threads are kept; the DI token, bound to the Redis implementation in ThreadsModule. */
export abstract class ThreadsRepository {
  abstract create(thread: Thread): Promise<void>;
  abstract get(id: string): Promise<Thread | null>;
  /** Newest first. */
  abstract list(query: ThreadQuery): Promise<ThreadPage>;
  abstract update(thread: Thread): Promise<void>;
  /** False when there was no such thread. */
  abstract delete(id: string): Promise<boolean>;
}

/** Thrown for a cursor this API did not produce (a 400 for the client). */
export class InvalidCursorError extends Error {}
