import { ValidateBy, type ValidationOptions } from 'class-validator';
import { TOOL_POLICIES, type Agent, type ToolPolicies, type ToolPolicy } from './agent.dto';

export const MAX_TOOL_ENTRIES = 1000;
export const MAX_TOOL_NAME_LENGTH = 200;
const MAX_SERVER_ENTRIES = 100;
const SERVER_ID_LENGTH = 64;

type StoredPolicy = Exclude<ToolPolicy, 'always_allow'>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quote(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

/** What is wrong with a `{ toolName: policy }` map, or undefined when it is valid. */
export function toolPolicyMapProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'must be an object of tool name → policy';
  const entries = Object.entries(value);
  if (entries.length > MAX_TOOL_ENTRIES) return `must name at most ${MAX_TOOL_ENTRIES} tools`;
  for (const [name, policy] of entries) {
    if (name.length === 0 || name.length > MAX_TOOL_NAME_LENGTH) {
      return `tool names must be 1 to ${MAX_TOOL_NAME_LENGTH} characters`;
    }
    if (!(TOOL_POLICIES as readonly unknown[]).includes(policy)) {
      return `${quote(name)} must be one of ${TOOL_POLICIES.join(', ')}`;
    }
  }
  return undefined;
}

/** What is wrong with a `{ serverId: { toolName: policy } }` map, or undefined when it is valid. */
export function toolPoliciesProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'must be an object of MCP server id → { tool name → policy }';
  const entries = Object.entries(value);
  if (entries.length > MAX_SERVER_ENTRIES) return `must name at most ${MAX_SERVER_ENTRIES} servers`;
  for (const [serverId, tools] of entries) {
    if (serverId.length === 0 || serverId.length > SERVER_ID_LENGTH) {
      return `server ids must be 1 to ${SERVER_ID_LENGTH} characters`;
    }
    const problem = toolPolicyMapProblem(tools);
    if (problem) return `${quote(serverId)} ${problem}`;
  }
  return undefined;
}

function validatorOf(name: string, problemOf: (value: unknown) => string | undefined) {
  return (options?: ValidationOptions): PropertyDecorator =>
    ValidateBy(
      {
        name,
        validator: {
          validate: (value: unknown) => problemOf(value) === undefined,
          defaultMessage: (args) => `${args?.property ?? 'value'} ${problemOf(args?.value) ?? 'is invalid'}`,
        },
      },
      options,
    );
}

/** `{ toolName: 'always_allow' | 'needs_approval' | 'disabled' }`, bounded in size. */
export const IsToolPolicyMap = validatorOf('isToolPolicyMap', toolPolicyMapProblem);
/** `{ serverId: { toolName: policy } }`: the shape an agents file may give. */
export const IsToolPolicies = validatorOf('isToolPolicies', toolPoliciesProblem);

/** The entries worth storing: `always_allow` is the default and is left out. */
export function storedPolicies(tools: Record<string, ToolPolicy>): Record<string, StoredPolicy> {
  return Object.fromEntries(
    Object.entries(tools).filter((entry): entry is [string, StoredPolicy] => entry[1] !== 'always_allow'),
  );
}

/**
 * The policies of the servers the agent still uses, without defaults or empty maps; undefined when
 * nothing is left (the stored agent then has no `toolPolicies` member).
 */
export function prunePolicies(
  policies: Record<string, Record<string, ToolPolicy>> | undefined,
  mcpServerIds: readonly string[],
): ToolPolicies | undefined {
  if (!policies) return undefined;
  const kept = Object.entries(policies)
    .filter(([serverId]) => mcpServerIds.includes(serverId))
    .map(([serverId, tools]) => [serverId, storedPolicies(tools)] as const)
    .filter(([, tools]) => Object.keys(tools).length > 0);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** The agent with the policies of one of its servers replaced (PUT semantics: tools not named are allowed). */
export function withServerPolicies(agent: Agent, serverId: string, tools: Record<string, ToolPolicy>): Agent {
  const { toolPolicies, ...rest } = agent;
  const others = Object.entries(toolPolicies ?? {}).filter(([id]) => id !== serverId);
  const next = prunePolicies(Object.fromEntries([...others, [serverId, tools]]), agent.mcpServerIds);
  return next ? { ...rest, toolPolicies: next } : rest;
}

/** The names a server does not offer, in the order given. */
export function unknownToolNames(names: readonly string[], offered: readonly { name: string }[]): string[] {
  const known = new Set(offered.map((tool) => tool.name));
  return names.filter((name) => !known.has(name));
}
