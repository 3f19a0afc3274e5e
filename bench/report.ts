import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IdleFigures } from './idle';
import type { HeldFigure, HistoryFigure, LayerFigure, LayerName } from './layers';
import type { ScenarioResult, TargetName, WarmUpFigures } from './load';
import type { CallbackFigures, ListToolsFigures, Unavailable } from './mcp';
import type { ProfileSummary } from './profile';
import { diff, ratio, round, type Summary } from './stats';

export interface Skipped {
  skipped: string;
}

export type Cell = ScenarioResult | Skipped;

export interface Scenario {
  tokens: number;
  delayMs: number;
  concurrency: number;
  floor: Cell;
  ours: Cell;
  peer: Cell;
  comparison: Comparison;
}

export interface Comparison {
  /** ours − floor, stream request only (ms). */
  overheadMs: { p50: number | null; p95: number | null; p99: number | null };
  /** ours with thread creation − floor (ms). */
  overheadWithThreadMs: { p50: number | null; p95: number | null; p99: number | null };
  oursOverFloorTtftP50: number | null;
  oursOverPeerTtftP50: number | null;
  oursOverPeerTtftWithThreadP95: number | null;
  oursOverPeerTokensPerSecond: number | null;
  oursOverPeerCpuPerAnswer: number | null;
  oursOverPeerPeakRss: number | null;
}

export interface Target {
  name: string;
  goal: string;
  value: number | null;
  unit: string;
  met: boolean | null;
  where: string;
}

export interface Results {
  startedAt: string;
  finishedAt?: string;
  options: Record<string, unknown>;
  machine: Record<string, unknown>;
  versions: Record<string, unknown>;
  peer: { available: boolean; reason?: string; versions?: Record<string, string> };
  /** What each target's warm-up cost, before the first cell. */
  warmUp: Partial<Record<TargetName, WarmUpFigures>>;
  scenarios: Scenario[];
  idleStreams: IdleFigures | Unavailable | Skipped | null;
  listTools: ListToolsFigures | Unavailable | Skipped | null;
  oauthCallback: CallbackFigures | Unavailable | Skipped | null;
  /** The CPU per answer of each layer the service stacks, measured in process. */
  layers: LayerFigure[] | Unavailable | Skipped | null;
  /** The memory each layer keeps per answer held open before its first chunk, measured in process. */
  heldLayers: HeldFigure[] | Unavailable | Skipped | null;
  /** The `turn` layer's CPU per answer and Redis memory per thread as threads grow, in process. */
  history: HistoryFigure[] | Unavailable | Skipped | null;
  profile: ProfileSummary | null;
  targets: Target[];
  /** What the layers of this run imply for any service built on them, on this machine. */
  stackBounds: StackBounds | NotMeasured | null;
  notes: string[];
}

/** A run's results before anything is measured: what it ran with and on, and every figure still to come. */
export function emptyResults(start: Pick<Results, 'options' | 'machine' | 'versions' | 'peer'>): Results {
  return {
    startedAt: new Date().toISOString(),
    ...start,
    warmUp: {},
    scenarios: [],
    idleStreams: null,
    listTools: null,
    oauthCallback: null,
    layers: null,
    heldLayers: null,
    history: null,
    profile: null,
    targets: [],
    stackBounds: null,
    notes: [],
  };
}

export interface NotMeasured {
  notMeasured: string;
}

/**
 * Bounds that follow from the layers' figures and the machine's CPU count alone, whatever the service
 * built on the layers does on top of them.
 */
export interface StackBounds {
  cpus: number;
  assumptions: string[];
  /** TTFT lower bounds for C users arriving together, one per C measured. */
  ttft: TtftBound[];
  /** Upper bounds of the tokens/s of the whole machine, one per layer. */
  tokensPerSecond: ThroughputBound[];
  /** The least RSS per open stream, from the layer's answers held open in process. */
  rssPerStream: RssBound | NotMeasured;
}

export interface RssBound {
  layer: LayerName;
  /** The layer's VmRSS per answer held open before its first chunk, after full collections. */
  rssPerAnswerKb: number;
  /** Ours per open idle stream once settled, and ours / the bound. */
  ours: number | null;
  oursOverBound: number | null;
}

