import { describe, expect, it } from '@jest/globals';
import type { MessageEvent } from '@nestjs/common';
import { lastValueFrom, Subject, toArray } from 'rxjs';
import type { RunLogEntry } from './runs/run-store';
import { toEvents, withKeepAlive } from './sse-events';

describe('SSE events of a run', () => {
  it('maps chunks to data events with their log position as id, and the end marker to [DONE]', async () => {
    const log = new Subject<RunLogEntry>();
    const events = lastValueFrom(toEvents(log).pipe(toArray()));
    log.next({ id: '1-0', chunk: '{"type":"start"}' });
    log.next({ id: '1-1', done: true });
    log.complete();
    expect(await events).toEqual([
      { id: '1-0', data: '{"type":"start"}' },
      { id: '1-1', data: '[DONE]' },
    ]);
  });

  it('interleaves id-less keep-alive comments while the run is quiet, and stops with the run', async () => {
    const source = new Subject<MessageEvent>();
    const received: MessageEvent[] = [];
    const done = new Promise<void>((resolve) =>
      withKeepAlive(source, 10).subscribe({ next: (e) => received.push(e), complete: resolve }),
    );
    await new Promise((r) => setTimeout(r, 35));
    source.next({ id: '1-0', data: '[DONE]' });
    source.complete();
    await done;
    const count = received.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(received.length).toBe(count);
    expect(received.at(-1)).toEqual({ id: '1-0', data: '[DONE]' });
    expect(received.slice(0, -1).length).toBeGreaterThan(0);
    for (const event of received.slice(0, -1)) expect(event).toEqual({ comment: 'keep-alive' });
  });
});
