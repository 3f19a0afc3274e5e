import {
  AbstractChat,
  DefaultChatTransport,
  parseJsonEventStream,
  uiMessageChunkSchema,
  type ChatInit,
  type ChatState,
  type ChatStatus,
  type UIMessage,
  type UIMessageChunk,
} from 'ai';

/*
 * The AI SDK's own client, without a UI framework: `ai` ships only the abstract Chat (the React, Vue and
 * Svelte packages add a reactive state), so a plain array state is all Node needs.
 */
class ArrayState implements ChatState<UIMessage> {
  status: ChatStatus = 'ready';
  error: Error | undefined = undefined;
  constructor(public messages: UIMessage[] = []) {}
  pushMessage = (message: UIMessage) => {
    this.messages = [...this.messages, message];
  };
  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
  };
  replaceMessage = (index: number, message: UIMessage) => {
    this.messages = [...this.messages.slice(0, index), message, ...this.messages.slice(index + 1)];
  };
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

export class NodeChat extends AbstractChat<UIMessage> {
  constructor(init: ChatInit<UIMessage>) {
    super({ ...init, state: new ArrayState(init.messages) });
  }
}

/**
 * A transport for this API: the AI SDK posts to `{api}` by default, while the thread route is
 * `/threads/{id}/stream`; resuming already uses `GET {api}/{chatId}/stream`, i.e. `/threads/{id}/stream`.
 */
export function threadsTransport(baseUrl: string): DefaultChatTransport<UIMessage> {
  return new DefaultChatTransport({
    api: `${baseUrl}/threads`,
    prepareSendMessagesRequest: ({ id, messages, trigger, messageId, body }) => ({
      api: `${baseUrl}/threads/${id}/stream`,
      body: { ...body, id, messages, trigger, messageId },
    }),
  });
}

export interface SseEvent {
  id?: string;
  data: string;
}

/** Splits an SSE body into events (only what this API sends: `id` and `data` lines). */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').filter((line) => line && !line.startsWith(':')))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const event: SseEvent = { data: '' };
      for (const line of lines) {
        const [field, ...rest] = line.split(': ');
        if (field === 'id') event.id = rest.join(': ');
        if (field === 'data') event.data = rest.join(': ');
      }
      return event;
    });
}

/** Chunks of a UI message stream body, parsed and validated by the AI SDK itself. */
export async function readChunks(body: ReadableStream<Uint8Array>): Promise<UIMessageChunk[]> {
  const chunks: UIMessageChunk[] = [];
  const reader = parseJsonEventStream({ stream: body, schema: uiMessageChunkSchema }).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    if (!value.success) throw value.error;
    chunks.push(value.value as UIMessageChunk);
  }
}

/** Reads SSE events until `count` arrived, then drops the connection (a client going away). */
export async function readEventsThenDrop(url: string, init: RequestInit, count: number): Promise<SseEvent[]> {
  const controller = new AbortController();
  const res = await fetch(url, { ...init, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
    const events = parseSse(complete);
    if (events.length >= count) {
      controller.abort();
      return events.slice(0, count);
    }
  }
  return parseSse(text);
}

export function userMessage(id: string, text: string): UIMessage {
  return { id, role: 'user', parts: [{ type: 'text', text }] };
}

export function chatBody(threadId: string, message: UIMessage): string {
  return JSON.stringify({ id: threadId, messages: [message], trigger: 'submit-message' });
}
