import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../libs/testing/src/free-port';
import { startEverythingServer } from '../libs/testing/src/mcp/everything-server';
import { startOAuthMcpServer } from '../libs/testing/src/mcp/oauth-mcp-server';
import { startThrowawayRedis } from '../libs/testing/src/redis-server';
import { benchIdleStreams } from './idle';
import { benchHeldLayers, benchHistory, benchLayers } from './layers';
import {
  describeWarmUp,
  floorTarget,
  oursTarget,
  peerTarget,
  runFirstWave,
  runScenario,
  warmUp,
  warmUpConcurrency,
  type Target,
} from './load';
import { benchListTools, benchOAuthCallback } from './mcp';
import { startModelProcess, type AnswerShape } from './model-process';
import { machineInfo, versionsInfo } from './machine';
import { parseOptions, wavesFor, type BenchOptions } from './options';
import { PEER_GRAPH_ID, startPeer, type Peer } from './peer';
import { Children, findChild, ProcessMeter, untilQuiet } from './proc';
import { beginEntry } from './entry';
import { newestProfile, summarizeProfile } from './profile';
import {
  compare,
  emptyResults,
  evaluateStackBounds,
  evaluateTargets,
  writeResults,
  type Cell,
  type Results,
} from './report';
import { AGENT_INSTRUCTIONS, snapshotBundle, startService, type Service } from './service';
import { printTable } from './table';
import { RedisCommandCounter } from './redis-stats';

const log = (line: string) => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function skipped(reason: string): Cell {
  return { skipped: reason };
}

async function measure(
  target: Target | undefined,
  options: BenchOptions,
  c: number,
  deadline: number,
  quietOn: ProcessMeter[],
  redisCounter?: RedisCommandCounter,
): Promise<Cell> {
  if (!target) return skipped('not running');
  if (performance.now() > deadline) return skipped('time limit');
  // Each scenario gets a bounded share of the time left; its waves stop there.
  const share = Math.max(5_000, (deadline - performance.now()) / 4);
  const counted = target.name === 'ours' ? redisCounter : undefined;
  const scenario = {
    concurrency: c,
    waves: wavesFor(options, c),
    deadline: Math.min(deadline, performance.now() + share),
    timeoutMs: options.requestTimeoutMs,
    expectTokens: options.tokens,
  };
  const quiet = await untilQuiet(quietOn);
  const firstWave = options.firstWave ? await runFirstWave(target, scenario) : null;
  const before = await counted?.snapshot();
  const result = await runScenario(target, scenario);
  result.firstWave = firstWave;
  result.quiet = quiet;
  if (counted && before) {
    result.redisCommandsPerAnswer = RedisCommandCounter.perAnswer(
      before,
      await counted.snapshot(),
      result.answers,
    );
  }
  log(
    `  ${target.name.padEnd(5)} C=${String(c).padEnd(4)} TTFT p50 ${result.ttftMs?.p50 ?? '–'} ms, ` +
      `${result.tokensPerSecond ?? '–'} tokens/s, ${result.failed}/${result.answers} failed ` +
      `(started after ${quiet.waitedMs} ms, at ${quiet.load} CPUs)`,
  );
  await sleep(200);
  return result;
}

