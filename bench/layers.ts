import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HumanMessage, type BaseMessage } from '@langchain/core/messages';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import type { UIMessage } from 'ai';
import { createAgentGraph } from '../libs/agents/src/runtime/approvals';
import { createChatModel } from '../libs/agents/src/runtime/chat-model';
import {
  graphEvents,
  streamTurn,
  TURN_DURABILITY,
  TURN_STREAM_MODE,
} from '../libs/agents/src/runtime/turn-stream';
import { ReadHandover } from '../libs/checkpoint-redis/src/read-handover';
import { RedisSaver } from '../libs/checkpoint-redis/src/redis-saver';
import { loadConfig, type CheckpointsKept as Keep } from '../libs/core/src/config/config';
import { statusKb } from './proc';
import { AGENT_INSTRUCTIONS } from './service';
import { round, summarize } from './stats';

/**
 * The service's CPU per answer, taken apart: the same answer produced in process by each layer the
 * service stacks, from the model client up to the turn the service streams. Each layer runs in a fresh
 * process of its own (warmed up, then measured) against the same model server and Redis, so the
 * differences between consecutive layers are what each adds. Each layer is measured twice: answers 20 at
 * a time for the CPU of a whole answer, then answers one at a time for the CPU spent before the first
 * token, which only one answer at a time can attribute to that answer.
 */
export const LAYERS = [
  {
    name: 'openai',
    what: 'the `openai` client alone: one streamed chat completion, read to its end',
  },
  {
    name: 'chat-model',
    what: "`@langchain/openai`'s ChatOpenAI as the service builds it, `.stream()` read to its end",
  },
  {
    name: 'graph',
    what: 'the agent graph (LangGraph), no checkpointer, its events read as the turn reads them',
  },
  {
    name: 'graph+checkpoints',
    what: "the same with the service's Redis checkpointer and durability, a new thread per answer",
  },
  {
    name: 'turn',
    what: "the service's `streamTurn`: the above plus the thread read and the UI message chunks",
  },
] as const;

export type LayerName = (typeof LAYERS)[number]['name'];

export interface LayerFigure {
  layer: LayerName;
  what: string;
  turns: number;
  concurrency: number;
  cpuMsPerAnswer: number;
  wallMsPerAnswer: number;
  /** CPU per answer minus the previous layer's. */
  addedCpuMs: number | null;
  /** Answers run one at a time, after a warm-up, for the figures up to the first token. */
  firstTokenAnswers: number;
  /** CPU of the process from the start of an answer to its first token (one at a time): mean, p50. */
  cpuMsToFirstToken: number;
  cpuMsToFirstTokenP50: number;
  /** Wall time from the start of an answer to its first token (one at a time): mean, p50. */
  wallMsToFirstToken: number;
  wallMsToFirstTokenP50: number;
}

export interface LayerOptions {
  modelURL: string;
  redisUrl: string;
  turns: number;
  warmUp: number;
  concurrency: number;
  timeoutMs: number;
}

type Report =
  | { cpuMs: number; wallMs: number; turns: number; firstToken: { cpuMs: number[]; wallMs: number[] } }
  | { error: string };

/** What the service keeps when `CHECKPOINTS_KEEP` is unset; the layers keep the same. */
const SERVICE_KEEP: Keep = loadConfig({}).agents.checkpointsKeep;

/** The `turn` layer's answers on threads that already hold `turnsBefore` turns. */
export interface HistoryFigure {
  /** What the checkpointer kept of each thread. */
  keep: Keep;
  turnsBefore: number;
  threads: number;
  /** Answers measured, one at a time, spread over the threads. */
  answers: number;
  cpuMsPerAnswer: number;
  wallMsPerAnswer: number;
  /** What a thread's checkpoints take in Redis after those answers (`MEMORY USAGE` of its keys), mean. */
  redisKbPerThread: number;
}

export interface HistoryOptions {
  modelURL: string;
  redisUrl: string;
  /** Ascending thread lengths, in turns, before the answers measured. */
  turnsBefore: number[];
  threads: number;
  /** Answers measured per thread at each length. */
  answersPerThread: number;
  timeoutMs: number;
}

type HistoryReport = { rows: Omit<HistoryFigure, 'threads' | 'keep'>[] } | { error: string };

/** Prefix of the checkpointer's keys in the layers' processes. */
const KEY_PREFIX = 'bench-layers:';

/** Resident memory of one layer holding answers open, the model holding them before their first chunk. */
export interface HeldFigure {
  layer: LayerName;
  /** Answers started per step; two steps, one after the other. */
  perStep: number;
  /** Answers whose model response headers had arrived after each step. */
  open: [number, number];
  /** Median VmRSS before any answer, after step 1 and after step 2. */
  rssKb: [number, number, number];
  /** (VmRSS after step 2 − after step 1) / answers opened in step 2, each read after full collections. */
  rssPerAnswerKb: number | null;
  /** The same for the V8 heap in use (`heapUsed`). */
  heapPerAnswerKb: number | null;
}

