import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  Logger,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { AppConfig } from '../config/config';
import { ProblemException } from './problem';
import { IS_PUBLIC } from './public.decorator';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * With API_KEYS set, every route not marked @Public() needs `Authorization: Bearer <key>`. Keys are
 * compared as SHA-256 digests with timingSafeEqual, so neither a key's length nor its prefix leaks
 * through response timing.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate, OnModuleInit {
  private readonly keys: Buffer[];
  private readonly logger = new Logger('ApiKeys');

  constructor(
    private readonly reflector: Reflector,
    config: ConfigService<AppConfig, true>,
  ) {
    this.keys = config.get('apiKeys', { infer: true }).map(digest);
  }

  onModuleInit(): void {
    if (this.keys.length === 0)
      this.logger.warn('API_KEYS is not set: the API is open to anyone who can reach it');
    else this.logger.log(`API keys required (${this.keys.length} configured)`);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.keys.length === 0 || context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (match) {
      const given = digest(match[1]);
      let ok = false;
      for (const key of this.keys) ok = timingSafeEqual(key, given) || ok;
      if (ok) return true;
    }
    context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="auxilia"');
    throw new ProblemException(
      401,
      'api-key-required',
      'Unauthorized',
      match ? 'The API key is not valid' : 'This API needs an API key: send Authorization: Bearer <key>',
    );
  }
}
