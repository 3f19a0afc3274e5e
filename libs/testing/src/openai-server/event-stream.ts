import type { ServerResponse } from 'node:http';
import { DONE_FRAME } from './wire';

/** The pending timer of one response, cleared when the response closes for any reason. */
export interface InFlight {
  timer?: NodeJS.Timeout;
}

export interface Pacing {
  /** Pause before the first frame. */
  first: number;
  /** Pause before each later paced frame. */
  every: number;
  /** Frames past this count (the usage chunk) follow the previous one without a pause. */
  pacedChunks: number;
  dropAfterChunks?: number;
}

/** Sends SSE frames then `[DONE]` on their schedule, or destroys the socket after `dropAfterChunks` of them. */
export function writeEventStream(
  res: ServerResponse,
  state: InFlight,
  frames: readonly string[],
  requestId: string,
  pacing: Pacing,
): void {
  const { first, every, pacedChunks, dropAfterChunks } = pacing;
  const drop = dropAfterChunks === undefined ? -1 : Math.max(0, Math.min(dropAfterChunks, frames.length));
  const delayBefore = (k: number) => (k === 0 ? first : k < pacedChunks ? every : 0);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': requestId,
  });
  // Headers go out before the first delay so that the client's request resolves like a real one.
  res.flushHeaders();
  let i = 0;
  const step = (): void => {
    state.timer = undefined;
    // Frames due at the same instant go out in one write: no event-loop turn per chunk.
    let buf = '';
    for (;;) {
      if (i === drop) {
        // Destroying only once the write has reached the kernel lets the client read those chunks first;
        // a comment line gets the headers out when no chunk precedes the drop.
        res.write(buf || ': scripted drop\n\n', () => res.destroy());
        return;
      }
      if (i === frames.length) {
        res.end(buf + DONE_FRAME);
        return;
      }
      buf += frames[i++];
      if (i < frames.length && i !== drop && delayBefore(i) > 0) break;
    }
    if (res.write(buf)) schedule();
    else res.once('drain', schedule);
  };
  // Deadlines sit on one timeline from the start, so timer lateness does not pile up over 50 chunks and
  // a benchmark can count on first + every * (chunks - 1) for the model's share.
  let due = performance.now();
  const schedule = (): void => {
    due += delayBefore(i);
    state.timer = setTimeout(step, Math.max(0, due - performance.now()));
  };
  if (delayBefore(0) > 0) schedule();
  else step();
}
