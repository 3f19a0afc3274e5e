import type { ScenarioResult } from './load';
import { int, list, wavesFor } from './options';
import { round } from './stats';

/** The two builds of a comparison: `base` is the reference, `head` the change measured against it. */
export type Side = 'base' | 'head';

export interface CompareOptions {
  /** A git revision of this repository, built for production in a temporary worktree. */
  base: string;
  /** Another revision, or undefined for the working tree as it is now. */
  head?: string;
  /** Rounds per cell; each round measures both builds, the first one alternating. */
  rounds: number;
  concurrency: number[];
  delaysMs: number[];
  tokens: number;
  /** Answers per build, cell and round, in waves of C users. */
  samples: number;
  requestTimeoutMs: number;
  out: string;
  /** Answers each build serves, 50 at a time without model delay, before the first cell. */
  warmUp: number;
  /** Node and V8 flags each build's process starts with (none by default), to compare flags on one build. */
  nodeArgs: Record<Side, string[]>;
}

export const COMPARE_USAGE = `npm run bench:compare -- --base REV [options]
  --base REV            the reference: a git revision, built in a temporary worktree (required)
  --head REV            the build measured against it (default: the working tree)
  --rounds N            rounds per cell, each measuring both builds, first one alternating (default 6)
  --concurrency LIST    simultaneous users, comma-separated (default 1,50)
  --delay-ms LIST       model pause per token, comma-separated (default 0)
  --tokens N            tokens per answer (default 50)
  --samples N           answers per build, cell and round (default 100; C = 1: 50)
  --warm-up N           answers each build serves before the first cell, 50 at a time (default 30)
  --base-node-args ARGS Node or V8 flags for the base build's process, space-separated (default none)
  --head-node-args ARGS the same for the head build: --base HEAD --head HEAD --head-node-args "..."
                        compares one build with and without them
  --out FILE            results file (default bench/results/compare-<time>.json)`;

/** Flags only: each word must start with `--` and is passed to \`node\` as one argument, before the bundle. */
function nodeArgs(value: string | undefined, name: string): string[] {
  const args = (value ?? '').split(/\s+/).filter((a) => a !== '');
  const bad = args.find((a) => !/^--[\w-]+(=\S*)?$/.test(a));
  if (args.length === 0 || bad !== undefined) {
    throw new Error(
      `${name} takes Node or V8 flags such as "--max-semi-space-size=32"${bad ? `, not "${bad}"` : ''}`,
    );
  }
  return args;
}

function revision(value: string | undefined, name: string): string {
  // Passed to git as one argument, never to a shell; still, nothing that reads as an option.
  if (!value || value.startsWith('-')) throw new Error(`${name} takes a git revision`);
  return value;
}

export function parseCompareOptions(argv: string[], now = new Date()): CompareOptions {
  const o: Partial<CompareOptions> & Omit<CompareOptions, 'base'> = {
    rounds: 6,
    concurrency: [1, 50],
    delaysMs: [0],
    tokens: 50,
    samples: 100,
    requestTimeoutMs: 120_000,
    out: `bench/results/compare-${now.toISOString().replace(/[:.]/g, '-')}.json`,
    warmUp: 30,
    nodeArgs: { base: [], head: [] },
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => argv[++i];
    if (arg === '--base') o.base = revision(next(), arg);
    else if (arg === '--head') o.head = revision(next(), arg);
    else if (arg === '--rounds') o.rounds = int(next(), arg, 1, 100);
    else if (arg === '--concurrency')
      o.concurrency = list(next(), arg).map((c) => Math.min(Math.max(c, 1), 2000));
    else if (arg === '--delay-ms') o.delaysMs = list(next(), arg);
    else if (arg === '--tokens') o.tokens = int(next(), arg, 1, 10_000);
    else if (arg === '--samples') o.samples = int(next(), arg, 1, 100_000);
    else if (arg === '--warm-up') o.warmUp = int(next(), arg, 1, 100_000);
    else if (arg === '--base-node-args') o.nodeArgs.base = nodeArgs(next(), arg);
    else if (arg === '--head-node-args') o.nodeArgs.head = nodeArgs(next(), arg);
    else if (arg === '--out') o.out = next() ?? o.out;
    else if (arg === '--help' || arg === '-h') throw new Error(COMPARE_USAGE);
    else throw new Error(`unknown option ${arg}\n${COMPARE_USAGE}`);
  }
  if (!o.base) throw new Error(`--base is required\n${COMPARE_USAGE}`);
  return { ...o, base: o.base };
}

