import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
  SetMetadata,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { RedisScript } from '../redis/redis-script';
import type { AppConfig } from '../config/config';
import { RedisKeys } from '../redis/redis-keys';
import { REDIS } from '../redis/redis.tokens';
import { PROBLEM_CONTENT_TYPE, ProblemDto, ProblemException } from './problem';

export type RateLimitName = 'callback' | 'stream';

const RATE_LIMIT = 'auxilia:rate-limit';
const WINDOW_MS = 60_000;

/**
 * Limits the route to the configured number of requests per minute and client IP (RATE_LIMIT_*_PER_MIN)
 * and declares the 429 in the contract. Routes without it are never limited.
 */
export function RateLimit(name: RateLimitName) {
  return applyDecorators(
    SetMetadata(RATE_LIMIT, name),
    ApiExtraModels(ProblemDto),
    ApiResponse({
      status: 429,
      description: 'Too many requests from this client; retry after `retry-after` seconds',
      headers: { 'retry-after': { description: 'Seconds to wait', schema: { type: 'integer' } } },
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
    }),
  );
}

// One window per key: the first hit starts it; the count and the time left come back in one round trip.
const HIT = new RedisScript(`
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { count, ttl }`);

/**
 * Counts requests per route name and client IP in Redis, so every instance behind a load balancer
 * shares one count. Beyond the limit: a 429 problem with `retry-after`. When Redis cannot answer, the
 * request goes on: the routes concerned report Redis trouble themselves, and a limiter must not add an
 * outage of its own.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly logger = new Logger('RateLimit');
  private readonly limits: AppConfig['rateLimits'];

  constructor(
    private readonly reflector: Reflector,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    config: ConfigService<AppConfig, true>,
  ) {
    this.limits = config.get('rateLimits', { infer: true });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const name = this.reflector.getAllAndOverride<RateLimitName | undefined>(RATE_LIMIT, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!name) return true;
    const limit = name === 'callback' ? this.limits.callbackPerMin : this.limits.streamPerMin;
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    let count: number;
    let ttlMs: number;
    try {
      [count, ttlMs] = (await HIT.run(
        this.redis,
        [this.keys.key('ratelimit', name, clientOf(req))],
        [WINDOW_MS],
      )) as [number, number];
    } catch (error) {
      this.logger.warn(`Rate limit not checked (${(error as Error).name}): request let through`);
      return true;
    }
    if (count <= limit) return true;
    const retryAfter = Math.max(1, Math.ceil(ttlMs / 1000));
    res.setHeader('retry-after', String(retryAfter));
    throw new ProblemException(
      429,
      'too-many-requests',
      'Too Many Requests',
      `At most ${limit} requests per minute to this route; retry in ${retryAfter} s`,
      { error: 'rate_limited' },
    );
  }
}

/** The client's address as Express sees it (set `trust proxy` behind a proxy that forwards it). */
function clientOf(req: Request): string {
  return (req.ip ?? req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}
