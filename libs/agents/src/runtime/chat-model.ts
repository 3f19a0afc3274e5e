import { ChatOpenAI } from '@langchain/openai';
import type { Dispatcher } from 'undici';
import { outsideCallers, requestFetch, sharedDispatcher } from '@auxilia/core';
import { joinedDeltas } from './joined-deltas';

export interface ModelSettings {
  model: string;
  apiKey: string;
  baseURL?: string;
  maxRetries: number;
  /** The connections model requests go through (default: one pool per process). */
  dispatcher?: Dispatcher;
}

/**
 * Model requests are sent outside the async context of the run that makes them (`outsideCallers`), and
 * the text of chunks that come in one read reaches the model client as one chunk (`joinedDeltas`).
 */
function modelFetch(dispatcher = sharedDispatcher('follow')) {
  return joinedDeltas(outsideCallers(requestFetch(dispatcher, 'follow')));
}

/**
 * LangChain runs the callbacks that do not ask to be awaited through one queue per process, one at a
 * time, unless this variable is 'false': a handler in that queue waits behind every callback queued
 * before it, from every run, and one slow callback anywhere in the process holds them all. The handler
 * that carries the model's tokens into the stream (`ReplyChunks`) asks to be awaited either way; this
 * covers any other, such as a tracer. A value set in the environment is kept (with LangSmith tracing
 * on, 'false' also makes each run's end wait until its trace is sent).
 */
export function awaitCallbacksInPlace(env: NodeJS.ProcessEnv = process.env): void {
  env.LANGCHAIN_CALLBACKS_BACKGROUND ??= 'false';
}

// Before any handler exists: each reads the variable once, when it is created.
awaitCallbacksInPlace();

export function createChatModel(settings: ModelSettings): ChatOpenAI {
  const fetch = modelFetch(settings.dispatcher);
  return new ChatOpenAI({
    model: settings.model,
    apiKey: settings.apiKey,
    configuration: settings.baseURL ? { baseURL: settings.baseURL, fetch } : { fetch },
    streaming: true,
    streamUsage: true,
    maxRetries: settings.maxRetries,
  });
}
