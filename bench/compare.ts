import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../libs/testing/src/free-port';
import { startThrowawayRedis } from '../libs/testing/src/redis-server';
import {
  compareWaves,
  formatRows,
  parseCompareOptions,
  summarizeRounds,
  type CompareOptions,
  type Round,
  type Side,
} from './compare-report';
import {
  describeWarmUp,
  oursTarget,
  runScenario,
  warmUp,
  warmUpConcurrency,
  type Target,
  type WarmUpFigures,
} from './load';
import { beginEntry } from './entry';
import { machineInfo, versionsInfo } from './machine';
import { startModelProcess } from './model-process';
import type { Children } from './proc';
import { RedisCommandCounter } from './redis-stats';
import { API_BUNDLE, snapshotBundle, startService } from './service';

/*
 * Two production builds of the service side by side: the same Redis, the same scripted model and the
 * same client, taking turns cell by cell and round by round, the first of each round alternating. On a
 * shared machine whose speed drifts by tens of percent between runs, a change of a few percent shows only
 * this way: compare two builds within one run, never figures of two runs.
 */

const log = (line: string) => console.log(line);
/** No scenario starts a wave after this long; every loop of the run is bounded. */
const SCENARIO_LIMIT_MS = 10 * 60_000;

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** `nest build api` where `cwd` is a checkout of the project; its bundle, snapshotted for `side`. */
function buildApi(cwd: string, side: Side): string {
  const nest = resolve('node_modules', '@nestjs', 'cli', 'bin', 'nest.js');
  const built = spawnSync(process.execPath, [nest, 'build', 'api'], { cwd, encoding: 'utf8' });
  if (built.status !== 0) {
    throw new Error(
      `building ${side} failed (exit ${built.status}):\n${(built.stdout + built.stderr).slice(-4000)}`,
    );
  }
  return snapshotBundle(join(cwd, API_BUNDLE), join('dist', 'bench', 'compare', side));
}

interface Built {
  rev: string;
  sha: string;
  bundle: string;
}

/**
 * Builds a revision in a temporary worktree against this checkout's node_modules, which is only right
 * when the revision locks the same packages: otherwise the build would measure packages it was not
 * written for, so it is refused.
 */
