import { getToolName, isToolUIPart, type DynamicToolUIPart, type ToolUIPart, type UIMessage } from 'ai';
import { h } from './dom';

type ToolPart = ToolUIPart | DynamicToolUIPart;
type Part = UIMessage['parts'][number];

export interface ApprovalHandler {
  (approvalId: string, approved: boolean): void;
}

const STATE_LABELS: Record<ToolPart['state'], string> = {
  'input-streaming': 'preparing',
  'input-available': 'running',
  'approval-requested': 'waiting for approval',
  'approval-responded': 'answered',
  'output-available': 'done',
  'output-error': 'failed',
  'output-denied': 'denied',
};

/** Text as it came; anything else as indented JSON. MCP results show their text content. */
function format(value: unknown): string {
  if (typeof value === 'string') return value;
  const content = (value as { content?: unknown } | null)?.content;
  if (Array.isArray(content) && content.every((c) => typeof (c as { text?: unknown }).text === 'string')) {
    return content.map((c) => (c as { text: string }).text).join('\n');
  }
  return JSON.stringify(value, null, 2) ?? String(value);
}

function toolPart(part: ToolPart, onApproval: ApprovalHandler): HTMLElement {
  const name = getToolName(part);
  const approval = 'approval' in part ? part.approval : undefined;
  return h(
    'section',
    {
      class: 'tool',
      'data-testid': 'tool-call',
      'data-state': part.state,
      'aria-label': `Tool call ${name}`,
    },
    h(
      'header',
      {},
      h('span', { class: 'tool-name' }, name),
      h('span', { class: `tool-state state-${part.state}` }, STATE_LABELS[part.state] ?? part.state),
    ),
    part.input === undefined
      ? null
      : h(
          'div',
          { class: 'io' },
          h('h4', {}, 'Input'),
          h('pre', { 'data-testid': 'tool-input' }, format(part.input)),
        ),
    part.state === 'output-available'
      ? h(
          'div',
          { class: 'io' },
          h('h4', {}, 'Output'),
          h('pre', { 'data-testid': 'tool-output' }, format(part.output)),
        )
      : null,
    part.state === 'output-error'
      ? h('div', { class: 'io' }, h('h4', {}, 'Error'), h('pre', { class: 'tool-error' }, part.errorText))
      : null,
    part.state === 'approval-requested' && approval
      ? h(
          'div',
          { class: 'approval', role: 'group', 'aria-label': `Approve ${name}?` },
          h('p', {}, approval.requestReason ?? 'The agent asks to run this tool.'),
          h(
            'button',
            { type: 'button', class: 'primary', onclick: () => onApproval(approval.id, true) },
            'Approve',
          ),
          h('button', { type: 'button', onclick: () => onApproval(approval.id, false) }, 'Deny'),
        )
      : null,
    (part.state === 'approval-responded' || part.state === 'output-denied') && approval
      ? h('p', { class: 'muted small' }, approval.approved ? 'Approved' : 'Denied')
      : null,
  );
}

function renderPart(part: Part, onApproval: ApprovalHandler): HTMLElement | null {
  if (isToolUIPart(part)) return toolPart(part, onApproval);
  switch (part.type) {
    case 'text':
      return h('p', { class: 'text', 'data-testid': 'text' }, part.text);
    case 'reasoning':
      return h('p', { class: 'reasoning', 'aria-label': 'Reasoning' }, part.text);
    case 'step-start':
      return null;
    default:
      return h('p', { class: 'muted small' }, `[${part.type}]`);
  }
}

/**
 * Renders the messages of a chat into a log, redrawing only the messages whose object changed (the chat
 * state stores a fresh copy of a message on every update).
 */
export class MessageList {
  private drawn = new Map<string, { message: UIMessage; el: HTMLElement }>();

  constructor(
    private readonly root: HTMLElement,
    private readonly onApproval: ApprovalHandler,
  ) {}

  clear(placeholder?: string): void {
    this.drawn.clear();
    if (placeholder) this.root.replaceChildren(h('p', { class: 'muted placeholder' }, placeholder));
    else this.root.replaceChildren();
  }

  render(messages: UIMessage[]): void {
    const stick = this.root.scrollHeight - this.root.scrollTop - this.root.clientHeight < 40;
    const next = new Map<string, { message: UIMessage; el: HTMLElement }>();
    const els = messages.map((message) => {
      const old = this.drawn.get(message.id);
      const el = old && old.message === message ? old.el : this.draw(message);
      next.set(message.id, { message, el });
      return el;
    });
    this.drawn = next;
    // Elements already in place stay put, so a focused button is not pulled out from under the user.
    els.forEach((el, i) => {
      if (this.root.children[i] !== el) this.root.insertBefore(el, this.root.children[i] ?? null);
    });
    while (this.root.children.length > els.length) this.root.lastElementChild?.remove();
    if (stick) this.root.scrollTop = this.root.scrollHeight;
  }

  private draw(message: UIMessage): HTMLElement {
    const parts = message.parts.map((part) => renderPart(part, this.onApproval)).filter((el) => el !== null);
    return h(
      'article',
      { class: `message ${message.role}`, 'data-testid': 'message', 'data-role': message.role },
      h(
        'h3',
        { class: 'role' },
        message.role === 'user' ? 'You' : message.role === 'assistant' ? 'Agent' : 'System',
      ),
      ...(parts.length ? parts : [h('p', { class: 'muted' }, '…')]),
    );
  }
}
