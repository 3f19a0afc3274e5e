import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startScriptedModel, type ScriptedModel } from '@auxilia/testing';
import { scriptedModelEnv, startApp, type RunningApp } from './support/app';
import { API_BUNDLE, requireBuild, spawnApi, type ApiProcess } from './support/process';
import { chatBody, parseSse, readChunks, readEventsThenDrop, userMessage } from './threads-client';

// Real servers and processes: slower than jest's 5 s default on a loaded machine.
jest.setTimeout(60_000);

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('runs when their instance stops', () => {
  let model: ScriptedModel;
  let running: RunningApp;
  let child: ApiProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    requireBuild(API_BUNDLE);
    model = await startScriptedModel();
    env = {
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      REDIS_KEY_PREFIX: `killed-${randomUUID().slice(0, 8)}:`,
      ...scriptedModelEnv(model.baseURL),
      RUN_LIVENESS_TIMEOUT_MS: '5000',
      ENCRYPTION_KEY: 'a'.repeat(64),
    };
    [child, running] = await Promise.all([spawnApi(env), startApp({ env })]);
  }, 30_000);

  afterAll(async () => {
    await child?.stop('SIGKILL');
    await running?.close();
    await model?.close();
  });

  it('fails a run whose instance was killed after the liveness timeout, for its followers too; the thread takes new messages', async () => {
    const created = await running.api.POST('/threads', { body: { agentId: 'assistant' } });
    const threadId = created.data!.id;
    model.setDefault({ text: Array<string>(1000).fill(' tok'), delayMs: 20 });

    const head = await readEventsThenDrop(
      `${child!.baseUrl}/threads/${threadId}/stream`,
      { method: 'POST', headers: JSON_HEADERS, body: chatBody(threadId, userMessage('u1', 'Talk forever')) },
      3,
    );
    expect(head).toHaveLength(3);
    await child!.stop('SIGKILL');
    child = undefined;
    model.setDefault(undefined);

    // Another instance follows the orphaned run: its lock is still there, nobody renews it.
    const followed = await fetch(`${running.baseUrl}/threads/${threadId}/stream`, {
      headers: { 'last-event-id': head[2].id! },
    });
    expect(followed.status).toBe(200);
    const text = await followed.text();
    const chunks = await readChunks(new Response(text).body!);
    expect(chunks.slice(-2)).toEqual([
      { type: 'error', errorText: expect.stringContaining('interrupted') },
      { type: 'finish', finishReason: 'error' },
    ]);
    expect(parseSse(text).at(-1)?.data).toBe('[DONE]');

    const detail = await running.api.GET('/threads/{id}', { params: { path: { id: threadId } } });
    expect(detail.data?.status).toBe('idle');
    expect((await fetch(`${running.baseUrl}/threads/${threadId}/stream`)).status).toBe(204);

    model.enqueue('Back again');
    const next = await fetch(`${running.baseUrl}/threads/${threadId}/stream`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: chatBody(threadId, userMessage('u2', 'Are you there?')),
    });
    expect(next.status).toBe(200);
    const nextChunks = await readChunks(next.body!);
    expect(nextChunks.map((c) => c.type)).not.toContain('error');
    expect(nextChunks.some((c) => c.type === 'text-delta' && c.delta.includes('Back'))).toBe(true);
  }, 60_000);

  it('on SIGTERM ends a running run cleanly within the grace period, then exits by that signal', async () => {
    const owner = await spawnApi({ ...env, SHUTDOWN_GRACE_MS: '300' });
    try {
      const created = await running.api.POST('/threads', { body: { agentId: 'assistant' } });
      const threadId = created.data!.id;
      model.setDefault({ text: Array<string>(1000).fill(' tok'), delayMs: 20 });
      const res = await fetch(`${owner.baseUrl}/threads/${threadId}/stream`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: chatBody(threadId, userMessage('u1', 'Talk until told')),
      });
      expect(res.status).toBe(200);
      const body = res.text();
      for (let i = 0; i < 100; i++) {
        const { data } = await running.api.GET('/threads/{id}', { params: { path: { id: threadId } } });
        if (data?.status === 'running') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const exit = owner.stop('SIGTERM');
      const text = await body;
      expect(await exit).toEqual({ code: null, signal: 'SIGTERM' });
      model.setDefault(undefined);
      const chunks = await readChunks(new Response(text).body!);
      expect(chunks.at(-1)).toEqual({ type: 'finish' });
      expect(chunks.some((c) => c.type === 'error')).toBe(false);
      expect(parseSse(text).at(-1)?.data).toBe('[DONE]');
      const detail = await running.api.GET('/threads/{id}', { params: { path: { id: threadId } } });
      expect(detail.data?.status).toBe('idle');
    } finally {
      model.setDefault(undefined);
      await owner.stop('SIGKILL');
    }
  }, 60_000);
});
