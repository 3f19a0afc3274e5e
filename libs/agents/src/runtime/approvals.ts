import { randomUUID } from 'node:crypto';
import { AIMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { BaseCheckpointSaver, CheckpointTuple } from '@langchain/langgraph-checkpoint';
import {
  Annotation,
  END,
  INTERRUPT,
  interrupt,
  MessagesAnnotation,
  START,
  StateGraph,
  type LangGraphRunnableConfig,
} from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import type { ChatOpenAI } from '@langchain/openai';
import { danglingToolCalls } from './messages';
import { lightRunContexts } from './run-context';
import { streamNodeMessages, withReplyChunks } from './step-messages';

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

/**
 * The agent's state: messages, plus every answer given on the thread by tool call id, so a reload shows
 * each approved or denied call with the approval the client answered.
 */
const ApprovalState = Annotation.Root({
  ...MessagesAnnotation.spec,
  approvals: Annotation<ApprovalDecisions>({
    reducer: (current, update) => ({ ...current, ...update }),
    default: () => ({}),
  }),
});

type State = typeof ApprovalState.State;
type Update = typeof ApprovalState.Update;

export interface AgentGraphParams {
  llm: ChatOpenAI;
  tools: StructuredToolInterface[];
  prompt: string;
  checkpointer: BaseCheckpointSaver;
  /** The model-facing names of the tools that need the user's approval. */
  needsApproval: ReadonlySet<string>;
}

/**
 * The agent: a ReAct loop whose tools may need approval. `agent` (the model) → `tools`, which runs the
 * step's calls that need no approval, or were approved → `approval` when calls still wait for an answer,
 * which pauses the run (a LangGraph interrupt kept in the checkpoint) until the answers arrive as the
 * resume value, gives denied calls a result telling the model the user refused, and goes back to `tools`
 * → `agent` once every call has a result. Each node's work is checkpointed before the next starts, so a
 * resumed run never runs a call twice, and the calls that need no approval have run (and streamed their
 * output) before the run pauses, as the AI SDK client expects of a step awaiting approval. Without tools
 * that need approval it is the plain ReAct loop (`agent` ⇄ `tools`).
 *
 * The nodes hand what they stream to the run's `custom` stream mode (`StepMessage`): the model's reply
 * chunk by chunk, and the tool results and denials they add.
 */
export function createAgentGraph(params: AgentGraphParams) {
  lightRunContexts();
  const { needsApproval } = params;
  const model = params.llm.bindTools(params.tools);
  const system = new SystemMessage(params.prompt);
  const toolNode = new ToolNode(params.tools);

  const agent = async (state: State, config: LangGraphRunnableConfig): Promise<Update> => {
    const response = await model.invoke([system, ...state.messages], withReplyChunks(config));
    return { messages: [response] };
  };

  const tools = async (state: State, config: LangGraphRunnableConfig): Promise<Update> => {
    // An answer given stands; without one, the current policy decides.
    const runnable = danglingToolCalls(state.messages).filter((call) =>
      state.approvals[call.id] ? state.approvals[call.id].approved : !needsApproval.has(call.name),
    );
    if (runnable.length === 0) return {};
    // The tool node runs every unanswered call of the last AI message: give it only those cleared to run.
    const cleared = new AIMessage({ content: '', tool_calls: runnable });
    const update = (await toolNode.invoke({ messages: [cleared] }, config)) as Update;
    streamNodeMessages(config, update.messages);
    return update;
  };

  const approval = (state: State, config: LangGraphRunnableConfig): Update => {
    // Reached only with calls `tools` left waiting, i.e. those that need approval; when resuming, those the
    // pause asked about, even if their policy changed since.
    const calls = danglingToolCalls(state.messages).filter((call) => !state.approvals[call.id]);
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
          }),
      );
    const answered = Object.fromEntries(
      calls.map((call): [string, ApprovalAnswer] => [
        call.id,
        decisions[call.id] ?? { approvalId: '', approved: false },
      ]),
    );
    streamNodeMessages(config, denied);
    return { messages: denied, approvals: answered };
  };

  const graph = new StateGraph(ApprovalState)
    .addNode('agent', agent)
    .addNode('tools', tools)
    .addNode('approval', approval)
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', (state) => (waits(state) ? 'tools' : END), ['tools', END])
    .addConditionalEdges('tools', (state) => (waits(state) ? 'approval' : 'agent'), ['approval', 'agent'])
    .addEdge('approval', 'tools')
    .compile({ checkpointer: params.checkpointer });
  if (needsApproval.size > 0) approvalGraphs.add(graph);
  return graph;
}

const approvalGraphs = new WeakSet<object>();

/** Whether the graph has a tool that needs approval, i.e. may pause. */
export function asksApproval(graph: object): boolean {
  return approvalGraphs.has(graph);
}

/** Whether calls of the last model step have no result yet. */
function waits(state: State): boolean {
  return danglingToolCalls(state.messages).length > 0;
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
