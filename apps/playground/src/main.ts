import type { ChatStatus, UIMessage } from 'ai';
import './style.css';
import { api, ApiError, apiKey, asProblem, errorText, unwrap, type Agent, type Thread } from './api';
import { BrowserChat, initialMessages } from './chat';
import { byId, h, show } from './dom';
import { MessageList } from './messages';
import { ServersPanel } from './servers';

const el = {
  keyForm: byId<HTMLFormElement>('key-form'),
  key: byId<HTMLInputElement>('api-key'),
  notice: byId('notice'),
  agent: byId<HTMLSelectElement>('agent'),
  agentAbout: byId('agent-about'),
  newThread: byId<HTMLButtonElement>('new-thread'),
  threads: byId('threads'),
  title: byId('thread-title'),
  status: byId('chat-status'),
  chatError: byId('chat-error'),
  composer: byId<HTMLFormElement>('composer'),
  message: byId<HTMLTextAreaElement>('message'),
  send: byId<HTMLButtonElement>('send'),
  stop: byId<HTMLButtonElement>('stop'),
};

const STATUS_TEXT: Record<ChatStatus, string> = {
  ready: 'ready',
  submitted: 'waiting for the agent…',
  streaming: 'streaming',
  error: 'error',
};

let agents: Agent[] = [];
let thread: Thread | undefined;
let chat: BrowserChat | undefined;
// Each thread opened gets a number: an answer about a thread opened before is ignored.
let opening = 0;

const notify = (message: string | undefined) => show(el.notice, message);
const servers = new ServersPanel(byId('servers'), notify);
const messages = new MessageList(byId('messages'), (id, approved) => {
  void chat?.addToolApprovalResponse({ id, approved });
});

/** `#agent=…&thread=…`: what a reload reopens. */
function saved(): { agent?: string; thread?: string } {
  const params = new URLSearchParams(window.location.hash.slice(1));
  return { agent: params.get('agent') ?? undefined, thread: params.get('thread') ?? undefined };
}

function remember(agentId: string | undefined, threadId: string | undefined): void {
  const params = new URLSearchParams();
  if (agentId) params.set('agent', agentId);
  if (threadId) params.set('thread', threadId);
  history.replaceState(null, '', `#${params}`);
}

let drawScheduled = false;
/** Many chat updates arrive in one task (a burst of chunks): draw once after them. */
function scheduleDraw(): void {
  if (drawScheduled) return;
  drawScheduled = true;
  queueMicrotask(() => {
    drawScheduled = false;
    drawChat();
  });
}

function drawChat(): void {
  const status = chat?.status ?? 'ready';
  const busy = status === 'submitted' || status === 'streaming';
  el.status.textContent = STATUS_TEXT[status];
  el.status.dataset.status = status;
  el.stop.disabled = !busy;
  el.send.disabled = busy || !el.agent.value;
  show(el.chatError, chat?.error ? errorText(chat.error) : undefined);
  if (chat) messages.render(chat.messages);
}

async function loadAgents(): Promise<void> {
  notify(undefined);
  try {
    agents = unwrap(await api.GET('/agents'));
  } catch (err) {
    notify(errorText(err));
    return;
  }
  el.agent.replaceChildren(...agents.map((a) => h('option', { value: a.id }, a.name)));
  const wanted = saved();
  const agentId = agents.some((a) => a.id === wanted.agent) ? wanted.agent : agents[0]?.id;
  if (!agentId) {
    el.agentAbout.textContent = 'No agent yet: create one with POST /agents.';
    return;
  }
  await selectAgent(agentId, wanted.thread);
}

/** Shows the agent's threads; `threadId` (from the address) is opened, and its agent wins. */
async function selectAgent(agentId: string, threadId?: string): Promise<void> {
  el.agent.value = agentId;
  if (threadId) await openThread(threadId);
  else closeThread();
  const agent = agents.find((a) => a.id === el.agent.value);
  el.agentAbout.textContent = agent
    ? [
        agent.description,
        agent.mcpServerIds.length ? `MCP servers: ${agent.mcpServerIds.join(', ')}` : 'No MCP server',
      ]
        .filter(Boolean)
        .join(' · ')
    : '';
  remember(el.agent.value, thread?.id);
  await loadThreads();
}

