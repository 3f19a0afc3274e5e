import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** One request of the hostile walk; `legal` marks odd but acceptable input (only "never a 5xx" holds). */
export interface HostileCase {
  operationId: string;
  label: string;
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  legal?: boolean;
}

export interface Operation {
  operationId: string;
  method: string;
  path: string;
  params: { in: string; name: string; required?: boolean }[];
  hasBody: boolean;
}

export function operationsOf(file: string): Operation[] {
  const doc = parse(readFileSync(file, 'utf8')) as {
    paths: Record<
      string,
      Record<string, { operationId: string; parameters?: Operation['params']; requestBody?: unknown }>
    >;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      operationId: op.operationId,
      method: method.toUpperCase(),
      path,
      params: op.parameters ?? [],
      hasBody: op.requestBody !== undefined,
    })),
  );
}

const MB = 1024 * 1024;
export const HUGE = 'x'.repeat(MB);
const LARGE = 'x'.repeat(200 * 1024);
const ODD = ['\u202Eevil\u202C', 'a\u200Bb\u200D', '😀🏳️‍🌈', '\uFEFF', 'e\u0301\u0301\u0301', '\u0000'];

/** Ids nothing should choke on: traversal, NUL, 10 KB, RTL, zero-width, emoji, bad escapes, key syntax. */
export const HOSTILE_IDS = [
  '..',
  '..%2F..%2Fetc%2Fpasswd',
  encodeURIComponent('../../etc/passwd'),
  '%00',
  '%FF',
  '%E0%A4%A',
  'a'.repeat(10 * 1024),
  ...ODD.map(encodeURIComponent),
  encodeURIComponent('{thread:1}*'),
  encodeURIComponent(' '),
  encodeURIComponent('known\r\nSet-Cookie: x=1'),
];

const WRONG_VALUES: unknown[] = [12345, -1.5, true, {}, [], { $gt: '' }, [1, 'two', null]];

/** Invalid variants of a valid body: wrong types, missing and unknown fields, huge values. */
export function bodyMutations(sample: Record<string, unknown>, required: string[]): [string, unknown][] {
  const out: [string, unknown][] = [
    ['array body', [sample]],
    ['string body', 'hello'],
    ['number body', 42],
    ['null body', null],
    ['empty object', {}],
    ['unknown field', { ...sample, evil: 1 }],
    ['constructor pollution', { constructor: { prototype: { admin: true } } }],
  ];
  for (const key of required) {
    const rest = { ...sample };
    delete rest[key];
    out.push([`missing ${key}`, rest]);
  }
  for (const key of Object.keys(sample)) {
    for (const value of WRONG_VALUES)
      out.push([`${key}=${JSON.stringify(value)}`, { ...sample, [key]: value }]);
    out.push([`${key}=null`, { ...sample, [key]: null }]);
    out.push([`${key}=1MB string`, { ...sample, [key]: HUGE }]);
    out.push([`${key}=200KB string`, { ...sample, [key]: LARGE }]);
    out.push([`${key}=10k array`, { ...sample, [key]: Array<string>(10_000).fill('x') }]);
  }
  return out;
}

/** Raw bodies and content types the JSON routes must refuse. */
export const RAW_BODIES: [string, Record<string, string>, string][] = [
  ['truncated JSON', { 'content-type': 'application/json' }, '{"a":'],
  ['empty JSON body', { 'content-type': 'application/json' }, ''],
  ['__proto__ JSON', { 'content-type': 'application/json' }, '{"__proto__":{"admin":true}}'],
  ['deep nesting', { 'content-type': 'application/json' }, '['.repeat(100_000) + ']'.repeat(100_000)],
  ['text/plain', { 'content-type': 'text/plain' }, '{"id":"x"}'],
  ['form', { 'content-type': 'application/x-www-form-urlencoded' }, 'id=x&name=y'],
  ['multipart', { 'content-type': 'multipart/form-data; boundary=b' }, '--b\r\n\r\nx\r\n--b--'],
  ['xml', { 'content-type': 'application/xml' }, '<a/>'],
  ['bad charset', { 'content-type': 'application/json; charset=iso-8859-1' }, '{}'],
];

/** Odd unicode in free text: legal, so only "never a 5xx" holds. */
export const ODD_TEXT = ODD.filter((s) => s !== '\u0000');

