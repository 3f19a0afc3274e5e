import type { NextFunction, Request, Response } from 'express';
import { ProblemException } from './problem';

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * Every request body of the API is JSON. Another content type would otherwise reach the handler as an
 * empty body, so a form post to a PATCH route would pass as a valid "change nothing".
 */
export function jsonBodiesOnly(req: Request, _res: Response, next: NextFunction): void {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (BODYLESS.has(req.method) || !hasBody || req.is(['application/json', 'application/*+json'])) {
    next();
    return;
  }
  next(
    new ProblemException(
      415,
      'unsupported-media-type',
      'Unsupported Media Type',
      'Request bodies must be application/json',
    ),
  );
}
