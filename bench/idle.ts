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
  /** Median VmRSS just before step 2: right after step 1, or after step 1 and a wait of `settleS`. */
  step2BaseKb: number;
  /**
   * (VmRSS 1 s after step 2 − just before it) / streams of step 2: the cost of one more open stream right
   * after it opened, its opening's garbage included, without what the first streams load once (modules,
   * compiled graph, connection pools).
   */
  rssPerStreamKb: number | null;
  /** (VmRSS after step 1 − before) / streams of step 1, one-time costs included. */
  firstStepPerStreamKb: number | null;
  /** Seconds the instance was left alone before the first reading and after step 2 (0: not done). */
  settleS: number;
  /** Median VmRSS after step 2 and a wait of `settleS`: the collection of an idle process has run. */
  settledRssKb: number | null;
  /** (settled VmRSS after step 2 − settled before it) / streams of step 2: an open stream's own cost. */
  settledPerStreamKb: number | null;
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
  options: { openTimeoutMs: number; settleMs: number; settleS: number },
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

  // Right after opening, VmRSS also holds the garbage of the opening (requests, checkpoint writes, Redis
  // replies), already promoted; an idle V8 heap is collected some 20–35 s after its last allocations
  // (seen on these machines). With a wait, "before" is read once the start-up's garbage has gone, and a
  // last reading once the opening's has.
  const settled = async () => {
    await sleep(options.settleS * 1000);
    return medianRss(meter);
  };
  await sleep(options.settleS > 0 ? options.settleS * 1000 : options.settleMs);
  const before = await medianRss(meter);
  const first = await step();
  // Step 2's growth is counted from the reading just before it: right after step 1, or settled.
  const step2Base = options.settleS > 0 ? await settled() : first.rss;
  const second = await step();
  const settledRssKb = options.settleS > 0 ? await settled() : null;
  abort.abort();
  await Promise.race([Promise.allSettled(streams), sleep(2000)]);
  const added = second.open - first.open;
  return {
    perStep,
    open: [first.open, second.open],
    rssKb: [before, first.rss, second.rss],
    step2BaseKb: step2Base,
    rssPerStreamKb: added > 0 ? round((second.rss - step2Base) / added, 1) : null,
    firstStepPerStreamKb: first.open > 0 ? round((first.rss - before) / first.open, 1) : null,
    settleS: options.settleS,
    settledRssKb,
    settledPerStreamKb:
      settledRssKb !== null && added > 0 ? round((settledRssKb - step2Base) / added, 1) : null,
    errors: [...errors].slice(0, 5),
  };
}
