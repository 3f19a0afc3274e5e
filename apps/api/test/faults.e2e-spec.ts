import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  startEverythingServer,
  startScriptedModel,
  startThrowawayRedis,
  streamedText,
  type ScriptedModel,
} from '@auxilia/testing';
import { scriptedModelEnv, startApp, type RunningApp } from './support/app';
import { API_BUNDLE, requireBuild, spawnApi } from './support/process';
import { chatBody, userMessage } from './threads-client';
import { JSON_HEADERS, chunksOf, eventually, readAll, reliability, sleep } from './reliability-support';

/*
 * Faults covered elsewhere, not repeated here:
 * - an instance killed with SIGKILL mid-run: threads-process.e2e-spec.ts ("fails a run whose instance was
 *   killed after the liveness timeout…");
 * - an MCP server gone before a tool call, or too slow: agents-runtime.e2e-spec.ts ("gives an MCP server
 *   that went away to the model as a tool error and finishes", "…outlasts MCP_TIMEOUT_MS…"); killed
 *   during the call: below;
 * - Redis down and back for /health without a run: process.e2e-spec.ts.
 */

// Real processes and a Redis that goes away: slower than jest's 5 s default.
jest.setTimeout(90_000);

const endless = { text: Array<string>(2000).fill(' tok'), delayMs: 20 };

