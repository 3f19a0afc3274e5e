import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { REDIS } from '@auxilia/core';
import { startApp, testConfig, type RunningApp } from './support/app';

const dir = mkdtempSync(join(tmpdir(), 'mcp-servers-e2e-'));
const seedFile = join(dir, 'mcp-servers.json');

function writeSeed(entries: object[]): void {
  writeFileSync(seedFile, JSON.stringify(entries));
}

const ALPHA = { id: 'alpha', name: 'Alpha', url: 'https://alpha.example/mcp', requiresOAuth: false };
const BETA = {
  id: 'beta',
  name: 'Beta',
  url: 'https://beta.example/mcp',
  requiresOAuth: true,
  oauthClient: { clientId: 'beta-client', clientSecret: 'beta-very-secret' },
};
const GAMMA = { id: 'gamma', name: 'Gamma', url: 'http://127.0.0.1:1/mcp', transport: 'sse' as const };

describe('MCP server registry', () => {
  const config = testConfig({ MCP_SERVERS_FILE: seedFile });
  let running: RunningApp;
  beforeAll(async () => {
    writeSeed([ALPHA, BETA]);
    running = await startApp({ config });
  });
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seeds the servers of MCP_SERVERS_FILE, never showing a secret', async () => {
    const { data, response } = await running.api.GET('/mcp-servers');
    expect(response.status).toBe(200);
    expect(data).toEqual([
      { ...ALPHA, connected: true },
      { ...BETA, oauthClient: { clientId: 'beta-client', hasClientSecret: true }, connected: false },
    ]);
    const raw = await (await fetch(`${running.baseUrl}/mcp-servers`)).text();
    expect(raw).not.toContain('beta-very-secret');
  });

  it('keeps a client secret encrypted in Redis', async () => {
    const redis = running.app.get<Redis>(REDIS);
    const keys = await redis.keys(`${config.redis.keyPrefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    const dump = await Promise.all(
      keys.map(async (key) =>
        (await redis.type(key)) === 'hash' ? JSON.stringify(await redis.hgetall(key)) : '',
      ),
    );
    expect(dump.join('')).toContain('beta-client');
    expect(dump.join('')).not.toContain('beta-very-secret');
  });

  it('creates, reads, changes and removes a server', async () => {
    const created = await running.api.POST('/mcp-servers', { body: GAMMA });
    expect(created.response.status).toBe(201);
    expect(created.data).toEqual({ ...GAMMA, requiresOAuth: false, connected: true });

    const read = await running.api.GET('/mcp-servers/{id}', { params: { path: { id: 'gamma' } } });
    expect(read.data).toEqual(created.data);

    const patched = await running.api.PATCH('/mcp-servers/{id}', {
      params: { path: { id: 'gamma' } },
      body: { name: 'Gamma 2', description: 'changed', oauthClient: { clientId: 'g' } },
    });
    expect(patched.response.status).toBe(200);
    expect(patched.data).toMatchObject({
      id: 'gamma',
      name: 'Gamma 2',
      description: 'changed',
      url: GAMMA.url,
      oauthClient: { clientId: 'g', hasClientSecret: false },
    });

    const removed = await running.api.DELETE('/mcp-servers/{id}', { params: { path: { id: 'gamma' } } });
    expect(removed.response.status).toBe(204);
    const gone = await running.api.GET('/mcp-servers/{id}', { params: { path: { id: 'gamma' } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error).toMatchObject({ status: 404, detail: expect.stringContaining('gamma') });
  });

  it('answers 404 for an unknown server on every route', async () => {
    const path = { id: 'nope' };
    const results = await Promise.all([
      running.api.GET('/mcp-servers/{id}', { params: { path } }),
      running.api.PATCH('/mcp-servers/{id}', { params: { path }, body: { name: 'x' } }),
      running.api.DELETE('/mcp-servers/{id}', { params: { path } }),
      running.api.DELETE('/mcp-servers/{id}/oauth', { params: { path } }),
      running.api.GET('/mcp-servers/{id}/list-tools', { params: { path } }),
    ]);
    expect(results.map((r) => r.response.status)).toEqual([404, 404, 404, 404, 404]);
  });

  it('answers 409 when the id is taken', async () => {
    const { response, error } = await running.api.POST('/mcp-servers', { body: { ...ALPHA, name: 'Other' } });
    expect(response.status).toBe(409);
    expect(error).toMatchObject({ status: 409, detail: expect.stringContaining('alpha') });
    const kept = await running.api.GET('/mcp-servers/{id}', { params: { path: { id: 'alpha' } } });
    expect(kept.data?.name).toBe('Alpha');
  });

  it('answers 400 listing each invalid field', async () => {
    const { response, error } = await running.api.POST('/mcp-servers', {
      body: { id: 'Bad Id!', name: '', url: 'ftp://files.example/mcp', transport: 'websocket' as 'sse' },
    });
    expect(response.status).toBe(400);
    const fields = (error?.errors ?? []).map((e) => e.field).sort();
    expect(fields).toEqual(['id', 'name', 'transport', 'url']);
  });

  it('refuses a PATCH with a bad URL or an unknown field', async () => {
    const path = { id: 'alpha' };
    const badUrl = await running.api.PATCH('/mcp-servers/{id}', {
      params: { path },
      body: { url: 'not a url' },
    });
    expect(badUrl.response.status).toBe(400);
    expect(badUrl.error?.errors?.map((e) => e.field)).toEqual(['url']);
    const res = await fetch(`${running.baseUrl}/mcp-servers/alpha`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'renamed' }),
    });
    expect(res.status).toBe(400);
  });

  it('seeds again at start without overwriting a change or bringing back a removed server', async () => {
    await running.api.PATCH('/mcp-servers/{id}', {
      params: { path: { id: 'alpha' } },
      body: { name: 'Alpha (renamed)' },
    });
    await running.api.DELETE('/mcp-servers/{id}', { params: { path: { id: 'beta' } } });
    const delta = { id: 'delta', name: 'Delta', url: 'https://delta.example/mcp', requiresOAuth: false };
    writeSeed([{ ...ALPHA, name: 'Alpha from the file' }, BETA, delta]);

    const second = await startApp({ config });
    try {
      const { data } = await second.api.GET('/mcp-servers');
      expect(data?.map((s) => [s.id, s.name])).toEqual([
        ['alpha', 'Alpha (renamed)'],
        ['delta', 'Delta'],
      ]);
    } finally {
      await second.close();
    }
  });
});
