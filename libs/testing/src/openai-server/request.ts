import type { ChatCompletionRequest } from './types';

export type ParsedRequest =
  { ok: true; request: ChatCompletionRequest } | { ok: false; message: string; param: string | null };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a chat-completions body and checks what the server relies on (an object with a `messages`
 * array of role-bearing objects), answering with the wording OpenAI uses for the same mistakes.
 */
export function parseChatRequest(raw: Buffer): ParsedRequest {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return {
      ok: false,
      param: null,
      message:
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    };
  }
  if (!isObject(body)) return { ok: false, param: null, message: 'The request body must be a JSON object.' };
  const messages = body.messages;
  if (!Array.isArray(messages)) {
    return { ok: false, param: 'messages', message: "Missing required parameter: 'messages'." };
  }
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isObject(m) || typeof m.role !== 'string') {
      return {
        ok: false,
        param: `messages.[${i}].role`,
        message: `Invalid value for 'messages[${i}].role'.`,
      };
    }
  }
  if (body.model !== undefined && typeof body.model !== 'string') {
    return { ok: false, param: 'model', message: "Invalid type for 'model': expected a string." };
  }
  // The checks above cover every field the server reads; deeper shapes are recorded as the client sent them.
  return { ok: true, request: body as ChatCompletionRequest };
}