export interface HeldOptions {
  modelURL: string;
  redisUrl: string;
  perStep: number;
  openTimeoutMs: number;
  settleMs: number;
  timeoutMs: number;
}

type HeldReport =
  | { open: [number, number]; rssKb: [number, number, number]; heapKb: [number, number, number] }
  | { error: string };

/** One answer of a layer, read to its end; `onToken` is called for each content token it yields. */
type Answer = (onToken: () => void) => Promise<void>;

/**
 * What an answer costs as its thread grows: the `turn` layer in a fresh process, answering one at a time
 * on a few threads grown turn by turn to each length (the growing is not measured), and what each
 * thread's checkpoints then take in Redis. The benchmark's other figures answer on new threads. Measured
 * twice, one process after the other: keeping every checkpoint, then the latest only.
 */
export async function benchHistory(options: HistoryOptions): Promise<HistoryFigure[]> {
  const figures: HistoryFigure[] = [];
  for (const keep of ['all', 'latest'] as const) {
    const report = await runChild<HistoryReport>(
      '--history',
      'turn',
      { ...options, keep },
      options.timeoutMs,
    );
    if ('error' in report) throw new Error(`long threads (keep ${keep}): ${report.error}`);
    figures.push(...report.rows.map((row) => ({ ...row, keep, threads: options.threads })));
  }
  return figures;
}

/** Measures every layer, one child process each, one after the other. */
export async function benchLayers(options: LayerOptions): Promise<LayerFigure[]> {
  const figures: LayerFigure[] = [];
  let previous: number | null = null;
  for (const { name, what } of LAYERS) {
    const report = await runLayer(name, options);
    if ('error' in report) throw new Error(`layer ${name}: ${report.error}`);
    const cpuMsPerAnswer = round(report.cpuMs / report.turns, 2);
    const cpu = summarize(report.firstToken.cpuMs);
    const wall = summarize(report.firstToken.wallMs);
    if (!cpu || !wall) throw new Error(`layer ${name}: no first token measured`);
    figures.push({
      layer: name,
      what,
      turns: report.turns,
      concurrency: options.concurrency,
      cpuMsPerAnswer,
      wallMsPerAnswer: round(report.wallMs / report.turns, 2),
      addedCpuMs: previous === null ? null : round(cpuMsPerAnswer - previous, 2),
      firstTokenAnswers: cpu.n,
      cpuMsToFirstToken: cpu.mean,
      cpuMsToFirstTokenP50: cpu.p50,
      wallMsToFirstToken: wall.mean,
      wallMsToFirstTokenP50: wall.p50,
    });
    previous = cpuMsPerAnswer;
  }
  return figures;
}

/**
 * What each layer keeps in memory per answer it holds open, measured like the service's idle streams
 * (`idle.ts`): in a fresh process per layer, answers the model holds before their first chunk are started
 * in two equal steps, and the cost of one more is the growth of the second step. The caller has the
 * model hold every answer before its first chunk for longer than this lasts.
 */
export async function benchHeldLayers(options: HeldOptions): Promise<HeldFigure[]> {
  const figures: HeldFigure[] = [];
  for (const { name } of LAYERS) {
    const report = await runChild<HeldReport>('--held', name, options, options.timeoutMs, ['--expose-gc']);
    if ('error' in report) throw new Error(`layer ${name}, held answers: ${report.error}`);
    const added = report.open[1] - report.open[0];
    const perAnswer = (kb: number[]) => (added > 0 ? round((kb[2] - kb[1]) / added, 1) : null);
    figures.push({
      layer: name,
      perStep: options.perStep,
      open: report.open,
      rssKb: report.rssKb,
      rssPerAnswerKb: perAnswer(report.rssKb),
      heapPerAnswerKb: perAnswer(report.heapKb),
    });
  }
  return figures;
}

function runLayer(name: LayerName, options: LayerOptions): Promise<Report> {
  return runChild<Report>('--layer', name, options, options.timeoutMs);
}

function runChild<R>(
  mode: string,
  name: LayerName,
  options: object,
  timeoutMs: number,
  execArgv: string[] = [],
): Promise<R | { error: string }> {
  const child = fork(join(__dirname, 'layers.js'), [mode, name, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
  });
  return new Promise<R | { error: string }>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ error: `no result within ${timeoutMs} ms` });
    }, timeoutMs);
    child.once('message', (msg: R) => {
      clearTimeout(timer);
      resolve(msg);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ error: `exited (${code}) without a result` });
    });
  });
}

