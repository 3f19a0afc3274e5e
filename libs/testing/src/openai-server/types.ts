/** A tool call the scripted model makes. */
export interface ScriptedToolCall {
  /** Defaults to a fresh `call_scripted_<n>`; ids stay unique across the server's lifetime. */
  id?: string;
  name: string;
  /** An object is serialised with `JSON.stringify`; a string is sent verbatim (useful for malformed JSON). */
  arguments: Record<string, unknown> | string;
  /**
   * How many pieces the arguments JSON is cut into when streamed (default 3, at most one per character),
   * so that clients are exercised on reassembling partial JSON.
   */
  argumentChunks?: number;
}

export interface ScriptedUsage {
  /** Defaults to an estimate of a quarter of the request body's size in bytes. */
  promptTokens?: number;
  /** Defaults to one token per streamed content, reasoning or tool-call chunk. */
  completionTokens?: number;
  /** Defaults to the number of reasoning deltas. */
  reasoningTokens?: number;
}

/**
 * An answer from the model. Every field is optional: `{}` is an empty assistant message.
 *
 * Streamed, an answer is sent as chunks in this order: one `{role: 'assistant', content: ''}` chunk,
 * the reasoning deltas, the content deltas, the tool-call chunks, one chunk carrying `finish_reason`,
 * then (when the request asked for `stream_options.include_usage`) a usage chunk with empty `choices`,
 * and finally `data: [DONE]`.
 */
export interface ScriptedAnswer {
  /** A string is cut before each run of whitespace (`'Hi there'` → `'Hi'`, `' there'`); an array is sent as-is. */
  text?: string | readonly string[];
  /** Sent as `delta.reasoning_content` (the field OpenAI-compatible reasoning models use); cut like `text`. */
  reasoning?: string | readonly string[];
  /** Several calls are streamed interleaved, distinguished by their `index`, like parallel tool calls. */
  toolCalls?: readonly ScriptedToolCall[];
  /** Defaults to `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  usage?: ScriptedUsage;
  /**
   * Pause before every chunk after the first. A non-streamed answer is held back for as long as the
   * stream would have taken, so both modes cost the same time.
   */
  delayMs?: number;
  /** Pause before the first chunk (time to first token); defaults to `delayMs`. Headers go out at once. */
  firstChunkDelayMs?: number;
  /**
   * Destroys the socket after this many `data:` chunks (the role chunk counts) have reached the kernel, so
   * the client sees the connection die mid-stream. A value beyond the chunk count drops just before
   * `[DONE]`. A non-streamed request gets its socket destroyed without any answer.
   */
  dropAfterChunks?: number;
  error?: never;
}

/** Answers with an HTTP error and an OpenAI-shaped `{error: {message, type, param, code}}` body. */
export interface ScriptedFault {
  error: {
    status: number;
    message: string;
    /** Defaults to what OpenAI uses for the status (`rate_limit_exceeded`, `server_error`, ...). */
    type?: string;
    code?: string | null;
    /** Extra response headers, e.g. `retry-after` or `x-should-retry`. */
    headers?: Readonly<Record<string, string>>;
  };
  /** Pause before answering. */
  delayMs?: number;
}

/** A string is shorthand for `{ text }`. */
export type ScriptedTurn = string | ScriptedAnswer | ScriptedFault;

/** A tool call as the client sent it back in the conversation history. */
export interface RequestToolCall {
  id: string;
  type: string;
  function: { name: string; arguments: string };
}

export interface ChatRequestMessage {
  role: string;
  content?: unknown;
  name?: string;
  tool_call_id?: string;
  tool_calls?: RequestToolCall[];
  [key: string]: unknown;
}

export interface ChatRequestTool {
  type: string;
  function?: { name: string; description?: string; parameters?: unknown; strict?: boolean };
  [key: string]: unknown;
}

/**
 * A `POST /v1/chat/completions` body as received. Only the top-level object and each message's `role`
 * are checked; the nested shapes are the client's word.
 */
export interface ChatCompletionRequest {
  model?: string;
  messages: ChatRequestMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  tools?: ChatRequestTool[];
  [key: string]: unknown;
}

/** Computes a turn from the request; `index` counts chat requests from 0. */
export type TurnFactory = (request: ChatCompletionRequest, index: number) => ScriptedTurn;

export interface ScriptedModelOptions {
  /** Defaults to a free port. The server only ever listens on 127.0.0.1. */
  port?: number;
  /**
   * Keep every request body in `requests` (default true). A long benchmark can turn this off to keep
   * memory flat.
   */
  recordRequests?: boolean;
}