export interface TtftBound {
  concurrency: number;
  layer: LayerName;
  /** The layer's mean CPU from an answer's start to its first token, answers one at a time. */
  cpuMsToFirstToken: number;
  /** max(cpuMsToFirstTokenP50, ceil(0.5·C) / cpus × cpuMsToFirstToken) */
  p50AtLeastMs: number;
  /** max(cpuMsToFirstTokenP50, ceil(0.99·C) / cpus × cpuMsToFirstToken) */
  p99AtLeastMs: number;
  /** Per cell of this C (one per model pace). */
  cells: TtftBoundCell[];
}

export interface TtftBoundCell {
  delayMs: number;
  /**
   * The floor's TTFT in the cell, and the overhead over it the bound leaves at least, counted from the
   * users' start (for ours: from thread creation; the stream requests alone do not arrive together).
   */
  floorP50Ms: number | null;
  floorP99Ms: number | null;
  overheadP50AtLeastMs: number | null;
  overheadP99AtLeastMs: number | null;
  /**
   * Ours counted from thread creation: the users of a wave start together, as the bound assumes (a
   * stream request comes after its thread's creation, so they do not arrive together).
   */
  oursP50Ms: number | null;
  oursP99Ms: number | null;
  oursP50OverBound: number | null;
  oursP99OverBound: number | null;
}

export interface ThroughputBound {
  layer: LayerName;
  /** The layer's CPU per answer, 20 answers at a time. */
  cpuMsPerAnswer: number;
  tokensPerAnswer: number;
  /** cpus × 1000 / cpuMsPerAnswer × tokensPerAnswer */
  tokensPerSecondAtMost: number;
  /** Ours in the cell of the tokens/s target, and ours / the bound. */
  where: string;
  ours: number | null;
  oursOverBound: number | null;
}

/** Why a figure is missing: the reason it was unavailable, or why it was skipped. */
export function whyMissing(figure: object): string {
  if ('reason' in figure && typeof figure.reason === 'string') return figure.reason;
  if ('skipped' in figure && typeof figure.skipped === 'string') return figure.skipped;
  return '';
}

export function measured(cell: Cell | undefined): ScenarioResult | undefined {
  return cell && 'target' in cell ? cell : undefined;
}

export function compare(floor: Cell, ours: Cell, peer: Cell): Comparison {
  const f = measured(floor);
  const o = measured(ours);
  const p = measured(peer);
  const over = (s: Summary | null | undefined) => ({
    p50: diff(s?.p50, f?.ttftMs?.p50),
    p95: diff(s?.p95, f?.ttftMs?.p95),
    p99: diff(s?.p99, f?.ttftMs?.p99),
  });
  return {
    overheadMs: over(o?.ttftMs),
    overheadWithThreadMs: over(o?.ttftWithThreadMs),
    oursOverFloorTtftP50: ratio(o?.ttftMs?.p50, f?.ttftMs?.p50),
    oursOverPeerTtftP50: ratio(o?.ttftMs?.p50, p?.ttftMs?.p50, 3),
    oursOverPeerTtftWithThreadP95: ratio(o?.ttftWithThreadMs?.p95, p?.ttftWithThreadMs?.p95, 3),
    oursOverPeerTokensPerSecond: ratio(o?.tokensPerSecond, p?.tokensPerSecond),
    oursOverPeerCpuPerAnswer: ratio(o?.cpuMsPerAnswer, p?.cpuMsPerAnswer, 3),
    oursOverPeerPeakRss: ratio(o?.peakRssKb, p?.peakRssKb),
  };
}

function find(results: Results, c: number, delays: number[]): Scenario | undefined {
  for (const d of delays) {
    const s = results.scenarios.find((x) => x.concurrency === c && x.delayMs === d);
    if (s) return s;
  }
  return undefined;
}

function target(
  name: string,
  goal: string,
  value: number | null | undefined,
  unit: string,
  ok: (v: number) => boolean,
  where: string,
): Target {
  const v = value ?? null;
  return { name, goal, value: v, unit, met: v === null ? null : ok(v), where };
}

