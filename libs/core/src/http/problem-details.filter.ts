import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, problemType, type Problem } from './problem';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

const SLUGS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable-entity',
  429: 'too-many-requests',
  500: 'internal',
  502: 'bad-gateway',
  503: 'service-unavailable',
  504: 'gateway-timeout',
};

function titleOf(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/** The error's name, message and where it was thrown: enough to find it, without a whole stack in the log. */
function describeUnexpected(exception: unknown): string {
  if (!(exception instanceof Error)) return `Unexpected non-error thrown: ${typeof exception}`;
  const at = exception.stack?.split('\n').find((line) => line.trim().startsWith('at '));
  return `${exception.name}: ${exception.message}${at ? ` (${at.trim()})` : ''}`;
}

/**
 * Every error leaves as RFC 9457 problem details. Unexpected errors are logged with their stack and
 * answered with a bare 500: no message, stack or value from inside reaches the client.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const problem = this.toProblem(exception);
    problem.instance ??= req.originalUrl?.split('?')[0];
    if (req.id !== undefined) problem.requestId = String(req.id);
    if (res.headersSent) {
      // An SSE stream already started: the stream itself reports errors; just end it.
      res.end();
      return;
    }
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof HttpException) return this.fromHttpException(exception);
    const parser = exception as BodyParserError;
    if (parser && typeof parser.status === 'number' && parser.expose && typeof parser.type === 'string') {
      return this.fromBodyParser(parser);
    }
    this.logger.error(describeUnexpected(exception));
    return { type: problemType('internal'), title: titleOf(500), status: 500, detail: 'Unexpected error' };
  }

  private fromHttpException(exception: HttpException): Problem {
    const status = exception.getStatus();
    const body = exception.getResponse();
    if (typeof body === 'object' && body !== null && 'type' in body && 'title' in body) {
      return { ...(body as Problem), status };
    }
    const base: Problem = { type: problemType(SLUGS[status] ?? 'error'), title: titleOf(status), status };
    if (typeof body === 'string') return { ...base, detail: body };
    const { message, error: _error, statusCode: _statusCode, ...rest } = body as Record<string, unknown>;
    if (Array.isArray(message)) return { ...base, detail: message.join('; '), ...rest };
    if (typeof message === 'string') return { ...base, detail: message, ...rest };
    return { ...base, ...rest };
  }

  private fromBodyParser(err: BodyParserError): Problem {
    const status = err.status ?? HttpStatus.BAD_REQUEST;
    const detail =
      err.type === 'entity.parse.failed'
        ? 'The request body is not valid JSON'
        : err.type === 'entity.too.large'
          ? 'The request body is larger than the limit'
          : err.type === 'encoding.unsupported' || err.type === 'charset.unsupported'
            ? 'The request body encoding is not supported'
            : 'The request body could not be read';
    return { type: problemType(SLUGS[status] ?? 'bad-request'), title: titleOf(status), status, detail };
  }
}
