import { randomUUID } from 'node:crypto';
import { dropIdleConnections, httpJson, streamSse } from './http';
import type { ProcessMeter, Quiet } from './proc';
import { tokensIn } from './model-process';
import { round, summarize, type Summary } from './stats';

/** One simulated user's answer. Times are ms from `performance.now()`. */
export interface Sample {
  ok: boolean;
  error?: string;
  /** Stream request sent → first content token read. */
  ttftMs?: number;
  /** Thread creation sent → first content token read (floor: no thread). */
  ttftWithThreadMs?: number;
  tokens: number;
}

export type TargetName = 'floor' | 'ours' | 'peer';

export interface Target {
  name: TargetName;
  /** The server process (or tree) whose CPU and memory are charged to this target. */
  meter: ProcessMeter;
  /** A process the target relies on whose CPU is reported apart (Redis, for ours). */
  sideMeter?: ProcessMeter;
  answer(text: string, timeoutMs: number): Promise<Sample>;
}

export interface ScenarioResult {
  target: TargetName;
  concurrency: number;
  waves: number;
  answers: number;
  failed: number;
  errors: string[];
  ttftMs: Summary | null;
  ttftWithThreadMs: Summary | null;
  tokensReceived: number;
  tokensPerSecond: number | null;
  wallMs: number;
  cpuMs: number;
  cpuMsPerAnswer: number | null;
  cpuMsPerToken: number | null;
  /** CPU of the side process (Redis for ours) per answer. */
  sideCpuMsPerAnswer: number | null;
  /** Redis commands per answer (ours only: neither the floor nor the peer uses Redis). */
  redisCommandsPerAnswer?: { total: number; byCommand: Record<string, number> };
  rssKbAfter: number;
  peakRssKb: number;
  /** The unmeasured wave run before the cell (`runFirstWave`), or null when none ran. */
  firstWave: FirstWave | null;
  /** How long the cell waited for the machine to go quiet before it (`untilQuiet`), in a full run. */
  quiet?: Quiet;
}

/**
 * A wave of C users run before a cell's measured waves and counted in none of its figures: the first
 * time a target serves C users at once it also pays one-time costs (code compiled and heap grown for that
 * load, new connections where the idle ones have closed), which a burst after a quiet period meets.
 */
export interface FirstWave {
  answers: number;
  failed: number;
  ttftMs: Summary | null;
  ttftWithThreadMs: Summary | null;
  wallMs: number;
}

export interface ScenarioOptions {
  concurrency: number;
  waves: number;
  /** No wave starts after this `performance.now()` time. */
  deadline: number;
  timeoutMs: number;
  /**
   * Each wave's users connect anew: the client's idle sockets are closed before the wave. Otherwise a
   * wave reuses the sockets of the one before if they are still open (4 s), which depends on what ran
   * in between.
   */
  newConnections?: boolean;
  /** The tokens each answer carries: an answer that reads fewer or more has failed. */
  expectTokens?: number;
}

/** One wave: C users starting together. */
async function runWave(
  target: Target,
  options: ScenarioOptions,
  w: number | 'first',
): Promise<{ samples: Sample[]; wallMs: number }> {
  if (options.newConnections) dropIdleConnections();
  const start = performance.now();
  const batch = await Promise.all(
    Array.from({ length: options.concurrency }, (_, i) =>
      target
        .answer(`question ${w}.${i}`, options.timeoutMs)
        .catch((err: unknown): Sample => ({ ok: false, error: String(err), tokens: 0 })),
    ),
  );
  return {
    samples: batch.map((s) => checkTokens(s, options.expectTokens)),
    wallMs: performance.now() - start,
  };
}

/** The wave run before a cell's measured waves (`FirstWave`); nothing it costs is counted in the cell. */
export async function runFirstWave(target: Target, options: ScenarioOptions): Promise<FirstWave> {
  const first = await runWave(target, options, 'first');
  const ok = first.samples.filter((s) => s.ok);
  return {
    answers: first.samples.length,
    failed: first.samples.length - ok.length,
    ttftMs: timesOf(ok, (s) => s.ttftMs),
    ttftWithThreadMs: timesOf(ok, (s) => s.ttftWithThreadMs),
    wallMs: round(first.wallMs),
  };
}

