/**
 * A scripted stand-in for an OpenAI-compatible model, so tests and benchmarks can point
 * `OPENAI_BASE_URL` at something deterministic, offline and cheap.
 *
 * ```ts
 * const model = await startScriptedModel();
 * model.enqueue({ toolCalls: [{ name: 'search', arguments: { q: 'x' } }] }, 'Found it.');
 * model.setDefault({ text: Array(50).fill(' tok'), delayMs: 10 }); // once the queue runs dry
 * const llm = new ChatOpenAI({ model: 'scripted-model', apiKey: 'test', maxRetries: 0,
 *   configuration: { baseURL: model.baseURL } });
 * // ... model.requests[1].messages holds the tool result the agent sent back
 * await model.close();
 * ```
 *
 * Scope and behaviour:
 * - Only `POST /v1/chat/completions` (plus `GET /v1/models`); there is no `/v1/responses`. ChatOpenAI
 *   switches to the Responses API for some model names (`codex`, `gpt-5.6`, the `-pro` models...) and for
 *   built-in tools, so tests use a neutral name such as `scripted-model`.
 * - `stream: true` answers `text/event-stream` with `data: <chat.completion.chunk>` frames and
 *   `data: [DONE]`; otherwise one `chat.completion` object. Only `choices[0]` is ever produced.
 * - The usage chunk (empty `choices`) is sent only when the request carries
 *   `stream_options.include_usage: true`, as OpenAI does. ChatOpenAI asks for it when streaming unless
 *   `streamUsage: false`.
 * - Errors: a queued `{ error: { status, message } }` answers that status with OpenAI's error body. Clients
 *   retry 429 and 5xx by default (for ChatOpenAI its own retry layer, with backoff), so tests that script
 *   faults should build the client with `maxRetries: 0`. An empty queue without a default answers 400,
 *   which no client retries, naming the request that found nothing scripted.
 * - Everything listens on 127.0.0.1 only.
 */
export { DEFAULT_SCRIPTED_MODEL_NAME, startScriptedModel, type ScriptedModel } from './server';
export type {
  ChatCompletionRequest,
  ChatRequestMessage,
  ChatRequestTool,
  RequestToolCall,
  ScriptedAnswer,
  ScriptedFault,
  ScriptedModelOptions,
  ScriptedToolCall,
  ScriptedTurn,
  ScriptedUsage,
  TurnFactory,
} from './types';
