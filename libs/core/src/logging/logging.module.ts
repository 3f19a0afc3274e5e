import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { LoggerOptions } from 'pino';
import type { AppConfig } from '../config/config';
import { REDACT_PATHS, redactUrl } from './redact';
import { currentRequestId } from './request-context';

/** The request id of the line's request, if it is written while one is served (pino merges into it). */
function requestIdField(): { reqId?: string } {
  const reqId = currentRequestId();
  return reqId === undefined ? {} : { reqId };
}

/**
 * The service's pino options: JSON lines with the request id on every line written while a request is
 * served, secrets redacted; pretty when LOG_PRETTY=true (development).
 */
export function pinoOptions(log: AppConfig['log']): LoggerOptions {
  return {
    level: log.level,
    mixin: requestIdField,
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
    transport: log.pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
  };
}

/**
 * The logger Nest writes through. Requests are given their id and logged by `requestLogging`, mounted
 * first in the app; this module's own request middleware is not mounted (`forRoutes: []`).
 */
export const loggingModule = LoggerModule.forRootAsync({
  inject: [ConfigService],
  useFactory: (config: ConfigService<AppConfig, true>) => ({
    forRoutes: [],
    pinoHttp: pinoOptions(config.get('log', { infer: true })),
  }),
});