/** Runs `waves` rounds of C users starting together; every bound is a count or a deadline. */
export async function runScenario(target: Target, options: ScenarioOptions): Promise<ScenarioResult> {
  const samples: Sample[] = [];
  let wallMs = 0;
  let waves = 0;
  const cpuBefore = target.meter.cpuMs();
  const sideBefore = target.sideMeter?.cpuMs() ?? 0;
  for (let w = 0; w < options.waves && (w === 0 || performance.now() < options.deadline); w++) {
    const measuredWave = await runWave(target, options, w);
    wallMs += measuredWave.wallMs;
    waves++;
    samples.push(...measuredWave.samples);
  }
  const cpuMs = target.meter.cpuMs() - cpuBefore;
  const sideMs = (target.sideMeter?.cpuMs() ?? 0) - sideBefore;
  const ok = samples.filter((s) => s.ok);
  const tokens = samples.reduce((sum, s) => sum + s.tokens, 0);
  return {
    target: target.name,
    concurrency: options.concurrency,
    waves,
    answers: samples.length,
    failed: samples.length - ok.length,
    errors: [...new Set(samples.filter((s) => !s.ok).map((s) => s.error ?? 'unknown'))].slice(0, 5),
    ttftMs: timesOf(ok, (s) => s.ttftMs),
    ttftWithThreadMs: timesOf(ok, (s) => s.ttftWithThreadMs),
    tokensReceived: tokens,
    tokensPerSecond: wallMs > 0 && tokens > 0 ? Math.round((tokens * 1000) / wallMs) : null,
    wallMs: round(wallMs),
    cpuMs: round(cpuMs),
    cpuMsPerAnswer: ok.length > 0 ? round(cpuMs / ok.length, 3) : null,
    cpuMsPerToken: tokens > 0 ? round(cpuMs / tokens, 4) : null,
    sideCpuMsPerAnswer: target.sideMeter && ok.length > 0 ? round(sideMs / ok.length, 3) : null,
    rssKbAfter: target.meter.rssKb('VmRSS'),
    peakRssKb: target.meter.rssKb('VmHWM'),
    firstWave: null,
  };
}

function timesOf(samples: Sample[], pick: (s: Sample) => number | undefined): Summary | null {
  return summarize(samples.map(pick).filter((x): x is number => x !== undefined));
}

/**
 * What serving its first answers cost a target: the CPU per answer of the warm-up's first and last parts
 * (about a fifth each). A process keeps getting cheaper per answer for its first few thousand answers
 * (code compiled for the load, the heap sized to it), which the cells after the warm-up do not see.
 */
export interface WarmUpFigures {
  answers: number;
  failed: number;
  concurrency: number;
  first: WarmUpPart | null;
  /** Null when the warm-up stopped early (the run's time limit). */
  last: WarmUpPart | null;
  wallMs: number;
}

export interface WarmUpPart {
  answers: number;
  cpuMsPerAnswer: number;
}

/**
 * Serves `answers` answers in waves of `concurrency` (fewer if `deadline` passes), measuring the CPU of
 * its first and its last fifth or so (whole waves).
 */
export async function warmUp(
  target: Target,
  options: { answers: number; concurrency: number; timeoutMs: number; deadline: number },
): Promise<WarmUpFigures> {
  const { answers, concurrency } = options;
  const part = Math.max(1, Math.floor(answers / 5));
  const started = performance.now();
  const startCpu = target.meter.cpuMs();
  let done = 0;
  let failed = 0;
  let first: WarmUpPart | null = null;
  let lastFrom: { done: number; cpuMs: number } | undefined;
  while (done < answers && (done === 0 || performance.now() < options.deadline)) {
    const n = Math.min(concurrency, answers - done);
    // The wave that reaches into the last part starts it: parts are whole waves.
    if (!lastFrom && done + n > answers - part) lastFrom = { done, cpuMs: target.meter.cpuMs() };
    const samples = await Promise.all(
      Array.from({ length: n }, () =>
        target.answer('warm-up', options.timeoutMs).catch((err: unknown) => failure(String(err))),
      ),
    );
    failed += samples.filter((s) => !s.ok).length;
    done += n;
    if (!first && done >= part) {
      first = { answers: done, cpuMsPerAnswer: round((target.meter.cpuMs() - startCpu) / done) };
    }
  }
  const last =
    lastFrom && done === answers
      ? {
          answers: done - lastFrom.done,
          cpuMsPerAnswer: round((target.meter.cpuMs() - lastFrom.cpuMs) / (done - lastFrom.done)),
        }
      : null;
  return { answers: done, failed, concurrency, first, last, wallMs: round(performance.now() - started) };
}

function checkTokens(sample: Sample, expected: number | undefined): Sample {
  if (!sample.ok || expected === undefined || sample.tokens === expected) return sample;
  return { ...sample, ok: false, error: `read ${sample.tokens} of ${expected} tokens` };
}

function failure(error: string, tokens = 0): Sample {
  return { ok: false, error, tokens };
}