async function loadThreads(): Promise<void> {
  const agentId = el.agent.value;
  try {
    const page = unwrap(await api.GET('/threads', { params: { query: { agentId, limit: 50 } } }));
    const current = page.items.find((t) => t.id === thread?.id);
    // A thread takes its title from its first message once the run started.
    if (current) el.title.textContent = current.title ?? 'Untitled thread';
    el.threads.replaceChildren(
      ...(page.items.length
        ? page.items.map((t) =>
            h(
              'li',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'thread',
                  'aria-current': t.id === thread?.id ? 'true' : undefined,
                  onclick: () => void openThread(t.id).then(() => loadThreads()),
                },
                h('span', {}, t.title ?? 'Untitled thread'),
                h(
                  'time',
                  { datetime: t.updatedAt, class: 'muted small' },
                  new Date(t.updatedAt).toLocaleString(),
                ),
              ),
            ),
          )
        : [h('li', { class: 'muted small' }, 'No thread yet')]),
    );
  } catch (err) {
    notify(errorText(err));
  }
}

function closeThread(): void {
  void chat?.stop();
  chat = undefined;
  thread = undefined;
  el.title.textContent = 'No thread open';
  messages.clear('Pick a thread, or just write: a new thread starts with your first message.');
  drawChat();
}

/**
 * Opens a thread with its messages from the API, then resumes its run if one is active (what `useChat`
 * does with `resume: true`), so a reload in the middle of an answer picks the stream up again.
 */
async function openThread(id: string): Promise<void> {
  const ticket = ++opening;
  void chat?.stop();
  let detail;
  try {
    detail = unwrap(await api.GET('/threads/{id}', { params: { path: { id } } }));
  } catch (err) {
    if (ticket === opening) notify(errorText(err));
    return;
  }
  if (ticket !== opening) return;
  thread = detail;
  if (el.agent.value !== detail.agentId && agents.some((a) => a.id === detail.agentId)) {
    el.agent.value = detail.agentId;
  }
  remember(detail.agentId, detail.id);
  el.title.textContent = detail.title ?? 'Untitled thread';
  const seeded = initialMessages(detail.messages as unknown as UIMessage[], detail.status === 'running');
  chat = new BrowserChat({ id: detail.id, messages: seeded, onFinish: () => void loadThreads() }, () =>
    ticket === opening ? scheduleDraw() : undefined,
  );
  messages.clear();
  drawChat();
  // Not awaited: a resumed stream lasts as long as the run.
  void chat.resumeStream();
}

async function send(): Promise<void> {
  const text = el.message.value.trim();
  if (!text || !el.agent.value) return;
  if (!chat) {
    try {
      const created = unwrap(await api.POST('/threads', { body: { agentId: el.agent.value } }));
      await openThread(created.id);
    } catch (err) {
      notify(errorText(err));
      return;
    }
    void loadThreads();
  }
  el.message.value = '';
  await chat?.sendMessage({ text });
}

/** Stops the run on the server; its stream then ends by itself. With no run there, stop reading. */
async function stop(): Promise<void> {
  if (!chat) return;
  const { response, error } = await api.POST('/threads/{id}/stop', { params: { path: { id: chat.id } } });
  if (response.status === 409) await chat.stop();
  else if (!response.ok) notify(new ApiError(response.status, asProblem(error)).message);
}

el.key.value = apiKey.get();
el.keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  apiKey.set(el.key.value.trim());
  void loadAgents();
  void servers.load();
});
el.agent.addEventListener('change', () => void selectAgent(el.agent.value));
el.newThread.addEventListener('click', () => {
  void (async () => {
    try {
      const created = unwrap(await api.POST('/threads', { body: { agentId: el.agent.value } }));
      await openThread(created.id);
      await loadThreads();
      el.message.focus();
    } catch (err) {
      notify(errorText(err));
    }
  })();
});
el.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  void send();
});
el.message.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    el.composer.requestSubmit();
  }
});
el.stop.addEventListener('click', () => void stop());

closeThread();
void loadAgents();
void servers.load();
