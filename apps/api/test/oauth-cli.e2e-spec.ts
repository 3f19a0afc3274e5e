import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startOAuthMcpServer, type OAuthMcpServer } from '@auxilia/testing';
import { oauthFlow, oauthListen } from '../../cli/src/oauth-commands';
import { startApp, type RunningApp } from './support/app';
import { visit } from './oauth-support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('CLI oauth-flow and listen against a running service', () => {
  let running: RunningApp;
  let upstream: OAuthMcpServer;
  const printed: string[] = [];

  beforeAll(async () => {
    upstream = await startOAuthMcpServer();
    running = await startApp({
      env: {
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        MCP_SERVERS_FILE: '/nonexistent/mcp-servers.json',
      },
    });
    const created = await fetch(`${running.baseUrl}/mcp-servers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'cli-guarded',
        name: 'CLI guarded',
        url: upstream.url,
        requiresOAuth: true,
      }),
    });
    expect(created.status).toBe(201);
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
    jest
      .spyOn(console, 'error')
      .mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await running?.close();
    await upstream?.close();
  });

  async function printedUrl(): Promise<string> {
    for (;;) {
      const line = printed.find((l) => l.includes('/authorize?'));
      const url = line?.match(/https?:\/\/\S+/)?.[0];
      if (url) return url;
      await sleep(20);
    }
  }

  it('prints the authorization URL, waits for the callback, then prints the tools', async () => {
    const flow = oauthFlow(running.config, ['cli-guarded', '--api', running.baseUrl, '--timeout', '30']);
    const authorizationUrl = await printedUrl();
    const state = new URL(authorizationUrl).searchParams.get('state') ?? '';
    const callback = await fetch(await visit(authorizationUrl, running));
    expect(callback.status).toBe(200);

    expect(await flow).toBe(0);
    const output = printed.join('\n');
    expect(output).toContain('MCP server "cli-guarded" is authorized.');
    expect(output).toMatch(/3 tools on "cli-guarded"/);
    expect(output).toContain('get-sum');

    // listen started after the callback still gets the stored outcome.
    printed.length = 0;
    expect(await oauthListen(running.config, [state, '--timeout', '5', '--json'])).toBe(0);
    expect(JSON.parse(printed[0])).toEqual({ serverId: 'cli-guarded', state, status: 'authorized' });
  });

  it('listen gives up after its timeout for a state nobody completes', async () => {
    printed.length = 0;
    expect(await oauthListen(running.config, ['no-such-state-000', '--timeout', '1'])).toBe(124);
    expect(printed.join('\n')).toContain('No callback for this state within 1 s');
  });

  it('listen prints an outcome published while it waits', async () => {
    printed.length = 0;
    const denying = await startOAuthMcpServer({ deny: true });
    try {
      await fetch(`${running.baseUrl}/mcp-servers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'cli-denied', name: 'Denied', url: denying.url, requiresOAuth: true }),
      });
      const refused = await fetch(`${running.baseUrl}/mcp-servers/cli-denied/list-tools`);
      expect(refused.status).toBe(401);
      const { state, authorizationUrl } = (await refused.json()) as {
        state: string;
        authorizationUrl: string;
      };
      const listening = oauthListen(running.config, [state, '--timeout', '30']);
      await sleep(200);
      expect((await fetch(await visit(authorizationUrl, running))).status).toBe(400);
      expect(await listening).toBe(1);
      expect(printed.join('\n')).toContain('Authorization of MCP server "cli-denied" failed (access_denied)');
    } finally {
      await denying.close();
    }
  });
});
