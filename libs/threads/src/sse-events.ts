import type { MessageEvent } from '@nestjs/common';
import { map, Observable } from 'rxjs';
import type { RunLogEntry } from './runs/run-store';

/** Proxies commonly drop a response that stays silent for a minute; a tool call can take longer. */
export const KEEP_ALIVE_MS = 15_000;

/** Each log entry as an SSE event whose id is its position, so `Last-Event-ID` resumes right after it. */
export function toEvents(log: Observable<RunLogEntry>): Observable<MessageEvent> {
  return log.pipe(map((entry) => ({ id: entry.id, data: 'chunk' in entry ? entry.chunk : '[DONE]' })));
}

/**
 * Adds an SSE comment every `intervalMs`: clients, the AI SDK's parser included, ignore comments, and
 * a comment carries no id, so `Last-Event-ID` stays a log position.
 */
export function withKeepAlive(
  events: Observable<MessageEvent>,
  intervalMs = KEEP_ALIVE_MS,
): Observable<MessageEvent> {
  return new Observable<MessageEvent>((subscriber) => {
    const timer = setInterval(() => subscriber.next({ comment: 'keep-alive' }), intervalMs);
    const subscription = events.subscribe(subscriber);
    return () => {
      clearInterval(timer);
      subscription.unsubscribe();
    };
  });
}
