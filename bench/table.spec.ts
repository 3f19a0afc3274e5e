import { describe, expect, it } from '@jest/globals';
import { emptyResults, type Results } from './report';
import { printTable } from './table';

function results(history: Results['history']): Results {
  const start = { options: {}, machine: { cpus: 2 }, versions: {}, peer: { available: false } };
  return { ...emptyResults(start), history };
}

function printed(r: Results): string[] {
  const lines: string[] = [];
  printTable(r, (line) => lines.push(line));
  return lines;
}

describe('printTable, long threads', () => {
  it('prints one line per thread length and checkpoints kept, and latest / all at each length', () => {
    const figure = (
      keep: 'all' | 'latest',
      turnsBefore: number,
      cpuMsPerAnswer: number,
      redisKbPerThread: number,
    ) => ({
      keep,
      turnsBefore,
      threads: 3,
      answers: 9,
      cpuMsPerAnswer,
      wallMsPerAnswer: cpuMsPerAnswer - 0.2,
      redisKbPerThread,
    });
    const lines = printed(
      results([
        figure('all', 0, 6.1, 31.2),
        figure('all', 100, 31.94, 13428.4),
        figure('latest', 0, 6.1, 20.8),
        figure('latest', 100, 24.9, 134.3),
      ]),
    );
    const at = lines.findIndex((l) => l.startsWith('long threads, in process'));
    expect(lines[at]).toContain('on 3 threads');
    expect(lines.slice(at + 1, at + 5)).toEqual([
      '  all        0 turns      6.1 ms CPU      5.9 ms        31 KB',
      '  all      100 turns     31.9 ms CPU     31.7 ms     13428 KB',
      '  latest     0 turns      6.1 ms CPU      5.9 ms        21 KB  (1.00 CPU, 0.667 Redis)',
      '  latest   100 turns     24.9 ms CPU     24.7 ms       134 KB  (0.78 CPU, 0.010 Redis)',
    ]);
  });

  it('says why when the measurement did not run', () => {
    expect(printed(results({ skipped: 'disabled (--no-history)' }))).toContain(
      'long threads: not available (disabled (--no-history))',
    );
  });
});