async function main(
  options: BenchOptions,
  children: Children,
  results: Results,
  profileDir: string | undefined,
): Promise<void> {
  const started = performance.now();
  const deadline = started + options.timeLimitS * 1000;
  const bundle = snapshotBundle();
  const work = mkdtempSync(join(tmpdir(), 'auxilia-bench-'));
  children.add('work dir', async () => rmSync(work, { recursive: true, force: true }));

  const redis = await startThrowawayRedis();
  children.add('redis-server', () => redis.stop());
  const redisPid = findChild('redis-server');
  const redisMeter = redisPid ? new ProcessMeter(redisPid) : undefined;
  const redisCounter = new RedisCommandCounter(redis.url);
  children.add('redis probe', async () => redisCounter.close());
  const model = await startModelProcess();
  children.addProcess('scripted model', model.child);
  log(`redis ${redis.url}, scripted model ${model.baseURL}`);

  const encryptionKey = randomBytes(32).toString('hex');
  const portA = await freePort();
  const serviceOptions = (name: string, port: number) => ({
    name,
    bundle,
    port,
    redisUrl: redis.url,
    modelURL: model.baseURL,
    encryptionKey,
    redirectBaseUrl: `http://127.0.0.1:${portA}`,
    workDir: join(work, name),
    children,
  });
  const peerStart: Promise<Peer | Error> = options.peer
    ? freePort().then((port) =>
        startPeer({ port, modelURL: model.baseURL, instructions: AGENT_INSTRUCTIONS, children, log }).catch(
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        ),
      )
    : Promise.resolve(new Error('disabled (--no-peer)'));
  const ours: Service = await startService({
    ...serviceOptions('ours', portA),
    profileDir,
    workers: options.workers,
  });
  const served = options.workers > 1 ? `, ${options.workers} workers` : '';
  log(
    `ours ${ours.baseUrl} (pid ${ours.child.pid}${served})${profileDir ? `, profiling into ${profileDir}` : ''}`,
  );
  const peer = await peerStart;
  if (peer instanceof Error) {
    // A peer that did not come up must not compete for the CPU with what is measured.
    await children.stopOne('peer (langgraph dev)');
    results.peer = { available: false, reason: peer.message.slice(0, 2000) };
    log(`peer not available: ${peer.message.split('\n')[0]}`);
  } else {
    results.peer = { available: true, versions: peer.versions };
    log(`peer ${peer.baseUrl} (langgraph-cli ${peer.versions['@langchain/langgraph-cli']}, in ${peer.dir})`);
  }

  const targets: Target[] = [
    floorTarget(model.baseURL, new ProcessMeter(model.pid)),
    oursTarget(ours.baseUrl, ours.meter, redisMeter),
  ];
  if (!(peer instanceof Error)) targets.push(peerTarget(peer.baseUrl, peer.meter, PEER_GRAPH_ID));
  const byName = (name: string) => targets.find((t) => t.name === name);
  // Each cell starts once the model, the targets and Redis have gone quiet after the cell before.
  const quietOn = [...targets.map((t) => t.meter), ...(redisMeter ? [redisMeter] : [])];

  if (options.warmUpAnswers > 0) {
    // Waves of up to 50 without model delay: the quickest way through, the same for every target.
    await model.setAnswer({ tokens: options.tokens, delayMs: 0 });
    const concurrency = warmUpConcurrency(options.warmUpAnswers);
    log(`warming up: ${options.warmUpAnswers} answers per target, ${concurrency} at a time, no model delay`);
    for (const t of targets) {
      const figures = await warmUp(t, {
        answers: options.warmUpAnswers,
        concurrency,
        timeoutMs: options.requestTimeoutMs,
        deadline,
      });
      results.warmUp[t.name] = figures;
      log(`  ${describeWarmUp(t.name, figures)}`);
    }
  }
  for (const delayMs of options.delaysMs) {
    const shape: AnswerShape = { tokens: options.tokens, delayMs };
    await model.setAnswer(shape);
    log(`${options.tokens} tokens, ${delayMs} ms per token:`);
    for (const c of options.concurrency) {
      const floor = await measure(byName('floor'), options, c, deadline, quietOn);
      const oursCell = await measure(byName('ours'), options, c, deadline, quietOn, redisCounter);
      const peerCell = await measure(byName('peer'), options, c, deadline, quietOn);
      const comparison = compare(floor, oursCell, peerCell);
      results.scenarios.push({
        tokens: options.tokens,
        delayMs,
        concurrency: c,
        floor,
        ours: oursCell,
        peer: peerCell,
        comparison,
      });
    }
  }
  if (!(peer instanceof Error)) await children.stopOne('peer (langgraph dev)');

  await model.setAnswer({ tokens: options.tokens, delayMs: 0 });
  if (!options.mcp) {
    results.listTools = { skipped: 'disabled (--no-mcp)' };
    results.oauthCallback = { skipped: 'disabled (--no-mcp)' };
  } else {
    const mcpDeadline = Math.min(deadline + 30_000, performance.now() + (options.quick ? 20_000 : 120_000));
    const everything = await startEverythingServer({ transport: 'streamableHttp' });
    children.add('server-everything', () => everything.stop());
    log(`list-tools against server-everything ${everything.url}`);
    results.listTools = await benchListTools(ours.baseUrl, everything.url, {
      cold: options.listToolsCold,
      warm: options.listToolsWarm,
      deadline: mcpDeadline,
    }).catch((err: unknown) => ({ available: false as const, reason: `failed: ${String(err)}` }));
    const oauthServer = await startOAuthMcpServer();
    children.add('OAuth MCP server', () => oauthServer.close());
    const b = await startService(serviceOptions('instance-b', await freePort()));
    log(`OAuth callback delivery: A ${ours.baseUrl}, B ${b.baseUrl}, MCP ${oauthServer.url}`);
    results.oauthCallback = await benchOAuthCallback(ours.baseUrl, b.baseUrl, oauthServer.url, {
      iterations: options.oauthFlows,
      deadline: mcpDeadline + 10_000,
      redisUrl: redis.url,
    }).catch((err: unknown) => ({ available: false as const, reason: `failed: ${String(err)}` }));
    await b.stop();
  }

  if (options.layerTurns === 0) results.layers = { skipped: 'disabled (--layers 0)' };
  else if (performance.now() > deadline) results.layers = { skipped: 'time limit' };
  else {
    // With the service idle: each layer runs alone against the same model server and Redis.
    const concurrency = 20;
    log(`CPU per answer by layer, in process: ${options.layerTurns} answers each, ${concurrency} at a time`);
    results.layers = await benchLayers({
      modelURL: model.baseURL,
      redisUrl: redis.url,
      turns: options.layerTurns,
      warmUp: Math.ceil(options.layerTurns / 2),
      concurrency,
      timeoutMs: 180_000,
    }).catch((err: unknown) => ({ available: false as const, reason: `failed: ${String(err)}` }));
  }

  if (options.historyTurns.length === 0) results.history = { skipped: 'disabled (--no-history)' };
  else if (performance.now() > deadline) results.history = { skipped: 'time limit' };
  else {
    const threads = 3;
    log(`long threads, in process: ${threads} threads grown to ${options.historyTurns.join(', ')} turns`);
    results.history = await benchHistory({
      modelURL: model.baseURL,
      redisUrl: redis.url,
      turnsBefore: options.historyTurns,
      threads,
      answersPerThread: 5,
      timeoutMs: 600_000,
    }).catch((err: unknown) => ({ available: false as const, reason: `failed: ${String(err)}` }));
  }

  const peakKb = ours.meter.rssKb('VmHWM');
  results.notes.push(`ours peak RSS over the whole run: ${Math.round(peakKb / 1024)} MB`);
  await ours.stop();
  if (ours.output().trim())
    results.notes.push(`ours wrote (last lines): ${ours.output().trim().slice(-1500)}`);

  if (options.idleStreams > 0) {
    // A fresh instance: the load above left garbage in ours' heap that would blur a per-stream figure.
    // The model holds every answer before its first chunk for longer than the measurement lasts.
    await model.setAnswer({ tokens: options.tokens, delayMs: 0, firstChunkDelayMs: 120_000 });
    const idle = await startService(serviceOptions('idle-streams', await freePort()));
    log(`holding 2 × ${options.idleStreams} idle streams open on a fresh instance (${idle.baseUrl})`);
    results.idleStreams = await benchIdleStreams(idle.baseUrl, idle.meter, options.idleStreams, {
      openTimeoutMs: 20_000,
      settleMs: 1000,
      settleS: options.idleSettleS,
    });
    await idle.stop();
    if (options.layerTurns === 0) results.heldLayers = { skipped: 'disabled (--layers 0)' };
    else if (options.quick) results.heldLayers = { skipped: 'not with --quick' };
    else {
      // The same measurement in process, layer by layer, with the model still holding every answer.
      log(`memory per held answer by layer, in process: 2 × ${options.idleStreams} answers each`);
      results.heldLayers = await benchHeldLayers({
        modelURL: model.baseURL,
        redisUrl: redis.url,
        perStep: options.idleStreams,
        openTimeoutMs: 20_000,
        settleMs: 1000,
        timeoutMs: 120_000,
      }).catch((err: unknown) => ({ available: false as const, reason: `failed: ${String(err)}` }));
    }
  }
  results.finishedAt = new Date().toISOString();
  results.options = { ...options, durationS: Math.round((performance.now() - started) / 1000) };
}