/**
 * One answer of the layer. A token is what the layer hands on with content in it: a chunk with
 * `delta.content` (openai), a message chunk with text (chat-model), a `messages` event with text (graph),
 * a `text-delta` (turn).
 */
function answerOf(
  name: LayerName,
  options: { modelURL: string },
  redis: Redis,
  threadOf: () => string = randomUUID,
  keep: Keep = SERVICE_KEEP,
): Answer {
  const settings = { model: 'scripted-model', apiKey: 'bench', baseURL: options.modelURL, maxRetries: 0 };
  const question = 'Hello?';
  if (name === 'openai') {
    const client = new OpenAI({ apiKey: settings.apiKey, baseURL: settings.baseURL, maxRetries: 0 });
    return async (onToken) => {
      const stream = await client.chat.completions.create({
        model: settings.model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'system', content: AGENT_INSTRUCTIONS },
          { role: 'user', content: question },
        ],
      });
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) onToken();
    };
  }
  const llm = createChatModel(settings);
  if (name === 'chat-model') {
    return async (onToken) => {
      for await (const chunk of await llm.stream([new HumanMessage(question)])) if (chunk.text) onToken();
    };
  }
  const checkpointer = name === 'graph' ? undefined : new RedisSaver(redis, { keyPrefix: KEY_PREFIX, keep });
  const graph = createAgentGraph({
    llm,
    tools: [],
    prompt: AGENT_INSTRUCTIONS,
    checkpointer: checkpointer as BaseCheckpointSaver,
    needsApproval: new Set(),
  });
  if (name === 'turn') {
    const saver = checkpointer as RedisSaver;
    const turnOptions = {
      recursionLimit: 25,
      upstream: new URL(options.modelURL).host,
      asksApproval: false,
      thread: async (threadId: string) => {
        const tuple = await saver.getTuple({ configurable: { thread_id: threadId } });
        const values = tuple?.checkpoint.channel_values as { messages?: HumanMessage[] } | undefined;
        const handover = new ReadHandover(threadId, tuple).configurable();
        return { messages: values?.messages ?? [], pending: [], handover };
      },
    };
    return async (onToken) => {
      const userMessage: UIMessage = {
        id: randomUUID(),
        role: 'user',
        parts: [{ type: 'text', text: question }],
      };
      const input = { threadId: threadOf(), userMessage, signal: new AbortController().signal };
      for await (const chunk of streamTurn(graph, input, turnOptions))
        if (chunk.type === 'text-delta') onToken();
    };
  }
  return async (onToken) => {
    // Read as the turn reads it: the graph's own event generator.
    const events = graphEvents(
      graph,
      { messages: [new HumanMessage(question)] },
      {
        configurable: { thread_id: randomUUID() },
        streamMode: TURN_STREAM_MODE,
        recursionLimit: 25,
        durability: TURN_DURABILITY,
        signal: new AbortController().signal,
      },
    );
    for await (const [mode, payload] of events as AsyncIterable<[string, unknown]>) {
      if (mode === 'messages' && (payload as [BaseMessage, unknown])[0].text) onToken();
    }
  };
}

async function measureLayer(name: LayerName, options: LayerOptions): Promise<Report> {
  const redis = new Redis(options.redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    const answer = answerOf(name, options, redis);
    const ignore = () => undefined;
    const run = async (count: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          while (next++ < count) await answer(ignore);
        }),
      );
    };
    await run(options.warmUp);
    const cpu = process.cpuUsage();
    const start = performance.now();
    await run(options.turns);
    const used = process.cpuUsage(cpu);
    const wallMs = performance.now() - start;
    // One at a time, the process's CPU between an answer's start and its first token is that answer's.
    // The warm-up lets what the concurrent answers left (garbage, pending timers) settle first.
    const firstToken = { cpuMs: [] as number[], wallMs: [] as number[] };
    const alone = async (record: boolean) => {
      const cpuAtStart = process.cpuUsage();
      const startedAt = performance.now();
      let first = true;
      await answer(() => {
        if (!first) return;
        first = false;
        if (!record) return;
        const spent = process.cpuUsage(cpuAtStart);
        firstToken.wallMs.push(performance.now() - startedAt);
        firstToken.cpuMs.push((spent.user + spent.system) / 1000);
      });
      if (first) throw new Error('an answer without a token');
    };
    for (let i = 0; i < Math.min(options.warmUp, 50); i++) await alone(false);
    for (let i = 0; i < options.turns; i++) await alone(true);
    return { cpuMs: (used.user + used.system) / 1000, wallMs, turns: options.turns, firstToken };
  } finally {
    redis.disconnect();
  }
}

