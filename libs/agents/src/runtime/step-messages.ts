import { randomUUID } from 'node:crypto';
import { BaseCallbackHandler, type HandleLLMNewTokenCallbackFields } from '@langchain/core/callbacks/base';
import { AIMessageChunk, isBaseMessage, type BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { takeTurn } from './take-turns';

/**
 * A message, or a chunk of one, that a node of the agent hands to the turn's stream through LangGraph's
 * `custom` stream mode, with the step that made it. The turn reads it as a `messages` event: the chunks of
 * the model's reply as they come, and the messages a node adds that no model streamed (tool results,
 * denials), once each, when the node is done.
 *
 * LangGraph's own `messages` mode does the same through a callback handler that it gives the whole run,
 * so that every runnable of the graph (each node, channel write and branch) sets up and calls callback
 * managers for it. Here only the model call has a handler.
 */
export class StepMessage {
  constructor(
    readonly message: BaseMessage,
    /** The node's `langgraph_step`: the UI stream starts a step where it changes. */
    readonly step: number | undefined,
  ) {}

  /** The payload of a LangGraph `messages` event. */
  event(): ['messages', [BaseMessage, { langgraph_step?: number }]] {
    return ['messages', [this.message, this.step === undefined ? {} : { langgraph_step: this.step }]];
  }
}

type Writer = (message: BaseMessage) => void;

/**
 * Hands messages to the run's stream with the node's step. LangGraph gives every node a writer, which drops
 * what it is given unless the run reads the `custom` mode; outside a run there is none.
 */
function writerOf(config: LangGraphRunnableConfig): Writer | undefined {
  const { writer } = config;
  if (!writer) return undefined;
  const step = config.metadata?.langgraph_step;
  const at = typeof step === 'number' ? step : undefined;
  return (message) => writer(new StepMessage(message, at));
}

/**
 * Streams the messages a node returns, each given an id first if it has none (the UI stream needs one;
 * the messages reducer would give it one anyway, after the stream).
 */
export function streamNodeMessages(config: LangGraphRunnableConfig, messages: unknown): void {
  const write = writerOf(config);
  if (!Array.isArray(messages)) return;
  for (const message of messages) {
    if (!isBaseMessage(message)) continue;
    if (message.id == null) setId(message, randomUUID());
    write?.(message);
  }
}

/**
 * The model call's handler: hands each chunk of the reply to the stream as the model reads it, or the
 * whole reply when the model did not stream. Its chunks carry the ids LangGraph's `messages` mode gives
 * them: the model's id, else `run-<model run id>`, one id for the whole reply. Between chunks it lets
 * the event loop turn once they have held it for their budget (`takeTurn`): the model awaits it before
 * reading on. It also asks for the streamed call (`lc_prefer_streaming`), so that `invoke` streams even
 * when no one reads the stream, rather than take the path that counts the prompt's tokens with a
 * tokenizer fetched online.
 *
 * One handler does both: the callback manager's work for each chunk (a call and its promises per
 * handler) is paid once.
 */
export class ReplyChunks extends BaseCallbackHandler {
  name = 'ReplyChunks';
  override awaitHandlers = true;
  lc_prefer_streaming = true;
  private readonly write: Writer | undefined;
  private id: string | undefined;
  private streamed = false;

  constructor(config: LangGraphRunnableConfig) {
    super();
    this.write = writerOf(config);
  }

  override handleLLMNewToken(
    token: string,
    _idx: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: HandleLLMNewTokenCallbackFields,
  ): Promise<void> | undefined {
    this.streamed = true;
    if (this.write) {
      const chunk = fields?.chunk as { message?: unknown } | undefined;
      const message = isBaseMessage(chunk?.message) ? chunk.message : new AIMessageChunk({ content: token });
      let id = message.id;
      if (id == null || id === `run-${runId}`) id = this.id ?? id ?? `run-${runId}`;
      this.id ??= id;
      if (id !== message.id) setId(message, id);
      this.write(message);
    }
    return takeTurn();
  }

  override handleLLMEnd(output: LLMResult): void {
    if (this.streamed || !this.write) return;
    const message = (output.generations?.[0]?.[0] as { message?: unknown } | undefined)?.message;
    if (isBaseMessage(message)) this.write(message);
  }
}

/** The run's callbacks with the model call's handler added; a tracer the run has is kept. */
export function withReplyChunks(config: LangGraphRunnableConfig): LangGraphRunnableConfig {
  const handler = new ReplyChunks(config);
  const { callbacks } = config;
  if (callbacks === undefined) return { ...config, callbacks: [handler] };
  if (Array.isArray(callbacks)) return { ...config, callbacks: [...callbacks, handler] };
  const copy = callbacks.copy();
  copy.addHandler(handler, false);
  return { ...config, callbacks: copy };
}

function setId(message: BaseMessage, id: string): void {
  message.id = id;
  (message.lc_kwargs as { id?: string }).id = id;
}
