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
  it('prints one line per thread length: CPU and wall time per answer, Redis per thread', () => {
    const lines = printed(
      results([
        {
          turnsBefore: 0,
          threads: 3,
          answers: 9,
          cpuMsPerAnswer: 6.1,
          wallMsPerAnswer: 5.9,
          redisKbPerThread: 31.2,
        },
        {
          turnsBefore: 100,
          threads: 3,
          answers: 9,
          cpuMsPerAnswer: 31.94,
          wallMsPerAnswer: 29.6,
          redisKbPerThread: 13428.4,
        },
      ]),
    );
    const at = lines.findIndex((l) => l.startsWith('long threads, in process'));
    expect(lines[at]).toContain('on 3 threads');
    expect(lines.slice(at + 1, at + 3)).toEqual([
      '      0 turns      6.1 ms CPU      5.9 ms        31 KB',
      '    100 turns     31.9 ms CPU     29.6 ms     13428 KB',
    ]);
  });

  it('says why when the measurement did not run', () => {
    expect(printed(results({ skipped: 'disabled (--no-history)' }))).toContain(
      'long threads: not available (disabled (--no-history))',
    );
  });
});
