import { describe, expect, it } from '@jest/globals';
import { createChatModel } from './chat-model';
import { TakeTurns, TOKEN_BUDGET_MS } from './take-turns';

/** Keeps the thread busy, as working through a token does. */
function work(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('TakeTurns', () => {
  it('lets the event loop turn while a burst of tokens is worked through', async () => {
    const handler = new TakeTurns();
    const tokens = 40;
    let turnedAt = -1;
    let i = 0;
    setImmediate(() => (turnedAt = i));
    for (; i < tokens; i++) {
      work(TOKEN_BUDGET_MS / 4);
      await handler.handleLLMNewToken();
    }
    // Without the handler the loop would only turn once all tokens were done.
    expect(turnedAt).toBeGreaterThanOrEqual(0);
    expect(turnedAt).toBeLessThan(tokens);
  });

  it('is awaited by the model between tokens', () => {
    const model = createChatModel({
      model: 'm',
      apiKey: 'k',
      baseURL: 'http://127.0.0.1:1/v1',
      maxRetries: 0,
    });
    const handlers = Array.isArray(model.callbacks) ? model.callbacks : [];
    const takeTurns = handlers.find((h) => h instanceof TakeTurns);
    expect(takeTurns?.awaitHandlers).toBe(true);
  });
});
