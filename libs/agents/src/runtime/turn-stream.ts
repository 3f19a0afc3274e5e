import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AIMessageChunk, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { Command, GraphRecursionError } from '@langchain/langgraph';
import { toUIMessageStream } from '@ai-sdk/langchain';
import type { UIMessage, UIMessageChunk } from 'ai';
import type { AgentGraph } from './agent-graphs';
import type { ApprovalAnswer, ApprovalDecisions, PendingApproval } from './approvals';
import { cancelledResults, danglingToolCalls, REPLY_ID_KEY, turnInput } from './messages';
import { PartialStep } from './partial-step';
import { StepMessage } from './step-messages';

const logger = new Logger('AgentRuntime');

/**
 * Each step's checkpoint is stored before the next step starts, so a stop or a crash never loses a finished
 * step (e.g. the model's tool calls) to a write still in flight, and a write Redis refuses stops the run
 * before the next step runs. Writing while the next step runs ('async') was measured: the writes are quick
 * next to the CPU work around them and the first token came no sooner.
 */
export const TURN_DURABILITY = 'sync';

/**
 * The graph's events a turn reads: its state after each step (`values`), and the messages its nodes hand
 * on (`custom`: `StepMessage`s, read as the `messages` events `@ai-sdk/langchain` maps).
 */
export const TURN_STREAM_MODE: ['values', 'custom'] = ['values', 'custom'];

/** A new user message, or the answers to the approvals the thread waits for. */
export type TurnInput = {
  threadId: string;
  signal: AbortSignal;
} & (
  | {
      /** The last user message; its id becomes the LangChain HumanMessage id. */
      userMessage: UIMessage;
      /** The id of the assistant message to announce in `start`; a fresh one when absent. */
      messageId?: string;
      approvals?: undefined;
    }
  | {
      /** Answers to every pending approval; the run resumes where it paused, in the same message. */
      approvals: ApprovalAnswer[];
      userMessage?: undefined;
      messageId?: undefined;
    }
);

type ThreadState = {
  messages: BaseMessage[];
  pending: PendingApproval[];
  /**
   * `configurable` members that hand this read to the run, so that the graph does not read and decode the
   * thread a second time (the checkpointer's `ReadHandover`; any other checkpointer just reads again).
   */
  handover?: Record<string, unknown>;
};

export interface TurnOptions {
  recursionLimit: number;
  /** Names the model server in error texts. */
  upstream: string;
  /** Whether the graph may pause for approval: only then is the thread read again after a turn. */
  asksApproval: boolean;
  /** The thread's messages and the approvals it waits for, from one read of its checkpoint. */
  thread(threadId: string): Promise<ThreadState>;
}

/**
 * One turn as UI message chunks: `start` (with the reply id) → the steps as `@ai-sdk/langchain` maps the
 * graph's `values` and messages events → `finish`, or an `error` chunk then `finish`, or `abort` then
 * `finish` when the signal fires. Never throws.
 */
