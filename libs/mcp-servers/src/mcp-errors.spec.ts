import { describe, expect, it } from '@jest/globals';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { classifyMcpError, isFatalToSession, mcpUnreachableProblem } from './mcp-errors';

describe('classifyMcpError', () => {
  const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });

  it.each([
    ['UnauthorizedError', new UnauthorizedError(), 'unauthorized'],
    ['a request timeout', new McpError(ErrorCode.RequestTimeout, 'Request timed out'), 'timeout'],
    ['an aborted fetch', new DOMException('timed out', 'TimeoutError'), 'timeout'],
    ['a closed connection', new McpError(ErrorCode.ConnectionClosed, 'Connection closed'), 'disconnected'],
    ['a JSON-RPC error', new McpError(ErrorCode.InvalidParams, 'bad arguments'), 'rejected'],
    ['404 to a request', new StreamableHTTPError(404, 'Error POSTing to endpoint'), 'session-expired'],
    ['404 over SSE', new Error('Error POSTing to endpoint (HTTP 404): Session not found'), 'session-expired'],
    ['a 500', new StreamableHTTPError(500, 'Error POSTing to endpoint'), 'unreachable'],
    ['a refused connection', refused, 'unreachable'],
    [
      'a wrapped timeout',
      new Error('tool failed', { cause: new McpError(ErrorCode.RequestTimeout, 't') }),
      'timeout',
    ],
    ['anything else', new Error('boom'), 'unknown'],
  ])('%s', (_case, error, kind) => {
    expect(classifyMcpError(error)).toBe(kind);
  });

  it('drops the session only for failures it cannot recover from', () => {
    expect(isFatalToSession(new StreamableHTTPError(404, 'gone'))).toBe(true);
    expect(isFatalToSession(refused)).toBe(true);
    expect(isFatalToSession(new McpError(ErrorCode.InvalidParams, 'bad arguments'))).toBe(false);
    expect(isFatalToSession(new UnauthorizedError())).toBe(false);
  });

  it('names the server and the reason, and nothing from the upstream body', () => {
    const problem = mcpUnreachableProblem(
      { id: 'notion', name: 'Notion' },
      new StreamableHTTPError(503, 'Error POSTing to endpoint: token=abc'),
    );
    expect(problem.getStatus()).toBe(502);
    expect(problem.getResponse()).toMatchObject({
      error: 'mcp_server_unreachable',
      serverId: 'notion',
      detail: 'MCP server "Notion" (notion) could not be used: it answered HTTP 503',
    });
    expect(JSON.stringify(problem.getResponse())).not.toContain('token=abc');
  });
});