/** Waves of C users so that about `samples` answers are measured per round (C = 1: at most 50). */
export function compareWaves(options: Pick<CompareOptions, 'samples'>, concurrency: number): number {
  const samples = concurrency === 1 ? Math.min(options.samples, 50) : options.samples;
  return wavesFor({ quick: false, samples }, concurrency);
}

/** One round of one build in one cell: the scenario and the Redis commands it caused per answer. */
export interface Round {
  side: Side;
  /** 0-based: base goes first in even rounds, head in odd ones. */
  round: number;
  result: ScenarioResult;
  redisCommandsPerAnswer: number | null;
}

interface Figure {
  name: string;
  /** Which way is better: lower latencies and costs, higher throughput. */
  better: 'lower' | 'higher';
  read: (r: Round) => number | null | undefined;
}

export const FIGURES: Figure[] = [
  { name: 'TTFT p50 (ms)', better: 'lower', read: (r) => r.result.ttftMs?.p50 },
  { name: 'TTFT p99 (ms)', better: 'lower', read: (r) => r.result.ttftMs?.p99 },
  { name: '+thread p50 (ms)', better: 'lower', read: (r) => r.result.ttftWithThreadMs?.p50 },
  { name: '+thread p99 (ms)', better: 'lower', read: (r) => r.result.ttftWithThreadMs?.p99 },
  { name: 'CPU ms / answer', better: 'lower', read: (r) => r.result.cpuMsPerAnswer },
  { name: 'tokens/s', better: 'higher', read: (r) => r.result.tokensPerSecond },
  { name: 'Redis commands / answer', better: 'lower', read: (r) => r.redisCommandsPerAnswer },
  { name: 'failed answers', better: 'lower', read: (r) => r.result.failed },
];

export interface SideFigure {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

export interface FigureRow {
  figure: string;
  base: SideFigure | null;
  head: SideFigure | null;
  /** head median / base median. */
  ratio: number | null;
  /**
   * Rounds in which head did better (worse) than base, of the rounds with both figures: the two builds
   * of a round ran one right after the other, so this counts what the machine's drift between rounds
   * blurs. Ties count as neither.
   */
  headBetter: number;
  headWorse: number;
  paired: number;
}

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function sideFigure(values: number[]): SideFigure | null {
  if (values.length === 0) return null;
  return {
    median: round(median(values)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    rounds: values.length,
  };
}

const present = (x: number | null | undefined): x is number =>
  x !== null && x !== undefined && Number.isFinite(x);

/** Each figure across the rounds of one cell: both builds' medians and spread, and the paired count. */
export function summarizeRounds(rounds: readonly Round[]): FigureRow[] {
  return FIGURES.map((f) => {
    const values = (side: Side) =>
      rounds
        .filter((r) => r.side === side)
        .map(f.read)
        .filter(present);
    const base = sideFigure(values('base'));
    const head = sideFigure(values('head'));
    let headBetter = 0;
    let headWorse = 0;
    let paired = 0;
    for (const b of rounds.filter((r) => r.side === 'base')) {
      const h = rounds.find((r) => r.side === 'head' && r.round === b.round);
      const [x, y] = [h && f.read(h), f.read(b)];
      if (!present(x) || !present(y)) continue;
      paired++;
      if (x === y) continue;
      if (f.better === 'lower' ? x < y : x > y) headBetter++;
      else headWorse++;
    }
    const ratio = base && head && base.median !== 0 ? round(head.median / base.median) : null;
    return { figure: f.name, base, head, ratio, headBetter, headWorse, paired };
  });
}

/** The table printed for one cell. */
export function formatRows(rows: readonly FigureRow[]): string[] {
  const cell = (s: SideFigure | null) => (s ? `${s.median} (${s.min}–${s.max})` : '–');
  const header = [
    'figure',
    'base median (min–max)',
    'head median (min–max)',
    'head/base',
    'rounds head better/worse',
  ];
  const body = rows.map((r) => [
    r.figure,
    cell(r.base),
    cell(r.head),
    r.ratio === null ? '–' : r.ratio.toFixed(2),
    r.paired > 0 ? `${r.headBetter}/${r.headWorse} of ${r.paired}` : '–',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cols: string[]) =>
    cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...body.map(line)];
}
