import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IdleFigures } from './idle';
import type { LayerFigure } from './layers';
import type { ScenarioResult } from './load';
import type { CallbackFigures, ListToolsFigures, Unavailable } from './mcp';
import type { ProfileSummary } from './profile';
import { diff, ratio, type Summary } from './stats';

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
  scenarios: Scenario[];
  idleStreams: IdleFigures | Unavailable | Skipped | null;
  listTools: ListToolsFigures | Unavailable | Skipped | null;
  oauthCallback: CallbackFigures | Unavailable | Skipped | null;
  /** The CPU per answer of each layer the service stacks, measured in process. */
  layers: LayerFigure[] | Unavailable | Skipped | null;
  profile: ProfileSummary | null;
  targets: Target[];
  notes: string[];
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

export function writeResults(file: string, results: Results): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
