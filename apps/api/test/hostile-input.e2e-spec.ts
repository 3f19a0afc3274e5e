import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { chatRequestLike, startScriptedModel, userChatLike, type ScriptedModel } from '@auxilia/testing';
import {
  AGENT,
  bodyMutations,
  HOSTILE_IDS,
  invalidChats,
  isLegal,
  ODD_TEXT,
  operationsOf,
  QUERIES,
  RAW_BODIES,
  samples,
  SERVER,
  type HostileCase,
  type Operation,
} from './hostile-cases';
import { reliability } from './reliability-support';
import { scriptedModelEnv, startApp, type RunningApp } from './support/app';

jest.setTimeout(120_000);

const PROBLEM = 'application/problem+json';

describe('Hostile input: every operation of the contract answers malformed input with a 4xx problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-e2e-'));
  const operations = operationsOf('openapi/openapi.yaml');
  const seen: { label: string; status: number }[] = [];
  const errorLogs: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let model: ScriptedModel;
  let running: RunningApp;
  let threadId: string;

  beforeAll(async () => {
    writeFileSync(join(dir, 'servers.json'), JSON.stringify([SERVER]));
    writeFileSync(join(dir, 'agents.json'), JSON.stringify([AGENT]));
    process.on('unhandledRejection', onUnhandled);
    // The problem filter logs every unexpected error under the context "Errors".
    jest.spyOn(Logger.prototype, 'error').mockImplementation(function (this: Logger, message: unknown) {
      const context = (this as unknown as { context?: string }).context;
      if (context === 'Errors' || /unhandled|uncaught/i.test(String(message)))
        errorLogs.push(String(message));
    });
    model = await startScriptedModel();
    running = await startApp({
      env: {
        ...scriptedModelEnv(model.baseURL),
        MCP_SERVERS_FILE: join(dir, 'servers.json'),
        AGENTS_FILE: join(dir, 'agents.json'),
        // The client resolves `/agents/..` to `/`, the playground page, which is no operation of the contract.
        PLAYGROUND: 'false',
      },
    });
    const { data } = await running.api.POST('/threads', { body: { agentId: AGENT.id } });
    threadId = data!.id;
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    jest.restoreAllMocks();
    await running?.close();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function knownPath(op: Operation, id?: string): string {
    const known = op.path.startsWith('/agents')
      ? AGENT.id
      : op.path.startsWith('/threads')
        ? threadId
        : SERVER.id;
    // A server the hostile agent does not use: such routes stop at their 404, never at the server.
    return op.path.replace('{id}', id ?? known).replace('{serverId}', SERVER.id);
  }

  function casesOf(op: Operation): HostileCase[] {
    const cases: HostileCase[] = [];
    const base = { operationId: op.operationId, method: op.method };
    const json = { 'content-type': 'application/json' };
    const sample = samples(threadId)[op.operationId];
    if (op.hasBody && !sample) throw new Error(`no sample body for ${op.operationId}: add one`);
    const hasId = op.path.includes('{id}');
    const query = op.params.some((p) => p.in === 'query') ? 'state=x' : undefined;
    if (op.path.includes('{serverId}')) {
      for (const id of HOSTILE_IDS) {
        cases.push({
          ...base,
          label: `serverId ${id.slice(0, 40)}`,
          path: knownPath(op).replace(`/${SERVER.id}/`, `/${id}/`),
          headers: sample ? json : undefined,
          body: sample ? JSON.stringify(sample.body) : undefined,
        });
      }
    }
    if (hasId) {
      for (const id of HOSTILE_IDS) {
        cases.push({
          ...base,
          label: `id ${id.slice(0, 40)}`,
          path: knownPath(op, id),
          query,
          headers: sample ? json : undefined,
          body: sample ? JSON.stringify(sample.body) : undefined,
        });
      }
    }
    if (sample) {
      const mutations = [
        ...bodyMutations(sample.body, sample.required),
        ...(op.operationId === 'streamThread' ? invalidChats(threadId) : []),
      ];
      for (const [label, body] of mutations) {
        cases.push({
          ...base,
          label,
          path: knownPath(op),
          headers: json,
          body: JSON.stringify(body),
          legal: isLegal(op, sample.required, label),
        });
      }
      for (const [label, headers, body] of RAW_BODIES) {
        cases.push({
          ...base,
          label,
          path: knownPath(op),
          headers,
          body,
          legal: isLegal(op, sample.required, label),
        });
      }
      for (const [key, value] of Object.entries(sample.body)) {
        if (typeof value !== 'string' || key === 'id' || key === 'url' || key === 'agentId') continue;
        for (const odd of ODD_TEXT) {
          // Legal free text: sent to a route that cannot create anything (an unknown id) unless it is an update.
          const target = op.method === 'PATCH' ? knownPath(op) : knownPath(op, 'no-such-id');
          cases.push({
            ...base,
            label: `${key} odd unicode`,
            path: target,
            headers: json,
            body: JSON.stringify({ ...sample.body, [key]: odd }),
            legal: true,
          });
        }
      }
    }
    for (const q of QUERIES[op.operationId] ?? [])
      cases.push({ ...base, label: `?${q.slice(0, 40)}`, path: knownPath(op), query: q });
    if (op.operationId === 'resumeThreadStream') {
      for (const value of ['abc', '-1', '1-1-1', 'x'.repeat(10_240), '\u00e9']) {
        cases.push({
          ...base,
          label: `Last-Event-ID ${value.slice(0, 20)}`,
          path: knownPath(op),
          headers: { 'last-event-id': encodeURI(value) },
        });
      }
    }
    if (!hasId && !sample && !QUERIES[op.operationId]) {
      cases.push({
        ...base,
        label: 'junk query',
        path: op.path,
        query: 'limit=-1&x[y]=%00&__proto__=1',
        legal: true,
      });
    }
    return cases;
  }

  async function send(c: HostileCase): Promise<{ status: number; type: string | null; body: string }> {
    const url = `${running.baseUrl}${c.path}${c.query !== undefined ? `?${c.query}` : ''}`;
    const response = await fetch(url, {
      method: c.method,
      headers: { accept: 'application/json', ...c.headers },
      body: c.body,
      signal: AbortSignal.timeout(20_000),
    });
    const type = response.headers.get('content-type');
    // A stream that was accepted by mistake is not read to its end.
    const body = type?.includes('text/event-stream')
      ? (await response.body?.cancel(), '')
      : await response.text();
    return { status: response.status, type, body };
  }

  it('covers every operation of the contract', () => {
    expect(operations.length).toBeGreaterThan(20);
    for (const op of operations) expect(typeof op.operationId).toBe('string');
  });

  it('answers each malformed request with a 4xx problem JSON, never a 5xx', async () => {
    const failures: string[] = [];
    for (const op of operations) {
      for (const c of casesOf(op)) {
        const { status, type, body } = await send(c);
        const label = `${c.method} ${c.path.slice(0, 80)} [${c.label}]`;
        seen.push({ label, status });
        if (status >= 500) failures.push(`${label}: ${status} ${body.slice(0, 200)}`);
        else if (!c.legal && (status < 400 || !type?.includes(PROBLEM))) {
          failures.push(`${label}: ${status} ${type ?? ''} ${body.slice(0, 200)}`);
        }
        if (status >= 400 && !type?.includes(PROBLEM))
          failures.push(`${label}: ${status} is not problem JSON`);
      }
    }
    reliability({
      test: 'hostile/walk',
      operations: operations.length,
      requests: seen.length,
      '4xx': seen.filter((r) => r.status >= 400 && r.status < 500).length,
      '5xx': seen.filter((r) => r.status >= 500).length,
    });
    expect(failures).toEqual([]);
    expect(seen.length).toBeGreaterThan(500);
  });

  it('answers arbitrary UIMessage-shaped stream bodies with a 400, a 409 or an accepted stream, never a 5xx', async () => {
    // Accepted bodies start a run; the model answers each at once.
    model.setDefault({ text: 'ok' });
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(chatRequestLike(fc.constant(threadId)), userChatLike(threadId)),
        async (body) => {
          const { status, type } = await send({
            operationId: 'streamThread',
            label: 'property',
            method: 'POST',
            path: `/threads/${threadId}/stream`,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          statuses.add(status);
          expect([200, 400, 409]).toContain(status);
          if (status !== 200) expect(type).toContain(PROBLEM);
        },
      ),
      { numRuns: 150 },
    );
    reliability({ test: 'hostile/stream-property', runs: 150, statuses: [...statuses].sort() });
    expect(statuses.has(400)).toBe(true);
    expect(statuses.has(200)).toBe(true);
  });

  it('stays up, with no unhandled error on the way', async () => {
    const health = await fetch(`${running.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(unhandled).toEqual([]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(errorLogs).toEqual([]);
    // Only the legal odd-unicode updates changed them.
    const { data } = await running.api.GET('/mcp-servers/{id}', { params: { path: { id: SERVER.id } } });
    expect(data?.id).toBe(SERVER.id);
    const agent = await running.api.GET('/agents/{id}', { params: { path: { id: AGENT.id } } });
    expect(agent.data?.mcpServerIds).toEqual([]);
    // The thread that took every odd message still loads.
    const thread = await running.api.GET('/threads/{id}', { params: { path: { id: threadId } } });
    expect(thread.response.status).toBe(200);
  });
});
