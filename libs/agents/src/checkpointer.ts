import type { Provider } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS, RedisKeys } from '@auxilia/core';
import { RedisSaver } from '@auxilia/checkpoint-redis';

/** The LangGraph checkpointer of every thread: a RedisSaver on the shared connection. */
export const CHECKPOINTER: unique symbol = Symbol('CHECKPOINTER');

export const checkpointerProvider: Provider = {
  provide: CHECKPOINTER,
  inject: [REDIS, RedisKeys],
  useFactory: (redis: Redis, keys: RedisKeys) => new RedisSaver(redis, { keyPrefix: keys.key('cp:') }),
};
