import { parseArgs } from 'node:util';
import type { AppConfig } from '@auxilia/core';
import { describeOutcome, waitForOutcome } from './oauth-wait';

interface Tool {
  name: string;
  title?: string;
  description?: string;
}

interface ListToolsAnswer {
  status: number;
  body: unknown;
}

const TIMEOUT_EXIT = 124;

function timeoutOption(value: string | undefined): number {
  const seconds = Number(value ?? '300');
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new Error('--timeout must be a whole number of seconds');
  return seconds;
}

async function listTools(api: string, serverId: string, apiKey?: string): Promise<ListToolsAnswer> {
  const url = `${api.replace(/\/+$/, '')}/mcp-servers/${encodeURIComponent(serverId)}/list-tools`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const res = await fetch(url, { headers });
  const body = (await res.json().catch(() => undefined)) as unknown;
  return { status: res.status, body };
}

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function printTools(serverId: string, body: unknown): void {
  const tools = Array.isArray(body) ? (body as Tool[]) : [];
  console.log(`${tools.length} tools on "${serverId}":`);
  for (const tool of tools) console.log(`  ${tool.name}${tool.description ? ` — ${tool.description}` : ''}`);
}

function printProblem(answer: ListToolsAnswer): void {
  const detail = field(answer.body, 'detail') ?? field(answer.body, 'title') ?? 'no details';
  console.error(`list-tools answered ${answer.status}: ${detail}`);
}

/** `oauth-flow <serverId>`: list the tools, authorizing first when the service asks for it. */
export async function oauthFlow(config: AppConfig, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string', default: `http://localhost:${config.http.port || 8000}` },
      timeout: { type: 'string' },
      'api-key': { type: 'string', default: process.env.AUXILIA_API_KEY },
    },
  });
  const [serverId] = positionals;
  if (!serverId) throw new Error('usage: oauth-flow <serverId> [--api URL] [--timeout SECONDS]');
  const timeoutS = timeoutOption(values.timeout);
  const apiKey = values['api-key'];

  const first = await listTools(values.api, serverId, apiKey);
  if (first.status === 200) {
    printTools(serverId, first.body);
    return 0;
  }
  const state = field(first.body, 'state');
  const authorizationUrl = field(first.body, 'authorizationUrl');
  if (
    first.status !== 401 ||
    field(first.body, 'error') !== 'oauth_required' ||
    !state ||
    !authorizationUrl
  ) {
    printProblem(first);
    return 1;
  }
  console.log(`Open this URL in a browser to authorize "${serverId}":\n\n  ${authorizationUrl}\n`);
  console.log(`Waiting up to ${timeoutS} s for the callback (state ${state})...`);
  const outcome = await waitForOutcome(config, state, timeoutS);
  if (!outcome) {
    console.error(`No callback within ${timeoutS} s.`);
    return TIMEOUT_EXIT;
  }
  console.log(describeOutcome(outcome));
  if (outcome.status !== 'authorized') return 1;
  const second = await listTools(values.api, serverId, apiKey);
  if (second.status !== 200) {
    printProblem(second);
    return 1;
  }
  printTools(serverId, second.body);
  return 0;
}

/** `listen <state>`: print the outcome of that authorization when it arrives. */
export async function oauthListen(config: AppConfig, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { timeout: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const [state] = positionals;
  if (!state) throw new Error('usage: listen <state> [--timeout SECONDS] [--json]');
  const timeoutS = timeoutOption(values.timeout);
  const outcome = await waitForOutcome(config, state, timeoutS);
  if (!outcome) {
    console.error(`No callback for this state within ${timeoutS} s.`);
    return TIMEOUT_EXIT;
  }
  console.log(values.json ? JSON.stringify(outcome) : describeOutcome(outcome));
  return outcome.status === 'authorized' ? 0 : 1;
}