async function entry(): Promise<void> {
  const { options, children, stop } = beginEntry(parseOptions, 'benchmark');
  const results = emptyResults({
    options: { ...options },
    machine: machineInfo(),
    versions: versionsInfo(),
    peer: { available: false, reason: options.peer ? 'not started' : 'disabled (--no-peer)' },
  });
  const profileDir = options.profile ? join('bench', 'results', `profile-${Date.now()}`) : undefined;
  let code = 0;
  try {
    await main(options, children, results, profileDir);
  } catch (err) {
    // What was measured until then is still written, marked as incomplete.
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    results.notes.push(`INCOMPLETE: the run failed: ${message}`);
    console.error(`benchmark failed: ${message}`);
    code = 1;
  }
  // The service writes its profile as it exits, so it is read once every process has stopped.
  await children.stopAll();
  if (profileDir) {
    const file = newestProfile(profileDir);
    if (file) results.profile = summarizeProfile(file);
    else results.notes.push(`no .cpuprofile in ${profileDir}`);
  }
  results.finishedAt ??= new Date().toISOString();
  results.machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  results.targets = evaluateTargets(results);
  results.stackBounds = evaluateStackBounds(results);
  writeResults(options.out, results);
  printTable(results, log);
  log(`\nresults: ${options.out}`);
  await stop(code);
}

void entry();
