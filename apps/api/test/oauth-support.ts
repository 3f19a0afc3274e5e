import { expect } from '@jest/globals';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  OAuthService,
  type McpOAuthProvider,
  type OAuthServerRef,
  type PendingAuthorization,
} from '@auxilia/oauth';
import type { RunningApp } from './support/app';

export interface SseEvent {
  id?: string;
  event?: string;
  data?: unknown;
}

/** Reads an SSE response to its end and parses its events. */
export async function readEvents(url: string): Promise<{ status: number; events: SseEvent[]; body: string }> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream' } });
  const body = await res.text();
  const events = body
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const event: SseEvent = {};
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(':');
        const value = rest.join(':').replace(/^ /, '');
        if (field === 'id') event.id = value;
        if (field === 'event') event.event = value;
        if (field === 'data') event.data = JSON.parse(value) as unknown;
      }
      return event;
    });
  return { status: res.status, events, body };
}

export function newClient(): Client {
  return new Client({ name: 'oauth-e2e', version: '1.0.0' });
}

export function transportFor(ref: OAuthServerRef, provider: McpOAuthProvider): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(ref.url), { authProvider: provider });
}

/** Connects with the app's own provider; expects the SDK to stop for authorization. */
export async function startAuthorization(
  app: RunningApp,
  ref: OAuthServerRef,
): Promise<PendingAuthorization> {
  const provider = app.app.get(OAuthService).providerFor(ref);
  const client = newClient();
  await expect(client.connect(transportFor(ref, provider))).rejects.toBeInstanceOf(UnauthorizedError);
  await client.close();
  const pending = provider.pendingAuthorization();
  if (!pending) throw new Error('no pending authorization');
  return pending;
}

/**
 * Plays the browser at the authorization server and returns where it was sent back to, re-based onto
 * `app`: the apps listen on a port chosen at start, after OAUTH_REDIRECT_BASE_URL was fixed.
 */
export async function visit(authorizationUrl: string, app: RunningApp): Promise<URL> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location') ?? '');
  return new URL(back.pathname + back.search, app.baseUrl);
}

export async function connected(app: RunningApp, ref: OAuthServerRef): Promise<Client> {
  const client = newClient();
  await client.connect(transportFor(ref, app.app.get(OAuthService).providerFor(ref)));
  return client;
}

export function text(result: Awaited<ReturnType<Client['callTool']>>): string {
  const content = Array.isArray(result.content) ? (result.content as { type: string; text?: string }[]) : [];
  return content.map((c) => c.text ?? '').join('');
}
