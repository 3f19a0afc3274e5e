import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { UIMessageChunk } from 'ai';

/**
 * Follows the text and reasoning of the step being streamed, so that a turn cut short (stop, model
 * failure) can close the parts the client holds open and keep in the thread what the client was shown.
 */
export class PartialStep {
  private readonly text = new Map<string, string>();
  private readonly reasoning = new Map<string, string>();
  private readonly openText = new Set<string>();
  private readonly openReasoning = new Set<string>();

  track(chunk: UIMessageChunk): void {
    switch (chunk.type) {
      case 'start-step':
        this.text.clear();
        this.reasoning.clear();
        break;
      case 'text-start':
        this.openText.add(chunk.id);
        break;
      case 'text-delta':
        this.text.set(chunk.id, (this.text.get(chunk.id) ?? '') + chunk.delta);
        break;
      case 'text-end':
        this.openText.delete(chunk.id);
        break;
      case 'reasoning-start':
        this.openReasoning.add(chunk.id);
        break;
      case 'reasoning-delta':
        this.reasoning.set(chunk.id, (this.reasoning.get(chunk.id) ?? '') + chunk.delta);
        break;
      case 'reasoning-end':
        this.openReasoning.delete(chunk.id);
        break;
    }
  }

  /** End chunks for the parts still open, as the stream would have sent them. */
  closers(): UIMessageChunk[] {
    return [
      ...[...this.openReasoning].map((id): UIMessageChunk => ({ type: 'reasoning-end', id })),
      ...[...this.openText].map((id): UIMessageChunk => ({ type: 'text-end', id })),
    ];
  }

  /** The step's streamed messages that the thread does not hold (the step never finished). */
  unsaved(history: BaseMessage[]): AIMessage[] {
    const saved = new Set(history.map((m) => m.id));
    const ids = new Set([...this.reasoning.keys(), ...this.text.keys()]);
    return [...ids]
      .filter((id) => !saved.has(id))
      .map((id) => {
        const reasoning = this.reasoning.get(id);
        return new AIMessage({
          id,
          content: this.text.get(id) ?? '',
          additional_kwargs: reasoning ? { reasoning_content: reasoning } : {},
        });
      });
  }
}
