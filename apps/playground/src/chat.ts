import {
  AbstractChat,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  type ChatInit,
  type ChatState,
  type ChatStatus,
  type UIMessage,
} from 'ai';
import { authHeaders, baseUrl } from './api';

/*
 * `ai` ships the framework-free AbstractChat; the React, Vue and Svelte packages only add a reactive
 * state. This one calls `changed` after every mutation, and stores copies, so that a message object
 * that did not change keeps its identity and a renderer can skip it.
 */
class ObservedState implements ChatState<UIMessage> {
  #status: ChatStatus = 'ready';
  #error: Error | undefined;
  #messages: UIMessage[];

  constructor(
    messages: UIMessage[],
    private readonly changed: () => void,
  ) {
    this.#messages = messages;
  }

  get status(): ChatStatus {
    return this.#status;
  }
  set status(status: ChatStatus) {
    this.#status = status;
    this.changed();
  }
  get error(): Error | undefined {
    return this.#error;
  }
  set error(error: Error | undefined) {
    this.#error = error;
    this.changed();
  }
  get messages(): UIMessage[] {
    return this.#messages;
  }
  set messages(messages: UIMessage[]) {
    this.#messages = [...messages];
    this.changed();
  }

  pushMessage = (message: UIMessage): void => {
    this.messages = [...this.#messages, this.snapshot(message)];
  };
  popMessage = (): void => {
    this.messages = this.#messages.slice(0, -1);
  };
  replaceMessage = (index: number, message: UIMessage): void => {
    const next = [...this.#messages];
    next[index] = this.snapshot(message);
    this.messages = next;
  };
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

export class BrowserChat extends AbstractChat<UIMessage> {
  constructor(init: ChatInit<UIMessage>, changed: () => void) {
    super({
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
      ...init,
      transport: threadsTransport(),
      state: new ObservedState(init.messages ?? [], changed),
    });
  }
}

/**
 * The AI SDK posts to `api` itself, while a thread's route is `/threads/{id}/stream`; resuming already
 * calls `GET {api}/{chatId}/stream`. The thread holds the history: only the last message is sent.
 */
function threadsTransport(): DefaultChatTransport<UIMessage> {
  return new DefaultChatTransport({
    api: `${baseUrl}/threads`,
    headers: () => authHeaders(),
    prepareSendMessagesRequest: ({ id, messages, trigger, messageId, body, headers }) => ({
      api: `${baseUrl}/threads/${encodeURIComponent(id)}/stream`,
      headers,
      body: { ...body, id, messages: messages.slice(-1), trigger, messageId },
    }),
  });
}

/**
 * The messages to start a chat with. While a run is active, what it has produced so far is left out:
 * resuming replays the run from its start and rebuilds that answer, once.
 */
export function initialMessages(messages: UIMessage[], running: boolean): UIMessage[] {
  if (!running) return messages;
  const lastUser = messages.findLastIndex((m) => m.role === 'user');
  return messages.slice(0, lastUser + 1);
}
