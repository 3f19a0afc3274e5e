import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  startScriptedModel,
  startThrowawayRedis,
  type ScriptedModel,
  type ThrowawayRedis,
} from '@auxilia/testing';
import {
  API_BUNDLE,
  CLI_BUNDLE,
  requireBuild,
  runProcess,
  spawnApi,
  type ApiProcess,
} from './support/process';

async function healthStatus(baseUrl: string): Promise<number> {
  return (await fetch(`${baseUrl}/health`)).status;
}

/** The connection names of the clients connected to a Redis, as CLIENT LIST reports them. */
async function redisClients(url: string): Promise<string[]> {
  const probe = new Redis(url, { connectionName: 'probe' });
  try {
    const list = (await probe.client('LIST')) as string;
    return list
      .split('\n')
      .map((l) => /name=(\S*)/.exec(l)?.[1] ?? '')
      .filter(Boolean);
  } finally {
    probe.disconnect();
  }
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the service as a process', () => {
  beforeAll(() => {
    requireBuild(API_BUNDLE);
    requireBuild(CLI_BUNDLE);
  });

  it('stops with exit code 1 and one line naming a bad variable', async () => {
    const { code, stdout, stderr } = await runProcess([API_BUNDLE], { REDIS_PORT: 'abc' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toEqual([expect.stringContaining('REDIS_PORT must be an integer number (got "abc")')]);
    expect(stderr).not.toMatch(/\bat .*\.js/);
  });

  it('never echoes a secret variable in the config error', async () => {
    const { code, stderr } = await runProcess([API_BUNDLE], { ENCRYPTION_KEY: 'hunter2-not-a-key' });
    expect(code).toBe(1);
    expect(stderr).toContain('ENCRYPTION_KEY');
    expect(stderr).not.toContain('hunter2');
  });

  describe('with its own Redis', () => {
    let redis: ThrowawayRedis;
    let model: ScriptedModel;
    let api: ApiProcess;
    beforeAll(async () => {
      [redis, model] = await Promise.all([startThrowawayRedis(), startScriptedModel()]);
      api = await spawnApi({
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: 'proc:',
        OPENAI_BASE_URL: model.baseURL,
        OPENAI_API_KEY: 'test-key',
        OPENAI_MODEL: 'scripted-model',
        OPENAI_MAX_RETRIES: '0',
      });
    });
    afterAll(async () => {
      await api?.stop('SIGKILL');
      await Promise.all([redis?.stop(), model?.close()]);
    });

    it('starts without logging an error', async () => {
      await api.waitForLine(/subscriber: connected to Redis/);
      await api.waitForLine(/events-sub: connected to Redis/);
      expect(await healthStatus(api.baseUrl)).toBe(200);
      expect(api.lines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    });

    it('listens through HTTP_ACCEPT_HANDLES descriptors of its one listening socket', async () => {
      const port = Number(new URL(api.baseUrl).port);
      const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
      const listening = readFileSync('/proc/net/tcp', 'utf8')
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((f) => f[1] === local && f[3] === '0A');
      expect(listening).toHaveLength(1);
      const socket = `socket:[${listening[0][9]}]`;
      const fds = readdirSync(`/proc/${api.child.pid}/fd`).filter((fd) => {
        try {
          return readlinkSync(`/proc/${api.child.pid}/fd/${fd}`) === socket;
        } catch {
          return false;
        }
      });
      expect(fds).toHaveLength(16);
      expect(api.lines.filter((l) => l.includes('HTTP_ACCEPT_HANDLES'))).toEqual([]);
    });

    it('flips /health to 503 when Redis stops and back to 200 when it returns, without a restart', async () => {
      await eventually(async () => (await healthStatus(api.baseUrl)) === 200);
      await redis.kill();
      await eventually(async () => (await healthStatus(api.baseUrl)) === 503);
      // Let several reconnect attempts fail: the log must still say it once.
      await new Promise((r) => setTimeout(r, 1500));
      await redis.start();
      await eventually(async () => (await healthStatus(api.baseUrl)) === 200);
      // The log line travels through a pipe and may arrive after the HTTP answer that saw Redis back.
      const count = (text: string) => api.lines.filter((l) => l.includes(text)).length;
      await eventually(async () => count('commands: connected to Redis') >= 2);
      expect(count('commands: Redis unavailable')).toBe(1);
      expect(count('commands: connected to Redis')).toBe(2);
      expect(api.child.exitCode).toBeNull();
    });

    it('logs JSON lines with the request id and no credentials', async () => {
      const res = await fetch(`${api.baseUrl}/nowhere?code=abc-secret-code&state=s1`, {
        headers: { authorization: 'Bearer tok-secret-123', 'x-request-id': 'req-42' },
      });
      expect(res.status).toBe(404);
      const line = await api.waitForLine(/"reqId":"req-42"/);
      const entry = JSON.parse(line) as { req: { url: string } };
      expect(entry.req.url).toContain('code=%5BREDACTED%5D');
      const all = api.lines.join('\n');
      expect(all).toContain('API_KEYS is not set: the API is open');
      expect(all).not.toContain('abc-secret-code');
      expect(all).not.toContain('tok-secret-123');
    });

    it('puts the request id on what an agent run logs, as on the request line', async () => {
      model.enqueue({ error: { status: 400, message: 'The model refused the request' } });
      const post = (path: string, body: unknown) =>
        fetch(`${api.baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      // Its own agent: the Redis restart above took the seeded ones away.
      const agent = await post('/agents', { id: 'logged', name: 'Logged', instructions: 'Answer.' });
      expect(agent.status).toBe(201);
      const created = await post('/threads', { agentId: 'logged' });
      const { id } = (await created.json()) as { id: string };
      const res = await fetch(`${api.baseUrl}/threads/${id}/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'run-req-7' },
        body: JSON.stringify({
          id,
          trigger: 'submit-message',
          messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Hello' }] }],
        }),
      });
      const body = await res.text();
      expect([res.status, body]).toEqual([200, expect.stringContaining('"type":"error"')]);
      const failed = await api.waitForLine(/"context":"AgentRuntime".*Turn on thread/);
      expect(JSON.parse(failed)).toMatchObject({ level: 40, reqId: 'run-req-7' });
      const done = await api.waitForLine(/"reqId":"run-req-7".*"msg":"request completed"/);
      expect(JSON.parse(done)).toMatchObject({ level: 30, res: { statusCode: 200 } });
    });

    it('answers the CLI redis-check round trip', async () => {
      const ok = await runProcess([CLI_BUNDLE, 'redis-check'], { REDIS_URL: redis.url });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/round trip OK, 5 rounds, median [\d.]+ ms/);
    });

    it("leaves SIGUSR2 to Node's diagnostics: a heap snapshot of the live service, which keeps serving", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'auxilia-heap-'));
      const diagnosed = await spawnApi({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'proc-heap:' }, [
        '--heapsnapshot-signal=SIGUSR2',
        `--diagnostic-dir=${dir}`,
      ]);
      try {
        diagnosed.child.kill('SIGUSR2');
        const written = () => readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot'));
        await eventually(async () => written().length === 1, 30_000);
        expect(await healthStatus(diagnosed.baseUrl)).toBe(200);
        expect(diagnosed.child.exitCode).toBeNull();
        expect(diagnosed.lines.some((l) => l.includes('SIGUSR2'))).toBe(false);
        // A snapshot is written while the process is paused; the next answer comes once it is complete.
        expect(statSync(join(dir, written()[0])).size).toBeGreaterThan(1_000_000);
      } finally {
        await diagnosed.stop('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('shuts down cleanly on SIGTERM: it logs the signal, closes Redis, and ends by that signal', async () => {
      const before = (await redisClients(redis.url)).filter((n) => n !== 'probe');
      expect(before).toEqual(expect.arrayContaining(['commands', 'subscriber']));
      const exit = await api.stop('SIGTERM');
      // Nest re-raises the signal once its shutdown hooks have run, so the exit is "by SIGTERM", not a crash.
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(api.lines.some((l) => l.includes('SIGTERM received'))).toBe(true);
      const afterSignal = api.lines.slice(api.lines.findIndex((l) => l.includes('SIGTERM received')));
      expect(afterSignal.filter((l) => /"level":(40|50|60)/.test(l))).toEqual([]);
      expect((await redisClients(redis.url)).filter((n) => n !== 'probe')).toEqual([]);
    });
  });

  it('stays up with Redis down at start, then recovers when Redis appears', async () => {
    const redis = await startThrowawayRedis();
    await redis.kill();
    const api = await spawnApi({ REDIS_URL: redis.url });
    try {
      expect(await healthStatus(api.baseUrl)).toBe(503);
      await redis.start();
      await eventually(async () => (await healthStatus(api.baseUrl)) === 200);
      await api.waitForLine(/events-sub: connected to Redis/);
    } finally {
      await api.stop('SIGKILL');
      await redis.stop();
    }
  });

  it('makes redis-check fail with the reason when Redis is unreachable', async () => {
    const redis = await startThrowawayRedis();
    await redis.stop();
    const res = await runProcess([CLI_BUNDLE, 'redis-check'], { REDIS_URL: redis.url });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/FAILED: .*ECONNREFUSED/);
  });
});