describe('faults during a run', () => {
  let model: ScriptedModel;
  let env: Record<string, string>;
  let reader: RunningApp;

  const newThread = async (): Promise<string> => {
    const { data } = await reader.api.POST('/threads', { body: { agentId: 'assistant' } });
    return data!.id;
  };
  const send = (baseUrl: string, threadId: string, text: string) =>
    fetch(`${baseUrl}/threads/${threadId}/stream`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: chatBody(threadId, userMessage(`u-${randomUUID()}`, text)),
    });

  beforeAll(async () => {
    requireBuild(API_BUNDLE);
    model = await startScriptedModel();
    env = {
      ...scriptedModelEnv(model.baseURL),
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      REDIS_KEY_PREFIX: `faults-${randomUUID().slice(0, 8)}:`,
      ENCRYPTION_KEY: 'a'.repeat(64),
      MCP_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    reader = await startApp({ env });
  }, 30_000);

  afterAll(async () => {
    await reader?.close();
    await model?.close();
  });

  it('ends a run, not hangs, when Redis restarts mid-run; /health and Redis-backed routes recover', async () => {
    const redis = await startThrowawayRedis();
    const api = await spawnApi({ ...env, REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'restart:' });
    try {
      const created = await fetch(`${api.baseUrl}/threads`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ agentId: 'assistant' }),
      });
      const { id } = (await created.json()) as { id: string };
      model.setDefault(endless);
      const res = await send(api.baseUrl, id, 'Talk while Redis goes');
      expect(res.status).toBe(200);
      const body = readAll(res, 30_000);
      await sleep(300);
      await redis.kill();
      const killedAt = Date.now();
      await sleep(1000);
      await redis.start();
      const events = await body;
      const endedAfterMs = Date.now() - killedAt;
      await eventually(async () => (await fetch(`${api.baseUrl}/health`)).status === 200);
      const recoveredAfterMs = Date.now() - killedAt;
      model.setDefault(undefined);
      const chunks = chunksOf(events);
      reliability({
        test: 'faults/redis-restart',
        chunksSeen: chunks.length,
        lastChunks: chunks.slice(-3).map((c) => c.type),
        endsWithDone: events.at(-1)?.data === '[DONE]',
        streamEndedAfterMs: endedAfterMs,
        healthRecoveredAfterMs: recoveredAfterMs,
      });
      // A restarted Redis without persistence has lost the run's lock: the heartbeat that finds it gone
      // ends the run as failed, and a write failure does too; either way the log says `error`.
      expect(chunks.at(-2)?.type).toBe('error');
      expect(chunks.at(-1)?.type).toBe('finish');
      expect(events.at(-1)?.data).toBe('[DONE]');
      expect(api.child.exitCode).toBeNull();

      // Redis-backed routes answer again (the throwaway server keeps no data, so the seeded agents are gone).
      expect((await fetch(`${api.baseUrl}/threads`)).status).toBe(200);
    } finally {
      model.setDefault(undefined);
      await api.stop('SIGKILL');
      await redis.stop();
    }
  });

  it('ends a run with an error chunk when the model drops the connection; the thread takes the next message', async () => {
    const id = await newThread();
    model.enqueue({ text: Array<string>(50).fill(' tok'), delayMs: 5, dropAfterChunks: 6 });
    const res = await send(reader.baseUrl, id, 'Start talking');
    expect(res.status).toBe(200);
    const chunks = chunksOf(await readAll(res));
    expect(chunks.filter((c) => c.type === 'error')).toHaveLength(1);
    expect(chunks.at(-1)?.type).toBe('finish');

    model.enqueue('Still here');
    const next = await send(reader.baseUrl, id, 'Again');
    expect(next.status).toBe(200);
    const nextChunks = chunksOf(await readAll(next));
    reliability({
      test: 'faults/model-drop',
      chunksBeforeError: chunks.findIndex((c) => c.type === 'error'),
      nextRunErrors: nextChunks.filter((c) => c.type === 'error').length,
    });
    expect(nextChunks.some((c) => c.type === 'error')).toBe(false);
    expect(streamedText(nextChunks)).toBe('Still here');
    const detail = await reader.api.GET('/threads/{id}', { params: { path: { id } } });
    expect(detail.data?.status).toBe('idle');
    expect(detail.data?.messages.at(-1)?.role).toBe('assistant');
  });

  it('ends a stream cleanly on SIGTERM: the log ends with finish and [DONE], the checkpoint loads', async () => {
    const owner = await spawnApi({ ...env, SHUTDOWN_GRACE_MS: '300' });
    try {
      const id = await newThread();
      model.setDefault(endless);
      const res = await send(owner.baseUrl, id, 'Talk until told');
      expect(res.status).toBe(200);
      const body = readAll(res, 30_000);
      await eventually(async () => {
        const { data } = await reader.api.GET('/threads/{id}', { params: { path: { id } } });
        return data?.status === 'running';
      });
      await sleep(200);
      const signalledAt = Date.now();
      const exit = await owner.stop('SIGTERM');
      const exitedAfterMs = Date.now() - signalledAt;
      const events = await body;
      model.setDefault(undefined);
      const chunks = chunksOf(events);
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(chunks.at(-1)?.type).toBe('finish');
      expect(chunks.some((c) => c.type === 'error')).toBe(false);
      expect(events.at(-1)?.data).toBe('[DONE]');

      // What another instance replays from the run log is the same complete stream.
      const replay = await readAll(await fetch(`${reader.baseUrl}/threads/${id}/stream`));
      expect(replay.length === 0 || replay.at(-1)?.data === '[DONE]').toBe(true);
      const detail = await reader.api.GET('/threads/{id}', { params: { path: { id } } });
      expect(detail.data?.status).toBe('idle');
      const messages = detail.data?.messages ?? [];
      expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      reliability({
        test: 'faults/sigterm',
        chunksSeen: chunks.length,
        exitedAfterMs,
        checkpointMessages: messages.length,
      });
    } finally {
      model.setDefault(undefined);
      await owner.stop('SIGKILL');
    }
  });

  it('gives an MCP server killed during a tool call to the model as a tool error; the run goes on', async () => {
    const everything = await startEverythingServer({ transport: 'streamableHttp' });
    try {
      const server = await reader.api.POST('/mcp-servers', {
        body: { id: 'short-lived', name: 'Short-lived', url: everything.url, requiresOAuth: false },
      });
      expect(server.response.status).toBe(201);
      const agent = await reader.api.POST('/agents', {
        body: {
          id: 'waiter',
          name: 'Waiter',
          instructions: 'Use your tools.',
          mcpServerIds: ['short-lived'],
        },
      });
      expect(agent.response.status).toBe(201);
      const { data } = await reader.api.POST('/threads', { body: { agentId: 'waiter' } });
      const id = data!.id;
      const before = model.requests.length;
      model.enqueue(
        { toolCalls: [{ name: 'trigger-long-running-operation', arguments: { duration: 10, steps: 10 } }] },
        'The tool broke, sorry.',
      );
      const res = await send(reader.baseUrl, id, 'Run the long operation');
      expect(res.status).toBe(200);
      const body = readAll(res, 30_000);
      await eventually(async () => model.requests.length > before, 10_000);
      // The model asked for the tool; give the call time to reach the server, then crash it.
      await sleep(700);
      await everything.kill();
      const killedAt = Date.now();
      const chunks = chunksOf(await body);
      const endedAfterMs = Date.now() - killedAt;
      reliability({
        test: 'faults/mcp-killed',
        chunksSeen: chunks.length,
        toolErrors: chunks.filter((c) => c.type === 'tool-output-error').length,
        runEndedAfterKillMs: endedAfterMs,
      });
      expect(chunks.some((c) => c.type === 'tool-output-error')).toBe(true);
      expect(chunks.some((c) => c.type === 'error')).toBe(false);
      expect(streamedText(chunks)).toBe('The tool broke, sorry.');
      expect(chunks.at(-1)?.type).toBe('finish');
      const toolResult = model.requests[before + 1]?.messages.find((m) => m.role === 'tool');
      expect(String(toolResult?.content)).toContain('short-lived');
    } finally {
      await everything.stop();
    }
  });
});
