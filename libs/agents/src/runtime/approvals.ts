import { randomUUID } from 'node:crypto';
import { AIMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { CheckpointTuple } from '@langchain/langgraph-checkpoint';
import { Annotation, INTERRUPT, interrupt } from '@langchain/langgraph';
import { createReactAgentAnnotation } from '@langchain/langgraph/prebuilt';

/** A tool call waiting for the user's answer, as the stream announced it. */
export interface PendingApproval {
  approvalId: string;
  toolCallId: string;
  toolName: string;
  input: unknown;
}

/** The user's answer to one approval request. */
export interface ApprovalAnswer {
  approvalId: string;
  approved: boolean;
  reason?: string;
}

/** The interrupt value of a step whose tool calls wait for approval; one per step, for all its calls. */
export interface ApprovalInterrupt {
  type: 'tool-approval';
  approvals: PendingApproval[];
}

/** What the run resumes with: the answers by tool call id. */
export type ApprovalDecisions = Record<string, ApprovalAnswer>;

/** ToolMessage `additional_kwargs` flag of the result given to a call the user denied. */
export const DENIED_KEY = 'ui_denied';

/**
 * The agent's state: the prebuilt agent's, plus every answer given on the thread by tool call id, so a
 * reload shows each approved or denied call with the approval the client answered.
 */
export const ApprovalState = Annotation.Root({
  ...createReactAgentAnnotation().spec,
  approvals: Annotation<ApprovalDecisions>({
    reducer: (current, update) => ({ ...current, ...update }),
    default: () => ({}),
  }),
});

type State = typeof ApprovalState.State;
type Update = typeof ApprovalState.Update;

/**
 * The node that runs after each model step: when the step calls tools that need approval, the run pauses
 * (a LangGraph interrupt, kept in the checkpoint) until the answers arrive as the resume value. Denied
 * calls then get a result telling the model the user refused; the prebuilt agent's tool node runs only
 * the calls left without a result, so approved calls (and the step's calls that need none) run once.
 */
export function approvalNode(needsApproval: ReadonlySet<string>) {
  return (state: State): Update => {
    const last = state.messages.at(-1);
    if (!last || !AIMessage.isInstance(last)) return {};
    const calls = (last.tool_calls ?? []).filter(
      (call): call is typeof call & { id: string } => !!call.id && needsApproval.has(call.name),
    );
    if (calls.length === 0) return {};
    const request: ApprovalInterrupt = {
      type: 'tool-approval',
      approvals: calls.map((call) => ({
        approvalId: `approval-${randomUUID()}`,
        toolCallId: call.id,
        toolName: call.name,
        input: call.args,
      })),
    };
    const decisions = interrupt<ApprovalInterrupt, ApprovalDecisions>(request);
    const denied = calls
      .filter((call) => decisions[call.id]?.approved !== true)
      .map(
        (call) =>
          new ToolMessage({
            tool_call_id: call.id,
            name: call.name,
            status: 'error',
            content: denialText(decisions[call.id]?.reason),
            additional_kwargs: { [DENIED_KEY]: true },
          }),
      );
    const answered = Object.fromEntries(
      calls.flatMap((c) => (decisions[c.id] ? [[c.id, decisions[c.id]]] : [])),
    );
    return { messages: denied, approvals: answered };
  };
}

function denialText(reason: string | undefined): string {
  const base = 'The user denied this tool call; it was not run.';
  return reason ? `${base} Reason: ${reason}` : base;
}

/** The approvals a checkpoint's pending interrupt waits for; [] when the thread is not paused. */
export function pendingApprovals(tuple: CheckpointTuple | undefined): PendingApproval[] {
  const out: PendingApproval[] = [];
  for (const [, channel, value] of tuple?.pendingWrites ?? []) {
    if (channel !== INTERRUPT || !Array.isArray(value)) continue;
    for (const item of value as { value?: unknown }[]) {
      const request = item?.value as Partial<ApprovalInterrupt> | undefined;
      if (request?.type === 'tool-approval' && Array.isArray(request.approvals))
        out.push(...request.approvals);
    }
  }
  return out;
}

/** Every answer given on the thread, by tool call id. */
export function approvalLog(tuple: CheckpointTuple | undefined): ApprovalDecisions {
  const values = tuple?.checkpoint.channel_values as { approvals?: ApprovalDecisions } | undefined;
  return values?.approvals ?? {};
}

export function isDenial(message: BaseMessage): boolean {
  return ToolMessage.isInstance(message) && message.additional_kwargs[DENIED_KEY] === true;
}