function buildRevision(rev: string, side: Side): Built {
  let sha: string;
  try {
    sha = git(['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`]);
  } catch {
    throw new Error(`${rev} is not a commit of this repository`);
  }
  const lockSame = spawnSync('git', ['diff', '--quiet', sha, '--', 'package-lock.json']).status === 0;
  if (!lockSame) {
    throw new Error(
      `${rev} locks other packages than this checkout (package-lock.json differs): compare revisions with the same dependencies, or run the comparison from a checkout of ${rev}'s dependencies`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), `auxilia-compare-${side}-`));
  const modules = join(dir, 'node_modules');
  try {
    git(['worktree', 'add', '--detach', dir, sha]);
    symlinkSync(resolve('node_modules'), modules, 'dir');
    log(`${side}: building ${rev} (${sha.slice(0, 10)}) in ${dir}`);
    return { rev, sha, bundle: buildApi(dir, side) };
  } finally {
    // The link first: nothing may reach the project's node_modules through it.
    if (existsSync(modules)) unlinkSync(modules);
    spawnSync('git', ['worktree', 'remove', '--force', dir]);
    rmSync(dir, { recursive: true, force: true });
    spawnSync('git', ['worktree', 'prune']);
  }
}

function buildWorkingTree(): Built {
  const sha = git(['rev-parse', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  log(`head: building the working tree (${sha.slice(0, 10)}${dirty ? ' with uncommitted changes' : ''})`);
  return {
    rev: dirty ? 'working tree (uncommitted changes)' : 'working tree',
    sha,
    bundle: buildApi('.', 'head'),
  };
}

interface Cell {
  tokens: number;
  delayMs: number;
  concurrency: number;
  rounds: Round[];
  summary: ReturnType<typeof summarizeRounds>;
}

async function measure(options: CompareOptions, children: Children, report: Record<string, unknown>) {
  const base = buildRevision(options.base, 'base');
  const head = options.head ? buildRevision(options.head, 'head') : buildWorkingTree();
  report.base = { rev: base.rev, sha: base.sha };
  report.head = { rev: head.rev, sha: head.sha };
  report.nodeArgs = options.nodeArgs;

  const work = mkdtempSync(join(tmpdir(), 'auxilia-compare-'));
  children.add('work dir', async () => rmSync(work, { recursive: true, force: true }));
  const redis = await startThrowawayRedis();
  children.add('redis-server', () => redis.stop());
  const counter = new RedisCommandCounter(redis.url);
  children.add('redis probe', async () => counter.close());
  const model = await startModelProcess();
  children.addProcess('scripted model', model.child);
  const encryptionKey = randomBytes(32).toString('hex');

  const targets = {} as Record<Side, Target>;
  for (const [side, built] of [
    ['base', base],
    ['head', head],
  ] as const) {
    const port = await freePort();
    const service = await startService({
      name: side,
      bundle: built.bundle,
      port,
      redisUrl: redis.url,
      modelURL: model.baseURL,
      encryptionKey,
      redirectBaseUrl: `http://127.0.0.1:${port}`,
      workDir: join(work, side),
      children,
      keyPrefix: `bench-${side}:`,
      nodeArgs: options.nodeArgs[side],
    });
    const args = options.nodeArgs[side].join(' ');
    log(`${side} ${service.baseUrl} (pid ${service.child.pid})${args ? `, node ${args}` : ''}`);
    targets[side] = oursTarget(service.baseUrl, service.meter);
  }

  // Without model delay, as the full run's: both builds alike, and each round measures both, so the 30
  // answers of the default only take the start-up off the first round.
  await model.setAnswer({ tokens: options.tokens, delayMs: 0 });
  const concurrency = warmUpConcurrency(options.warmUp);
  log(`warming up both builds: ${options.warmUp} answers each, ${concurrency} at a time, no model delay`);
  const warmUps = {} as Record<Side, WarmUpFigures>;
  report.warmUp = warmUps;
  for (const side of ['base', 'head'] as const) {
    warmUps[side] = await warmUp(targets[side], {
      answers: options.warmUp,
      concurrency,
      timeoutMs: options.requestTimeoutMs,
      deadline: Number.POSITIVE_INFINITY,
    });
    log(`  ${describeWarmUp(side, warmUps[side])}`);
  }

  const cells: Cell[] = [];
  report.cells = cells;
  for (const delayMs of options.delaysMs) {
    await model.setAnswer({ tokens: options.tokens, delayMs });
    for (const c of options.concurrency) {
      const rounds: Round[] = [];
      log(`\n${options.tokens} tokens, ${delayMs} ms per token, C = ${c}:`);
      for (let round = 0; round < options.rounds; round++) {
        const order: Side[] = round % 2 === 0 ? ['base', 'head'] : ['head', 'base'];
        for (const side of order) {
          const before = await counter.snapshot();
          const result = await runScenario(targets[side], {
            concurrency: c,
            waves: compareWaves(options, c),
            deadline: performance.now() + SCENARIO_LIMIT_MS,
            timeoutMs: options.requestTimeoutMs,
            expectTokens: options.tokens,
            // Else a build's sockets outlive the other build's turn or not, by its place in the round.
            newConnections: true,
          });
          const redisCommands = RedisCommandCounter.perAnswer(
            before,
            await counter.snapshot(),
            result.answers,
          );
          rounds.push({
            side,
            round,
            result,
            redisCommandsPerAnswer: redisCommands.total,
          });
          log(
            `  round ${round + 1} ${side}: TTFT p50 ${result.ttftMs?.p50 ?? '–'} ms, +thread p99 ` +
              `${result.ttftWithThreadMs?.p99 ?? '–'} ms, ${result.cpuMsPerAnswer ?? '–'} ms CPU/answer, ` +
              `${result.failed}/${result.answers} failed`,
          );
          await sleep(200);
        }
      }
      const summary = summarizeRounds(rounds);
      cells.push({ tokens: options.tokens, delayMs, concurrency: c, rounds, summary });
      for (const line of formatRows(summary)) log(`  ${line}`);
    }
  }
}

async function entry(): Promise<void> {
  const { options, children, stop } = beginEntry(parseCompareOptions, 'comparison');
  const report: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    options,
    machine: machineInfo(),
    versions: versionsInfo(),
    notes: [],
  };
  let code = 0;
  try {
    await measure(options, children, report);
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    (report.notes as string[]).push(`INCOMPLETE: the comparison failed: ${message}`);
    console.error(`comparison failed: ${err instanceof Error ? err.message : message}`);
    code = 1;
  }
  await children.stopAll();
  report.finishedAt = new Date().toISOString();
  (report.machine as Record<string, unknown>).loadAverageAtEnd = loadavg().map(
    (x) => Math.round(x * 100) / 100,
  );
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nresults: ${options.out}`);
  await stop(code);
}

if (require.main === module) void entry();
