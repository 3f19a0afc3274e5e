import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { httpJson, streamSse } from './http';
import type { ProcessMeter } from './proc';
import { percentile, round } from './stats';

export interface IdleFigures {
  /** Streams per step; two steps are opened one after the other. */
  perStep: number;
  /** Streams whose response headers arrived, after each step. */
  open: [number, number];
  /** Median VmRSS before any stream, after step 1 and after step 2. */
  rssKb: [number, number, number];
  /**
   * (VmRSS after step 2 − after step 1) / streams of step 2: the cost of one more open stream, without
   * what the first streams load once (modules, compiled graph, connection pools).
   */
  rssPerStreamKb: number | null;
  /** (VmRSS after step 1 − before) / streams of step 1, one-time costs included. */
  firstStepPerStreamKb: number | null;
  errors: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The median of a few VmRSS readings: one reading can land on a heap growth or a collection. */
async function medianRss(meter: ProcessMeter, samples = 5, everyMs = 200): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(meter.rssKb('VmRSS'));
    if (i < samples - 1) await sleep(everyMs);
  }
  return percentile(
    values.sort((a, b) => a - b),
    50,
  );
}

/**
 * Opens answer streams that the model holds before their first chunk (the caller scripts a long
 * first-chunk delay), in two equal steps, and reads the service's resident memory after each.
 */
export async function benchIdleStreams(
  baseUrl: string,
  meter: ProcessMeter,
  perStep: number,
  options: { openTimeoutMs: number; settleMs: number },
): Promise<IdleFigures> {
  const abort = new AbortController();
  // One signal ends every stream at once; each request listens to it.
  setMaxListeners(2 * perStep + 10, abort.signal);
  const errors = new Set<string>();
  const streams: Array<Promise<unknown>> = [];
  let open = 0;

  const openOne = async (onOpen: () => void) => {
    const created = await httpJson('POST', `${baseUrl}/threads`, { agentId: 'assistant' });
    const id = (created.json as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') {
      errors.add(`POST /threads: HTTP ${created.status}`);
      return;
    }
    const body = {
      id,
      messages: [{ id: randomUUID(), role: 'user', parts: [{ type: 'text', text: 'hold on' }] }],
      trigger: 'submit-message',
    };
    const stream = streamSse(`${baseUrl}/threads/${id}/stream`, body, () => undefined, {
      timeoutMs: 600_000,
      signal: abort.signal,
      onHeaders: (status) => (status === 200 ? onOpen() : errors.add(`stream: HTTP ${status}`)),
    });
    streams.push(stream);
  };

  const step = async () => {
    const target = open + perStep;
    let reached: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (reached = resolve));
    const onOpen = () => {
      if (++open >= target) reached();
    };
    // Opened in batches: the measurement is of streams held open, not of a connection storm.
    const opening = (async () => {
      for (let i = 0; i < perStep && !abort.signal.aborted; i += 50) {
        const batch = Math.min(50, perStep - i);
        await Promise.all(
          Array.from({ length: batch }, () =>
            openOne(onOpen).catch((err: unknown) => errors.add(String(err))),
          ),
        );
      }
    })();
    await Promise.race([all, sleep(options.openTimeoutMs)]);
    await Promise.race([opening, sleep(1000)]);
    await sleep(options.settleMs);
    return { open, rss: await medianRss(meter) };
  };

  await sleep(options.settleMs);
  const before = await medianRss(meter);
  const first = await step();
  const second = await step();
  abort.abort();
  await Promise.race([Promise.allSettled(streams), sleep(2000)]);
  const added = second.open - first.open;
  return {
    perStep,
    open: [first.open, second.open],
    rssKb: [before, first.rss, second.rss],
    rssPerStreamKb: added > 0 ? round((second.rss - first.rss) / added, 1) : null,
    firstStepPerStreamKb: first.open > 0 ? round((first.rss - before) / first.open, 1) : null,
    errors: [...errors].slice(0, 5),
  };
}
