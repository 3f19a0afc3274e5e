import { describe, expect, it } from '@jest/globals';
import {
  compareWaves,
  formatRows,
  median,
  parseCompareOptions,
  summarizeRounds,
  type Round,
  type Side,
} from './compare-report';
import type { ScenarioResult } from './load';
import { summarize } from './stats';

function round(side: Side, n: number, figures: { ttft: number; cpu: number | null; tps: number }): Round {
  const result: ScenarioResult = {
    target: 'ours',
    concurrency: 50,
    waves: 2,
    answers: 100,
    failed: 0,
    errors: [],
    ttftMs: summarize([figures.ttft, figures.ttft * 2]),
    ttftWithThreadMs: summarize([figures.ttft + 1, figures.ttft * 3]),
    tokensReceived: 5000,
    tokensPerSecond: figures.tps,
    wallMs: 1000,
    cpuMs: 100,
    cpuMsPerAnswer: figures.cpu,
    cpuMsPerToken: null,
    sideCpuMsPerAnswer: null,
    rssKbAfter: 1,
    peakRssKb: 1,
    firstWave: null,
  };
  return { side, round: n, result, redisCommandsPerAnswer: 100 };
}

describe('parseCompareOptions', () => {
  it('needs a base revision and fills in the defaults', () => {
    expect(() => parseCompareOptions([])).toThrow('--base is required');
    const o = parseCompareOptions(['--base', 'HEAD~2'], new Date('2026-11-26T12:00:00.000Z'));
    expect(o).toMatchObject({
      base: 'HEAD~2',
      rounds: 6,
      concurrency: [1, 50],
      delaysMs: [0],
    });
    expect(o.head).toBeUndefined();
    expect(o.nodeArgs).toEqual({ base: [], head: [] });
    expect(o.warmUp).toBe(30);
    expect(o.out).toBe('bench/results/compare-2026-11-26T12-00-00-000Z.json');
  });

  it('reads every option and refuses what git would take for an option', () => {
    const o = parseCompareOptions([
      '--base',
      'v1',
      '--head',
      'main',
      '--rounds',
      '4',
      '--concurrency',
      '1,200',
      '--delay-ms',
      '0,10',
      '--tokens',
      '20',
      '--samples',
      '400',
      '--warm-up',
      '3000',
      '--out',
      'x.json',
    ]);
    expect(o).toMatchObject({
      base: 'v1',
      head: 'main',
      rounds: 4,
      concurrency: [1, 200],
      delaysMs: [0, 10],
      tokens: 20,
      samples: 400,
      warmUp: 3000,
      out: 'x.json',
    });
    expect(() => parseCompareOptions(['--base', '--upload-pack=x'])).toThrow('--base takes a git revision');
    expect(() => parseCompareOptions(['--base', 'v1', '--rounds', '0'])).toThrow(
      '--rounds takes a whole number',
    );
    expect(() => parseCompareOptions(['--base', 'v1', '--fast'])).toThrow('unknown option --fast');
    expect(() => parseCompareOptions(['--base', 'v1', '--warm-up', '0'])).toThrow(
      '--warm-up takes a whole number',
    );
  });

  it('gives each build its own Node flags, and takes flags only', () => {
    const o = parseCompareOptions([
      '--base',
      'HEAD',
      '--head',
      'HEAD',
      '--head-node-args',
      ' --interrupt-budget=32768  --max-semi-space-size=32 ',
    ]);
    expect(o.nodeArgs).toEqual({ base: [], head: ['--interrupt-budget=32768', '--max-semi-space-size=32'] });
    expect(parseCompareOptions(['--base', 'v1', '--base-node-args', '--maglev']).nodeArgs).toEqual({
      base: ['--maglev'],
      head: [],
    });
    for (const bad of ['', 'script.js', '--maglev -e', '--require x.js', '--flag=a b;c']) {
      expect(() => parseCompareOptions(['--base', 'v1', '--head-node-args', bad])).toThrow(
        '--head-node-args takes Node or V8 flags',
      );
    }
    expect(() => parseCompareOptions(['--base', 'v1', '--base-node-args'])).toThrow(
      '--base-node-args takes Node or V8 flags',
    );
  });
});

describe('compareWaves', () => {
  it('spreads the samples over waves of C users, at most 50 answers one at a time', () => {
    expect(compareWaves({ samples: 100 }, 1)).toBe(50);
    expect(compareWaves({ samples: 20 }, 1)).toBe(20);
    expect(compareWaves({ samples: 100 }, 50)).toBe(2);
    expect(compareWaves({ samples: 100 }, 200)).toBe(1);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('summarizeRounds', () => {
  const rounds = [
    round('base', 0, { ttft: 10, cpu: 20, tps: 1000 }),
    round('head', 0, { ttft: 8, cpu: 21, tps: 1100 }),
    round('head', 1, { ttft: 9, cpu: 18, tps: 1200 }),
    round('base', 1, { ttft: 12, cpu: 19, tps: 900 }),
    round('base', 2, { ttft: 11, cpu: null, tps: 1000 }),
    round('head', 2, { ttft: 12, cpu: 17, tps: 950 }),
  ];
  const rows = summarizeRounds(rounds);
  const row = (name: string) => rows.find((r) => r.figure === name);

  it('gives each build its median and spread, and head / base', () => {
    expect(row('TTFT p50 (ms)')).toMatchObject({
      base: { median: 11, min: 10, max: 12, rounds: 3 },
      head: { median: 9, min: 8, max: 12, rounds: 3 },
      ratio: 0.82,
    });
  });

  it('counts the rounds head did better in, lower or higher as the figure wants', () => {
    // TTFT: 8 < 10, 9 < 12, 12 > 11.
    expect(row('TTFT p50 (ms)')).toMatchObject({ headBetter: 2, headWorse: 1, paired: 3 });
    // tokens/s: 1100 > 1000, 1200 > 900, 950 < 1000.
    expect(row('tokens/s')).toMatchObject({ headBetter: 2, headWorse: 1, paired: 3 });
    // Equal in every round: neither.
    expect(row('failed answers')).toMatchObject({ headBetter: 0, headWorse: 0, paired: 3 });
  });

  it('leaves out rounds where a figure is missing', () => {
    // Base has no CPU figure in round 2: two paired rounds, 21 > 20 and 18 < 19.
    expect(row('CPU ms / answer')).toMatchObject({
      base: { median: 19.5, rounds: 2 },
      head: { median: 18, rounds: 3 },
      headBetter: 1,
      headWorse: 1,
      paired: 2,
    });
  });

  it('prints one aligned line per figure', () => {
    const lines = formatRows(rows);
    expect(lines).toHaveLength(rows.length + 1);
    expect(lines[0]).toMatch(
      /^figure\s+base median \(min–max\)\s+head median \(min–max\)\s+head\/base\s+rounds head better\/worse$/,
    );
    expect(lines[1]).toMatch(/^TTFT p50 \(ms\)\s+11 \(10–12\)\s+9 \(8–12\)\s+0\.82\s+2\/1 of 3$/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});
