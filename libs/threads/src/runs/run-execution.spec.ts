import { describe, expect, it } from '@jest/globals';
import type { UIMessageChunk } from 'ai';
import { executeRun } from './run-execution';

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
});