/** UIMessage shapes the stream route must refuse with a 400. */
export function invalidChats(threadId: string): [string, unknown][] {
  const user = { id: 'm1', role: 'user', parts: [{ type: 'text', text: 'hi' }] };
  const chat = (messages: unknown, extra: Record<string, unknown> = {}) => ({
    id: threadId,
    messages,
    trigger: 'submit-message',
    ...extra,
  });
  return [
    ['no messages', chat([])],
    ['messages not an array', chat('hi')],
    ['null message', chat([null])],
    ['number message', chat([1])],
    ['empty message', chat([{}])],
    ['empty id', chat([{ ...user, id: '' }])],
    ['role tool', chat([{ ...user, role: 'tool' }])],
    ['last message from the assistant', chat([user, { ...user, id: 'm2', role: 'assistant' }])],
    ['last message from the system', chat([{ ...user, role: 'system' }])],
    ['parts not an array', chat([{ ...user, parts: 'hi' }])],
    ['null part', chat([{ ...user, parts: [null] }])],
    ['string part', chat([{ ...user, parts: ['hi'] }])],
    ['text part without text', chat([{ ...user, parts: [{ type: 'text' }] }])],
    ['text part with a number', chat([{ ...user, parts: [{ type: 'text', text: 42 }] }])],
    ['only a file part', chat([{ ...user, parts: [{ type: 'file', url: 'file:///etc/passwd' }] }])],
    ['1001 parts', chat([{ ...user, parts: Array(1001).fill({ type: 'reasoning', text: 'x' }) }])],
    ['10001 messages', chat(Array(10_001).fill(user))],
    ['metadata a string', chat([{ ...user, metadata: 'x' }])],
    ['unknown trigger', chat([user], { trigger: 'delete-everything' })],
    ['missing trigger', { id: threadId, messages: [user] }],
    ['messageId 10 KB', chat([user], { messageId: 'm'.repeat(10_240) })],
    ['unknown message field', chat([{ ...user, evil: true }])],
  ];
}

export const SERVER = { id: 'known', name: 'Known', url: 'http://127.0.0.1:1/mcp' };
export const AGENT = { id: 'known-agent', name: 'Known', instructions: 'Answer.', mcpServerIds: [] };

/** A valid body per operation, which the walk only ever sends spoiled. */
export function samples(
  threadId: string,
): Record<string, { body: Record<string, unknown>; required: string[] }> {
  return {
    createAgent: {
      body: { id: 'hostile-new', name: 'N', instructions: 'I' },
      required: ['id', 'name', 'instructions'],
    },
    updateAgent: { body: { name: 'N', instructions: 'I' }, required: [] },
    setAgentToolPolicies: { body: { tools: { echo: 'needs_approval' } }, required: ['tools'] },
    createMcpServer: {
      body: { id: 'hostile-new', name: 'N', url: 'https://example.com/mcp' },
      required: ['id', 'name', 'url'],
    },
    updateMcpServer: { body: { name: 'N', url: 'https://example.com/mcp' }, required: [] },
    createThread: { body: { agentId: AGENT.id, title: 'T' }, required: ['agentId'] },
    updateThread: { body: { title: 'T' }, required: ['title'] },
    streamThread: {
      body: {
        id: threadId,
        messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }],
        trigger: 'submit-message',
      },
      required: ['id', 'messages', 'trigger'],
    },
  };
}

/** Bad query strings per operation; operations without query parameters get junk that must be harmless. */
export const QUERIES: Record<string, string[]> = {
  listThreads: [
    'limit=-1',
    'limit=abc',
    'limit=0',
    'limit=101',
    'limit=1.5',
    'limit=1e400',
    'limit[]=1',
    'limit=1&limit=2',
    `agentId=${'a'.repeat(10_240)}`,
    'agentId=',
    'cursor=..%2F',
    'cursor=%00',
    'cursor[a]=1',
    'unknown=1',
  ],
  listMcpServerTools: [
    'refresh=maybe',
    'refresh=TRUE',
    'refresh[]=true',
    'refresh=true&refresh=false',
    'unknown=1',
  ],
  completeMcpServerAuthorization: [
    '',
    'state=',
    'state[]=x',
    `state=${'s'.repeat(10_240)}`,
    'state=unknown&code=x',
    'error=access_denied',
    'state=%00&code=%FF',
  ],
  waitForMcpServerAuthorization: [
    '',
    'state=',
    'state[]=x',
    `state=${'s'.repeat(10_240)}`,
    'state=%00',
    'state=x&unknown=1',
  ],
};

/** An empty PATCH changes nothing; an optional field sent as null on create is the same as absent. */
export function isLegal(op: Operation, required: string[], label: string): boolean {
  if (
    required.length === 0 &&
    ['empty object', 'empty JSON body', '__proto__ JSON', 'constructor pollution'].includes(label)
  )
    return true;
  const nullField = /^(\w+)=null$/.exec(label)?.[1];
  return op.method === 'POST' && nullField !== undefined && !required.includes(nullField);
}
