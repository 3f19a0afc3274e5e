import { ProblemException, type AppConfig } from '@auxilia/core';
import type { ModelSettings } from './chat-model';

/**
 * What the model client needs, or the 503 problem naming the variables to set. A base URL alone is
 * enough (local servers such as Ollama take any key).
 */
export function modelSettings(openai: AppConfig['openai'], agentModel: string | undefined): ModelSettings {
  const model = agentModel ?? openai.model;
  const missing: string[] = [];
  if (!openai.apiKey && !openai.baseURL) missing.push('OPENAI_BASE_URL or OPENAI_API_KEY');
  if (!model) missing.push('OPENAI_MODEL (or the agent\'s "model")');
  if (missing.length > 0 || !model) {
    throw new ProblemException(
      503,
      'model-not-configured',
      'Service Unavailable',
      `No model is configured: set ${missing.join(' and ')}`,
      { error: 'model_not_configured' },
    );
  }
  return {
    model,
    apiKey: openai.apiKey ?? 'not-needed',
    baseURL: openai.baseURL,
    maxRetries: openai.maxRetries,
  };
}
