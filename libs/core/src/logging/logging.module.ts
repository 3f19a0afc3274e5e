import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../config/config';
import { REDACT_PATHS, redactUrl } from './redact';

const REQUEST_ID = /^[\w.-]{1,128}$/;

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** JSON logs with the request id on every line; pretty when LOG_PRETTY=true (development). */
export const loggingModule = LoggerModule.forRootAsync({
  inject: [ConfigService],
  useFactory: (config: ConfigService<AppConfig, true>) => {
    const log = config.get('log', { infer: true });
    return {
      pinoHttp: {
        level: log.level,
        genReqId: requestId,
        quietReqLogger: true,
        redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
        serializers: {
          req: (req: { id: string; method: string; url: string }) => ({
            id: req.id,
            method: req.method,
            url: redactUrl(req.url),
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          // The problem filter already logged what went wrong; a stack here would only repeat it.
          err: (err: { type?: string; name?: string; message?: string }) => ({
            type: err.type ?? err.name,
            message: err.message,
          }),
        },
        customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
          err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        transport: log.pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
      },
    };
  },
});
