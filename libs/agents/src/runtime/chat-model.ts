import { ChatOpenAI } from '@langchain/openai';
import { TakeTurns } from './take-turns';

export interface ModelSettings {
  model: string;
  apiKey: string;
  baseURL?: string;
  maxRetries: number;
}

export function createChatModel(settings: ModelSettings): ChatOpenAI {
  return new ChatOpenAI({
    model: settings.model,
    apiKey: settings.apiKey,
    configuration: settings.baseURL ? { baseURL: settings.baseURL } : undefined,
    streaming: true,
    streamUsage: true,
    maxRetries: settings.maxRetries,
    callbacks: [new TakeTurns()],
  });
}
