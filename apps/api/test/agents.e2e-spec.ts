import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, testConfig, type RunningApp } from './support/app';

const seeds = [
  { id: 'assistant', name: 'Assistant', instructions: 'Help.', mcpServerIds: [] },
  {
    id: 'helper',
    name: 'Helper',
    description: 'Seeded',
    instructions: 'Assist.',
    model: 'm1',
    mcpServerIds: [],
  },
];

describe('/agents', () => {
  let dir: string;
  let file: string;
  let running: RunningApp;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agents-e2e-'));
    file = join(dir, 'agents.json');
    await writeFile(file, JSON.stringify(seeds));
    running = await startApp({ env: { AGENTS_FILE: file } });
  });

  afterAll(async () => {
    await running?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the seeded agents', async () => {
    const { data, response } = await running.api.GET('/agents');
    expect(response.status).toBe(200);
    expect(data).toEqual(seeds);
  });

  it('creates, reads, updates and deletes an agent', async () => {
    const created = await running.api.POST('/agents', {
      body: { id: 'writer', name: 'Writer', instructions: 'Write.', model: 'm2' },
    });
    expect(created.response.status).toBe(201);
    expect(created.data).toEqual({
      id: 'writer',
      name: 'Writer',
      instructions: 'Write.',
      model: 'm2',
      mcpServerIds: [],
    });

    const read = await running.api.GET('/agents/{id}', { params: { path: { id: 'writer' } } });
    expect(read.data).toEqual(created.data);

    const updated = await running.api.PATCH('/agents/{id}', {
      params: { path: { id: 'writer' } },
      body: { description: 'Writes', instructions: 'Write well.' },
    });
    expect(updated.response.status).toBe(200);
    expect(updated.data).toEqual({ ...created.data, description: 'Writes', instructions: 'Write well.' });

    // null clears an optional field (the contract types cannot say so).
    const cleared = await running.api.PATCH('/agents/{id}', {
      params: { path: { id: 'writer' } },
      body: { description: null, model: null } as unknown as { description?: string },
    });
    expect(cleared.data).toEqual({
      id: 'writer',
      name: 'Writer',
      instructions: 'Write well.',
      mcpServerIds: [],
    });

    const deleted = await running.api.DELETE('/agents/{id}', { params: { path: { id: 'writer' } } });
    expect(deleted.response.status).toBe(204);
    const gone = await running.api.GET('/agents/{id}', { params: { path: { id: 'writer' } } });
    expect(gone.response.status).toBe(404);
    expect(gone.response.headers.get('content-type')).toContain('application/problem+json');
    expect(gone.error).toMatchObject({ status: 404, detail: 'No agent "writer"' });
  });

  it('answers 409 for a taken id', async () => {
    const { error, response } = await running.api.POST('/agents', {
      body: { id: 'assistant', name: 'Again', instructions: 'x' },
    });
    expect(response.status).toBe(409);
    expect(error).toMatchObject({ status: 409 });
  });

  it('answers 400 naming an unknown MCP server', async () => {
    const create = await running.api.POST('/agents', {
      body: { id: 'tooled', name: 'Tooled', instructions: 'x', mcpServerIds: ['no-such-server'] },
    });
    expect(create.response.status).toBe(400);
    expect(create.error?.detail).toContain('no-such-server');
    const patch = await running.api.PATCH('/agents/{id}', {
      params: { path: { id: 'assistant' } },
      body: { mcpServerIds: ['no-such-server'] },
    });
    expect(patch.response.status).toBe(400);
    expect(patch.error?.detail).toContain('no-such-server');
  });

  it('answers 400 for an invalid body and 404 for an unknown agent', async () => {
    const bad = await running.api.POST('/agents', { body: { id: 'Bad Id', name: '', instructions: 'x' } });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.errors?.map((e) => e.field).sort()).toEqual(['id', 'name']);
    const patch = await running.api.PATCH('/agents/{id}', {
      params: { path: { id: 'nope' } },
      body: { name: 'x' },
    });
    expect(patch.response.status).toBe(404);
    const del = await running.api.DELETE('/agents/{id}', { params: { path: { id: 'nope' } } });
    expect(del.response.status).toBe(404);
  });

  it('seeds only ids never seen: a deleted seed stays deleted, a new one appears', async () => {
    await running.api.DELETE('/agents/{id}', { params: { path: { id: 'helper' } } });
    await running.api.PATCH('/agents/{id}', {
      params: { path: { id: 'assistant' } },
      body: { name: 'Renamed' },
    });
    await writeFile(file, JSON.stringify([...seeds, { id: 'late', name: 'Late', instructions: 'x' }]));
    const config = running.config;
    await running.close();
    running = await startApp({ config });
    const { data } = await running.api.GET('/agents');
    expect(data?.map((a) => [a.id, a.name])).toEqual([
      ['assistant', 'Renamed'],
      ['late', 'Late'],
    ]);
  });
});

describe('/agents without an agents file', () => {
  it('starts with no agents', async () => {
    const running = await startApp({ config: testConfig({ AGENTS_FILE: '/nonexistent/agents.json' }) });
    try {
      const { data } = await running.api.GET('/agents');
      expect(data).toEqual([]);
    } finally {
      await running.close();
    }
  });
});
