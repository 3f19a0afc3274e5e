import { AsyncResource } from 'node:async_hooks';
import { ChatOpenAI } from '@langchain/openai';
import { TakeTurns } from './take-turns';

export interface ModelSettings {
  model: string;
  apiKey: string;
  baseURL?: string;
  maxRetries: number;
}

/**
 * Model requests are sent outside the async context of the run that makes them. A connection keeps the
 * context it was opened in (the AsyncLocalStorage stores: LangChain's run tree, hence the run's config
 * and graph state) for as long as it lives, and it stays in the pool after the answer: each pooled
 * connection would keep a finished run, its whole thread included, in memory.
 */
const outsideRuns = new AsyncResource('ModelRequest');

const modelFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
  outsideRuns.runInAsyncScope(() => fetch(input, init));

export function createChatModel(settings: ModelSettings): ChatOpenAI {
  return new ChatOpenAI({
    model: settings.model,
    apiKey: settings.apiKey,
    configuration: settings.baseURL
      ? { baseURL: settings.baseURL, fetch: modelFetch }
      : { fetch: modelFetch },
    streaming: true,
    streamUsage: true,
    maxRetries: settings.maxRetries,
    callbacks: [new TakeTurns()],
  });
}
