import type { RunLogEntry } from './run-store';

/**
 * The entries of a run as its own instance wrote them, ids included, so that this instance's followers
 * are served from memory instead of each blocking on a Redis connection of its own. It only holds entries
 * Redis confirmed while the lock was still held, hence the same prefix every Redis reader sees. On any
 * doubt (a failed write, the lock lost, an end not confirmed) it falls back: its followers go on from
 * Redis after the last entry they received.
 */
export class RunFeed {
  readonly entries: RunLogEntry[] = [];
  private state: 'live' | 'ended' | 'fallback' = 'live';
  private readonly listeners = new Set<() => void>();

  get fallenBack(): boolean {
    return this.state === 'fallback';
  }

  publish(ids: readonly string[], chunks: readonly string[]): void {
    if (this.state !== 'live') return;
    for (let i = 0; i < ids.length; i++) this.entries.push({ id: ids[i], chunk: chunks[i] });
    this.notify();
  }

  end(doneId: string): void {
    if (this.state !== 'live') return;
    this.entries.push({ id: doneId, done: true });
    this.state = 'ended';
    this.notify();
  }

  fallBack(): void {
    if (this.state !== 'live') return;
    this.state = 'fallback';
    this.notify();
  }

  /** The index of the first entry after `fromId`, as `XREAD` would read it. */
  indexAfter(fromId: string): number {
    if (fromId === '0') return 0;
    const from = parseId(fromId);
    const at = this.entries.findIndex((e) => compareIds(parseId(e.id), from) > 0);
    return at < 0 ? this.entries.length : at;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function parseId(id: string): [bigint, bigint] {
  const [ms, seq = '0'] = id.split('-');
  return [BigInt(ms), BigInt(seq)];
}

function compareIds(a: [bigint, bigint], b: [bigint, bigint]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1;
}