export async function* streamTurn(
  graph: AgentGraph,
  input: TurnInput,
  options: TurnOptions,
): AsyncGenerator<UIMessageChunk> {
  // The checkpoint is read once per turn (its messages and the approvals it waits for), and handed to the
  // graph; a resumed run needs it before `start`, to go on in the paused message.
  let before = input.approvals ? await options.thread(input.threadId).catch(() => undefined) : undefined;
  const replyId = input.approvals
    ? lastReplyId(before?.messages ?? [])
    : (input.messageId ?? `msg-${randomUUID()}`);
  yield { type: 'start', messageId: replyId };
  let failure: unknown;
  let failed = false;
  const step = new PartialStep();
  const resumed = new Resumed();
  const framing = new StepFraming();
  try {
    let thread: ThreadState | undefined = before ?? (await options.thread(input.threadId));
    const graphInput = graphInputOf(input, replyId, resumed, thread);
    const configurable = { thread_id: input.threadId, ...thread.handover };
    // A suspended generator keeps its variables: the history read must not stay in memory, next to the
    // graph's own copy of the thread, for as long as the answer streams.
    before = thread = undefined;
    const events = graphEvents(graph, graphInput, {
      configurable,
      streamMode: TURN_STREAM_MODE,
      recursionLimit: options.recursionLimit,
      durability: TURN_DURABILITY,
      signal: input.signal,
    });
    // It reads any async iterable (its type names only model chunks): no ReadableStream in between.
    const source = events as Parameters<typeof toUIMessageStream>[0];
    const chunks = toUIMessageStream(source, {
      sendStart: false,
      sendFinish: false,
      onError: (error) => {
        failure = error;
      },
    });
    for await (const raw of chunks as unknown as AsyncIterable<UIMessageChunk>) {
      if (raw.type === 'error') {
        failed = true;
        break;
      }
      const chunk = resumed.map(raw);
      if (!chunk) continue;
      for (const out of framing.push(chunk)) {
        step.track(out);
        yield out;
      }
    }
    if (options.asksApproval && !failed && !input.signal.aborted) {
      // Asked before the paused step ends, as the AI SDK does.
      for (const approval of (await options.thread(input.threadId)).pending) {
        yield {
          type: 'tool-approval-request',
          approvalId: approval.approvalId,
          toolCallId: approval.toolCallId,
        };
      }
    }
  } catch (error) {
    failed = true;
    failure = error;
  }
  yield* framing.end();
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

/** The graph's input: the resume value of the answered approvals, or the user's message. */
function graphInputOf(
  input: TurnInput,
  replyId: string,
  resumed: Resumed,
  { messages, pending }: ThreadState,
): Parameters<AgentGraph['stream']>[0] {
  if (input.approvals) return new Command({ resume: resumed.decide(messages, pending, input.approvals) });
  // Calls still waiting for approval are closed: the user moved on without answering them.
  const unanswered = pending.map((p) => p.toolCallId);
  return { messages: turnInput(messages, input.userMessage, replyId, unanswered) };
}

/** The reply id of the thread's last turn: a resumed run goes on in the same assistant message. */
function lastReplyId(history: BaseMessage[]): string {
  for (let i = history.length - 1; i >= 0; i--) {
    const id = HumanMessage.isInstance(history[i]) ? history[i].additional_kwargs[REPLY_ID_KEY] : undefined;
    if (typeof id === 'string') return id;
  }
  return `msg-${randomUUID()}`;
}

const TOOL_OUTPUTS = new Set<UIMessageChunk['type']>([
  'tool-output-available',
  'tool-output-error',
  'tool-output-denied',
]);

/**
 * Steps as the AI SDK client counts them: a model call and the results of its tool calls. The graph runs
 * tools (and approval answers) as steps of their own, which the chunks would otherwise frame with an
 * empty `start-step` … `finish-step`; their results join the step that made the calls instead, so that a
 * step paused for approval holds every call of that step (what `lastAssistantMessageIsCompleteWith…`
 * reads). A step's `finish-step` is held until the next step starts, so results and approval requests
 * come before it.
 */
class StepFraming {
  private finish?: UIMessageChunk;
  private start?: UIMessageChunk;
  private inToolStep = false;

  *push(chunk: UIMessageChunk): Generator<UIMessageChunk> {
    if (chunk.type === 'start-step') {
      this.start = chunk;
      return;
    }
    if (this.start) {
      const start = this.start;
      this.start = undefined;
      if (TOOL_OUTPUTS.has(chunk.type)) {
        this.inToolStep = true;
        yield chunk;
        return;
      }
      if (this.finish) yield this.finish;
      this.finish = undefined;
      yield start;
    }
    if (chunk.type === 'finish-step') {
      if (!this.inToolStep) this.finish = chunk;
      this.inToolStep = false;
      return;
    }
    yield chunk;
  }

  /** The last step's end, if it is still held. */
  *end(): Generator<UIMessageChunk> {
    if (this.finish) yield this.finish;
    this.finish = undefined;
    this.start = undefined;
  }
}

/**
 * What a run resumed from approvals must not stream again: the paused calls were already streamed
 * (their input is not sent twice), and a denied call's result is the AI SDK's `tool-output-denied`.
 */
class Resumed {
  private readonly paused = new Set<string>();
  private readonly denied = new Set<string>();
  private readonly deniedSent = new Set<string>();

  /** The resume value: each pending call's answer, by tool call id. */
  decide(history: BaseMessage[], pending: PendingApproval[], answers: ApprovalAnswer[]): ApprovalDecisions {
    // Every call of the paused step was streamed, including those that needed no approval.
    for (const call of danglingToolCalls(history)) this.paused.add(call.id);
    const byId = new Map(answers.map((a) => [a.approvalId, a]));
    const decisions: ApprovalDecisions = {};
    for (const approval of pending) {
      const answer = byId.get(approval.approvalId);
      if (!answer) continue;
      if (!answer.approved) this.denied.add(approval.toolCallId);
      decisions[approval.toolCallId] = {
        approvalId: answer.approvalId,
        approved: answer.approved,
        ...(answer.reason ? { reason: answer.reason } : {}),
      };
    }
    return decisions;
  }

  map(chunk: UIMessageChunk): UIMessageChunk | undefined {
    switch (chunk.type) {
      case 'tool-input-start':
      case 'tool-input-delta':
      case 'tool-input-available':
        return this.paused.has(chunk.toolCallId) ? undefined : chunk;
      case 'tool-output-available':
      case 'tool-output-error':
        if (!this.denied.has(chunk.toolCallId)) return chunk;
        if (this.deniedSent.has(chunk.toolCallId)) return undefined;
        this.deniedSent.add(chunk.toolCallId);
        return { type: 'tool-output-denied', toolCallId: chunk.toolCallId };
      default:
        return chunk;
    }
  }
}

type GraphOptions = NonNullable<Parameters<AgentGraph['stream']>[1]> & { signal: AbortSignal };

/**
 * The graph's `[mode, payload]` events, read from the graph's own generator; the `StepMessage`s its nodes
 * write come out as the `messages` events they stand for. `graph.stream()` hands the same events on
 * through two more layers (a generator that re-enters LangChain's async context and races the signal
 * for every event, then a ReadableStream): about a sixth of the graph's CPU per answer, for nothing a
 * turn needs. Their one other duty is kept: a reader that stops early aborts the run, which
 * would otherwise go on to its end while the generator closes.
 *
 * Chat-completions servers send reasoning as `reasoning_content`, which `@ai-sdk/langchain` does not map;
 * it maps reasoning content blocks, so each such delta is also passed on as one, before its chunk.
 */
export async function* graphEvents(
  graph: AgentGraph,
  input: Parameters<AgentGraph['stream']>[0],
  options: GraphOptions,
): AsyncGenerator<unknown> {
  const left = new AbortController();
  const events = graph._streamIterator(input, {
    ...options,
    signal: AbortSignal.any([options.signal, left.signal]),
  });
  let ended = false;
  try {
    for (let next = await events.next(); !next.done; next = await events.next()) {
      const event = stepMessageEvent(next.value);
      const reasoning = reasoningDelta(event);
      if (reasoning) {
        const [, [chunk, metadata]] = event as [string, [AIMessageChunk, unknown]];
        const block = new AIMessageChunk({ id: chunk.id, content: [{ type: 'reasoning', reasoning }] });
        yield ['messages', [block, metadata]];
      }
      yield event;
    }
    ended = true;
  } finally {
    if (!ended) {
      // Closing the graph's generator waits for the run's end: the run is stopped first.
      left.abort();
      await events.return(undefined);
    }
  }
}

function stepMessageEvent(event: unknown): unknown {
  return Array.isArray(event) && event[0] === 'custom' && event[1] instanceof StepMessage
    ? event[1].event()
    : event;
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
  const { messages: history } = await options.thread(threadId);
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
