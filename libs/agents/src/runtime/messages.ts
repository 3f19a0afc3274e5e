import { randomUUID } from 'node:crypto';
import {
  AIMessage,
  HumanMessage,
  RemoveMessage,
  ToolMessage,
  type BaseMessage,
  type ToolCall,
} from '@langchain/core/messages';
import type { UIMessage } from 'ai';

/** HumanMessage `additional_kwargs` member holding the id of the assistant UIMessage that answers it. */
export const REPLY_ID_KEY = 'ui_reply_id';

export function textOf(message: UIMessage): string {
  return message.parts
    .filter((p): p is { type: 'text'; text: string } => p.type === 'text')
    .map((p) => p.text)
    .join('');
}

/** Calls of the last AI message that no tool message answers. */
export function danglingToolCalls(messages: BaseMessage[]): (ToolCall & { id: string })[] {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (!AIMessage.isInstance(message)) continue;
    const answered = new Set(
      messages.slice(i + 1).flatMap((m) => (ToolMessage.isInstance(m) ? [m.tool_call_id] : [])),
    );
    return (message.tool_calls ?? []).filter(
      (call): call is ToolCall & { id: string } => typeof call.id === 'string' && !answered.has(call.id),
    );
  }
  return [];
}

const CANCELLED = 'Cancelled: the run was stopped before this tool call finished.';
const UNANSWERED = 'Not run: the user sent a new message instead of answering the approval request.';

/**
 * Results for calls that will never get one: the run was stopped or its instance died, or the call
 * waited for an approval (`unanswered`) that the user left unanswered.
 */
export function cancelledResults(messages: BaseMessage[], unanswered: readonly string[] = []): ToolMessage[] {
  return danglingToolCalls(messages).map(
    (call) =>
      new ToolMessage({
        tool_call_id: call.id,
        name: call.name,
        status: 'error',
        content: unanswered.includes(call.id) ? UNANSWERED : CANCELLED,
      }),
  );
}

/**
 * The graph input of a turn. A user message already in the thread (a regenerate, or a resubmit) replaces
 * itself and everything after it; otherwise it is appended after results for any unanswered tool calls.
 */
export function turnInput(
  history: BaseMessage[],
  user: UIMessage,
  replyId: string,
  unanswered: readonly string[] = [],
): BaseMessage[] {
  const human = new HumanMessage({
    id: user.id || randomUUID(),
    content: textOf(user),
    additional_kwargs: { [REPLY_ID_KEY]: replyId },
  });
  const at = history.findIndex((m) => HumanMessage.isInstance(m) && m.id === human.id);
  if (at < 0) return [...cancelledResults(history, unanswered), human];
  const removals = history.slice(at).flatMap((m) => (m.id ? [new RemoveMessage({ id: m.id })] : []));
  return [...removals, human];
}
