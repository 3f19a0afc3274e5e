import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from './support/app';

const PROBLEM = 'application/problem+json';

describe('Rate limits on the OAuth callback and on stream creation', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp({ env: { RATE_LIMIT_CALLBACK_PER_MIN: '3', RATE_LIMIT_STREAM_PER_MIN: '2' } });
  });
  afterAll(async () => {
    await running?.close();
  });

  const callback = () =>
    fetch(`${running.baseUrl}/mcp-servers/any/callback?state=unknown&code=x`, {
      headers: { accept: 'application/json' },
    });

  it('answers the callback until the limit, then 429 problem JSON with retry-after', async () => {
    for (let i = 0; i < 3; i++) expect((await callback()).status).toBe(400);
    const limited = await callback();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain(PROBLEM);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({
      status: 429,
      title: 'Too Many Requests',
      error: 'rate_limited',
    });
  });

  it('limits stream creation on its own count', async () => {
    const stream = () =>
      fetch(`${running.baseUrl}/threads/no-such-thread/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [] }),
      });
    for (let i = 0; i < 2; i++) expect((await stream()).status).not.toBe(429);
    const limited = await stream();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain(PROBLEM);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('counts in Redis, so instances behind one load balancer share the limit', async () => {
    const second = await startApp({ config: running.config });
    try {
      const limited = await fetch(`${second.baseUrl}/mcp-servers/any/callback?state=unknown&code=x`, {
        headers: { accept: 'application/json' },
      });
      expect(limited.status).toBe(429);
    } finally {
      await second.close();
    }
  });

  it('leaves every other route unlimited', async () => {
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${running.baseUrl}/mcp-servers`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  it('declares the 429 in the contract of both routes', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const doc = parse(readFileSync('openapi/openapi.yaml', 'utf8')) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.paths['/mcp-servers/{id}/callback'].get.responses['429']).toBeDefined();
    expect(doc.paths['/threads/{id}/stream'].post.responses['429']).toBeDefined();
  });
});
