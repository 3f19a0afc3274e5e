import { api, ApiError, asProblem, errorText, unwrap, type McpServer, type McpTool } from './api';
import { h } from './dom';

interface Outcome {
  status: 'authorized' | 'error' | 'timeout';
  error?: string;
  errorDescription?: string;
}

/** The one event of the waiter route (`event: authorized|error|timeout`, `data: <outcome>`). */
function parseOutcome(body: string): Outcome | undefined {
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data) return JSON.parse(data) as Outcome;
  }
  return undefined;
}

/** Waits on `GET /mcp-servers/{id}/oauth/events` until the callback of this state completed, anywhere. */
async function waitForAuthorization(id: string, state: string): Promise<Outcome> {
  const body = unwrap(
    await api.GET('/mcp-servers/{id}/oauth/events', {
      params: { path: { id }, query: { state } },
      parseAs: 'text',
    }),
  );
  return parseOutcome(body) ?? { status: 'error', error: 'no outcome received' };
}

/** The MCP servers list: connection state, a Connect for servers that need OAuth, and their tools. */
export class ServersPanel {
  constructor(
    private readonly root: HTMLElement,
    private readonly report: (message: string | undefined) => void,
  ) {}

  async load(): Promise<void> {
    try {
      const servers = unwrap(await api.GET('/mcp-servers'));
      this.root.replaceChildren(
        ...(servers.length
          ? servers.map((s) => this.item(s))
          : [h('li', { class: 'muted' }, 'None registered')]),
      );
    } catch (err) {
      this.report(errorText(err));
    }
  }

  private item(server: McpServer): HTMLElement {
    const status = h('p', { class: 'muted small', role: 'status' });
    const tools = h('ul', { class: 'tools', 'aria-label': `Tools of ${server.name}` });
    const details = h('details', {}, h('summary', {}, 'Tools'), tools);
    details.addEventListener('toggle', () => {
      if (details.open && !tools.childElementCount) void this.showTools(server, tools, status);
    });
    const li = h(
      'li',
      { class: 'server', 'data-testid': `mcp-server-${server.id}`, 'aria-label': server.name },
      h(
        'div',
        { class: 'server-head' },
        h('strong', {}, server.name),
        h(
          'span',
          { class: `badge ${server.connected ? 'ok' : 'off'}`, 'data-testid': 'connection' },
          server.connected ? 'connected' : 'not connected',
        ),
      ),
      h('p', { class: 'muted small url' }, server.url),
      server.requiresOAuth && !server.connected
        ? h(
            'button',
            {
              type: 'button',
              'aria-label': `Connect ${server.name}`,
              onclick: () => void this.connect(server, status),
            },
            'Connect',
          )
        : null,
      status,
      details,
    );
    return li;
  }

  private async showTools(server: McpServer, list: HTMLElement, status: HTMLElement): Promise<void> {
    list.replaceChildren(h('li', { class: 'muted' }, 'Loading…'));
    const { data, error, response } = await api.GET('/mcp-servers/{id}/list-tools', {
      params: { path: { id: server.id } },
    });
    if (!data) {
      list.replaceChildren();
      const problem = asProblem(error);
      status.textContent =
        problem.error === 'oauth_required'
          ? 'Needs an authorization: use Connect.'
          : new ApiError(response.status, problem).message;
      return;
    }
    list.replaceChildren(
      ...data.map((tool: McpTool) =>
        h(
          'li',
          { title: tool.description },
          h('code', {}, tool.name),
          tool.description ? ` ${tool.description}` : '',
        ),
      ),
    );
  }

  /**
   * Asks the API for the tools: a server without tokens answers 401 `oauth_required` with the URL where
   * the user authorizes. That page opens in a popup (opened at once, while the click still counts as a
   * user gesture), its redirect lands on the API's callback, and the waiter route says how it ended.
   */
  private async connect(server: McpServer, status: HTMLElement): Promise<void> {
    const popup = window.open('about:blank', `auxilia-oauth-${server.id}`, 'popup,width=520,height=680');
    status.textContent = 'Starting the authorization…';
    const { data, error, response } = await api.GET('/mcp-servers/{id}/list-tools', {
      params: { path: { id: server.id } },
    });
    const problem = asProblem(error);
    if (data || problem.error !== 'oauth_required' || typeof problem.authorizationUrl !== 'string') {
      popup?.close();
      if (data) return this.connected(server.id);
      status.textContent = new ApiError(response.status, problem).message;
      return;
    }
    const { authorizationUrl, state } = problem as { authorizationUrl: string; state: string };
    if (!/^https?:\/\//i.test(authorizationUrl)) {
      popup?.close();
      status.textContent = 'The authorization URL is not an http(s) URL.';
      return;
    }
    if (popup) popup.location.href = authorizationUrl;
    status.replaceChildren(
      'Waiting for the authorization… ',
      h('a', { href: authorizationUrl, target: '_blank', rel: 'noopener' }, 'Open the authorization page'),
    );
    try {
      const outcome = await waitForAuthorization(server.id, state);
      if (outcome.status === 'authorized') return this.connected(server.id);
      status.textContent =
        outcome.status === 'timeout'
          ? 'The authorization timed out: try Connect again.'
          : `The authorization failed: ${outcome.errorDescription ?? outcome.error ?? 'unknown error'}`;
    } catch (err) {
      status.textContent = errorText(err);
    }
  }

  /** Redraws the list and opens the tools of the server just connected. */
  private async connected(id: string): Promise<void> {
    await this.load();
    const details = this.root.querySelector<HTMLDetailsElement>(
      `[data-testid="mcp-server-${CSS.escape(id)}"] details`,
    );
    if (details) details.open = true;
  }
}
