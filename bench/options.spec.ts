import { describe, expect, it } from '@jest/globals';
import { parseOptions } from './options';

describe('parseOptions', () => {
  it('runs 200 OAuth flows by default, 10 with --quick, and as many as --oauth-flows asks', () => {
    expect(parseOptions([]).oauthFlows).toBe(200);
    expect(parseOptions(['--quick']).oauthFlows).toBe(10);
    expect(parseOptions(['--oauth-flows', '500']).oauthFlows).toBe(500);
    expect(parseOptions(['--quick', '--oauth-flows', '30']).oauthFlows).toBe(30);
  });

  it('refuses an OAuth flow count that is not a whole number in range, naming the option', () => {
    for (const value of ['0', '2.5', 'many', '10001']) {
      expect(() => parseOptions(['--oauth-flows', value])).toThrow(
        '--oauth-flows takes a whole number in 1..10000',
      );
    }
    expect(() => parseOptions(['--oauth-flows'])).toThrow('--oauth-flows takes a whole number');
  });

  it('runs one unmeasured wave before each cell unless --no-first-wave is given', () => {
    expect(parseOptions([]).firstWave).toBe(true);
    expect(parseOptions(['--quick']).firstWave).toBe(true);
    expect(parseOptions(['--no-first-wave']).firstWave).toBe(false);
  });

  it('warms each target up with 2000 answers by default, 30 with --quick, as many as --warm-up asks, or none', () => {
    expect(parseOptions([]).warmUpAnswers).toBe(2000);
    expect(parseOptions(['--quick']).warmUpAnswers).toBe(30);
    expect(parseOptions(['--warm-up', '500']).warmUpAnswers).toBe(500);
    expect(parseOptions(['--warm-up', '0']).warmUpAnswers).toBe(0);
    expect(() => parseOptions(['--warm-up', '-1'])).toThrow('--warm-up takes a whole number in 0..100000');
  });

  it('grows threads to 0, 50 and 100 turns by default, 0 and 25 with --quick, as --history asks, or not at all', () => {
    expect(parseOptions([]).historyTurns).toEqual([0, 50, 100]);
    expect(parseOptions(['--quick']).historyTurns).toEqual([0, 25]);
    expect(parseOptions(['--history', '100,0,20,20']).historyTurns).toEqual([0, 20, 100]);
    expect(parseOptions(['--no-history']).historyTurns).toEqual([]);
  });

  it('refuses thread lengths that are not whole numbers or above 1000 turns, naming the option', () => {
    expect(() => parseOptions(['--history', '0,ten'])).toThrow(
      '--history takes comma-separated whole numbers',
    );
    expect(() => parseOptions(['--history', '-5'])).toThrow('--history takes comma-separated whole numbers');
    expect(() => parseOptions(['--history', '0,1001'])).toThrow(
      '--history takes thread lengths of at most 1000',
    );
  });
});
