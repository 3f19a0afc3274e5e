/**
 * Agents: a registry (`AgentsService`, the `/agents` routes) and the runtime that runs one turn of an
 * agent on a thread and streams it as AI SDK UI message chunks.
 *
 * Ids, so that `loadMessages` equals what `readUIMessageStream` built from the streams:
 * - the user message keeps the id the client gave it (it becomes the LangChain HumanMessage id);
 * - the assistant message of a turn gets `input.messageId`, else a fresh `msg-<uuid>`; it is announced in
 *   the `start` chunk and stored with the HumanMessage, so a reload returns the same id.
 * A user message whose id is already in the thread (a regenerate: the same last user message with the
 * `messageId` of the answer to replace) replaces itself and everything after it.
 *
 * A turn's chunks: `start` → per model step `start-step`, `reasoning-*`, `text-*`, `tool-input-*`, then
 * the results of its calls (`tool-output-available` / `tool-output-error`), `finish-step` → `finish`; the
 * graph's tool steps join the model step that made the calls, as the AI SDK frames a step. A failure: the open text or
 * reasoning parts are ended, then `error` (a short text naming the upstream) then `finish`. A stop (the
 * signal): the open parts are ended, then `abort` then `finish`. Either way the thread keeps what the
 * client was shown, unanswered tool calls get a cancelled tool error, and the next turn works.
 * A step that calls a tool whose policy is `needs_approval` ends with a `tool-approval-request` per such
 * call before its `finish-step`; the run is then paused (an interrupt in the checkpoint) until a turn with
 * the answers resumes it in the same assistant message: denied calls end with `tool-output-denied`.
 * Tools are `dynamic-tool` parts named as their MCP server names them (characters outside
 * `[A-Za-z0-9_-]` become `_`; a clash between two servers of one agent renames the later one
 * `<serverId>__<name>`).
 */
export {
  type Agent,
  AgentDto,
  CreateAgentDto,
  TOOL_POLICIES,
  type ToolPolicies,
  type ToolPolicy,
  toolPolicy,
  UpdateAgentDto,
} from './agent.dto';
export { AgentsService } from './agents.service';
export { AgentsModule } from './agents.module';
export { CHECKPOINTER, threadCheckpointer } from './checkpointer';
export { AgentRuntime, type PreparedAgent } from './runtime/agent-runtime';
export type { TurnInput } from './runtime/turn-stream';
export type { ApprovalAnswer, PendingApproval } from './runtime/approvals';
