import createClient from 'openapi-fetch';
import type { components, paths } from '../../../openapi/schema';

export type Agent = components['schemas']['AgentDto'];
export type McpServer = components['schemas']['McpServerDto'];
export type McpTool = components['schemas']['McpToolDto'];
export type Thread = components['schemas']['ThreadDto'];
export type ThreadDetail = components['schemas']['ThreadDetailDto'];
export type Problem = components['schemas']['ProblemDto'] & Record<string, unknown>;

const KEY_ITEM = 'auxilia.apiKey';

/** The API key the page sends, kept in this browser only. */
export const apiKey = {
  get: (): string => localStorage.getItem(KEY_ITEM) ?? '',
  set(value: string): void {
    if (value) localStorage.setItem(KEY_ITEM, value);
    else localStorage.removeItem(KEY_ITEM);
  },
};

export function authHeaders(): Record<string, string> {
  const key = apiKey.get();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** The page is served by the API it talks to. */
export const baseUrl = location.origin;

export const api = createClient<paths>({ baseUrl });
api.use({
  onRequest({ request }) {
    const key = apiKey.get();
    if (key) request.headers.set('authorization', `Bearer ${key}`);
    return request;
  },
});

/** An answer that is not a success, with its problem details when it has some. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(describeProblem(problem, status));
    this.name = 'ApiError';
  }
}

export function describeProblem(problem: Partial<Problem>, status?: number): string {
  if (problem.type?.endsWith('/api-key-required')) {
    return apiKey.get()
      ? 'The API key is not valid: enter another one at the top of the page.'
      : 'This API needs an API key: enter it at the top of the page.';
  }
  const text = problem.detail ?? problem.title ?? 'The request failed';
  return status ? `${text} (HTTP ${status})` : text;
}

/** The data of a successful openapi-fetch result; an ApiError otherwise. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.error === undefined) return result.data as T;
  throw new ApiError(result.response.status, asProblem(result.error));
}

export function asProblem(value: unknown): Partial<Problem> {
  return value && typeof value === 'object' ? (value as Partial<Problem>) : {};
}

/**
 * The chat transport reports a failed request with the response body as the message: show the
 * problem's detail rather than its JSON.
 */
export function problemOfMessage(message: string): Partial<Problem> | undefined {
  try {
    const parsed: unknown = JSON.parse(message);
    return parsed && typeof parsed === 'object' && 'status' in parsed ? asProblem(parsed) : undefined;
  } catch {
    return undefined;
  }
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  const problem = problemOfMessage(message);
  if (!problem) return message;
  if (problem.error === 'oauth_required') {
    return `MCP server "${String(problem.serverId)}" needs an authorization first: use its Connect button.`;
  }
  return describeProblem(problem, problem.status);
}
