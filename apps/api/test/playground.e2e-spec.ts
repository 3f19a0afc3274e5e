import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import createClient from 'openapi-fetch';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import {
  freePort,
  startEverythingServer,
  startOAuthMcpServer,
  startScriptedModel,
  type EverythingServer,
  type OAuthMcpServer,
  type ScriptedModel,
} from '@auxilia/testing';
import type { paths } from '../../../openapi/schema';
import { scriptedModelEnv, startApp } from './support/app';
import { requireBuild, spawnApi, type ApiProcess } from './support/process';

jest.setTimeout(60_000);

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SHOTS = 'test-artifacts/playground';
const PAGE = 'dist/playground/index.html';
const API_KEY = 'playground-test-key-0123456789';

/** The browser the page is tested in; Playwright's own browser download is not used. */
async function launchChromium(userDataDir: string): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
  }
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
}

/** Waits until the chat status of the page (`data-status` of its status line) is `status`. */
async function chatStatus(page: Page, status: string): Promise<void> {
  await page.waitForFunction(
    (wanted) => document.querySelector('[data-testid="chat-status"]')?.getAttribute('data-status') === wanted,
    status,
  );
}

const texts = (locator: Locator) => locator.allTextContents();

describe('the playground page in Chromium, served by the production build', () => {
  let model: ScriptedModel;
  let upstream: OAuthMcpServer;
  let everything: EverythingServer;
  let service: ApiProcess;
  let context: BrowserContext;
  let page: Page;
  let api: ReturnType<typeof createClient<paths>>;
  const userDataDir = mkdtempSync(join(tmpdir(), 'playground-chromium-'));
  const pageErrors: string[] = [];

  const messages = () => page.getByRole('log', { name: 'Messages' });
  const assistantMessages = () => messages().locator('[data-testid="message"][data-role="assistant"]');
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const threadIdOfPage = () => new URLSearchParams(new URL(page.url()).hash.slice(1)).get('thread') ?? '';
  async function send(text: string): Promise<void> {
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  }

  beforeAll(async () => {
    requireBuild(PAGE);
    mkdirSync(SHOTS, { recursive: true });
    context = await launchChromium(userDataDir);
    context.setDefaultTimeout(20_000);
    [model, upstream, everything] = await Promise.all([
      startScriptedModel(),
      startOAuthMcpServer(),
      startEverythingServer({ transport: 'streamableHttp' }),
    ]);
    // The authorization server sends the browser back to OAUTH_REDIRECT_BASE_URL: the port is fixed first.
    const port = await freePort();
    service = await spawnApi({
      ...scriptedModelEnv(model.baseURL),
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      REDIS_KEY_PREFIX: `test-${randomUUID().slice(0, 8)}:`,
      PORT: String(port),
      OAUTH_REDIRECT_BASE_URL: `http://127.0.0.1:${port}`,
      API_KEYS: API_KEY,
      PLAYGROUND: 'true',
      MCP_SERVERS_FILE: '/nonexistent/mcp-servers.json',
      AGENTS_FILE: '/nonexistent/agents.json',
    });
    api = createClient<paths>({ baseUrl: service.baseUrl, headers: { authorization: `Bearer ${API_KEY}` } });
    for (const body of [
      { id: 'guarded', name: 'Guarded', url: upstream.url, requiresOAuth: true },
      { id: 'everything', name: 'Everything', url: everything.url, requiresOAuth: false },
    ]) {
      expect((await api.POST('/mcp-servers', { body })).response.status).toBe(201);
    }
    for (const [id, server] of [
      ['guarded-agent', 'guarded'],
      ['everything-agent', 'everything'],
    ]) {
      const body = { id, name: `Uses ${server}`, instructions: 'Use your tools.', mcpServerIds: [server] };
      expect((await api.POST('/agents', { body })).response.status).toBe(201);
    }
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await service?.stop();
    await Promise.all([model?.close(), upstream?.close(), everything?.stop()]);
    rmSync(userDataDir, { recursive: true, force: true });
  });

  it('asks for the API key, then lists the agents and MCP servers with it', async () => {
    await page.goto(`${service.baseUrl}/`);
    await page.getByRole('alert').filter({ hasText: 'This API needs an API key' }).waitFor();
    await page.getByLabel('API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'API key' }).waitFor({ state: 'hidden' });

    const agent = page.getByRole('combobox', { name: 'Agent' });
    await agent.locator('option[value="guarded-agent"]').waitFor({ state: 'attached' });
    expect(await texts(agent.locator('option'))).toEqual(['Uses everything', 'Uses guarded']);
    await agent.selectOption('guarded-agent');
    const servers = page.getByRole('list', { name: 'MCP servers' });
    await servers.getByRole('listitem', { name: 'Guarded' }).waitFor();
    expect(await servers.getByTestId('connection').allTextContents()).toEqual(['connected', 'not connected']);
    expect(await page.evaluate(() => localStorage.getItem('auxilia.apiKey'))).toBe(API_KEY);
  });

  it('connects the OAuth-protected server through a real redirect, and lists its tools', async () => {
    const guarded = page.getByTestId('mcp-server-guarded');
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      guarded.getByRole('button', { name: 'Connect Guarded' }).click(),
    ]);
    // The fixture's authorization server answers with a redirect to the API's callback at once.
    await popup.waitForURL((url) => url.href.startsWith(`${service.baseUrl}/mcp-servers/guarded/callback?`));
    await popup.getByRole('heading', { name: 'guarded is connected' }).waitFor();
    expect(upstream.stats.authorizationRequests).toBe(1);
    expect(upstream.stats.tokenRequests.authorization_code).toBe(1);

    await guarded
      .getByTestId('connection')
      .filter({ hasText: /^connected$/ })
      .waitFor();
    const tools = guarded.getByRole('list', { name: 'Tools of Guarded' });
    await tools.getByText('admin-echo').waitFor();
    expect((await texts(tools.locator('code'))).sort()).toEqual(['admin-echo', 'echo', 'get-sum']);
    expect(await guarded.getByRole('button', { name: 'Connect Guarded' }).count()).toBe(0);
    await popup.close();
    await shot('01-connected');
  });

  it('streams a conversation that calls a tool: its input, its output, then the answer', async () => {
    model.enqueue(
      { toolCalls: [{ name: 'get-sum', arguments: { a: 2, b: 3 } }] },
      'The sum of 2 and 3 is 5.',
    );
    await send('What is 2 + 3?');
    await messages().getByText('The sum of 2 and 3 is 5.').waitFor();
    await chatStatus(page, 'ready');

    const tool = messages().getByTestId('tool-call');
    expect(await tool.count()).toBe(1);
    expect(await tool.getAttribute('data-state')).toBe('output-available');
    expect(await tool.locator('.tool-name').textContent()).toBe('get-sum');
    expect(JSON.parse((await tool.getByTestId('tool-input').textContent()) ?? '')).toEqual({ a: 2, b: 3 });
    expect(await tool.getByTestId('tool-output').textContent()).toContain('5');
    expect(await texts(assistantMessages().getByTestId('text'))).toEqual(['The sum of 2 and 3 is 5.']);
    // The model was given the tool's real result before it answered.
    expect(JSON.stringify(model.requests[1].messages.find((m) => m.role === 'tool')?.content)).toContain('5');

    // The thread took its title from the first message.
    await page.getByRole('list', { name: 'Threads' }).getByText('What is 2 + 3?').waitFor();
    await shot('02-tool-call');
  });

  it('resumes a stream after a reload in the middle of it, without repeating anything', async () => {
    await page.getByRole('combobox', { name: 'Agent' }).selectOption('everything-agent');
    await page.getByRole('button', { name: 'New thread' }).click();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).has('thread'));
    const threadId = threadIdOfPage();
    const answer = Array.from({ length: 18 }, (_, i) => `word${i + 1}`).join(' ');
    model.enqueue(
      { toolCalls: [{ name: 'echo', arguments: { message: 'resume me' } }] },
      { text: answer, delayMs: 300 },
    );
    const requestsBefore = model.requests.length;

    await send('Echo, then count slowly');
    await messages().getByText('word2', { exact: false }).waitFor();
    await page.reload();
    // The reloaded page reopens the thread (#thread=…) and follows the run that is still going.
    await chatStatus(page, 'streaming');
    expect(threadIdOfPage()).toBe(threadId);
    await shot('03-resuming');
    await chatStatus(page, 'ready');

    expect(await texts(messages().getByTestId('message'))).toHaveLength(2);
    expect(await texts(assistantMessages().getByTestId('text'))).toEqual([answer]);
    const tool = messages().getByTestId('tool-call');
    expect(await tool.count()).toBe(1);
    expect(await tool.getByTestId('tool-output').textContent()).toContain('resume me');
    // Resuming read the run's log: the model was not asked again.
    expect(model.requests.length - requestsBefore).toBe(2);
    const detail = await api.GET('/threads/{id}', { params: { path: { id: threadId } } });
    expect(detail.data?.status).toBe('idle');
    await shot('03-resumed');
  });

  it('stops a run with the Stop button and keeps what was streamed', async () => {
    const words = Array.from({ length: 40 }, (_, i) => `part${i + 1}`);
    model.enqueue({ text: words.join(' '), delayMs: 300 });
    await send('Talk for a while');
    await messages().getByText('part2', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await chatStatus(page, 'ready');

    const last = (await texts(assistantMessages().last().getByTestId('text'))).join('');
    expect(last).toMatch(/^part1 part2/);
    expect(last).not.toContain('part40');
    const detail = await api.GET('/threads/{id}', { params: { path: { id: threadIdOfPage() } } });
    expect(detail.data?.status).toBe('idle');
    await shot('04-stopped');
  });

  it('asks before a tool that needs approval, and runs it once approved in the page', async () => {
    const policy = await api.PUT('/agents/{id}/mcp-servers/{serverId}/tools', {
      params: { path: { id: 'everything-agent', serverId: 'everything' } },
      body: { tools: { 'get-sum': 'needs_approval' } },
    });
    expect(policy.response.status).toBe(200);
    await page.getByRole('button', { name: 'New thread' }).click();
    model.enqueue({ toolCalls: [{ name: 'get-sum', arguments: { a: 40, b: 2 } }] }, 'It is 42.');
    const requestsBefore = model.requests.length;
    await send('What is 40 + 2?');

    const asking = messages().getByRole('group', { name: 'Approve get-sum?' });
    await asking.waitFor();
    await chatStatus(page, 'ready');
    expect(await messages().getByTestId('tool-call').getAttribute('data-state')).toBe('approval-requested');
    // Nothing ran yet: only the step that asked reached the model.
    expect(model.requests.length - requestsBefore).toBe(1);
    await shot('05-approval-requested');

    await asking.getByRole('button', { name: 'Approve' }).click();
    await messages().getByText('It is 42.').waitFor();
    await chatStatus(page, 'ready');
    const tool = messages().getByTestId('tool-call');
    expect(await tool.getAttribute('data-state')).toBe('output-available');
    expect(await tool.getByTestId('tool-output').textContent()).toContain('42');
    const detail = await api.GET('/threads/{id}', { params: { path: { id: threadIdOfPage() } } });
    expect(detail.data?.status).toBe('idle');
    await shot('06-approved');
  });

  it('shows a failure of the model as an error, and the thread takes the next message', async () => {
    model.enqueue({ error: { status: 500, message: 'the scripted model is down' } });
    await send('This one fails');
    await chatStatus(page, 'error');
    const alert = page.getByTestId('chat-error');
    await alert.waitFor();
    expect((await alert.textContent())?.length).toBeGreaterThan(0);
    await shot('07-error');

    model.enqueue('Back again.');
    await send('And now?');
    await messages().getByText('Back again.').waitFor();
    await chatStatus(page, 'ready');
    expect(await alert.isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

describe('GET / when the playground is off', () => {
  it('is a 404 problem, and neither the page nor its assets are in the contract', async () => {
    const running = await startApp({ env: { PLAYGROUND: 'false' } });
    try {
      for (const path of ['/', '/playground/assets/playground.js']) {
        const res = await fetch(`${running.baseUrl}${path}`);
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(await res.json()).toMatchObject({
          status: 404,
          detail: expect.stringContaining('PLAYGROUND'),
        });
      }
      const contract = (await (await fetch(`${running.baseUrl}/openapi.json`)).json()) as { paths: object };
      expect(Object.keys(contract.paths).filter((p) => p === '/' || p.startsWith('/playground'))).toEqual([]);
    } finally {
      await running.close();
    }
  });
});