/** The targets, read from the figures; null when the figure was not measured. */
export function evaluateTargets(results: Results): Target[] {
  const c1 = find(results, 1, [0, 10]);
  const c200slow = find(results, 200, [10, 0]);
  const c200fast = find(results, 200, [0, 10]);
  const at = (s: Scenario | undefined) => (s ? `C=${s.concurrency}, ${s.delayMs} ms/token` : 'not measured');
  const ours200 = measured(c200fast?.ours);
  const peer200 = measured(c200fast?.peer);
  const idle =
    results.idleStreams && 'rssPerStreamKb' in results.idleStreams ? results.idleStreams : undefined;
  const cb =
    results.oauthCallback && 'deliveryMs' in results.oauthCallback ? results.oauthCallback : undefined;
  const lt = results.listTools && 'warmMs' in results.listTools ? results.listTools : undefined;
  return [
    target(
      'TTFT overhead p50 at C=1 (with thread creation)',
      '≤ 10 ms',
      c1?.comparison.overheadWithThreadMs.p50,
      'ms',
      (v) => v <= 10,
      at(c1),
    ),
    target(
      'TTFT overhead p50 at C=1 (stream request only)',
      '≤ 10 ms',
      c1?.comparison.overheadMs.p50,
      'ms',
      (v) => v <= 10,
      at(c1),
    ),
    target(
      'TTFT overhead p99 at C=200 (with thread creation)',
      '≤ 500 ms',
      c200slow?.comparison.overheadWithThreadMs.p99,
      'ms',
      (v) => v <= 500,
      at(c200slow),
    ),
    target(
      'tokens/s delivered at C=200',
      '≥ 10,000',
      ours200?.tokensPerSecond,
      'tokens/s',
      (v) => v >= 10_000,
      at(c200fast),
    ),
    target(
      'tokens/s at C=200, ours / peer',
      '≥ 7',
      ratio(ours200?.tokensPerSecond, peer200?.tokensPerSecond),
      '×',
      (v) => v >= 7,
      at(c200fast),
    ),
    target('CPU per answer at C=200', '≤ 5 ms', ours200?.cpuMsPerAnswer, 'ms', (v) => v <= 5, at(c200fast)),
    target(
      'RSS per open idle stream',
      '≤ 200 KB',
      idle?.rssPerStreamKb,
      'KB',
      (v) => v <= 200,
      idle ? `${idle.open[1]} streams` : 'not measured',
    ),
    target(
      'RSS per open idle stream, settled',
      '≤ 200 KB',
      idle?.settledPerStreamKb,
      'KB',
      (v) => v <= 200,
      idle ? `${idle.open[1]} streams, ${idle.settleS} s idle` : 'not measured',
    ),
    target(
      'OAuth callback p50, received on B → read from A (token exchange included)',
      '≤ 5 ms',
      cb?.endToEndMs?.p50,
      'ms',
      (v) => v <= 5,
      cb ? `${cb.iterations} flows` : 'not measured',
    ),
    target(
      'OAuth callback delivery p50, published by B → read from A',
      '≤ 5 ms',
      cb?.deliveryMs?.p50,
      'ms',
      (v) => v <= 5,
      cb ? `${cb.deliveryMs?.n ?? 0} flows` : 'not measured',
    ),
    target(
      'warm list-tools p50',
      '≤ 2 ms',
      lt?.warmMs?.p50,
      'ms',
      (v) => v <= 2,
      lt ? `${lt.warmMs?.n ?? 0} calls` : 'not measured',
    ),
  ];
}

/** The layer every turn of a LangGraph + ChatOpenAI service runs through, and the model client alone. */
const GRAPH_LAYER: LayerName = 'graph+checkpoints';
const CLIENT_LAYER: LayerName = 'chat-model';

export const BOUND_ASSUMPTIONS = [
  'every CPU of the machine is busy with the runs all the time and nothing else runs on it: generous, as ' +
    'the benchmark, the model and Redis share the machine and a Node process runs its JavaScript on one thread',
  `each run spends before its first token the mean CPU the ${GRAPH_LAYER} layer spent from an answer's start ` +
    'to its first token, answers one at a time in process, garbage collections included: a service adds ' +
    'HTTP, its thread, run log and UI mapping, and the time the model takes is not counted',
  'the C users of a wave start together, so the k-th first token cannot come before k runs have done that ' +
    'work spread over every CPU: TTFT pXX ≥ ceil(XX/100 · C) / CPUs × that mean CPU; and a run does its work ' +
    'on one CPU at a time (one JavaScript thread), so TTFT p50 and p99 ≥ the p50 of that CPU; ours is ' +
    'compared counted from thread creation, when its users start',
  "tokens/s ≤ CPUs × 1000 / CPU ms per answer × tokens per answer, with the layer's CPU per answer measured " +
    '20 answers at a time',
  "RSS per open stream ≥ the layer's VmRSS per answer held open before its first chunk, in process, read " +
    "after full collections; compared with ours' idle streams once the service's idle collection has run; a " +
    'service also holds the HTTP request, its response and its own state',
];