/** The same client reading the scripted model directly: the physical limit. */
export function floorTarget(baseURL: string, meter: ProcessMeter): Target {
  return {
    name: 'floor',
    meter,
    async answer(text, timeoutMs) {
      let first: number | undefined;
      let tokens = 0;
      const sent = performance.now();
      const body = { model: 'scripted-model', messages: [{ role: 'user', content: text }], stream: true };
      const res = await streamSse(
        `${baseURL}/chat/completions`,
        body,
        (_event, data) => {
          if (data === '[DONE]') return;
          const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: unknown } }> };
          const content = chunk.choices?.[0]?.delta?.content;
          if (typeof content === 'string' && content.length > 0) {
            tokens += tokensIn(content);
            first ??= performance.now();
          }
        },
        { timeoutMs },
      );
      if (res.error) return failure(res.error, tokens);
      if (first === undefined) return failure('no content delta', tokens);
      return { ok: true, ttftMs: first - sent, tokens };
    },
  };
}

/** Our service: POST /threads, then the AI SDK DefaultChatTransport request on /threads/{id}/stream. */
export function oursTarget(baseUrl: string, meter: ProcessMeter, redis?: ProcessMeter): Target {
  const agentId = 'assistant';
  return {
    name: 'ours',
    meter,
    sideMeter: redis,
    async answer(text, timeoutMs) {
      const started = performance.now();
      const created = await httpJson('POST', `${baseUrl}/threads`, { agentId }, timeoutMs);
      const id = (created.json as { id?: unknown } | undefined)?.id;
      if (created.status !== 201 || typeof id !== 'string') {
        return failure(`POST /threads: HTTP ${created.status} ${created.text.slice(0, 200)}`);
      }
      let first: number | undefined;
      let tokens = 0;
      let streamError: string | undefined;
      let done = false;
      const body = {
        id,
        messages: [{ id: randomUUID(), role: 'user', parts: [{ type: 'text', text }] }],
        trigger: 'submit-message',
      };
      const sent = performance.now();
      const res = await streamSse(
        `${baseUrl}/threads/${id}/stream`,
        body,
        (_event, data) => {
          if (data === '[DONE]') {
            done = true;
            return;
          }
          const chunk = JSON.parse(data) as { type?: unknown; delta?: unknown; errorText?: unknown };
          if (chunk.type === 'text-delta') {
            tokens += tokensIn(String(chunk.delta));
            first ??= performance.now();
          } else if (chunk.type === 'error') {
            streamError = `error chunk: ${String(chunk.errorText)}`;
          }
        },
        { timeoutMs },
      );
      if (res.error || streamError) return failure(res.error ?? streamError ?? '', tokens);
      if (first === undefined) return failure(done ? 'no text-delta before [DONE]' : 'no text-delta', tokens);
      return { ok: true, ttftMs: first - sent, ttftWithThreadMs: first - started, tokens };
    },
  };
}

/** LangGraph's JS API server: POST /threads, then a run streamed with messages-tuple. */
export function peerTarget(baseUrl: string, meter: ProcessMeter, assistantId: string): Target {
  return {
    name: 'peer',
    meter,
    async answer(text, timeoutMs) {
      const started = performance.now();
      const created = await httpJson('POST', `${baseUrl}/threads`, {}, timeoutMs);
      const id = (created.json as { thread_id?: unknown } | undefined)?.thread_id;
      if (created.status !== 200 || typeof id !== 'string') {
        return failure(`POST /threads: HTTP ${created.status} ${created.text.slice(0, 200)}`);
      }
      let first: number | undefined;
      let tokens = 0;
      let streamError: string | undefined;
      const body = {
        assistant_id: assistantId,
        input: { messages: [{ role: 'user', content: text }] },
        stream_mode: ['messages-tuple'],
      };
      const sent = performance.now();
      const res = await streamSse(
        `${baseUrl}/threads/${id}/runs/stream`,
        body,
        (event, data) => {
          if (event === 'error') streamError = `error event: ${data.slice(0, 200)}`;
          if (event !== 'messages') return;
          const [chunk] = JSON.parse(data) as [{ content?: unknown }, unknown];
          if (typeof chunk?.content === 'string' && chunk.content.length > 0) {
            tokens += tokensIn(chunk.content);
            first ??= performance.now();
          }
        },
        { timeoutMs },
      );
      if (res.error || streamError) return failure(res.error ?? streamError ?? '', tokens);
      if (first === undefined) return failure('no message chunk with content', tokens);
      return { ok: true, ttftMs: first - sent, ttftWithThreadMs: first - started, tokens };
    },
  };
}

/** Waves of a third of the warm-up, at most 50 users: 30 answers go 10 at a time. */
export function warmUpConcurrency(answers: number): number {
  return Math.min(50, Math.ceil(answers / 3));
}

/** One target's warm-up on one line: what its first answers cost against its last ones. */
export function describeWarmUp(name: string, w: WarmUpFigures): string {
  const part = (p: WarmUpFigures['first']) => (p ? `${p.cpuMsPerAnswer} ms over ${p.answers}` : '–');
  return (
    `${name.padEnd(5)} ${w.answers} answers in ${(w.wallMs / 1000).toFixed(1)} s, ${w.failed} failed; ` +
    `CPU per answer: first ${part(w.first)}, last ${part(w.last)}`
  );
}
