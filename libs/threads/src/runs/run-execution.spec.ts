import { describe, expect, it } from '@jest/globals';
import type { UIMessageChunk } from 'ai';
import { executeRun, RunFailure } from './run-execution';

function recorder() {
  const chunks: unknown[] = [];
  const writer = { append: (chunk: unknown) => void chunks.push(chunk), drain: () => Promise.resolve() };
  const logger = { warn: () => undefined, error: () => undefined };
  return { chunks, writer, logger };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('executeRun', () => {
  it('keeps nothing after the first finish', async () => {
    const { chunks, writer, logger } = recorder();
    await executeRun(
      async function* () {
        yield { type: 'start' } as UIMessageChunk;
        yield { type: 'finish' } as UIMessageChunk;
        yield { type: 'text-start', id: 'late' } as UIMessageChunk;
        yield { type: 'finish' } as UIMessageChunk;
      },
      new AbortController().signal,
      writer,
      logger,
    );
    expect(chunks).toEqual([{ type: 'start' }, { type: 'finish' }]);
  });

  it('adds the finish a source forgot', async () => {
    const { chunks, writer, logger } = recorder();
    await executeRun(
      async function* () {
        yield { type: 'start' } as UIMessageChunk;
      },
      new AbortController().signal,
      writer,
      logger,
    );
    expect(chunks).toEqual([{ type: 'start' }, { type: 'finish' }]);
  });

  it('treats a source that throws once aborted as stopped, not failed', async () => {
    const { chunks, writer, logger } = recorder();
    const controller = new AbortController();
    await executeRun(
      async function* (signal) {
        yield { type: 'start' } as UIMessageChunk;
        controller.abort();
        signal.throwIfAborted();
      },
      controller.signal,
      writer,
      logger,
    );
    expect(chunks).toEqual([{ type: 'start' }, { type: 'finish' }]);
  });

  it('abandons an aborted source that does not end within the grace period', async () => {
    const { chunks, writer, logger } = recorder();
    const controller = new AbortController();
    let returned = false;
    const stuck: AsyncIterable<UIMessageChunk> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<UIMessageChunk>>(() => undefined),
        return: () => {
          returned = true;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    const run = executeRun(() => stuck, controller.signal, writer, logger, 50);
    await sleep(20);
    controller.abort();
    await run;
    expect(chunks).toEqual([{ type: 'finish' }]);
    expect(returned).toBe(true);
  });

  it('turns the abort of a failed run into an error chunk, and keeps a stop an abort', async () => {
    const source = async function* (signal: AbortSignal) {
      yield { type: 'start' } as UIMessageChunk;
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      yield { type: 'abort' } as UIMessageChunk;
      yield { type: 'finish' } as UIMessageChunk;
    };
    const failed = recorder();
    const lost = new AbortController();
    setTimeout(() => lost.abort(new RunFailure('lock lost')), 10);
    await executeRun(source, lost.signal, failed.writer, failed.logger);
    expect(failed.chunks).toEqual([
      { type: 'start' },
      { type: 'error', errorText: 'lock lost' },
      { type: 'finish' },
    ]);

    const stopped = recorder();
    const stop = new AbortController();
    setTimeout(() => stop.abort(new Error('stopped')), 10);
    await executeRun(source, stop.signal, stopped.writer, stopped.logger);
    expect(stopped.chunks).toEqual([{ type: 'start' }, { type: 'abort' }, { type: 'finish' }]);
  });

  it('adds an error chunk when a failed run is abandoned before it says anything', async () => {
    const { chunks, writer, logger } = recorder();
    const lost = new AbortController();
    setTimeout(() => lost.abort(new RunFailure('lock lost')), 10);
    await executeRun(
      async function* () {
        yield { type: 'start' } as UIMessageChunk;
        await sleep(10_000);
      },
      lost.signal,
      writer,
      logger,
      20,
    );
    expect(chunks).toEqual([
      { type: 'start' },
      { type: 'error', errorText: 'lock lost' },
      { type: 'finish', finishReason: 'error' },
    ]);
  });
});
