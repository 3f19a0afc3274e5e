import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from '@jest/globals';
import { getContextVariable, setContextVariable } from '@langchain/core/context';
import { RunnableLambda } from '@langchain/core/runnables';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import express, { type RequestHandler } from 'express';
import pino, { type Logger } from 'pino';
import request from 'supertest';
import { pinoOptions } from './logging.module';
import { currentRequestId, requestContextStorage, runWithRequestId } from './request-context';
import { requestLogging } from './request-logging';

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  req?: { id: string; method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
  aborted?: boolean;
}

/** A logger built as the service builds it, writing its lines into an array. */
function capture(level: 'info' | 'warn'): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino(pinoOptions({ level, pretty: false }), {
    write: (line: string) => lines.push(JSON.parse(line) as Line),
  });
  return { logger, lines };
}

function app(logger: Logger, handler: RequestHandler) {
  const server = express();
  server.use(requestLogging(() => logger));
  server.get('/x', handler);
  return server;
}

/** Waits until `lines` holds a line matching `pick` (the completion line is written on `close`). */
async function lineWhere(lines: Line[], pick: (line: Line) => boolean): Promise<Line> {
  for (let i = 0; i < 200; i++) {
    const line = lines.find(pick);
    if (line) return line;
    await sleep(5);
  }
  throw new Error(`no such line in ${JSON.stringify(lines)}`);
}

describe('requestLogging', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.close();
  });

  it('gives each request an id, keeping a plain one the caller sent and replacing any other', async () => {
    const { logger } = capture('info');
    const seen: unknown[] = [];
    const handler: RequestHandler = (req, res) => {
      seen.push((req as { id?: unknown }).id);
      res.json({ ok: true });
    };
    const given = await request(app(logger, handler)).get('/x').set('x-request-id', 'req-42');
    expect(given.headers['x-request-id']).toBe('req-42');
    const odd = await request(app(logger, handler)).get('/x').set('x-request-id', 'has spaces');
    const none = await request(app(logger, handler)).get('/x');
    for (const res of [odd, none]) expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(odd.headers['x-request-id']).not.toBe(none.headers['x-request-id']);
    expect(seen).toEqual(['req-42', odd.headers['x-request-id'], none.headers['x-request-id']]);
  });

  it('puts the id on every line written while the request is served, after awaits too, and on no other', async () => {
    const { logger, lines } = capture('info');
    const handler: RequestHandler = (_req, res) => {
      logger.info('at once');
      void (async () => {
        await sleep(5);
        logger.info('after a timer');
        await RunnableLambda.from(async () => {
          await Promise.resolve();
          logger.info('inside a runnable');
        }).invoke({});
        res.json({ ok: true });
      })();
    };
    await request(app(logger, handler)).get('/x').set('x-request-id', 'req-7');
    logger.info('outside');
    const byMsg = (msg: string) => lines.find((line) => line.msg === msg);
    for (const msg of ['at once', 'after a timer', 'inside a runnable']) {
      expect(byMsg(msg)?.reqId).toBe('req-7');
    }
    expect(byMsg('outside')).toBeDefined();
    expect(byMsg('outside')?.reqId).toBeUndefined();
  });

  it('logs one line per response, at info, warn or error by status, the URL redacted', async () => {
    const { logger, lines } = capture('info');
    const handler: RequestHandler = (req, res) => {
      res.status(Number(req.query.status)).json({});
    };
    const server = app(logger, handler);
    for (const status of [200, 404, 503]) {
      await request(server).get(`/x?status=${status}&code=secret-code`).set('x-request-id', `r${status}`);
    }
    const ok = await lineWhere(lines, (line) => line.reqId === 'r200');
    const missing = await lineWhere(lines, (line) => line.reqId === 'r404');
    const failed = await lineWhere(lines, (line) => line.reqId === 'r503');
    expect([ok.level, missing.level, failed.level]).toEqual([30, 40, 50]);
    expect([ok.msg, missing.msg, failed.msg]).toEqual([
      'request completed',
      'request completed',
      'request errored',
    ]);
    expect(ok.req).toEqual({ id: 'r200', method: 'GET', url: '/x?status=200&code=%5BREDACTED%5D' });
    expect(missing.res).toEqual({ statusCode: 404 });
    expect(typeof failed.responseTime).toBe('number');
    expect(ok.aborted).toBeUndefined();
    expect(lines.filter((line) => line.msg.startsWith('request '))).toHaveLength(3);
    expect(JSON.stringify(lines)).not.toContain('secret-code');
  });

  it('makes no child logger per request, and writes only the lines the level lets through', async () => {
    const { logger, lines } = capture('warn');
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<Logger['child']>) => {
      children++;
      return child(...args);
    }) as Logger['child'];
    const server = app(logger, (req, res) => {
      logger.info('not at warn');
      res.status(Number(req.query.status)).end();
    });
    await request(server).get('/x?status=200');
    await request(server).get('/x?status=204');
    await request(server).get('/x?status=400').set('x-request-id', 'bad');
    await lineWhere(lines, (line) => line.reqId === 'bad');
    expect(children).toBe(0);
    expect(lines.map((line) => [line.level, line.reqId])).toEqual([[40, 'bad']]);
  });

  it('says when the client went away before the response ended', async () => {
    const { logger, lines } = capture('info');
    server = app(logger, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const client = httpRequest({ host: '127.0.0.1', port, path: '/x', headers: { 'x-request-id': 'gone' } });
    client.end();
    const [res] = (await once(client, 'response')) as [NodeJS.ReadableStream];
    await once(res, 'data');
    client.destroy();
    const line = await lineWhere(lines, (l) => l.reqId === 'gone');
    expect(line).toMatchObject({
      level: 30,
      msg: 'request completed',
      aborted: true,
      res: { statusCode: 200 },
    });
  });
});

describe('the request context', () => {
  it("is LangChain's async context: one AsyncLocalStorage for the process", () => {
    expect(requestContextStorage()).toBe(AsyncLocalStorageProviderSingleton.getInstance());
    expect(requestContextStorage()).toBeInstanceOf(AsyncLocalStorage);
  });

  it("nests, reaches runnables, keeps LangChain's other context variables, and is gone outside", async () => {
    expect(currentRequestId()).toBeUndefined();
    const seen = await runWithRequestId('outer', async () => {
      const inner = runWithRequestId('inner', () => currentRequestId());
      const inRunnable = await RunnableLambda.from(() => currentRequestId()).invoke({});
      const variable = await RunnableLambda.from(() => {
        setContextVariable('answer', 42);
        return runWithRequestId('nested', () => [getContextVariable('answer'), currentRequestId()]);
      }).invoke({});
      return { inner, after: currentRequestId(), inRunnable, variable };
    });
    expect(seen).toEqual({ inner: 'inner', after: 'outer', inRunnable: 'outer', variable: [42, 'nested'] });
    expect(currentRequestId()).toBeUndefined();
  });
});
