import type { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import { REDIS, RedisKeys, type AppConfig } from '@auxilia/core';
import { RedisSaver } from '@auxilia/checkpoint-redis';

/**
 * The LangGraph checkpointer of every thread: a RedisSaver on the shared connection. It keeps what
 * CHECKPOINTS_KEEP says: the service reads only a thread's latest checkpoint.
 */
export const CHECKPOINTER: unique symbol = Symbol('CHECKPOINTER');

export const checkpointerProvider: Provider = {
  provide: CHECKPOINTER,
  inject: [REDIS, RedisKeys, ConfigService],
  useFactory: (redis: Redis, keys: RedisKeys, config: ConfigService<AppConfig, true>) =>
    new RedisSaver(redis, {
      keyPrefix: keys.key('cp:'),
      keep: config.get('agents', { infer: true }).checkpointsKeep,
    }),
};