async function measureHistory(options: HistoryOptions & { keep: Keep }): Promise<HistoryReport> {
  const redis = new Redis(options.redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    let current = '';
    const answer = answerOf('turn', options, redis, () => current, options.keep);
    const ignore = () => undefined;
    const on = async (threadId: string) => {
      current = threadId;
      await answer(ignore);
    };
    // Code compiled and pools warm before anything is measured, on threads of their own.
    for (let i = 0; i < 50; i++) await on(randomUUID());
    const threads = Array.from({ length: options.threads }, () => randomUUID());
    // The same keys as the layer's checkpointer: it lists a thread's keys.
    const saver = new RedisSaver(redis, { keyPrefix: KEY_PREFIX });
    const bytesOf = async (threadId: string) => {
      const sizes = await Promise.all(
        (await saver.threadKeys(threadId)).map(
          (key) => redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0') as Promise<number | null>,
        ),
      );
      return sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0);
    };
    const rows: Omit<HistoryFigure, 'threads' | 'keep'>[] = [];
    let turns = 0;
    for (const length of options.turnsBefore) {
      for (; turns < length; turns++) for (const threadId of threads) await on(threadId);
      // A length below what the previous one's answers left is measured at that length instead.
      const turnsBefore = turns;
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let i = 0; i < options.answersPerThread; i++) for (const threadId of threads) await on(threadId);
      const used = process.cpuUsage(cpu);
      const wallMs = performance.now() - start;
      turns += options.answersPerThread;
      const answers = options.answersPerThread * threads.length;
      const bytes = await Promise.all(threads.map(bytesOf));
      rows.push({
        turnsBefore,
        answers,
        cpuMsPerAnswer: round((used.user + used.system) / 1000 / answers, 2),
        wallMsPerAnswer: round(wallMs / answers, 2),
        redisKbPerThread: round(bytes.reduce((a, b) => a + b, 0) / threads.length / 1024, 1),
      });
    }
    return { rows };
  } finally {
    redis.disconnect();
  }
}

/**
 * The medians of a few readings of VmRSS and of the heap in use, after full collections: what the
 * service's idle-streams figure reads once its idle collection has run, without waiting for it.
 */
async function memoryKb(): Promise<{ rss: number; heap: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  await sleep(100);
  gc();
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (i > 0) await sleep(200);
    rss.push(statusKb(process.pid, 'VmRSS'));
    heap.push(process.memoryUsage().heapUsed / 1024);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[2];
  return { rss: median(rss), heap: round(median(heap), 0) };
}

async function measureHeld(name: LayerName, options: HeldOptions): Promise<HeldReport> {
  const redis = new Redis(options.redisUrl, { lazyConnect: true });
  await redis.connect();
  const answer = answerOf(name, options, redis);
  // Every layer's model request goes through the process's fetch (undici), which reports each response's
  // headers: the model sends them before it holds the answer, so they mark an answer as open.
  let open = 0;
  subscribe('undici:request:headers', () => open++);
  const errors: string[] = [];
  const step = async () => {
    const target = open + options.perStep;
    // Started in batches, as the service's idle streams are opened: answers held open, not a storm.
    for (let i = 0; i < options.perStep; i += 50) {
      for (let j = 0; j < Math.min(50, options.perStep - i); j++) {
        answer(() => undefined).catch((err: unknown) => errors.push(String(err)));
      }
      const batchTarget = open + Math.min(50, options.perStep - i);
      const until = performance.now() + options.openTimeoutMs;
      while (open < batchTarget && performance.now() < until && errors.length === 0) await sleep(20);
    }
    if (errors.length > 0) throw new Error(errors[0]);
    if (open < target) throw new Error(`${open} of ${target} answers open after the time limit`);
    await sleep(options.settleMs);
    return { open, memory: await memoryKb() };
  };
  await sleep(options.settleMs);
  const before = await memoryKb();
  const first = await step();
  const second = await step();
  return {
    open: [first.open, second.open],
    rssKb: [before.rss, first.memory.rss, second.memory.rss],
    heapKb: [before.heap, first.memory.heap, second.memory.heap],
  };
}

const MODES = ['--layer', '--held', '--history'];

if (require.main === module && MODES.includes(process.argv[2])) {
  const name = process.argv[3] as LayerName;
  const options: unknown = JSON.parse(process.argv[4]);
  const measure: Promise<unknown> =
    process.argv[2] === '--layer'
      ? measureLayer(name, options as LayerOptions)
      : process.argv[2] === '--held'
        ? measureHeld(name, options as HeldOptions)
        : measureHistory(options as HistoryOptions & { keep: Keep });
  // The held answers are still open: the process ends once its report is sent.
  measure.then(
    (report) => process.send?.(report, () => process.exit(0)),
    (err: unknown) => process.send?.({ error: String(err) }, () => process.exit(1)),
  );
}
