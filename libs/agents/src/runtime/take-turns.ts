import { setImmediate as nextTurn } from 'node:timers/promises';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';

/** How long a model's tokens may be worked through before the event loop is let turn. */
export const TOKEN_BUDGET_MS = 1;

let since = performance.now();

/**
 * Lets the event loop turn between a model's tokens once they have held it for `TOKEN_BUDGET_MS`. A model
 * that sends tokens faster than they are worked through (a burst read in one go) would otherwise be
 * worked through whole in one turn: its first token would reach the client only after its last had been
 * processed, and every other run would wait as long. Awaited by the model between tokens, as the callback
 * manager awaits handlers that ask for it.
 */
export class TakeTurns extends BaseCallbackHandler {
  name = 'TakeTurns';
  override awaitHandlers = true;

  override async handleLLMNewToken(): Promise<void> {
    if (performance.now() - since < TOKEN_BUDGET_MS) return;
    await nextTurn();
    since = performance.now();
  }
}
