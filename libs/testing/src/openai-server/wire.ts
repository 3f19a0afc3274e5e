import type { ScriptedAnswer } from './types';

/** Per-request facts that every chunk of one answer repeats. */
export interface WireContext {
  id: string;
  model: string;
  created: number;
  includeUsage: boolean;
  requestBytes: number;
}

interface ResolvedCall {
  index: number;
  id: string;
  name: string;
  args: string;
  pieces: string[];
}

export interface ResolvedAnswer {
  reasoning: readonly string[];
  text: readonly string[];
  calls: ResolvedCall[];
  finishReason: string;
  usage: WireUsage;
  /** Chunks subject to pacing: the role chunk, every delta, the finish chunk. */
  pacedChunks: number;
}

interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

export const DONE_FRAME = 'data: [DONE]\n\n';

const WORDS = /\s*\S+|\s+/g;

function deltas(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  if (typeof value !== 'string') return value;
  return value.match(WORDS) ?? [];
}

function splitEvenly(s: string, parts: number): string[] {
  if (s.length === 0) return [];
  const n = Math.max(1, Math.min(Math.floor(parts), s.length));
  const size = Math.ceil(s.length / n);
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

export function resolveAnswer(
  answer: ScriptedAnswer,
  ctx: WireContext,
  newCallId: () => string,
): ResolvedAnswer {
  const reasoning = deltas(answer.reasoning);
  const text = deltas(answer.text);
  let toolChunks = 0;
  const calls = (answer.toolCalls ?? []).map((call, index): ResolvedCall => {
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    const pieces = splitEvenly(args, call.argumentChunks ?? 3);
    toolChunks += 1 + pieces.length;
    return { index, id: call.id ?? newCallId(), name: call.name, args, pieces };
  });
  const prompt = answer.usage?.promptTokens ?? Math.ceil(ctx.requestBytes / 4);
  const completion = answer.usage?.completionTokens ?? reasoning.length + text.length + toolChunks;
  return {
    reasoning,
    text,
    calls,
    finishReason: answer.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop'),
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: answer.usage?.reasoningTokens ?? reasoning.length,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    pacedChunks: 2 + reasoning.length + text.length + toolChunks,
  };
}

/**
 * Renders every `data:` frame of a streamed answer (without `[DONE]`). The envelope around the delta is
 * built once per answer so that each chunk costs one small `JSON.stringify`.
 */
export function streamFrames(answer: ResolvedAnswer, ctx: WireContext): string[] {
  const head =
    `data: {"id":${JSON.stringify(ctx.id)},"object":"chat.completion.chunk","created":${ctx.created},` +
    `"model":${JSON.stringify(ctx.model)},"system_fingerprint":null,"choices":[{"index":0,"delta":`;
  const usageNull = ctx.includeUsage ? ',"usage":null' : '';
  const tail = `,"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`;
  const frames: string[] = [];
  const push = (delta: unknown) => frames.push(head + JSON.stringify(delta) + tail);

  push({ role: 'assistant', content: '', refusal: null });
  for (const r of answer.reasoning) push({ reasoning_content: r });
  for (const t of answer.text) push({ content: t });
  const rounds = answer.calls.reduce((max, c) => Math.max(max, c.pieces.length), 0) + 1;
  for (let round = 0; round < rounds; round++) {
    for (const call of answer.calls) {
      if (round === 0) {
        push({
          tool_calls: [
            {
              index: call.index,
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: '' },
            },
          ],
        });
      } else if (round <= call.pieces.length) {
        push({ tool_calls: [{ index: call.index, function: { arguments: call.pieces[round - 1] } }] });
      }
    }
  }
  frames.push(
    `${head}{},"logprobs":null,"finish_reason":${JSON.stringify(answer.finishReason)}}]${usageNull}}\n\n`,
  );
  if (ctx.includeUsage) {
    frames.push(
      `data: {"id":${JSON.stringify(ctx.id)},"object":"chat.completion.chunk","created":${ctx.created},` +
        `"model":${JSON.stringify(ctx.model)},"system_fingerprint":null,"choices":[],` +
        `"usage":${JSON.stringify(answer.usage)}}\n\n`,
    );
  }
  return frames;
}

/** The `chat.completion` object of a non-streamed request. */
export function completionBody(answer: ResolvedAnswer, ctx: WireContext): string {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: answer.text.length > 0 || answer.calls.length === 0 ? answer.text.join('') : null,
    refusal: null,
    annotations: [],
  };
  if (answer.reasoning.length > 0) message.reasoning_content = answer.reasoning.join('');
  if (answer.calls.length > 0) {
    message.tool_calls = answer.calls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.args },
    }));
  }
  return JSON.stringify({
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: answer.finishReason }],
    usage: answer.usage,
    service_tier: 'default',
    system_fingerprint: null,
  });
}

function defaultErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function errorBody(
  status: number,
  message: string,
  type?: string,
  code?: string | null,
  param: string | null = null,
): string {
  const defaultCode = status === 429 ? 'rate_limit_exceeded' : null;
  return JSON.stringify({
    error: {
      message,
      type: type ?? defaultErrorType(status),
      param,
      code: code === undefined ? defaultCode : code,
    },
  });
}
