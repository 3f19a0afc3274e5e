import { describe, expect, it } from '@jest/globals';
import type { IdleFigures } from './idle';
import type { HeldFigure, LayerFigure, LayerName } from './layers';
import type { ScenarioResult } from './load';
import { evaluateStackBounds, evaluateTargets, type Results, type StackBounds } from './report';
import type { Summary } from './stats';

const summary = (p50: number, p99 = p50): Summary => ({
  n: 10,
  p50,
  p95: p99,
  p99,
  min: p50,
  max: p99,
  mean: p50,
});

function cell(
  target: 'floor' | 'ours',
  concurrency: number,
  ttft: Summary,
  withThread: Summary | null,
): ScenarioResult {
  return {
    target,
    concurrency,
    waves: 1,
    answers: 10,
    failed: 0,
    errors: [],
    ttftMs: ttft,
    ttftWithThreadMs: withThread,
    tokensReceived: 500,
    tokensPerSecond: 1000,
    wallMs: 500,
    cpuMs: 100,
    cpuMsPerAnswer: 10,
    cpuMsPerToken: 0.2,
    sideCpuMsPerAnswer: null,
    rssKbAfter: 1,
    peakRssKb: 1,
    firstWave: null,
  };
}

function layer(name: LayerName, cpuMsToFirstToken: number, cpuMsToFirstTokenP50: number): LayerFigure {
  return {
    layer: name,
    what: name,
    turns: 10,
    concurrency: 20,
    cpuMsPerAnswer: 25,
    wallMsPerAnswer: 30,
    addedCpuMs: null,
    firstTokenAnswers: 10,
    cpuMsToFirstToken,
    cpuMsToFirstTokenP50,
    wallMsToFirstToken: cpuMsToFirstToken,
    wallMsToFirstTokenP50: cpuMsToFirstTokenP50,
  };
}

function held(name: LayerName, rssPerAnswerKb: number): HeldFigure {
  return {
    layer: name,
    perStep: 200,
    open: [200, 400],
    rssKb: [1, 2, 3],
    rssPerAnswerKb,
    heapPerAnswerKb: rssPerAnswerKb,
  };
}

const idle: IdleFigures = {
  perStep: 200,
  open: [200, 400],
  rssKb: [100_000, 160_000, 230_000],
  step2BaseKb: 170_000,
  rssPerStreamKb: 300,
  firstStepPerStreamKb: 300,
  settleS: 45,
  settledRssKb: 208_000,
  settledPerStreamKb: 190,
  errors: [],
};

function results(): Results {
  const scenario = (concurrency: number) => ({
    tokens: 50,
    delayMs: 0,
    concurrency,
    floor: cell('floor', concurrency, summary(1, 2), null),
    ours: cell('ours', concurrency, summary(20, 30), summary(25, 3000)),
    peer: { skipped: 'test' },
    comparison: {
      overheadMs: { p50: 19, p95: 28, p99: 28 },
      overheadWithThreadMs: { p50: 24, p95: 2998, p99: 2998 },
      oursOverFloorTtftP50: 20,
      oursOverPeerTtftP50: null,
      oursOverPeerTtftWithThreadP95: null,
      oursOverPeerTokensPerSecond: null,
      oursOverPeerCpuPerAnswer: null,
      oursOverPeerPeakRss: null,
    },
  });
  return {
    startedAt: '',
    options: { concurrency: [1, 200], tokens: 50 },
    machine: { cpus: 2 },
    versions: {},
    peer: { available: false },
    warmUp: {},
    scenarios: [scenario(1), scenario(200)],
    idleStreams: idle,
    listTools: null,
    oauthCallback: null,
    layers: [layer('chat-model', 4, 3.5), layer('graph+checkpoints', 12, 10)],
    heldLayers: [held('chat-model', 50), held('graph+checkpoints', 135)],
    history: null,
    profile: null,
    targets: [],
    stackBounds: null,
    notes: [],
  };
}

function bounds(r: Results): StackBounds {
  const b = evaluateStackBounds(r);
  if ('notMeasured' in b) throw new Error(b.notMeasured);
  return b;
}

describe('evaluateStackBounds', () => {
  it('bounds one user by the CPU one run spends on one core before its first token', () => {
    const c1 = bounds(results()).ttft.find((t) => t.concurrency === 1);
    // Half of the 10 ms p50 would assume one run spread over both CPUs.
    expect(c1).toMatchObject({ p50AtLeastMs: 10, p99AtLeastMs: 10 });
    expect(c1?.cells[0]).toMatchObject({ overheadP50AtLeastMs: 9, overheadP99AtLeastMs: 8 });
  });

  it('bounds many users by their runs spread over every CPU', () => {
    const c200 = bounds(results()).ttft.find((t) => t.concurrency === 200);
    // p50: 100 runs of 12 ms on 2 CPUs; p99: 198 runs.
    expect(c200).toMatchObject({ p50AtLeastMs: 600, p99AtLeastMs: 1188 });
  });

  it("bounds the RSS per stream by the graph layer's held answers, beside ours once settled", () => {
    expect(bounds(results()).rssPerStream).toEqual({
      layer: 'graph+checkpoints',
      rssPerAnswerKb: 135,
      ours: 190,
      oursOverBound: 1.41,
    });
  });

  it('says why there is no RSS bound when the held answers were not measured', () => {
    const r = { ...results(), heldLayers: { skipped: 'not with --quick' } };
    expect(bounds(r).rssPerStream).toEqual({ notMeasured: 'held answers: not with --quick' });
  });
});

describe('evaluateTargets', () => {
  it('reads the RSS target right after opening and once settled', () => {
    const rss = evaluateTargets(results()).filter((t) => t.name.startsWith('RSS per open idle stream'));
    expect(rss.map((t) => [t.value, t.met])).toEqual([
      [300, false],
      [190, true],
    ]);
  });
});
