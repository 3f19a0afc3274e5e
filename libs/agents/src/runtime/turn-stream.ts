import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { GraphRecursionError } from '@langchain/langgraph';
import { toUIMessageStream } from '@ai-sdk/langchain';
import type { UIMessage, UIMessageChunk } from 'ai';
import type { AgentGraph } from './agent-graphs';
import { cancelledResults, turnInput } from './messages';
import { PartialStep } from './partial-step';

const logger = new Logger('AgentRuntime');

export interface TurnInput {
  threadId: string;
  /** The last user message; its id becomes the LangChain HumanMessage id. */
  userMessage: UIMessage;
  /** The id of the assistant message to announce in `start`; a fresh one when absent. */
  messageId?: string;
  signal: AbortSignal;
}

export interface TurnOptions {
  recursionLimit: number;
  /** Names the model server in error texts. */
  upstream: string;
  /** The thread's messages as checkpointed. */
  history(threadId: string): Promise<BaseMessage[]>;
}

/**
 * One turn as UI message chunks: `start` (with the reply id) → the steps as `@ai-sdk/langchain` maps the
 * graph's `values` + `messages` events → `finish`, or an `error` chunk then `finish`, or `abort` then
 * `finish` when the signal fires. Never throws.
 */
export async function* streamTurn(
  graph: AgentGraph,
  input: TurnInput,
  options: TurnOptions,
): AsyncGenerator<UIMessageChunk> {
  const replyId = input.messageId ?? `msg-${randomUUID()}`;
  const config = { configurable: { thread_id: input.threadId } };
  yield { type: 'start', messageId: replyId };
  let failure: unknown;
  let failed = false;
  const step = new PartialStep();
  try {
    const history = await options.history(input.threadId);
    const events = await graph.stream(
      { messages: turnInput(history, input.userMessage, replyId) },
      {
        ...config,
        streamMode: ['values', 'messages'],
        recursionLimit: options.recursionLimit,
        // Each step's checkpoint is stored before the next step starts, so a stop or a crash never
        // loses a finished step (e.g. the model's tool calls) to a write still in flight.
        durability: 'sync',
        signal: input.signal,
      },
    );
    const chunks = toUIMessageStream(readable(withReasoning(events)), {
      sendStart: false,
      sendFinish: false,
      onError: (error) => {
        failure = error;
      },
    });
    for await (const chunk of chunks as unknown as AsyncIterable<UIMessageChunk>) {
      if (chunk.type === 'error') {
        failed = true;
        break;
      }
      step.track(chunk);
      yield chunk;
    }
  } catch (error) {
    failed = true;
    failure = error;
  }
  const stopped = input.signal.aborted;
  if (stopped || failed) {
    yield* step.closers();
    await settle(graph, options, input.threadId, step).catch(() => undefined);
  }
  if (stopped) {
    yield { type: 'abort', reason: 'stopped' };
  } else if (failed) {
    const errorText = describeFailure(failure, options);
    logger.warn(`Turn on thread ${input.threadId} failed: ${errorText}`);
    yield { type: 'error', errorText };
  }
  yield { type: 'finish' };
}

/**
 * Chat-completions servers send reasoning as `reasoning_content`, which `@ai-sdk/langchain` does not map;
 * it maps reasoning content blocks, so each such delta is also passed on as one.
 */
async function* withReasoning(events: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  for await (const event of events) {
    const reasoning = reasoningDelta(event);
    if (reasoning) {
      const [, [chunk, metadata]] = event as [string, [AIMessageChunk, unknown]];
      const block = new AIMessageChunk({ id: chunk.id, content: [{ type: 'reasoning', reasoning }] });
      yield ['messages', [block, metadata]];
    }
    yield event;
  }
}

function readable(source: AsyncGenerator<unknown>): ReadableStream<unknown> {
  return new ReadableStream({
    async pull(controller) {
      const next = await source.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await source.return(undefined);
    },
  });
}

function reasoningDelta(event: unknown): string | undefined {
  if (!Array.isArray(event) || event[0] !== 'messages' || !Array.isArray(event[1])) return undefined;
  const chunk: unknown = event[1][0];
  if (!AIMessageChunk.isInstance(chunk)) return undefined;
  const reasoning = chunk.additional_kwargs.reasoning_content;
  return typeof reasoning === 'string' && reasoning !== '' ? reasoning : undefined;
}

/**
 * Leaves a cut-short turn valid for the next one: calls no result will answer get a cancelled result
 * (model servers reject unanswered calls), and the text the client was shown of an unfinished step is
 * kept, so the thread reloads as the client saw it.
 */
async function settle(
  graph: AgentGraph,
  options: TurnOptions,
  threadId: string,
  step: PartialStep,
): Promise<void> {
  const config = { configurable: { thread_id: threadId } };
  const history = await options.history(threadId);
  const results = cancelledResults(history);
  if (results.length > 0) await graph.updateState(config, { messages: results }, 'tools');
  const partial = step.unsaved(history);
  if (partial.length > 0) await graph.updateState(config, { messages: partial }, 'agent');
}

/** A short text for the client: the kind of failure and the upstream, never a stack or a secret. */
function describeFailure(error: unknown, options: TurnOptions): string {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  if (error instanceof GraphRecursionError || /recursion limit/i.test(text)) {
    return `The agent stopped after ${options.recursionLimit} steps without an answer (AGENT_RECURSION_LIMIT).`;
  }
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return `The model server (${options.upstream}) answered HTTP ${status}.`;
  // Errors from fetch may come from another realm and arrive wrapped: read the text, not the class.
  if (/timed? ?out/i.test(text)) return `The model server (${options.upstream}) timed out.`;
  if (/terminated|connection|socket|network|fetch failed|ECONN|EPIPE|premature/i.test(text)) {
    return `The model server (${options.upstream}) could not be reached or dropped the connection.`;
  }
  return 'The agent run failed.';
}
