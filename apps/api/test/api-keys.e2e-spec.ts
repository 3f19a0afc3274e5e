import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from './support/app';

const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-fedcba9876543210';

describe('API keys', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp({ env: { API_KEYS: ` ${KEY_A}, ${KEY_B} ` } });
  });
  afterAll(() => running.close());

  const get = (path: string, key?: string) =>
    fetch(`${running.baseUrl}${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});

  it('refuses a request without a key with a 401 problem and a Bearer challenge', async () => {
    const res = await get('/mcp-servers');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toEqual(
      expect.objectContaining({ status: 401, detail: expect.stringMatching(/API key/) }),
    );
  });

  it('refuses a wrong key, a key with extra characters and a prefix of a key', async () => {
    for (const key of ['nope-nope-nope-nope', `${KEY_A}x`, KEY_A.slice(0, -1)]) {
      expect((await get('/agents', key)).status).toBe(401);
    }
  });

  it('accepts every configured key', async () => {
    expect((await get('/agents', KEY_A)).status).toBe(200);
    expect((await get('/agents', KEY_B)).status).toBe(200);
    const { response } = await running.api.GET('/agents', { headers: { authorization: `Bearer ${KEY_B}` } });
    expect(response.status).toBe(200);
  });

  it('leaves /health, the OAuth callback and the docs open', async () => {
    expect((await get('/health')).status).toBe(200);
    // No key, and an unknown state: the callback itself answers (400), not the key check (401).
    expect((await get('/mcp-servers/deepwiki/callback?code=c&state=unknown-state')).status).toBe(400);
    expect((await get('/docs')).status).toBe(200);
    expect((await get('/openapi.json')).status).toBe(200);
  });

  it('answers an unknown route with 404: there is no route to guard', async () => {
    expect((await get('/no/such/route')).status).toBe(404);
  });
});

describe('without API_KEYS', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp();
  });
  afterAll(() => running.close());

  it('is open', async () => {
    expect((await fetch(`${running.baseUrl}/agents`)).status).toBe(200);
  });
});
