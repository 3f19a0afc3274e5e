import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { OutboundRefusedError, ProblemException } from '@auxilia/core';

/**
 * What went wrong talking to an MCP server, as far as the caller needs to know:
 * - `unauthorized`: the server wants an (other) OAuth authorization;
 * - `timeout`: no answer within MCP_TIMEOUT_MS;
 * - `session-expired`: the server no longer knows the session (404 to a request that carried its id);
 * - `disconnected`: the connection closed under a pending request;
 * - `unreachable`: no HTTP answer at all, or an HTTP error status;
 * - `rejected`: the server answered with a JSON-RPC error (e.g. unknown tool, invalid arguments).
 */
export type McpFailureKind =
  'unauthorized' | 'timeout' | 'session-expired' | 'disconnected' | 'unreachable' | 'rejected' | 'unknown';

// Errors from Node's own fetch may come from another realm (e.g. under a test runner's VM), where
// `instanceof Error` is false: read their fields instead.
function field(error: unknown, name: 'name' | 'message'): string {
  if (typeof error !== 'object' || error === null) return '';
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

export function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof StreamableHTTPError || error instanceof SseError) return error.code;
  // The SSE transport reports a failed POST as a plain Error with the status in its message.
  const match = /\(HTTP (\d{3})\)/.exec(field(error, 'message'));
  return match ? Number(match[1]) : undefined;
}

/**
 * The error that says what happened: wrappers (a LangChain ToolException, an Error with `cause`) are
 * looked through, up to a few levels.
 */
export function rootMcpError(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    if (classifyOne(current) !== 'unknown') return current;
    const cause =
      typeof current === 'object' && current !== null ? (current as { cause?: unknown }).cause : undefined;
    if (cause === undefined) break;
    current = cause;
  }
  return error;
}

export function classifyMcpError(error: unknown): McpFailureKind {
  return classifyOne(rootMcpError(error));
}

function classifyOne(error: unknown): McpFailureKind {
  if (error instanceof UnauthorizedError) return 'unauthorized';
  if (error instanceof McpError) {
    if (error.code === Number(ErrorCode.RequestTimeout)) return 'timeout';
    if (error.code === Number(ErrorCode.ConnectionClosed)) return 'disconnected';
    return 'rejected';
  }
  const name = field(error, 'name');
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  const status = httpStatusOf(error);
  if (status === 404) return 'session-expired';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status !== undefined || error instanceof SseError) return 'unreachable';
  // undici reports refused, reset and DNS failures as "TypeError: fetch failed" with the reason as cause.
  if (name === 'TypeError') return 'unreachable';
  if (/SSE stream disconnected|Maximum reconnection|Failed to reconnect/.test(field(error, 'message'))) {
    return 'disconnected';
  }
  return 'unknown';
}

/** Failures after which the pooled session is useless and the next caller should get a fresh one. */
export function isFatalToSession(error: unknown): boolean {
  const kind = classifyMcpError(error);
  return kind === 'session-expired' || kind === 'disconnected' || kind === 'unreachable';
}

export interface ServerRef {
  id: string;
  name: string;
}

function reasonOf(error: unknown): string {
  const status = httpStatusOf(error);
  if (status !== undefined) return `it answered HTTP ${status}`;
  const cause =
    typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  if (typeof code === 'string') return `the connection failed (${code})`;
  if (classifyMcpError(error) === 'disconnected') return 'the connection was lost';
  return 'the connection failed';
}

export function mcpTimeoutProblem(server: ServerRef, timeoutMs: number): ProblemException {
  return new ProblemException(
    504,
    'mcp-server-timeout',
    'MCP server timed out',
    `MCP server "${server.name}" (${server.id}) did not answer within ${timeoutMs} ms`,
    { error: 'mcp_server_timeout', serverId: server.id },
  );
}

export function mcpUnreachableProblem(server: ServerRef, error: unknown): ProblemException {
  return new ProblemException(
    502,
    'mcp-server-unreachable',
    'MCP server unreachable',
    `MCP server "${server.name}" (${server.id}) could not be used: ${reasonOf(error)}`,
    { error: 'mcp_server_unreachable', serverId: server.id },
  );
}

/** The refusal of the outbound network policy somewhere in the error's causes, if it is one. */
export function outboundRefusalOf(error: unknown): OutboundRefusedError | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof OutboundRefusedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function mcpAddressRefusedProblem(server: ServerRef, refusal: OutboundRefusedError): ProblemException {
  return new ProblemException(
    502,
    'mcp-server-address-refused',
    'MCP server address refused',
    `MCP server "${server.name}" (${server.id}) was not contacted: ${refusal.message}`,
    { error: 'mcp_server_address_refused', serverId: server.id },
  );
}

export function mcpRejectedProblem(server: ServerRef, error: McpError): ProblemException {
  return new ProblemException(
    502,
    'mcp-server-error',
    'MCP server error',
    `MCP server "${server.name}" (${server.id}) answered with error ${error.code}`,
    { error: 'mcp_server_error', serverId: server.id },
  );
}

export function mcpAuthRefusedProblem(server: ServerRef): ProblemException {
  return new ProblemException(
    502,
    'mcp-server-auth-refused',
    'MCP server refused the authorization',
    `MCP server "${server.name}" (${server.id}) refused the request after authorization`,
    { error: 'mcp_server_auth_refused', serverId: server.id },
  );
}