/** The bounds the layers of this run imply, or why there are none. */
export function evaluateStackBounds(results: Results): StackBounds | NotMeasured {
  const layers = results.layers;
  if (!Array.isArray(layers)) {
    return { notMeasured: `layers: ${layers ? whyMissing(layers) : 'layers not run'}` };
  }
  const cpus = Number(results.machine.cpus);
  const graph = layers.find((l) => l.layer === GRAPH_LAYER);
  const client = layers.find((l) => l.layer === CLIENT_LAYER);
  if (!graph || !client || !(cpus > 0)) return { notMeasured: 'a layer or the CPU count is missing' };
  const requested = Array.isArray(results.options.concurrency)
    ? (results.options.concurrency as number[])
    : [];
  const cs = [...new Set([...requested, ...results.scenarios.map((s) => s.concurrency)])].sort(
    (a, b) => a - b,
  );
  const ttft = cs.map((c): TtftBound => {
    // k runs take at least k × the mean CPU spread over every CPU. And each run takes its own CPU on one
    // of them, so at least half of the first tokens take the p50 CPU.
    const atLeast = (q: number) =>
      round(Math.max(graph.cpuMsToFirstTokenP50, (Math.ceil(q * c) / cpus) * graph.cpuMsToFirstToken), 1);
    const p50AtLeastMs = atLeast(0.5);
    const p99AtLeastMs = atLeast(0.99);
    const cells = results.scenarios
      .filter((s) => s.concurrency === c)
      .map((s): TtftBoundCell => {
        const floor = measured(s.floor)?.ttftMs;
        const ours = measured(s.ours)?.ttftWithThreadMs;
        const over = (bound: number, f: number | undefined) =>
          f === undefined ? null : round(Math.max(0, bound - f), 1);
        return {
          delayMs: s.delayMs,
          floorP50Ms: floor?.p50 ?? null,
          floorP99Ms: floor?.p99 ?? null,
          overheadP50AtLeastMs: over(p50AtLeastMs, floor?.p50),
          overheadP99AtLeastMs: over(p99AtLeastMs, floor?.p99),
          oursP50Ms: ours?.p50 ?? null,
          oursP99Ms: ours?.p99 ?? null,
          oursP50OverBound: ratio(ours?.p50, p50AtLeastMs),
          oursP99OverBound: ratio(ours?.p99, p99AtLeastMs),
        };
      });
    const cpuMsToFirstToken = graph.cpuMsToFirstToken;
    return { concurrency: c, layer: GRAPH_LAYER, cpuMsToFirstToken, p50AtLeastMs, p99AtLeastMs, cells };
  });
  // The cell of the tokens/s target: C = 200 without model delay if it ran.
  const cell = find(results, 200, [0, 10]);
  const ours = measured(cell?.ours)?.tokensPerSecond ?? null;
  const tokensPerAnswer = Number(results.options.tokens);
  const tokensPerSecond = [graph, client].map((l): ThroughputBound => {
    const atMost = Math.round(((cpus * 1000) / l.cpuMsPerAnswer) * tokensPerAnswer);
    return {
      layer: l.layer,
      cpuMsPerAnswer: l.cpuMsPerAnswer,
      tokensPerAnswer,
      tokensPerSecondAtMost: atMost,
      where: cell ? `ours at C=${cell.concurrency}, ${cell.delayMs} ms/token` : 'not measured',
      ours,
      oursOverBound: ratio(ours, atMost, 3),
    };
  });
  return { cpus, assumptions: BOUND_ASSUMPTIONS, ttft, tokensPerSecond, rssPerStream: rssBound(results) };
}

function rssBound(results: Results): RssBound | NotMeasured {
  const held = results.heldLayers;
  if (!Array.isArray(held)) {
    return { notMeasured: `held answers: ${held ? whyMissing(held) : 'not run'}` };
  }
  const graph = held.find((l) => l.layer === GRAPH_LAYER);
  if (!graph || graph.rssPerAnswerKb === null) return { notMeasured: `no ${GRAPH_LAYER} figure` };
  const idle = results.idleStreams;
  const ours = idle && 'settledPerStreamKb' in idle ? idle.settledPerStreamKb : null;
  return {
    layer: GRAPH_LAYER,
    rssPerAnswerKb: graph.rssPerAnswerKb,
    ours,
    oursOverBound: ratio(ours, graph.rssPerAnswerKb),
  };
}

export function writeResults(file: string, results: Results): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
