import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { DynamicToolUIPart, UIMessage } from 'ai';
import type { ApprovalDecisions, PendingApproval } from './approvals';
import { REPLY_ID_KEY } from './messages';

type Part = UIMessage['parts'][number];

/** The thread's approvals: the ones it waits for, and the answers given. */
export interface Approvals {
  pending: PendingApproval[];
  answers: ApprovalDecisions;
}

/**
 * Rebuilds the UIMessages the AI SDK client built from the turns' streams: one user message per
 * HumanMessage (its id), then one assistant message (the id announced in `start`) holding a step per
 * AI message with its text and its tool calls in their final state.
 */
export function toUIMessages(
  messages: BaseMessage[],
  approvals: Approvals = { pending: [], answers: {} },
): UIMessage[] {
  const pending = new Map(approvals.pending.map((a) => [a.toolCallId, a.approvalId]));
  const out: UIMessage[] = [];
  const results = new Map<string, ToolMessage>();
  for (const m of messages) if (ToolMessage.isInstance(m)) results.set(m.tool_call_id, m);
  let reply: UIMessage | undefined;
  for (const message of messages) {
    if (HumanMessage.isInstance(message)) {
      out.push({ id: message.id ?? '', role: 'user', parts: [{ type: 'text', text: contentText(message) }] });
      const replyId = message.additional_kwargs[REPLY_ID_KEY];
      reply = { id: typeof replyId === 'string' ? replyId : '', role: 'assistant', parts: [] };
      out.push(reply);
    } else if (AIMessage.isInstance(message) && reply) {
      // A step: the model's text and calls; the results of its calls belong to it (no step of their own).
      reply.parts.push(...stepParts(message, results, pending, approvals.answers));
    }
  }
  return out.filter((m) => m.role === 'user' || m.parts.length > 0);
}

function stepParts(
  message: AIMessage,
  results: Map<string, ToolMessage>,
  pending: Map<string, string>,
  answers: ApprovalDecisions,
): Part[] {
  const parts: Part[] = [{ type: 'step-start' }];
  const reasoning = message.additional_kwargs.reasoning_content;
  if (typeof reasoning === 'string' && reasoning !== '') {
    parts.push({ type: 'reasoning', id: message.id, text: reasoning, state: 'done' });
  }
  const text = contentText(message);
  if (text) parts.push({ type: 'text', text, state: 'done' });
  for (const call of message.tool_calls ?? []) {
    if (!call.id) continue;
    const part = toolPart(call.id, call.name, call.args, results.get(call.id), answers[call.id]);
    const approvalId = pending.get(call.id);
    parts.push(
      approvalId && part.state === 'input-available'
        ? { ...part, state: 'approval-requested', approval: { id: approvalId } }
        : part,
    );
  }
  return parts;
}

function toolPart(
  toolCallId: string,
  toolName: string,
  input: unknown,
  result: ToolMessage | undefined,
  answer: ApprovalDecisions[string] | undefined,
): DynamicToolUIPart {
  const base = { type: 'dynamic-tool' as const, toolCallId, toolName, input };
  const approval = answer && {
    id: answer.approvalId,
    ...(answer.reason ? { reason: answer.reason } : {}),
  };
  if (approval && !answer.approved)
    return { ...base, state: 'output-denied', approval: { ...approval, approved: false } };
  if (!result) {
    if (approval) return { ...base, state: 'approval-responded', approval: { ...approval, approved: true } };
    return { ...base, state: 'input-available' };
  }
  if (approval) {
    const outcome = toolPart(toolCallId, toolName, input, result, undefined);
    return { ...outcome, approval: { ...approval, approved: true } } as DynamicToolUIPart;
  }
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
