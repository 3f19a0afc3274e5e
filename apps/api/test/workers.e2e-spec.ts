import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { childrenOf, startScriptedModel, streamedText, type ScriptedModel } from '@auxilia/testing';
import { scriptedModelEnv } from './support/app';
import { API_BUNDLE, requireBuild, runProcess, spawnApi, type ApiProcess } from './support/process';
import { NodeChat, readChunks, threadsTransport, userMessage, chatBody } from './threads-client';

// Real processes, each starting a whole instance: slower than jest's 5 s default on a loaded machine.
jest.setTimeout(60_000);

async function eventually<T>(check: () => T | false | Promise<T | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GET /health on a connection of its own, so that each request may land on another worker. */
function healthOnNewConnection(baseUrl: string, requestId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}/health`,
      { agent: false, headers: { 'x-request-id': requestId, connection: 'close' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The pid that logged the request with this id (pino writes it on every line). */
function pidServing(api: ApiProcess, requestId: string): number | undefined {
  const line = api.lines.find((l) => l.includes(`"reqId":"${requestId}"`));
  return line ? (JSON.parse(line) as { pid: number }).pid : undefined;
}

describe('the service on several worker processes (API_WORKERS)', () => {
  let model: ScriptedModel;
  let env: Record<string, string>;
  let api: ApiProcess;
  let primary: number;

  beforeAll(async () => {
    requireBuild(API_BUNDLE);
    model = await startScriptedModel();
    env = {
      API_WORKERS: '2',
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      REDIS_KEY_PREFIX: `workers-${randomUUID().slice(0, 8)}:`,
      ...scriptedModelEnv(model.baseURL),
    };
    api = await spawnApi(env);
    primary = api.child.pid!;
    // spawnApi returns once the first worker listens.
    await eventually(
      () => api.lines.filter((l) => /"msg":"worker \d+ listening on port/.test(l)).length === 2,
    );
  }, 30_000);

  afterAll(async () => {
    if (api?.child.exitCode === null && api.child.signalCode === null) {
      const workers = childrenOf(primary);
      await api.stop('SIGKILL');
      for (const pid of workers) process.kill(pid, 'SIGKILL');
    }
    await model?.close();
  });

  it('serves one port from two workers, connections handed to each in turn', async () => {
    const workers = childrenOf(primary);
    expect(workers).toHaveLength(2);
    const ids = Array.from({ length: 6 }, () => randomUUID());
    for (const id of ids) expect(await healthOnNewConnection(api.baseUrl, id)).toBe(200);
    const pids = await eventually(() => {
      const seen = ids.map((id) => pidServing(api, id));
      return seen.every((p) => p !== undefined) && seen;
    });
    expect(new Set(pids)).toEqual(new Set(workers));
    // The primary only hands connections out.
    expect(pids).not.toContain(primary);
  });

  it('streams a conversation of two turns through the workers, stored whole', async () => {
    model.setDefault({ text: ['Hello', ' from', ' a', ' worker'] });
    try {
      const created = await fetch(`${api.baseUrl}/threads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agentId: 'assistant' }),
      });
      const { id } = (await created.json()) as { id: string };
      const chat = new NodeChat({ id, transport: threadsTransport(api.baseUrl) });
      await chat.sendMessage({ text: 'Hi' });
      await chat.sendMessage({ text: 'Again' });
      expect(chat.error).toBeUndefined();
      const replies = chat.messages.filter((m) => m.role === 'assistant');
      expect(replies).toHaveLength(2);
      for (const reply of replies) {
        expect(reply.parts.filter((p) => p.type === 'text').map((p) => p.text)).toEqual([
          'Hello from a worker',
        ]);
      }
      // The thread as stored holds both turns, whichever worker ran each.
      const detail = (await (await fetch(`${api.baseUrl}/threads/${id}`)).json()) as { messages: unknown[] };
      expect(detail.messages).toHaveLength(4);
    } finally {
      model.setDefault(undefined);
    }
  });

  it('replaces a worker that dies while serving, and keeps answering meanwhile', async () => {
    const [victim, survivor] = childrenOf(primary);
    process.kill(victim, 'SIGKILL');
    await api.waitForLine(new RegExp(`worker ${victim} exited by SIGKILL: starting another`));
    expect(await healthOnNewConnection(api.baseUrl, randomUUID())).toBe(200);
    const workers = await eventually(() => {
      const now = childrenOf(primary);
      return now.length === 2 && !now.includes(victim) && now;
    });
    expect(workers).toContain(survivor);
    const replacement = workers.find((p) => p !== survivor)!;
    await api.waitForLine(new RegExp(`worker ${replacement} listening on port`));
  });

  it('on SIGTERM lets every worker finish its open stream, then ends by that signal', async () => {
    const created = await fetch(`${api.baseUrl}/threads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: 'assistant' }),
    });
    const { id } = (await created.json()) as { id: string };
    model.setDefault({ text: Array<string>(60).fill(' tok'), delayMs: 20 });
    try {
      const res = await fetch(`${api.baseUrl}/threads/${id}/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chatBody(id, userMessage(randomUUID(), 'Talk a while')),
      });
      expect(res.status).toBe(200);
      const chunks = readChunks(res.body!);
      const workers = childrenOf(primary);
      // The stream is under way (the answer takes over a second) when the signal comes.
      await new Promise((r) => setTimeout(r, 200));
      const exit = api.stop('SIGTERM');
      const read = await chunks;
      expect(read.at(-1)).toEqual({ type: 'finish' });
      expect(read.some((c) => c.type === 'error' || c.type === 'abort')).toBe(false);
      expect(streamedText(read)).toBe(' tok'.repeat(60));
      expect(await exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(childrenOf(primary)).toEqual([]);
      for (const pid of workers) {
        expect(api.lines.some((l) => l.includes(`worker ${pid} exited by SIGTERM`))).toBe(true);
      }
      const afterSignal = api.lines.slice(api.lines.findIndex((l) => l.includes('SIGTERM received')));
      expect(afterSignal.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    } finally {
      model.setDefault(undefined);
    }
  });

  it('exits with code 1, without starting workers in a loop, when a worker cannot start', async () => {
    const agentsFile = join(tmpdir(), `agents-${randomUUID()}.json`);
    writeFileSync(agentsFile, '[{"id": "broken"');
    const { code, stdout, stderr } = await runProcess([API_BUNDLE], {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      ENCRYPTION_KEY: 'a'.repeat(64),
      AGENTS_FILE: agentsFile,
    }).finally(() => rmSync(agentsFile, { force: true }));
    expect(code).toBe(1);
    const output = stdout + stderr;
    expect(output).toMatch(/exited with code 1 before it listened: stopping the other workers/);
    expect(output).not.toContain('starting another');
  });
});
