import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { runWithRequestId } from './request-context';

const REQUEST_ID = /^[\w.-]{1,128}$/;

/** The caller's `x-request-id` when it is a plain token, else a new UUID; sent back in `x-request-id`. */
function requestIdOf(req: Request, res: Response): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/**
 * Gives each request its id (`req.id`, the `x-request-id` header, and every log line written while it
 * is served, through the logger's mixin) and logs one line when its response is done: `info` below 400,
 * `warn` below 500, `error` from 500.
 *
 * Nothing is built for a line that the level leaves out. `pino-http` made two child loggers per request
 * for this, and a child serializes its bindings through every redaction path, written or not: about a
 * tenth of the CPU of a small request.
 */
export function requestLogging(logger: () => Logger | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const id = requestIdOf(req, res);
    (req as Request & { id: string }).id = id;
    const start = performance.now();
    res.once('close', () => {
      const log = logger();
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!log?.isLevelEnabled(level)) return;
      const fields = {
        reqId: id,
        req,
        res,
        responseTime: Math.round(performance.now() - start),
        // The client went away before the response ended (a stream it stopped reading, say).
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      log[level](fields, status >= 500 ? 'request errored' : 'request completed');
    });
    runWithRequestId(id, next);
  };
}
