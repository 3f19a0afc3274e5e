import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { DynamicToolUIPart, UIMessage } from 'ai';
import { REPLY_ID_KEY, SYNTHETIC_KEY } from './messages';

type Part = UIMessage['parts'][number];

/**
 * Rebuilds the UIMessages the AI SDK client built from the turns' streams: one user message per
 * HumanMessage (its id), then one assistant message (the id announced in `start`) holding a step per
 * AI message with its text and its tool calls in their final state.
 */
export function toUIMessages(messages: BaseMessage[]): UIMessage[] {
  const out: UIMessage[] = [];
  const results = new Map<string, ToolMessage>();
  for (const m of messages) if (ToolMessage.isInstance(m)) results.set(m.tool_call_id, m);
  let reply: UIMessage | undefined;
  let toolStepOpen = false;
  for (const message of messages) {
    if (HumanMessage.isInstance(message)) {
      out.push({ id: message.id ?? '', role: 'user', parts: [{ type: 'text', text: contentText(message) }] });
      const replyId = message.additional_kwargs[REPLY_ID_KEY];
      reply = { id: typeof replyId === 'string' ? replyId : '', role: 'assistant', parts: [] };
      out.push(reply);
    } else if (AIMessage.isInstance(message) && reply) {
      reply.parts.push(...stepParts(message, results));
    } else if (ToolMessage.isInstance(message) && reply && !message.additional_kwargs[SYNTHETIC_KEY]) {
      // The tools node is a graph step of its own: the stream opened a step for its results.
      if (!toolStepOpen) reply.parts.push({ type: 'step-start' });
      toolStepOpen = true;
      continue;
    }
    toolStepOpen = false;
  }
  return out.filter((m) => m.role === 'user' || m.parts.length > 0);
}

function stepParts(message: AIMessage, results: Map<string, ToolMessage>): Part[] {
  const parts: Part[] = [{ type: 'step-start' }];
  const reasoning = message.additional_kwargs.reasoning_content;
  if (typeof reasoning === 'string' && reasoning !== '') {
    parts.push({ type: 'reasoning', id: message.id, text: reasoning, state: 'done' });
  }
  const text = contentText(message);
  if (text) parts.push({ type: 'text', text, state: 'done' });
  for (const call of message.tool_calls ?? []) {
    if (!call.id) continue;
    parts.push(toolPart(call.id, call.name, call.args, results.get(call.id)));
  }
  return parts;
}

function toolPart(
  toolCallId: string,
  toolName: string,
  input: unknown,
  result?: ToolMessage,
): DynamicToolUIPart {
  const base = { type: 'dynamic-tool' as const, toolCallId, toolName, input };
  if (!result) return { ...base, state: 'input-available' };
  if (result.status === 'error') {
    const errorText = typeof result.content === 'string' ? result.content : 'Tool execution failed';
    return { ...base, state: 'output-error', errorText };
  }
  return { ...base, state: 'output-available', output: result.content };
}

function contentText(message: BaseMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : ''))
    .join('');
}
