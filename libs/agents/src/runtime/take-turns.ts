import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long a model's tokens may be worked through before the event loop is let turn. */
export const TOKEN_BUDGET_MS = 1;
/**
 * How long the answers that gave way may hold the loop together when it comes back to them: with many
 * of them, each gets a share of this, so that new requests, Redis replies and first tokens are not
 * kept waiting for every answer's full budget.
 */
export const TURN_BUDGET_MS = 10;
/** The smallest share: below it, giving way would cost more than the work it bounds. */
export const MIN_TOKEN_BUDGET_MS = 0.1;

let since = performance.now();
/** Answers waiting for the loop to come back to them. */
let waiting = 0;

/**
 * Lets the event loop turn between a model's tokens once they have held it for their budget: a promise
 * to await then, nothing otherwise. A model that sends tokens faster than they are worked through (a
 * burst read in one go) would otherwise be worked through whole in one turn: its first token would reach
 * the client only after its last had been processed, and every other run would wait as long. The
 * answers that gave way all go on in the loop's next turn, so each gets `TURN_BUDGET_MS` shared among
 * them (at most `TOKEN_BUDGET_MS`, at least `MIN_TOKEN_BUDGET_MS`). The model call's handler
 * (`ReplyChunks`) returns it for each token, and the model awaits it before reading the next.
 */
export function takeTurn(): Promise<void> | undefined {
  if (performance.now() - since < tokenBudget()) return undefined;
  return giveWay();
}

async function giveWay(): Promise<void> {
  waiting++;
  try {
    await nextTurn();
  } finally {
    waiting--;
  }
  since = performance.now();
}

function tokenBudget(): number {
  return Math.max(MIN_TOKEN_BUDGET_MS, Math.min(TOKEN_BUDGET_MS, TURN_BUDGET_MS / (waiting + 1)));
}
