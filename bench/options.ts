export interface BenchOptions {
  quick: boolean;
  tokens: number;
  delaysMs: number[];
  concurrency: number[];
  peer: boolean;
  mcp: boolean;
  profile: boolean;
  out: string;
  /** The whole run stops starting new measurements after this long. */
  timeLimitS: number;
  /** Answers measured per target and scenario, spread over waves of C users (C=1: sequential). */
  samples: number;
  requestTimeoutMs: number;
  idleStreams: number;
  /** Seconds the idle-streams instance is left alone before the first reading and after the last. */
  idleSettleS: number;
  /** OAuth flows for the callback-delivery figures (the p50 of 50 moved by a millisecond between runs). */
  oauthFlows: number;
  listToolsCold: number;
  listToolsWarm: number;
  /** Answers per layer for the in-process breakdown of the CPU per answer; 0 skips it. */
  layerTurns: number;
  /** Each target serves one unmeasured wave of C users before each cell (reported apart). */
  firstWave: boolean;
  /** Answers each target serves before the first cell, without model delay, measured apart. */
  warmUpAnswers: number;
  /** API_WORKERS of the instance measured as ours (the idle-stream and OAuth instances keep 1). */
  workers: number;
  /** Turns already in a thread before the answers measured on it, in process; empty skips it. */
  historyTurns: number[];
}

export const USAGE = `npm run bench -- [options]
  --quick               1 and 50 users, fewer samples; under two minutes
  --tokens N            tokens per answer (default 50)
  --delay-ms LIST       model pause per token, comma-separated (default 0,10)
  --concurrency LIST    simultaneous users, comma-separated (default 1,50,200; quick 1,50)
  --samples N           answers per target and scenario (default 400; quick 50)
  --idle-streams N      streams per step (two steps) held open for RSS per stream (default 200; quick 100)
  --idle-settle-s N     idle-streams instance left alone N s before and after the steps (default 45; quick 0)
  --no-peer             skip LangGraph's API server
  --no-mcp              skip list-tools and OAuth callback delivery
  --no-first-wave       measure each cell from its first wave (by default one wave of C users runs first,
                        reported apart and counted in no other figure)
  --warm-up N           answers each target serves before the first cell, 50 at a time, without model
                        delay; their CPU is reported apart (default 2000; quick 30)
  --oauth-flows N       OAuth flows for callback delivery (default 200; quick 10)
  --layers N            answers per layer of the in-process CPU breakdown (default 400; quick 150; 0 skips),
                        and the layers' memory per held answer (not with --quick)
  --workers N           ours served by N worker processes (API_WORKERS, default 1); CPU and RSS summed
  --history LIST        turns already in a thread before the answers measured on it, in process,
                        keeping every checkpoint, then the latest only (default 0,50,100; quick 0,25)
  --no-history          skip the long-thread measurement
  --profile             run the service with --cpu-prof and print its top frames
  --time-limit-s N      stop starting measurements after N s (default 1200; quick 100)
  --out FILE            results file (default bench/results/latest.json)`;

/** A comma-separated list of whole numbers, or an error naming the option. */
export function list(value: string | undefined, name: string): number[] {
  const out = (value ?? '').split(',').map((x) => Number(x.trim()));
  if (out.length === 0 || out.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new Error(`${name} takes comma-separated whole numbers, got ${JSON.stringify(value)}`);
  }
  return out;
}

/** A whole number in min..max, or an error naming the option. */
export function int(value: string | undefined, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} takes a whole number in ${min}..${max}`);
  return n;
}

/** Thread lengths in turns, ascending and distinct, each at most 1000. */
function historyList(value: string | undefined, name: string): number[] {
  const turns = [...new Set(list(value, name))].sort((a, b) => a - b);
  if (turns.some((t) => t > 1000)) throw new Error(`${name} takes thread lengths of at most 1000 turns`);
  return turns;
}

export function parseOptions(argv: string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const o: BenchOptions = {
    quick,
    tokens: 50,
    delaysMs: [0, 10],
    concurrency: quick ? [1, 50] : [1, 50, 200],
    peer: true,
    mcp: true,
    profile: false,
    out: 'bench/results/latest.json',
    timeLimitS: quick ? 100 : 1200,
    samples: quick ? 50 : 400,
    requestTimeoutMs: quick ? 60_000 : 120_000,
    idleStreams: quick ? 100 : 200,
    idleSettleS: quick ? 0 : 45,
    oauthFlows: quick ? 10 : 200,
    listToolsCold: quick ? 5 : 20,
    listToolsWarm: quick ? 100 : 500,
    layerTurns: quick ? 150 : 400,
    workers: 1,
    firstWave: true,
    warmUpAnswers: quick ? 30 : 2000,
    historyTurns: quick ? [0, 25] : [0, 50, 100],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => argv[++i];
    if (arg === '--quick') continue;
    else if (arg === '--tokens') o.tokens = int(next(), arg, 1, 10_000);
    else if (arg === '--delay-ms') o.delaysMs = list(next(), arg);
    else if (arg === '--concurrency')
      o.concurrency = list(next(), arg).map((c) => Math.min(Math.max(c, 1), 2000));
    else if (arg === '--samples') o.samples = int(next(), arg, 1, 100_000);
    else if (arg === '--idle-streams') o.idleStreams = int(next(), arg, 0, 5000);
    else if (arg === '--idle-settle-s') o.idleSettleS = int(next(), arg, 0, 600);
    else if (arg === '--no-peer') o.peer = false;
    else if (arg === '--no-mcp') o.mcp = false;
    else if (arg === '--no-first-wave') o.firstWave = false;
    else if (arg === '--warm-up') o.warmUpAnswers = int(next(), arg, 0, 100_000);
    else if (arg === '--oauth-flows') o.oauthFlows = int(next(), arg, 1, 10_000);
    else if (arg === '--layers') o.layerTurns = int(next(), arg, 0, 100_000);
    else if (arg === '--workers') o.workers = int(next(), arg, 1, 64);
    else if (arg === '--history') o.historyTurns = historyList(next(), arg);
    else if (arg === '--no-history') o.historyTurns = [];
    else if (arg === '--profile') o.profile = true;
    else if (arg === '--time-limit-s') o.timeLimitS = int(next(), arg, 10, 24 * 3600);
    else if (arg === '--out') o.out = next() ?? o.out;
    else if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return o;
}

/** Waves of C users so that about `samples` answers are measured; at least one, at most 10 (quick) or 50. */
export function wavesFor(options: Pick<BenchOptions, 'quick' | 'samples'>, concurrency: number): number {
  return Math.min(options.quick ? 10 : 50, Math.max(1, Math.ceil(options.samples / concurrency)));
}
