import { describe, expect, it } from '@jest/globals';
import { runFirstWave, runScenario, warmUp, type Sample, type Target } from './load';
import { ProcessMeter } from './proc';

/** A target whose answers take `ttft` ms to their first token, recording each question it is asked. */
function fakeTarget(ttft: (question: string) => number, asked: string[]): Target {
  return {
    name: 'ours',
    meter: new ProcessMeter(process.pid),
    async answer(question): Promise<Sample> {
      asked.push(question);
      await new Promise((resolve) => setTimeout(resolve, 1));
      const ms = ttft(question);
      return { ok: true, ttftMs: ms, ttftWithThreadMs: ms + 1, tokens: 3 };
    },
  };
}

describe('runScenario', () => {
  it('runs a first wave of C users and summarizes it alone', async () => {
    const asked: string[] = [];
    // The first wave is slow (a cold target); the measured ones are fast.
    const target = fakeTarget((q) => (q.startsWith('question first.') ? 500 : 10), asked);
    const options = {
      concurrency: 4,
      waves: 2,
      deadline: Number.POSITIVE_INFINITY,
      timeoutMs: 1000,
      expectTokens: 3,
    };
    const first = await runFirstWave(target, options);
    expect(asked).toHaveLength(4);
    expect(asked.every((q) => q.startsWith('question first.'))).toBe(true);
    expect(first).toMatchObject({ answers: 4, failed: 0 });
    expect(first.ttftMs?.p50).toBe(500);
    expect(first.ttftWithThreadMs?.p50).toBe(501);
    const result = await runScenario(target, options);
    expect(asked).toHaveLength(12);
    expect(result).toMatchObject({ waves: 2, answers: 8, tokensReceived: 24, firstWave: null });
    expect(result.ttftMs?.p99).toBe(10);
  });

  it('counts a first wave answer with the wrong token count as failed', async () => {
    const target: Target = {
      ...fakeTarget(() => 10, []),
      answer: async () => ({ ok: true, ttftMs: 10, tokens: 2 }),
    };
    const first = await runFirstWave(target, {
      concurrency: 2,
      waves: 1,
      deadline: Number.POSITIVE_INFINITY,
      timeoutMs: 1000,
      expectTokens: 3,
    });
    expect(first).toMatchObject({ answers: 2, failed: 2, ttftMs: null });
  });
});

describe('warmUp', () => {
  /** A target whose every answer costs the CPU `cost` says (its meter counts what was spent). */
  function costlyTarget(cost: (answer: number) => number) {
    let spent = 0;
    let answered = 0;
    const meter = { cpuMs: () => spent } as unknown as ProcessMeter;
    const target: Target = {
      name: 'ours',
      meter,
      async answer(): Promise<Sample> {
        const n = answered++;
        spent += cost(n);
        await new Promise((resolve) => setTimeout(resolve, 1));
        // One answer in ten fails.
        return { ok: n % 10 !== 9, ttftMs: 1, tokens: 3 };
      },
    };
    return { target, answered: () => answered };
  }

  it('serves its answers in waves and reports what its first and last fifth cost per answer', async () => {
    // The first answers cost 10 ms of CPU each, the later ones 2: a process getting cheaper as it warms.
    const { target, answered } = costlyTarget((n) => (n < 20 ? 10 : 2));
    const figures = await warmUp(target, {
      answers: 100,
      concurrency: 10,
      timeoutMs: 1000,
      deadline: Number.POSITIVE_INFINITY,
    });
    expect(answered()).toBe(100);
    expect(figures).toMatchObject({
      answers: 100,
      failed: 10,
      concurrency: 10,
      first: { answers: 20, cpuMsPerAnswer: 10 },
      last: { answers: 20, cpuMsPerAnswer: 2 },
    });
  });

  it('measures whole waves when a fifth of the answers is not one', async () => {
    const { target } = costlyTarget((n) => (n < 10 ? 3 : 1));
    const figures = await warmUp(target, {
      answers: 30,
      concurrency: 10,
      timeoutMs: 1000,
      deadline: Number.POSITIVE_INFINITY,
    });
    expect(figures).toMatchObject({
      first: { answers: 10, cpuMsPerAnswer: 3 },
      last: { answers: 10, cpuMsPerAnswer: 1 },
    });
  });

  it('stops at its deadline after the first wave, and then reports no last part', async () => {
    const { target, answered } = costlyTarget(() => 1);
    const figures = await warmUp(target, { answers: 100, concurrency: 10, timeoutMs: 1000, deadline: 0 });
    expect(answered()).toBe(10);
    expect(figures).toMatchObject({ answers: 10, last: null });
  });
});
