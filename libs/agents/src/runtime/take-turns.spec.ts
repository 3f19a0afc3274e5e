import { describe, expect, it } from '@jest/globals';
import { ReplyChunks, withReplyChunks } from './step-messages';
import { MIN_TOKEN_BUDGET_MS, takeTurn, TOKEN_BUDGET_MS, TURN_BUDGET_MS } from './take-turns';

/** Keeps the thread busy, as working through a token does. */
function work(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('takeTurn', () => {
  it('lets the event loop turn while a burst of tokens is worked through', async () => {
    const tokens = 40;
    let turnedAt = -1;
    let i = 0;
    setImmediate(() => (turnedAt = i));
    for (; i < tokens; i++) {
      work(TOKEN_BUDGET_MS / 4);
      await takeTurn();
    }
    // Without giving way the loop would only turn once all tokens were done.
    expect(turnedAt).toBeGreaterThanOrEqual(0);
    expect(turnedAt).toBeLessThan(tokens);
  });

  it('shares one turn among many answers instead of giving each its whole budget', async () => {
    const answers = 40;
    const tokens = 60;
    const tokenMs = TOKEN_BUDGET_MS / 20;
    let done = 0;
    // The work done between two passes of the loop's timers phase: one turn of the loop.
    let sinceTurn = 0;
    let mostInATurn = 0;
    let ticking = true;
    const tick = () => {
      mostInATurn = Math.max(mostInATurn, sinceTurn);
      sinceTurn = 0;
      if (ticking) setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
    await Promise.all(
      Array.from({ length: answers }, async () => {
        for (let i = 0; i < tokens; i++) {
          work(tokenMs);
          sinceTurn++;
          await takeTurn();
        }
        done++;
      }),
    );
    ticking = false;
    expect(done).toBe(answers);
    // Each answer's whole budget in every turn would be about answers × 20 tokens; a shared turn holds
    // about TURN_BUDGET_MS of them, with each answer's smallest share.
    const shared = Math.max(TURN_BUDGET_MS, answers * MIN_TOKEN_BUDGET_MS) / tokenMs + answers;
    expect(mostInATurn).toBeLessThanOrEqual(shared * 1.5);
    expect(mostInATurn).toBeLessThan(((answers * TOKEN_BUDGET_MS) / tokenMs) * 0.5);
  });

  it("is what the model call's handler hands back for each chunk, a handler the model awaits", async () => {
    const [handler] = withReplyChunks({}).callbacks as ReplyChunks[];
    expect(handler).toBeInstanceOf(ReplyChunks);
    expect(handler.awaitHandlers).toBe(true);
    // Past the budget, the chunk's call hands back the wait for the loop's next turn.
    work(TOKEN_BUDGET_MS * 2);
    let turned = false;
    setImmediate(() => (turned = true));
    const wait = handler.handleLLMNewToken('a', { prompt: 0, completion: 0 }, 'run-1');
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(turned).toBe(true);
  });
});
